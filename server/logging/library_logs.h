#ifndef EVROUTER_SERVER_LOGGING_LIBRARY_LOGS_H_
#define EVROUTER_SERVER_LOGGING_LIBRARY_LOGS_H_

namespace evrouter::logging {

// Sends the log lines of gRPC (gpr_log: ERROR as warn, INFO and DEBUG as
// debug; which of them gRPC emits is its GRPC_VERBOSITY, ERROR by default)
// to component "grpc", and protobuf's (debug: each names a request it
// refused, which the client already hears about) to "protobuf". A client
// can cause such lines at will (one per failed TLS handshake), so each
// library gets at most 5 lines a second, the rest summed up in its next
// line; assertion failures and FATAL lines always pass. Call once at
// start, after SetUpLogging.
void RouteLibraryLogs();

}  // namespace evrouter::logging

#endif  // EVROUTER_SERVER_LOGGING_LIBRARY_LOGS_H_
