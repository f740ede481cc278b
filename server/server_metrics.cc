#include "server/server_metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "absl/strings/str_split.h"

namespace evrouter {
namespace {

using metrics::ExpositionWriter;
using metrics::MetricType;

double Seconds(absl::Time time) {
  return time == absl::UnixEpoch()
             ? 0
             : absl::ToDoubleSeconds(time - absl::UnixEpoch());
}

void CollectWritePath(const core::Router& router, ExpositionWriter& w) {
  const core::PublishMetrics& m = router.metrics();
  w.Family("evrouter_publish_latency_seconds", MetricType::kHistogram,
           "Time from a validated publish joining its exchange's commit "
           "queue to its commit being known (stored publishes only; one per "
           "Publish call or stream batch).");
  w.Sample({}, m.latency.Get());
  w.Family("evrouter_publish_batch_events", MetricType::kHistogram,
           "Events per publish call (a unary Publish or one stream batch).");
  w.Sample({}, m.batch_events.Get());
  w.Family("evrouter_storage_commit_duration_seconds", MetricType::kHistogram,
           "Duration of one group commit's Postgres transaction, successful "
           "or not.");
  w.Sample({}, m.commit_duration.Get());
  w.Family("evrouter_storage_commit_events", MetricType::kHistogram,
           "Events stored per group commit (publishes that arrived while the "
           "previous commit ran are stored together).");
  w.Sample({}, m.commit_events.Get());
}

void CollectExchangesAndQueues(const core::QueueManager& queues,
                               ExpositionWriter& w) {
  const core::Stats stats = queues.GetStats();
  w.Family("evrouter_exchanges", MetricType::kGauge, "Exchanges.");
  w.Sample({}, stats.exchanges.size());
  w.Family("evrouter_events_published_total", MetricType::kCounter,
           "Events stored, by exchange, since the server started "
           "(deduplicated retries are not counted again).");
  for (const core::ExchangeStats& e : stats.exchanges) {
    w.Sample({{"exchange", e.exchange.name}},
             static_cast<double>(e.events_in.total));
  }
  w.Family("evrouter_exchange_head_offset", MetricType::kGauge,
           "The offset of an exchange's newest stored event.");
  for (const core::ExchangeStats& e : stats.exchanges) {
    w.Sample({{"exchange", e.exchange.name}},
             static_cast<double>(e.exchange.head_offset));
  }

  w.Family("evrouter_queues", MetricType::kGauge, "Queues.");
  w.Sample({}, stats.queues.size());
  w.Family("evrouter_events_delivered_total", MetricType::kCounter,
           "Events delivered to consumers (streams and fetches, redeliveries "
           "included), by queue, since the server started.");
  for (const core::QueueStats& q : stats.queues) {
    w.Sample({{"queue", q.queue.name}},
             static_cast<double>(q.events_out.total));
  }
  w.Family("evrouter_queue_buffered_events", MetricType::kGauge,
           "Events held in a queue's in-memory live buffer.");
  for (const core::QueueStats& q : stats.queues) {
    w.Sample({{"queue", q.queue.name}}, static_cast<double>(q.buffered));
  }
  w.Family("evrouter_queue_buffer_limit_events", MetricType::kGauge,
           "The size of a queue's live buffer (its limit_size).");
  for (const core::QueueStats& q : stats.queues) {
    w.Sample({{"queue", q.queue.name}}, q.queue.limit_size);
  }
  w.Family("evrouter_queue_buffer_fill_ratio", MetricType::kGauge,
           "Buffered events over the buffer's size, 0 to 1.");
  for (const core::QueueStats& q : stats.queues) {
    w.Sample({{"queue", q.queue.name}},
             q.queue.limit_size == 0
                 ? 0
                 : static_cast<double>(q.buffered) / q.queue.limit_size);
  }

  w.Family("evrouter_consumers", MetricType::kGauge,
           "Consumers by queue and state: active (a stream or fetch is "
           "attached) or sleeping (its position kept on the server).");
  for (const core::QueueStats& q : stats.queues) {
    int active = 0;
    for (const core::ConsumerInfo& c : q.consumers) active += c.active;
    w.Sample({{"queue", q.queue.name}, {"state", "active"}}, active);
    w.Sample({{"queue", q.queue.name}, {"state", "sleeping"}},
             static_cast<double>(q.consumers.size() - active));
  }
  w.Family("evrouter_consumer_active", MetricType::kGauge,
           "1 while a consumer has a stream or fetch attached, 0 while it "
           "sleeps.");
  for (const core::QueueStats& q : stats.queues) {
    for (const core::ConsumerInfo& c : q.consumers) {
      w.Sample({{"queue", c.queue}, {"consumer", c.name}}, c.active ? 1 : 0);
    }
  }
  w.Family("evrouter_consumer_lag_events", MetricType::kGauge,
           "Queue events after a consumer's committed offset (exact within "
           "the live buffer, an upper bound further behind).");
  for (const core::QueueStats& q : stats.queues) {
    for (const core::ConsumerInfo& c : q.consumers) {
      w.Sample({{"queue", c.queue}, {"consumer", c.name}},
               static_cast<double>(c.lag));
    }
  }
  w.Family("evrouter_consumer_committed_offset", MetricType::kGauge,
           "The last exchange offset a consumer acknowledged.");
  for (const core::QueueStats& q : stats.queues) {
    for (const core::ConsumerInfo& c : q.consumers) {
      w.Sample({{"queue", c.queue}, {"consumer", c.name}},
               static_cast<double>(c.committed_offset));
    }
  }
  w.Family("evrouter_consumer_last_active_timestamp_seconds",
           MetricType::kGauge,
           "When a consumer's stream or fetch last ended or acked (Unix "
           "time; 0 if never).");
  for (const core::QueueStats& q : stats.queues) {
    for (const core::ConsumerInfo& c : q.consumers) {
      w.Sample({{"queue", c.queue}, {"consumer", c.name}},
               Seconds(c.last_active_at));
    }
  }
}

void CollectStorage(const EventStore& store, ExpositionWriter& w) {
  const ConnectionPoolUse use = store.PoolUse();
  w.Family("evrouter_storage_connections", MetricType::kGauge,
           "Postgres connections of the event store's pool: in_use "
           "(borrowed by a storage thread) or idle (open, not borrowed).");
  w.Sample({{"state", "in_use"}}, use.in_use);
  w.Sample({{"state", "idle"}}, use.idle_open);
  w.Family("evrouter_storage_connections_max", MetricType::kGauge,
           "The event store's pool size.");
  w.Sample({}, use.size);
  w.Family("evrouter_storage_connection_waiters", MetricType::kGauge,
           "Callers waiting for a free pool connection.");
  w.Sample({}, use.waiting);
}

// Fields of /proc/self/stat as proc(5) numbers them (the command name is the
// 2nd, the state the 3rd): utime 14 and stime 15 (clock ticks), starttime 22
// (ticks after boot), vsize 23 (bytes), rss 24 (pages).
void CollectProcess(ExpositionWriter& w) {
  std::ifstream stat_file("/proc/self/stat");
  std::string stat((std::istreambuf_iterator<char>(stat_file)),
                   std::istreambuf_iterator<char>());
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return;
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(paren + 2), ' ', absl::SkipEmpty());
  if (fields.size() < 22) return;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(sysconf(_SC_PAGESIZE));
  auto field = [&](int number) { return std::stod(fields[number - 3]); };

