#ifndef EVROUTER_SERVER_SERVER_METRICS_H_
#define EVROUTER_SERVER_SERVER_METRICS_H_

#include <string>

#include "server/core/access_control.h"
#include "server/core/queue_manager.h"
#include "server/core/router.h"
#include "server/metrics/exposition.h"
#include "server/transport/rpc_metrics.h"
#include "storage/event_store.h"

namespace evrouter {

// Where evrouterd's metrics come from. Not owned; everything must outlive the
// registry's last Render(). `access` may be null (no auth failure counter).
struct ServerMetricsSources {
  std::string version;
  const core::Router* router = nullptr;
  const core::QueueManager* queues = nullptr;
  const EventStore* store = nullptr;
  const core::AccessControl* access = nullptr;
  const transport::RpcMetrics* rpcs = nullptr;
};

// Adds evrouterd's metric families to `registry`, read from live state at
// each scrape: build info; events published, exchange heads and the write
// path's histograms; deliveries, queue buffers and consumers (lag, committed
// offset, state, last activity); the storage pool; RPCs by method and code;
// authentication failures; and the process (CPU, memory, file descriptors,
// start time, from /proc).
void AddServerMetrics(metrics::MetricsRegistry* registry,
                      const ServerMetricsSources& sources);

}  // namespace evrouter

#endif  // EVROUTER_SERVER_SERVER_METRICS_H_
