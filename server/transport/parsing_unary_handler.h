#ifndef EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_
#define EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_

#include <grpcpp/impl/codegen/server_callback_handlers.h>
#include <grpcpp/server_context.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/message_allocator.h>

#include <functional>
#include <utility>

#include "absl/strings/string_view.h"
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
// answers it UNIMPLEMENTED with no message. A parsed request goes to `typed`
// as gRPC would pass it: request and response live until the call is done.
// Install it from the service's constructor with
// MarkMethodCallback(MethodIndex(...), new ParsingUnaryHandler<...>(...)).
template <typename Request, typename Response>
class ParsingUnaryHandler final
    : public grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response> {
 public:
  using Typed = std::function<grpc::ServerUnaryReactor*(
      grpc::CallbackServerContext*, const Request*, Response*)>;

  explicit ParsingUnaryHandler(Typed typed)
      : grpc::internal::CallbackUnaryHandler<grpc::ByteBuffer, Response>(
            [typed = std::move(typed)](grpc::CallbackServerContext* context,
                                       const grpc::ByteBuffer* /*bytes*/,
                                       Response* response) {
              auto* messages =
                  static_cast<Messages*>(context->GetRpcAllocatorState());
              absl::Status parsed =
                  ParseRequest(messages->bytes, &messages->parsed);
              messages->bytes.Clear();  // as gRPC frees it once parsed
              if (!parsed.ok()) {
                grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
                reactor->Finish(ToGrpcStatus(parsed));
                return reactor;
              }
              return typed(context, &messages->parsed, response);
            }) {
    this->SetMessageAllocator(&allocator_);
  }

 private:
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
// calling `typed` on `service`; for MarkMethodCallback.
template <typename Service, typename Request, typename Response>
std::pair<int, grpc::internal::MethodHandler*> ParsingUnaryMethod(
    Service* service, absl::string_view service_name, absl::string_view method,
    grpc::ServerUnaryReactor* (Service::*typed)(grpc::CallbackServerContext*,
                                                const Request*, Response*)) {
  return {MethodIndex(service_name, method, *Request::descriptor(),
                      *Response::descriptor()),
          new ParsingUnaryHandler<Request, Response>(
              [service, typed](grpc::CallbackServerContext* context,
                               const Request* request, Response* response) {
                return (service->*typed)(context, request, response);
              })};
}

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_PARSING_UNARY_HANDLER_H_
