// evrouterd: flags and environment, logging, wiring. The only place that
// knows every module.
#include <grpcpp/grpcpp.h>
#include <pthread.h>
#include <signal.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "server/config.h"
#include "server/core/access_control.h"
#include "server/core/clock.h"
#include "server/core/executor.h"
#include "server/core/queue_manager.h"
#include "server/core/router.h"
#include "server/http/http_server.h"
#include "server/http/json_api.h"
#include "server/logging/library_logs.h"
#include "server/logging/logging.h"
#include "server/metrics/exposition.h"
#include "server/server_metrics.h"
#include "server/transport/admin_service.h"
#include "server/transport/call_auth.h"
#include "server/transport/connection_drain.h"
#include "server/transport/health_service.h"
#include "server/transport/publisher_service.h"
#include "server/transport/reflection_service.h"
#include "server/transport/rpc_metrics.h"
#include "server/transport/server_credentials.h"
#include "server/transport/status.h"
#include "server/transport/subscriber_service.h"
#include "storage/migrations.h"
#include "storage/pg_event_store.h"
#include "storage/pg_migrator.h"
#include "storage/pg_user_store.h"

namespace evrouter {
namespace {

// At shutdown, once every call has ended, how long clients get to take what
// was written to them before their connections are closed.
constexpr absl::Duration kOutputDeliveryWait = absl::Seconds(2);

// Retries `attempt` while it fails with UNAVAILABLE, until `deadline` or a
// shutdown request (then CANCELLED).
template <typename Fn>
absl::Status RetryWhileUnavailable(const char* what, absl::Time deadline,
                                   absl::Notification* shutdown, Fn attempt) {
  absl::Duration backoff = absl::Milliseconds(200);
  while (true) {
    absl::Status status = attempt();
    if (!absl::IsUnavailable(status) || absl::Now() + backoff > deadline)
      return status;
    spdlog::warn("{}: {}; retrying in {}", what, std::string(status.message()),
                 absl::FormatDuration(backoff));
    if (shutdown->WaitForNotificationWithTimeout(backoff)) {
      return absl::CancelledError("shutdown requested during startup");
    }
    backoff = std::min(backoff * 2, absl::Seconds(5));
  }
}

// Starts the thread that turns SIGINT/SIGTERM (blocked in every thread by
// main) into `shutdown`; a second signal exits at once. The notification
// outlives the detached thread (it is never destroyed).
void WatchSignals(absl::Notification* shutdown) {
  std::thread([shutdown] {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    int signal = 0;
    sigwait(&set, &signal);
    logging::Info(logging::Logger("server"),
                  absl::StrCat("signal ", signal, ": shutting down"),
                  {{"signal", signal}});
    shutdown->Notify();
    sigwait(&set, &signal);
    spdlog::warn("second signal {}: exiting now", signal);
    std::_Exit(1);
  }).detach();
}

// Pings the store and keeps the health status current until stopped.
void MonitorHealth(EventStore* store, transport::HealthService* health,
                   absl::Duration interval, absl::Notification* stop) {
  bool serving = true;
  do {
    absl::Status status = store->Ping();
    if (status.ok() != serving) {
      serving = status.ok();
      if (serving) {
        logging::Info(logging::Logger("server"),
                      "postgres reachable again: SERVING",
                      {{"health", "SERVING"}});
      } else {
        logging::Error(
            logging::Logger("server"), "postgres unreachable: NOT_SERVING",
            {{"health", "NOT_SERVING"}, {"error", status.message()}});
      }
    }
    health->SetServing(serving);
  } while (!stop->WaitForNotificationWithTimeout(interval));
}

// The operator's admin token from EVROUTER_ADMIN_TOKEN or --admin-token-file
// (surrounding whitespace dropped); nullopt when neither is given.
absl::StatusOr<std::optional<std::string>> ReadAdminToken(
    const ServerConfig& config) {
  std::string token = config.admin_token;
  if (!config.admin_token_file.empty()) {
    std::ifstream in(config.admin_token_file, std::ios::binary);
    if (!in) {
      return absl::NotFoundError(absl::StrCat(
          "cannot read the admin token file ", config.admin_token_file));
    }
    std::ostringstream contents;
    contents << in.rdbuf();
    token = contents.str();
  }
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) {
    if (!config.admin_token_file.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the admin token file ", config.admin_token_file, " is empty"));
    }
    return std::optional<std::string>();
  }
  return std::optional<std::string>(token);
}

// `shutdown` is notified by SIGINT/SIGTERM, also during startup.
int Run(const ServerConfig& config, absl::Notification* shutdown) {
  const std::string masked_dsn = MaskDsnPassword(config.pg_dsn);
  // The TLS files are read first: a bad one stops the server before it
  // waits for Postgres.
  absl::StatusOr<transport::ServerTransport> server_transport =
      transport::NewServerTransport({.cert_chain = config.tls_cert,
                                     .private_key = config.tls_key,
                                     .client_ca = config.tls_client_ca});
  if (!server_transport.ok()) {
    spdlog::error("cannot set up TLS: {}",
                  server_transport.status().ToString());
    return 1;
  }
  logging::Info(logging::Logger("server"),
                "evrouterd " EVROUTER_VERSION " starting",
                {{"version", EVROUTER_VERSION},
                 {"listen", config.listen},
                 {"transport",
                  transport::TransportSecurityName(server_transport->security)},
                 {"pg_dsn", masked_dsn}});
  if (server_transport->security == transport::TransportSecurity::kPlaintext &&
      !IsLoopbackListenAddress(config.listen)) {
    spdlog::warn(
        "serving plaintext on {}, which is not a loopback address "
        "(--allow-plaintext): anyone on the network can read and send "
        "requests; use --tls-cert and --tls-key",
        config.listen);
  }
  const absl::Time startup_deadline = absl::Now() + config.startup_timeout;

  absl::Status migrated = RetryWhileUnavailable(
      "applying migrations", startup_deadline, shutdown,
      [&] { return ApplyMigrations(config.pg_dsn, EmbeddedMigrations()); });
  if (absl::IsCancelled(migrated)) return 0;  // stopped while waiting
  if (!migrated.ok()) {
    spdlog::error("migrations failed: {}", migrated.ToString());
    return 1;
  }
  if (config.migrate_only) {
    spdlog::info("migrations applied; exiting (--migrate-only)");
    return 0;
  }

  absl::StatusOr<std::optional<std::string>> admin_token =
      ReadAdminToken(config);
  if (!admin_token.ok()) {
    spdlog::error("{}", std::string(admin_token.status().message()));
    return 1;
  }
  absl::StatusOr<std::unique_ptr<EventStore>> store = NewPgEventStore(
      {.dsn = config.pg_dsn,
       // publish and admin threads, catch-up readers, and
       // the consumer offset writer
       .pool_size = config.pg_pool_size + config.catchup_threads + 1});
  if (!store.ok()) {
    spdlog::error("cannot open the store: {}", store.status().ToString());
    return 1;
  }
  // Users change rarely: one connection of their own.
  absl::StatusOr<std::unique_ptr<UserStore>> user_store =
      NewPgUserStore({.dsn = config.pg_dsn, .pool_size = 1});
  if (!user_store.ok()) {
    spdlog::error("cannot open the user store: {}",
                  user_store.status().ToString());
    return 1;
  }
  core::SystemClock clock;
  core::AccessControl access(user_store->get(), &clock);
  auto executor =
      std::make_unique<core::ThreadPoolExecutor>(config.pg_pool_size);
  core::RouterOptions router_options;
  router_options.limits = config.limits;
  router_options.log.dedup_window = config.dedup_window;
  router_options.log.dedup_max_ids = config.dedup_max_ids;
  router_options.log.max_pending_bytes = config.max_pending_bytes;
  auto router = std::make_unique<core::Router>(router_options, store->get(),
                                               executor.get(), &clock);
  // History reads are background work: at a lower CPU priority, a consumer
  // replaying millions of events does not hold up publishing and live
  // delivery on a busy machine (publish latency during a full-speed replay
  // went from ~60 ms to a few ms on 2 cores).
  constexpr int kCatchupNice = 10;
  auto catchup_executor = std::make_unique<core::ThreadPoolExecutor>(
      config.catchup_threads, kCatchupNice);
  core::QueueManagerOptions queue_options;
  queue_options.catchup_chunk_events = config.catchup_chunk_events;
  queue_options.offset_flush_interval = config.offset_flush_interval;
  auto queues = std::make_unique<core::QueueManager>(
      queue_options, router.get(), store->get(), executor.get(),
      catchup_executor.get(), &clock);
  absl::Status loaded =
      RetryWhileUnavailable("loading state", startup_deadline, shutdown, [&] {
        absl::Status status = router->Load();
        if (status.ok()) status = queues->Load();
        return status.ok() ? access.Load() : status;
      });
  if (absl::IsCancelled(loaded)) return 0;
  if (!loaded.ok()) {
    spdlog::error("cannot load state: {}", loaded.ToString());
    return 1;
  }
  std::optional<std::string> created_admin_token;
  absl::Status bootstrapped = RetryWhileUnavailable(
      "setting up the admin user", startup_deadline, shutdown, [&] {
        absl::StatusOr<std::optional<std::string>> created =
            access.Bootstrap(*admin_token);
        if (!created.ok()) return created.status();
        created_admin_token = *std::move(created);
        return absl::OkStatus();
      });
  if (absl::IsCancelled(bootstrapped)) return 0;
  if (!bootstrapped.ok()) {
    spdlog::error("cannot set up the admin user: {}", bootstrapped.ToString());
    return 1;
  }
  if (created_admin_token.has_value()) {
    // Shown once, on stdout rather than in the log; only its hash is kept.
    std::printf(
        "evrouterd: first start: created user '%s' with the admin "
        "permission.\nIts bearer token, shown only now (keep it safe; with "
        "it create users and tokens for your services):\n\n  %s\n\n",
        core::kBootstrapAdminUser, created_admin_token->c_str());
    std::fflush(stdout);
  }
  if (!config.auth) {
    spdlog::warn(
        "authentication is DISABLED (--no-auth): every caller may publish, "
        "subscribe and administer");
  }
  transport::CallAuth auth(&access, config.auth);

  transport::CallTracker calls(
      {.max_streams = config.max_streams,
       .max_streams_per_connection = config.max_streams_per_connection});
  transport::PublisherService publisher(router.get(), &calls, &auth,
                                        config.max_stream_batches);
  transport::AdminService admin(router.get(), queues.get(), &access,
                                executor.get(), &calls, &auth);
  transport::SubscriberService subscriber(queues.get(), &calls, &auth,
                                          config.max_response_bytes);
  // A revoked token or permission, or a deleted user, ends the streams it
  // no longer allows at once.
  access.SetRevocationListener([&publisher, &subscriber] {
    publisher.RecheckAccess();
    subscriber.RecheckAccess();
  });
  const std::vector<std::string> evrouter_services = {
      "evrouter.v1.Publisher", "evrouter.v1.Admin", "evrouter.v1.Subscriber"};
  transport::HealthService health(evrouter_services, &calls);
  std::vector<std::string> served_services = evrouter_services;
  served_services.insert(
      served_services.end(),
      {"grpc.health.v1.Health", transport::kReflectionV1Service,
       transport::kReflectionV1alphaService});
  transport::RpcMetrics rpc_metrics(served_services);
  // Any valid token may use reflection (grpcurl / buf curl with -H).
  transport::ReflectionService reflection(
      served_services, &calls, [&auth](grpc::CallbackServerContext* context) {
        absl::StatusOr<core::Caller> caller = auth.Authenticate(
            *context, "/grpc.reflection/ServerReflectionInfo");
        return caller.ok() ? grpc::Status::OK
                           : transport::ToGrpcStatus(caller.status());
      });

  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(config.listen, server_transport->credentials, &port);
  // gRPC sets SO_REUSEPORT by default: a second server on a busy port would
  // share it silently. Refuse instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(std::min<size_t>(
      config.max_message_bytes, std::numeric_limits<int>::max())));
  builder.RegisterService(&publisher);
  builder.RegisterService(&admin);
  builder.RegisterService(&subscriber);
  builder.RegisterService(&health);
  builder.RegisterService(reflection.v1());
  builder.RegisterService(reflection.v1alpha());
  std::vector<
      std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
      interceptors;
  interceptors.push_back(rpc_metrics.NewInterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    spdlog::error("cannot listen on {}", config.listen);
    return 1;
  }
  size_t exchanges = router->ListExchanges().size();
  size_t queue_count = queues->ListQueues("")->size();
  // The bound address, also when the port was 0 (tests read it from here).
  const std::string bound = absl::StrCat(
      config.listen.substr(0, config.listen.rfind(':')), ":", port);

  metrics::MetricsRegistry metrics_registry;
  AddServerMetrics(&metrics_registry,
                   {.version = EVROUTER_VERSION,
                    .router = router.get(),
                    .queues = queues.get(),
                    .store = store->get(),
                    .access = config.auth ? &access : nullptr,
                    .rpcs = &rpc_metrics});
  // The JSON API calls the Admin service through the server itself, so it
  // meets the same authentication, permissions and validation.
  http::JsonApi json_api(server->InProcessChannel(grpc::ChannelArguments()),
                         "evrouter.v1.Admin");
  std::unique_ptr<http::HttpServer> http_server;
  if (!config.http_listen.empty()) {
    http_server = std::make_unique<http::HttpServer>(
        http::HttpServerOptions{.listen = config.http_listen,
                                .tls_cert = config.tls_cert,
                                .tls_key = config.tls_key,
                                .tls_client_ca = config.tls_client_ca},
        &metrics_registry, &json_api);
    metrics_registry.AddCollector(
        [server = http_server.get()](metrics::ExpositionWriter& writer) {
          server->Collect(writer);
        });
    absl::StatusOr<int> http_port = http_server->Start();
    if (!http_port.ok()) {
      logging::Logger("http").error("{}", http_port.status().ToString());
      server->Shutdown(std::chrono::system_clock::now());
      server->Wait();
      return 1;
    }
    const std::string http_bound = absl::StrCat(
        config.http_listen.substr(0, config.http_listen.rfind(':')), ":",
        *http_port);
    const char* scheme =
        server_transport->security == transport::TransportSecurity::kPlaintext
            ? "http"
            : "https";
    logging::Info(logging::Logger("http"),
                  absl::StrCat("http listening on ", http_bound, " (", scheme,
                               ": /metrics, /api/v1/, dashboard at /)"),
                  {{"address", http_bound}, {"scheme", scheme}});
  }
  logging::Info(
      logging::Logger("server"),
      absl::StrCat("serving on ", bound, ", ", exchanges,
                   " exchanges restored, ", queue_count, " queues restored"),
      {{"address", bound}, {"exchanges", exchanges}, {"queues", queue_count}});

  absl::Notification stop_monitor;
  std::thread monitor(MonitorHealth, store->get(), &health,
                      config.health_check_interval, &stop_monitor);

  shutdown->WaitForNotification();
  stop_monitor.Notify();
  monitor.join();
  health.Shutdown();
  // Drain: new calls get UNAVAILABLE, open PublishStreams stop taking batches
  // and end once the batches they took are acknowledged, calls in progress
  // get the grace period. Commits under way still finish before anyone is
  // answered, so nothing uncommitted is acked. Then the clients' kernels
  // acknowledge what was written to them (see connection_drain.h), and gRPC
  // shuts down at once: its own deadline would also wait for idle client
  // connections. The HTTP listener first: its API calls go through the gRPC
  // server.
  if (http_server != nullptr) http_server->Stop();
  calls.StartDrain();
  publisher.EndStreams();
  subscriber.EndStreams();
  reflection.EndStreams();
  if (!calls.WaitIdle(config.shutdown_grace)) {
    spdlog::warn("calls still in progress after {}; cancelling them",
                 absl::FormatDuration(config.shutdown_grace));
  }
  if (!health.WaitForWatchersDone(absl::Seconds(2))) {
    spdlog::warn("health Watch streams still open; cancelling them");
  }
  if (const int undelivered = transport::ConnectionsWithUndeliveredOutput(port);
      undelivered > 0) {
    spdlog::info(
        "waiting up to {} for {} client connections to take what was sent "
        "to them",
        absl::FormatDuration(kOutputDeliveryWait), undelivered);
    if (const int left = transport::WaitForOutputDelivered(
            port, absl::Now() + kOutputDeliveryWait);
        left > 0) {
      spdlog::warn("{} client connections still had not; closing them", left);
    }
  }
  server->Shutdown(std::chrono::system_clock::now());
  server->Wait();
  executor.reset();  // drains posted work, so the router is idle below
  catchup_executor.reset();
  // Every stream has ended, so every consumer sleeps: their offsets last.
  if (absl::Status flushed = queues->FlushOffsets(); !flushed.ok()) {
    spdlog::error("could not store consumer offsets: {}", flushed.ToString());
  }
  queues.reset();
  router.reset();
  spdlog::info("stopped");
  return 0;
}

}  // namespace
}  // namespace evrouter

