// ConnectionsWithUndeliveredOutput over real loopback TCP connections: a
// client that does not read leaves output unacknowledged on the server's
// side until it does.
#include "server/transport/connection_drain.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace evrouter::transport {
namespace {

// A listening socket on 127.0.0.1, a free port.
class Listener {
 public:
  Listener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)),
              0);
    EXPECT_EQ(listen(fd_, 4), 0);
    socklen_t length = sizeof(address);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { close(fd_); }
  int port() const { return port_; }

  // Connects a client (with a small receive buffer when `client_buffer` > 0)
  // and accepts it; both descriptors are closed by the destructor.
  struct Connection {
    int client = -1;
    int server = -1;
    ~Connection() {
      close(client);
      close(server);
    }
  };
  void Connect(Connection* connection, int client_buffer = 0) const {
    connection->client = socket(AF_INET, SOCK_STREAM, 0);
    if (client_buffer > 0) {
      setsockopt(connection->client, SOL_SOCKET, SO_RCVBUF, &client_buffer,
                 sizeof(client_buffer));
    }
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<uint16_t>(port_));
    ASSERT_EQ(connect(connection->client, reinterpret_cast<sockaddr*>(&address),
                      sizeof(address)),
              0);
    connection->server = accept(fd_, nullptr, nullptr);
    ASSERT_GE(connection->server, 0);
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Writes to `fd` without blocking until the socket takes no more (the peer
// does not read); returns the bytes written.
size_t FillUntilBlocked(int fd) {
  std::vector<char> chunk(64 * 1024, 'x');
  size_t written = 0;
  while (true) {
    ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n <= 0) {
      EXPECT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK) << errno;
      return written;
    }
    written += static_cast<size_t>(n);
  }
}

TEST(ConnectionDrainTest, IdleConnectionsAndTheListenerCountNothing) {
  Listener listener;
  Listener::Connection idle;
  listener.Connect(&idle);
  EXPECT_EQ(ConnectionsWithUndeliveredOutput(listener.port()), 0);
  EXPECT_EQ(
      WaitForOutputDelivered(listener.port(), absl::Now() + absl::Seconds(30)),
      0);
}

TEST(ConnectionDrainTest, OutputCountsUntilTheClientReadsIt) {
  Listener listener, other;
  Listener::Connection slow, idle_elsewhere;
  listener.Connect(&slow, /*client_buffer=*/4096);
  other.Connect(&idle_elsewhere);
  const size_t written = FillUntilBlocked(slow.server);
  ASSERT_GT(written, 0u);

  EXPECT_EQ(ConnectionsWithUndeliveredOutput(listener.port()), 1);
  EXPECT_EQ(ConnectionsWithUndeliveredOutput(other.port()), 0);
  // Nothing moves while the client does not read: the wait gives up at its
  // deadline, still counting the connection.
  EXPECT_EQ(WaitForOutputDelivered(listener.port(),
                                   absl::Now() + absl::Milliseconds(20)),
            1);

  std::vector<char> buffer(64 * 1024);
  size_t read_bytes = 0;
  while (read_bytes < written) {
    ssize_t n = recv(slow.client, buffer.data(), buffer.size(), 0);
    ASSERT_GT(n, 0);
    read_bytes += static_cast<size_t>(n);
  }
  EXPECT_EQ(
      WaitForOutputDelivered(listener.port(), absl::Now() + absl::Seconds(30)),
      0);
}

}  // namespace
}  // namespace evrouter::transport
