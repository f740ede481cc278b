#include "server/http/http_server.h"

#include <httplib.h>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "server/http/dashboard_assets.h"

namespace evrouter::http {
namespace {

// No inline script or style and no other origin: the dashboard's own files
// only; no framing (clickjacking).
constexpr char kContentSecurityPolicy[] =
    "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; "
    "base-uri 'none'; form-action 'self'";
constexpr char kApiPrefix[] = "/api/v1/";

// The handler a path belongs to, as the requests metric labels it.
std::string HandlerOf(const std::string& path) {
  if (path == "/metrics") return "metrics";
  if (absl::StartsWith(path, kApiPrefix)) return "api";
  if (path == "/") return "dashboard";
  for (const DashboardAsset& asset : DashboardAssets()) {
    if (asset.path == path) return "dashboard";
  }
  return "other";
}

void SetJson(httplib::Response& response, const JsonResponse& json) {
  response.status = json.status;
  response.set_content(json.body, "application/json");
  if (json.status == 401) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"evrouter\"");
  }
}

}  // namespace

bool SplitHostPort(const std::string& listen, std::string* host, int* port) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  std::string h = listen.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') {
    h = h.substr(1, h.size() - 2);
  } else if (h.find(':') != std::string::npos) {
    return false;  // an IPv6 address needs brackets
  }
  int p = 0;
  if (h.empty() || !absl::SimpleAtoi(listen.substr(colon + 1), &p) || p < 0 ||
      p > 65535) {
    return false;
  }
  *host = std::move(h);
  *port = p;
  return true;
}

HttpServer::HttpServer(HttpServerOptions options,
                       const metrics::MetricsRegistry* metrics,
                       const JsonApi* api)
    : options_(std::move(options)), metrics_(metrics), api_(api) {}

HttpServer::~HttpServer() { Stop(); }

absl::StatusOr<int> HttpServer::Start() {
  std::string host;
  int port = 0;
  if (!SplitHostPort(options_.listen, &host, &port)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--http-listen ", options_.listen, ": expected HOST:PORT"));
  }
  if (options_.tls_cert.empty()) {
    server_ = std::make_unique<httplib::Server>();
  } else {
    server_ = std::make_unique<httplib::SSLServer>(
        options_.tls_cert.c_str(), options_.tls_key.c_str(),
        options_.tls_client_ca.empty() ? nullptr
                                       : options_.tls_client_ca.c_str());
  }
  if (!server_->is_valid()) {
    return absl::InvalidArgumentError(
        "the HTTP listener cannot load the TLS certificate, key or client CA");
  }
  httplib::Server& server = *server_;
  server.set_payload_max_length(options_.max_body_bytes);
  server.set_read_timeout(10);
  server.set_write_timeout(10);
  server.set_default_headers({
      {"Content-Security-Policy", kContentSecurityPolicy},
      {"X-Content-Type-Options", "nosniff"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
      {"Cache-Control", "no-store"},
  });

  server.Get("/metrics", [this](const httplib::Request&,
                                httplib::Response& response) {
    response.set_content(metrics_->Render(), metrics::kExpositionContentType);
  });

  const std::string api_pattern = absl::StrCat(kApiPrefix, "([A-Za-z0-9_]+)");
  server.Post(api_pattern, [this](const httplib::Request& request,
                                  httplib::Response& response) {
    SetJson(response, api_->Call(request.matches[1].str(), request.body,
                                 request.get_header_value("Authorization")));
  });
  auto method_not_allowed = [](const httplib::Request&,
                               httplib::Response& response) {
    response.set_header("Allow", "POST");
    SetJson(response,
            {405, ErrorJson(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                                         "the JSON API takes POST"))});
  };
  server.Get(api_pattern, method_not_allowed);
  server.Put(api_pattern, method_not_allowed);
  server.Delete(api_pattern, method_not_allowed);
  server.Patch(api_pattern, method_not_allowed);

  for (const DashboardAsset& asset : DashboardAssets()) {
    auto serve = [asset](const httplib::Request&, httplib::Response& response) {
      response.set_content(asset.body.data(), asset.body.size(),
                           std::string(asset.content_type).c_str());
    };
    server.Get(std::string(asset.path), serve);
    if (asset.path == "/index.html") server.Get("/", serve);
  }

  server.set_error_handler(
      [](const httplib::Request& request, httplib::Response& response) {
        if (!response.body.empty()) return;
        // httplib's own refusals: no route, a body past the limit, a request
        // it cannot read (a POST without Content-Length, say).
        std::string message;
        grpc::StatusCode code = grpc::StatusCode::INVALID_ARGUMENT;
        if (response.status == 404) {
          message = absl::StrCat("no such path: ", request.path);
          code = grpc::StatusCode::NOT_FOUND;
        } else if (response.status == 413) {
          message = "the request body is too large";
          code = grpc::StatusCode::RESOURCE_EXHAUSTED;
        } else {
          message = absl::StrCat("bad HTTP request (", response.status,
                                 "); a POST needs Content-Length");
        }
        if (absl::StartsWith(request.path, kApiPrefix)) {
          SetJson(response,
                  {response.status, ErrorJson(grpc::Status(code, message))});
        } else {
          response.set_content(message + "\n", "text/plain; charset=utf-8");
        }
      });
  server.set_logger([this](const httplib::Request& request,
                           const httplib::Response& response) {
    CountRequest(request.path, response.status);
  });

  int bound = port;
  if (port == 0) {
    bound = server.bind_to_any_port(host);
    if (bound < 0) bound = 0;
  } else if (!server.bind_to_port(host, port)) {
    bound = 0;
  }
  if (bound == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen for HTTP on ", options_.listen,
                     " (address in use or not local?)"));
  }
  thread_ = std::thread([&server] { server.listen_after_bind(); });
  return bound;
}

void HttpServer::Stop() {
  if (server_ != nullptr) server_->stop();
  if (thread_.joinable()) thread_.join();
}

void HttpServer::CountRequest(const std::string& path, int status) {
  std::string handler = HandlerOf(path);
  absl::MutexLock lock(&mu_);
  ++requests_[{std::move(handler), status}];
}

void HttpServer::Collect(metrics::ExpositionWriter& writer) const {
  writer.Family("evrouter_http_requests_total", metrics::MetricType::kCounter,
                "HTTP requests answered, by handler (metrics, api, dashboard, "
                "other) and status code.");
  absl::MutexLock lock(&mu_);
  for (const auto& [key, count] : requests_) {
    writer.Sample({{"handler", key.first}, {"code", absl::StrCat(key.second)}},
                  static_cast<double>(count));
  }
}

}  // namespace evrouter::http
