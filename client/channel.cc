#include "client/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>

#include <string>

namespace evrouter::client {

std::shared_ptr<grpc::Channel> CreateInsecureChannel(std::string_view server) {
  return grpc::CreateChannel(std::string(server),
                             grpc::InsecureChannelCredentials());
}

}  // namespace evrouter::client