  double boot_time = 0;
  std::ifstream proc_stat("/proc/stat");
  for (std::string line; std::getline(proc_stat, line);) {
    if (line.rfind("btime ", 0) == 0) boot_time = std::stod(line.substr(6));
  }
  int open_fds = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      if (entry->d_name[0] != '.') ++open_fds;
    }
    closedir(dir);
    --open_fds;  // the directory stream's own
  }
  rlimit limit{};
  getrlimit(RLIMIT_NOFILE, &limit);

  w.Family("process_cpu_seconds_total", MetricType::kCounter,
           "User and system CPU time spent, in seconds.");
  w.Sample({}, (field(14) + field(15)) / ticks);
  w.Family("process_resident_memory_bytes", MetricType::kGauge,
           "Resident memory size in bytes.");
  w.Sample({}, field(24) * page);
  w.Family("process_virtual_memory_bytes", MetricType::kGauge,
           "Virtual memory size in bytes.");
  w.Sample({}, field(23));
  w.Family("process_start_time_seconds", MetricType::kGauge,
           "Start time of the process since the Unix epoch, in seconds.");
  w.Sample({}, boot_time + field(22) / ticks);
  w.Family("process_open_fds", MetricType::kGauge, "Open file descriptors.");
  w.Sample({}, open_fds);
  w.Family("process_max_fds", MetricType::kGauge,
           "The limit of open file descriptors.");
  w.Sample({}, static_cast<double>(limit.rlim_cur));
}

}  // namespace

void AddServerMetrics(metrics::MetricsRegistry* registry,
                      const ServerMetricsSources& sources) {
  registry->AddCollector([version = sources.version](ExpositionWriter& w) {
    w.Family("evrouter_build_info", MetricType::kGauge,
             "Always 1; the version is a label.");
    w.Sample({{"version", version}}, 1);
  });
  registry->AddCollector([router = sources.router](ExpositionWriter& w) {
    CollectWritePath(*router, w);
  });
  registry->AddCollector([queues = sources.queues](ExpositionWriter& w) {
    CollectExchangesAndQueues(*queues, w);
  });
  registry->AddCollector([store = sources.store](ExpositionWriter& w) {
    CollectStorage(*store, w);
  });
  registry->AddCollector(
      [rpcs = sources.rpcs](ExpositionWriter& w) { rpcs->Collect(w); });
  registry->AddCollector([access = sources.access](ExpositionWriter& w) {
    w.Family("evrouter_auth_failures_total", MetricType::kCounter,
             "Calls refused UNAUTHENTICATED (no, unknown or revoked token).");
    w.Sample({}, access == nullptr
                     ? 0
                     : static_cast<double>(access->auth_failures()));
  });
  registry->AddCollector([](ExpositionWriter& w) { CollectProcess(w); });
}

}  // namespace evrouter
