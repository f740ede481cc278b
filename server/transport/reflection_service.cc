#include "server/transport/reflection_service.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "grpc/reflection/v1/reflection.grpc.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "server/transport/status.h"

namespace evrouter::transport {
namespace {

namespace pb = google::protobuf;

// Real requests name a file or a symbol; anything larger is not one.
constexpr size_t kMaxRequestBytes = 4096;

struct V1 {
  using Service = grpc::reflection::v1::ServerReflection;
  using Request = grpc::reflection::v1::ServerReflectionRequest;
  using Response = grpc::reflection::v1::ServerReflectionResponse;
};

struct V1alpha {
  using Service = grpc::reflection::v1alpha::ServerReflection;
  using Request = grpc::reflection::v1alpha::ServerReflectionRequest;
  using Response = grpc::reflection::v1alpha::ServerReflectionResponse;
};

using SentFiles = absl::flat_hash_set<const pb::FileDescriptor*>;

// Appends `file`, serialized, then those of its transitive imports that are
// not in `sent` yet; all of them are in `sent` afterwards. `file` itself is
// always sent: a client asking for it again gets an answer.
void AppendFiles(const pb::FileDescriptor* file, SentFiles* sent,
                 pb::RepeatedPtrField<std::string>* out) {
  std::vector<const pb::FileDescriptor*> pending = {file};
  sent->insert(file);
  for (size_t i = 0; i < pending.size(); ++i) {  // breadth first
    const pb::FileDescriptor* next = pending[i];
    pb::FileDescriptorProto proto;
    next->CopyTo(&proto);
    proto.SerializeToString(out->Add());
    for (int i = 0; i < next->dependency_count(); ++i) {
      const pb::FileDescriptor* dependency = next->dependency(i);
      if (dependency != nullptr && sent->insert(dependency).second) {
        pending.push_back(dependency);
      }
    }
  }
}

absl::StatusOr<const pb::FileDescriptor*> FileByName(const std::string& name) {
  const pb::FileDescriptor* file =
      pb::DescriptorPool::generated_pool()->FindFileByName(name);
  if (file == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("file_by_filename: no file \"", name, "\" is known"));
  }
  return file;
}

absl::StatusOr<const pb::FileDescriptor*> FileContainingSymbol(
    const std::string& symbol) {
  const pb::FileDescriptor* file =
      pb::DescriptorPool::generated_pool()->FindFileContainingSymbol(symbol);
  if (file == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "file_containing_symbol: no symbol \"", symbol, "\" is known"));
  }
  return file;
}

absl::StatusOr<const pb::Descriptor*> MessageType(const char* field,
                                                  const std::string& name) {
  const pb::Descriptor* type =
      pb::DescriptorPool::generated_pool()->FindMessageTypeByName(name);
  if (type == nullptr) {
    return absl::NotFoundError(
        absl::StrCat(field, ": no message type \"", name, "\" is known"));
  }
  return type;
}

template <typename Extension>
absl::StatusOr<const pb::FileDescriptor*> FileContainingExtension(
    const Extension& extension) {
  absl::StatusOr<const pb::Descriptor*> type = MessageType(
      "file_containing_extension.containing_type", extension.containing_type());
  if (!type.ok()) return type.status();
  const pb::FieldDescriptor* field =
      pb::DescriptorPool::generated_pool()->FindExtensionByNumber(
          *type, extension.extension_number());
  if (field == nullptr) {
    return absl::NotFoundError(absl::StrCat(
        "file_containing_extension: \"", extension.containing_type(),
        "\" has no extension ", extension.extension_number()));
  }
  return field->file();
}

// Fills `response` (cleared first) with the answer to `request`.
template <typename Proto>
void Answer(const typename Proto::Request& request,
            const std::vector<std::string>& services, SentFiles* sent,
            typename Proto::Response* response) {
  using Request = typename Proto::Request;
  response->Clear();
  response->set_valid_host(request.host());
  *response->mutable_original_request() = request;
  absl::StatusOr<const pb::FileDescriptor*> file = nullptr;
  switch (request.message_request_case()) {
    case Request::kFileByFilename:
      file = FileByName(request.file_by_filename());
      break;
    case Request::kFileContainingSymbol:
      file = FileContainingSymbol(request.file_containing_symbol());
      break;
    case Request::kFileContainingExtension:
      file = FileContainingExtension(request.file_containing_extension());
      break;
    case Request::kAllExtensionNumbersOfType: {
      const std::string& name = request.all_extension_numbers_of_type();
      absl::StatusOr<const pb::Descriptor*> type =
          MessageType("all_extension_numbers_of_type", name);
      if (!type.ok()) {
        file = type.status();
        break;
      }
      std::vector<const pb::FieldDescriptor*> extensions;
      pb::DescriptorPool::generated_pool()->FindAllExtensions(*type,
                                                              &extensions);
      auto* numbers = response->mutable_all_extension_numbers_response();
      numbers->set_base_type_name(name);
      for (const pb::FieldDescriptor* extension : extensions) {
        numbers->add_extension_number(extension->number());
      }
      return;
    }
    case Request::kListServices: {
      auto* list = response->mutable_list_services_response();
      for (const std::string& name : services) {
        list->add_service()->set_name(name);
      }
      return;
    }
    default:
      // Unset, or a kind of request newer than this protocol version.
      file = absl::InvalidArgumentError(
          "request: set one of file_by_filename, file_containing_symbol, "
          "file_containing_extension, all_extension_numbers_of_type or "
          "list_services");
      break;
  }
  if (!file.ok()) {
    grpc::Status status = ToGrpcStatus(file.status());
    auto* error = response->mutable_error_response();
    error->set_error_code(status.error_code());
    error->set_error_message(status.error_message());
    return;
  }
  AppendFiles(*file, sent,
              response->mutable_file_descriptor_response()
                  ->mutable_file_descriptor_proto());
}

}  // namespace

