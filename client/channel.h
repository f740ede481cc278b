#ifndef EVROUTER_CLIENT_CHANNEL_H_
#define EVROUTER_CLIENT_CHANNEL_H_

#include <grpcpp/channel.h>

#include <memory>
#include <string_view>

namespace evrouter::client {

// Creates an insecure (plaintext) channel to `server` ("HOST:PORT"). The
// channel is thread-safe and connects lazily on the first call; tools that
// need their own stubs share it with the client library. With
// `own_connection` it never shares a TCP connection with other channels.
std::shared_ptr<grpc::Channel> CreateInsecureChannel(
    std::string_view server, bool own_connection = false);

}  // namespace evrouter::client

#endif  // EVROUTER_CLIENT_CHANNEL_H_
