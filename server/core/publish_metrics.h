#ifndef EVROUTER_SERVER_CORE_PUBLISH_METRICS_H_
#define EVROUTER_SERVER_CORE_PUBLISH_METRICS_H_

#include "server/metrics/histogram.h"

namespace evrouter::core {

// What the write path measures, for /metrics: owned by the Router, observed
// by it and by its exchange writers, read by the metrics collector.
struct PublishMetrics {
  // From a validated publish joining its exchange's commit queue to its
  // callback with the commit's outcome, for stored publishes (seconds).
  metrics::Histogram latency{metrics::Histogram::LatencyBounds()};
  // Events per publish call (a unary Publish or one stream batch).
  metrics::Histogram batch_events{metrics::Histogram::CountBounds()};
  // One group commit's store transaction (seconds), successful or not.
  metrics::Histogram commit_duration{metrics::Histogram::LatencyBounds()};
  // Events stored per group commit.
  metrics::Histogram commit_events{metrics::Histogram::CountBounds()};
};

}  // namespace evrouter::core

#endif  // EVROUTER_SERVER_CORE_PUBLISH_METRICS_H_
