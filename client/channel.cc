#include "client/channel.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/support/channel_arguments.h>

#include <string>

namespace evrouter::client {

std::shared_ptr<grpc::Channel> CreateInsecureChannel(std::string_view server,
                                                     bool own_connection) {
  grpc::ChannelArguments args;
  if (own_connection) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel(std::string(server),
                                   grpc::InsecureChannelCredentials(), args);
}

}  // namespace evrouter::client
