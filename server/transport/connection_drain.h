#ifndef EVROUTER_SERVER_TRANSPORT_CONNECTION_DRAIN_H_
#define EVROUTER_SERVER_TRANSPORT_CONNECTION_DRAIN_H_

#include "absl/time/time.h"

namespace evrouter::transport {

// Shutdown's last step before gRPC closes its connections. Closing a TCP
// socket that still holds output the client has not acknowledged loses that
// output whenever the connection is reset (Linux resets it when the socket
// is closed with input unread, or when the client sends anything after the
// close: a flow-control update, a batch it sent as the stream ended), and a
// client that was slow to read would lose its last acks and the stream's
// status. So shutdown first waits for the clients' kernels to acknowledge
// everything written to them; idle connections do not delay it.

// Connections accepted on local TCP port `port` (this process's sockets,
// IPv4 or IPv6) whose output the peer has not yet acknowledged.
int ConnectionsWithUndeliveredOutput(int port);

// Polls ConnectionsWithUndeliveredOutput(port) until it is 0 or `deadline`
// passes; returns the last count (0: everything was delivered).
int WaitForOutputDelivered(int port, absl::Time deadline);

}  // namespace evrouter::transport

#endif  // EVROUTER_SERVER_TRANSPORT_CONNECTION_DRAIN_H_
