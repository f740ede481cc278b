#include "server/transport/parsing_unary_handler.h"

#include <google/protobuf/descriptor.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace evrouter::transport {

int MethodIndex(absl::string_view service, absl::string_view method,
                const google::protobuf::Descriptor& request,
                const google::protobuf::Descriptor& response) {
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(
          std::string(service));
  const google::protobuf::MethodDescriptor* found =
      descriptor == nullptr ? nullptr
                            : descriptor->FindMethodByName(std::string(method));
  if (found == nullptr || found->input_type() != &request ||
      found->output_type() != &response || found->client_streaming() ||
      found->server_streaming()) {
    std::fprintf(stderr, "MethodIndex: no unary %.*s.%.*s(%s) returns (%s)\n",
                 static_cast<int>(service.size()), service.data(),
                 static_cast<int>(method.size()), method.data(),
                 request.full_name().c_str(), response.full_name().c_str());
    std::abort();
  }
  return found->index();
}

}  // namespace evrouter::transport
