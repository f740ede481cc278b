#ifndef EVROUTER_SERVER_HTTP_HTTP_SERVER_H_
#define EVROUTER_SERVER_HTTP_HTTP_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "server/http/json_api.h"
#include "server/metrics/exposition.h"

namespace httplib {
class Server;
}  // namespace httplib

namespace evrouter::http {

struct HttpServerOptions {
  // HOST:PORT; port 0 picks a free one (Start() says which).
  std::string listen = "127.0.0.1:8080";
  // HTTPS with this PEM certificate chain and key when set; with
  // `tls_client_ca` clients must present a certificate signed by it.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;
  // Request bodies past this are refused (413).
  size_t max_body_bytes = size_t{1} << 20;
};

// evrouterd's HTTP listener, for operators: GET /metrics (the Prometheus
// exposition of `metrics`), the JSON API at POST /api/v1/<Method> (`api`),
// and the dashboard's files compiled into the binary at / (index.html) and
// /<file>. Serves on threads of its own (cpp-httplib's pool). The registry
// and the API are not owned and must outlive the server. Start and Stop from
// one thread.
class HttpServer {
 public:
  HttpServer(HttpServerOptions options, const metrics::MetricsRegistry* metrics,
             const JsonApi* api);
  ~HttpServer();

  // Binds and starts serving; returns the bound port. Fails on a bad
  // address, a port in use, or TLS files the library cannot load.
  absl::StatusOr<int> Start();
  // Stops accepting and waits for the serving thread. Idempotent.
  void Stop();

  // Writes evrouter_http_requests_total{handler,code}.
  void Collect(metrics::ExpositionWriter& writer) const;

 private:
  void CountRequest(const std::string& path, int status);

  const HttpServerOptions options_;
  const metrics::MetricsRegistry* const metrics_;
  const JsonApi* const api_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  // (handler, status code) -> requests answered.
  absl::btree_map<std::pair<std::string, int>, uint64_t> requests_
      ABSL_GUARDED_BY(mu_);
};

// Splits HOST:PORT ("[::1]:8080" gives "::1"). False when malformed.
bool SplitHostPort(const std::string& listen, std::string* host, int* port);

}  // namespace evrouter::http

#endif  // EVROUTER_SERVER_HTTP_HTTP_SERVER_H_