int main(int argc, char** argv) {
  // Debian builds Abseil without NDEBUG, which leaves Mutex deadlock
  // detection on: every lock is recorded in one global graph under a global
  // lock (~3% of the server's CPU under unary publishing, and a point of
  // contention). The tests keep it on; the lock order is checked statically
  // too (clang -Wthread-safety).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  absl::StatusOr<evrouter::ServerConfig> config = evrouter::ParseServerConfig(
      argc, argv, [](const char* name) { return std::getenv(name); });
  if (!config.ok()) {
    std::fprintf(stderr, "evrouterd: %s\nTry 'evrouterd --help'.\n",
                 std::string(config.status().message()).c_str());
    return 2;
  }
  if (config->help) {
    std::fputs(evrouter::ServerConfigHelp().c_str(), stdout);
    return 0;
  }
  if (config->version) {
    std::printf("evrouterd %s\n", EVROUTER_VERSION);
    return 0;
  }
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A peer that closes its connection mid-write (an HTTPS client, say: TLS
  // writes go through write(2)) must cost an EPIPE, not the process.
  signal(SIGPIPE, SIG_IGN);

  // Component loggers on stderr; spdlog::info() and the like are "server".
  evrouter::logging::SetUpLogging(config->log_format,
                                  spdlog::level::from_str(config->log_level));
  evrouter::logging::RouteLibraryLogs();
  // Never destroyed: the signal thread may outlive Run().
  auto* shutdown = new absl::Notification();
  evrouter::WatchSignals(shutdown);
  return evrouter::Run(*config, shutdown);
}