// One reflection stream: reads a request, writes its answer, reads the next;
// so one write in flight and one request's answer in memory. Finishes OK when
// the client half-closes. Deletes itself when gRPC is done with it.
template <typename Proto>
class ReflectionService::Reactor final
    : public grpc::ServerBidiReactor<typename Proto::Request,
                                     typename Proto::Response>,
      public ReflectionService::Stream {
 public:
  Reactor(ReflectionService* service, grpc::CallbackServerContext* context)
      : service_(service) {
    if (service_->authenticate_) {
      grpc::Status allowed = service_->authenticate_(context);
      if (!allowed.ok()) {
        Refuse(std::move(allowed));
        return;
      }
    }
    connection_ = context->peer();
    absl::Status admitted = service_->calls_->EnterStream(connection_);
    if (!admitted.ok()) {
      Refuse(ToGrpcStatus(admitted));
      return;
    }
    counted_ = true;
    service_->Register(this);  // may End() it at once
    absl::MutexLock lock(&mu_);
    if (!finished_) this->StartRead(&request_);
  }

  void End() override {
    absl::MutexLock lock(&mu_);
    ending_ = true;
    if (!writing_) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
    }
  }

  void OnReadDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    if (finished_) return;
    if (!ok) {  // the client half-closed, or the stream broke
      FinishLocked(grpc::Status::OK);
      return;
    }
    if (request_.ByteSizeLong() > kMaxRequestBytes) {
      FinishLocked(grpc::Status(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("request: larger than ", kMaxRequestBytes, " bytes")));
      return;
    }
    Answer<Proto>(request_, service_->services_, &sent_, &response_);
    writing_ = true;
    this->StartWrite(&response_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok || cancelled_) {
      FinishLocked(grpc::Status(grpc::StatusCode::CANCELLED,
                                "stream broken while writing"));
    } else if (ending_) {
      FinishLocked(grpc::Status(grpc::StatusCode::UNAVAILABLE, kShuttingDown));
    } else {
      this->StartRead(&request_);
    }
  }

  void OnCancel() override {
    absl::MutexLock lock(&mu_);
    cancelled_ = true;
    if (!writing_) FinishLocked(grpc::Status::CANCELLED);
  }

  void OnDone() override {
    if (counted_) {
      service_->Forget(this);
      service_->calls_->LeaveStream(connection_);
    }
    delete this;
  }

 private:
  // Ends a stream that was not admitted, before anything was read.
  void Refuse(grpc::Status status) {
    absl::MutexLock lock(&mu_);
    FinishLocked(std::move(status));
  }

  void FinishLocked(grpc::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_) return;
    finished_ = true;
    this->Finish(std::move(status));
  }

  ReflectionService* const service_;
  // Set in the constructor, before any callback can run.
  std::string connection_;
  bool counted_ = false;
  absl::Mutex mu_;
  typename Proto::Request request_ ABSL_GUARDED_BY(mu_);
  typename Proto::Response response_ ABSL_GUARDED_BY(mu_);
  SentFiles sent_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool ending_ ABSL_GUARDED_BY(mu_) = false;
  bool cancelled_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

template <typename Proto>
class ReflectionService::Handler final
    : public Proto::Service::CallbackService {
 public:
  explicit Handler(ReflectionService* service) : service_(service) {}

  grpc::ServerBidiReactor<typename Proto::Request, typename Proto::Response>*
  ServerReflectionInfo(grpc::CallbackServerContext* context) override {
    return new Reactor<Proto>(service_, context);
  }

 private:
  ReflectionService* const service_;
};

ReflectionService::ReflectionService(std::vector<std::string> services,
                                     CallTracker* calls,
                                     Authenticator authenticate)
    : services_(std::move(services)),
      calls_(calls),
      authenticate_(std::move(authenticate)),
      v1_(std::make_unique<Handler<V1>>(this)),
      v1alpha_(std::make_unique<Handler<V1alpha>>(this)) {}

ReflectionService::~ReflectionService() = default;

grpc::Service* ReflectionService::v1() { return v1_.get(); }

grpc::Service* ReflectionService::v1alpha() { return v1alpha_.get(); }

void ReflectionService::Register(Stream* stream) {
  bool end;
  {
    absl::MutexLock lock(&mu_);
    open_.insert(stream);
    end = ending_;
  }
  if (end) stream->End();
}

void ReflectionService::Forget(Stream* stream) {
  absl::MutexLock lock(&mu_);
  open_.erase(stream);
}

void ReflectionService::EndStreams() {
  absl::MutexLock lock(&mu_);
  ending_ = true;
  for (Stream* stream : open_) stream->End();
}

}  // namespace evrouter::transport
