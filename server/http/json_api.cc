#include "server/http/json_api.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/message.h>
#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/transport/rpc_metrics.h"

namespace evrouter::http {
namespace {

namespace pb = google::protobuf;

std::unique_ptr<pb::Message> NewMessage(const pb::Descriptor* descriptor) {
  const pb::Message* prototype =
      pb::MessageFactory::generated_factory()->GetPrototype(descriptor);
  return std::unique_ptr<pb::Message>(prototype->New());
}

JsonResponse Error(grpc::StatusCode code, std::string message) {
  const grpc::Status status(code, std::move(message));
  return {HttpStatusOf(code), ErrorJson(status)};
}

}  // namespace

int HttpStatusOf(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    default:
      return 500;
  }
}

std::string ErrorJson(const grpc::Status& status) {
  pb::Struct error;
  auto& fields = *error.mutable_fields();
  fields["code"].set_number_value(static_cast<int>(status.error_code()));
  fields["status"].set_string_value(
      transport::StatusCodeName(status.error_code()));
  fields["message"].set_string_value(status.error_message());
  std::string json;
  if (!pb::util::MessageToJsonString(error, &json).ok()) {
    // Only a message that is not UTF-8 gets here; the code still tells.
    fields["message"].set_string_value("(message not valid UTF-8)");
    json.clear();
    (void)pb::util::MessageToJsonString(error, &json);
  }
  return json;
}

JsonApi::JsonApi(std::shared_ptr<grpc::Channel> channel,
                 absl::string_view service, absl::Duration deadline)
    : channel_(std::move(channel)),
      deadline_(deadline),
      stub_(std::make_unique<grpc::GenericStub>(channel_)) {
  const pb::ServiceDescriptor* descriptor =
      pb::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service));
  if (descriptor == nullptr) return;
  for (int i = 0; i < descriptor->method_count(); ++i) {
    const pb::MethodDescriptor* method = descriptor->method(i);
    if (method->client_streaming() || method->server_streaming()) continue;
    methods_.emplace(method->name(), method);
  }
}

bool JsonApi::HasMethod(absl::string_view method) const {
  return methods_.contains(method);
}

JsonResponse JsonApi::Call(absl::string_view method_name,
                           absl::string_view body,
                           absl::string_view authorization) const {
  auto it = methods_.find(method_name);
  if (it == methods_.end()) {
    return Error(grpc::StatusCode::NOT_FOUND,
                 absl::StrCat("no method ", method_name));
  }
  const pb::MethodDescriptor* method = it->second;
  std::unique_ptr<pb::Message> request = NewMessage(method->input_type());
  if (!body.empty()) {
    pb::util::JsonParseOptions options;
    options.ignore_unknown_fields = false;
    pb::util::Status parsed = pb::util::JsonStringToMessage(
        pb::StringPiece(body.data(), body.size()), request.get(), options);
    if (!parsed.ok()) {
      return Error(
          grpc::StatusCode::INVALID_ARGUMENT,
          absl::StrCat("the body is not a ", method->input_type()->full_name(),
                       " in JSON: ", parsed.message().as_string()));
    }
  }
  std::string request_wire;
  if (!request->SerializeToString(&request_wire)) {
    return Error(grpc::StatusCode::INVALID_ARGUMENT,
                 "the request cannot be serialized");
  }
  grpc::Slice request_slice(request_wire);
  grpc::ByteBuffer request_bytes(&request_slice, 1);

  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  if (!authorization.empty()) {
    context.AddMetadata("authorization", std::string(authorization));
  }
  grpc::ByteBuffer response_bytes;
  grpc::Status status;
  absl::Notification done;
  const std::string path =
      absl::StrCat("/", method->service()->full_name(), "/", method->name());
  stub_->UnaryCall(&context, path, grpc::StubOptions(), &request_bytes,
                   &response_bytes, [&status, &done](grpc::Status result) {
                     status = std::move(result);
                     done.Notify();
                   });
  done.WaitForNotification();
  if (!status.ok())
    return {HttpStatusOf(status.error_code()), ErrorJson(status)};

  std::unique_ptr<pb::Message> response = NewMessage(method->output_type());
  std::vector<grpc::Slice> slices;
  std::string response_wire;
  if (response_bytes.Dump(&slices).ok()) {
    for (const grpc::Slice& slice : slices) {
      response_wire.append(reinterpret_cast<const char*>(slice.begin()),
                           slice.size());
    }
  }
  if (!response->ParseFromString(response_wire)) {
    return Error(grpc::StatusCode::INTERNAL,
                 absl::StrCat("cannot read the response of ", method_name));
  }
  pb::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string json;
  if (pb::util::Status printed =
          pb::util::MessageToJsonString(*response, &json, options);
      !printed.ok()) {
    return Error(grpc::StatusCode::INTERNAL,
                 absl::StrCat("cannot write the response as JSON: ",
                              printed.message().as_string()));
  }
  return {200, std::move(json)};
}

}  // namespace evrouter::http
