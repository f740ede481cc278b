#ifndef EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_
#define EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/message_allocator.h>

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "server/transport/call_auth.h"
#include "server/transport/request_parser.h"
#include "server/transport/status.h"

namespace evrouter::transport {

// The index gRPC's generated code registers `method` of `service` under (its
// position in the .proto). Aborts unless the method exists and takes
// `request` and returns `response`: a mismatch is a programming error.
int MethodIndex(absl::string_view service, absl::string_view method,
                const google::protobuf::Descriptor& request,
                const google::protobuf::Descriptor& response);

// A handler for a unary callback method whose request arrives as bytes and is
// parsed by ParseRequest, so that a request protobuf refuses (invalid UTF-8 in
// a string field) gets INVALID_ARGUMENT naming the field; gRPC's own parsing
// answers it UNIMPLEMENTED with no message. The caller is authenticated
// before the request is parsed (UNAUTHENTICATED) and authorized for what
// `rule` says the parsed request needs (PERMISSION_DENIED). A permitted
// request goes to `typed` as gRPC would pass it: request and response live
// until the call is done.
// Install it from the service's constructor with
// MarkMethodCallback(MethodIndex(...), new ParsingUnaryHandler<...>(...)).
template <typename Request, typename Response>
class ParsingUnaryHandler final
    : public grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response> {
 public:
  using Typed = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const Request*, Response*)>;

  using Rule = core::Access (*)(const Request&);

  ParsingUnaryHandler(CallAuth* auth, std::string method, Rule rule,
                      Typed typed)
      : grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response>(
            [auth, method = std::move(method), rule, typed = std::move(typed)](
                grpc::CallbackServerContext* context,
                const grpc::ByteBuffer* /*bytes*/, Response* response) {
              auto* messages =
                  static_cast<Messages*>(context->GetRpcAllocatorState());
              absl::StatusOr<core::Caller> caller =
                  auth->Authenticate(*context, method);
              if (!caller.ok()) {
                messages->bytes.Clear();
                return Refuse(context, ToGrpcStatus(caller.status()));
              }
              absl::Status parsed =
                  ParseRequest(messages->bytes, &messages->parsed);
              messages->bytes.Clear();  // as gRPC frees it once parsed
              if (!parsed.ok()) return Refuse(context, ToGrpcStatus(parsed));
              absl::Status allowed =
                  auth->Authorize(*caller, rule(messages->parsed));
              if (!allowed.ok()) {
                return Refuse(context, ToGrpcStatus(allowed));
              }
              return typed(context, &messages->parsed, response);
            }) {
    this->SetMessageAllocator(&allocator_);
  }

 private:
  static grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* context,
                                          const grpc::Status& status) {
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(status);
    return reactor;
  }

  // The messages of one call; gRPC releases them once the call is done.
  struct Messages final : grpc::MessageHolder<grpc::ByteBuffer, Response> {
    Messages() {
      this->set_request(&bytes);
      this->set_response(&response);
    }
    void Release() override { delete this; }

    grpc::ByteBuffer bytes;
    Request parsed;
    Response response;
  };

  struct Allocator final : grpc::MessageAllocator<grpc::ByteBuffer, Response> {
    grpc::MessageHolder<grpc::ByteBuffer, Response>* AllocateMessages()
        override {
      return new Messages;
    }
  };

  Allocator allocator_;
};

// The index and a new ParsingUnaryHandler for `method` of `service_name`,
// calling `typed` on `service` for requests `auth` allows by `rule`; for
// MarkMethodCallback.
template <typename Service, typename Request, typename Response>
std::pair<int, grpc::internal::MethodHandler*> ParsingUnaryMethod(
    Service* service, CallAuth* auth, absl::string_view service_name,
    absl::string_view method,
    grpc::ServerUnaryReactor* (Service::*typed)(grpc::CallbackServerContext*,
                                                const Request*, Response*),
    core::Access (*rule)(const Request&)) {
  return {MethodIndex(service_name, method, *Request::descriptor(),
                      *Response::descriptor()),
          new ParsingUnaryHandler<Request, Response>(
              auth, absl::StrCat("/", service_name, "/", method), rule,
              [service, typed](grpc::CallbackServerContext* context,
                               const Request* request, Response* response) {
                return (service->*typed)(context, request, response);
              })};
}

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_
