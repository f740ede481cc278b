#include "server/transport/connection_drain.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <cstdlib>

#include "absl/time/clock.h"

namespace evrouter::transport {
namespace {

// The local port of `fd` when it is a connected (not listening) TCP socket;
// -1 for anything else.
int ConnectedTcpPort(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return -1;
  int type = 0, listening = 0;
  socklen_t length = sizeof(type);
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 ||
      type != SOCK_STREAM) {
    return -1;
  }
  length = sizeof(listening);
  if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 ||
      listening != 0) {
    return -1;
  }
  sockaddr_storage address{};
  length = sizeof(address);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return -1;
  }
  if (address.ss_family == AF_INET) {
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port);
  }
  if (address.ss_family == AF_INET6) {
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port);
  }
  return -1;  // a unix socket
}

}  // namespace

int ConnectionsWithUndeliveredOutput(int port) {
  // gRPC owns these descriptors and may close one while we look: the calls
  // below only read, so a descriptor reused meanwhile costs a wrong count
  // for one poll at worst.
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr) return 0;
  const int own = dirfd(fds);
  int undelivered = 0;
  while (const dirent* entry = readdir(fds)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == own) continue;
    if (ConnectedTcpPort(static_cast<int>(fd)) != port) continue;
    int unacknowledged = 0;  // bytes written and not yet acknowledged
    if (ioctl(static_cast<int>(fd), SIOCOUTQ, &unacknowledged) == 0 &&
        unacknowledged > 0) {
      ++undelivered;
    }
  }
  closedir(fds);
  return undelivered;
}

int WaitForOutputDelivered(int port, absl::Time deadline) {
  while (true) {
    const int undelivered = ConnectionsWithUndeliveredOutput(port);
    if (undelivered == 0 || absl::Now() >= deadline) return undelivered;
    absl::SleepFor(absl::Milliseconds(5));  // poll interval
  }
}

}  // namespace evrouter::transport
