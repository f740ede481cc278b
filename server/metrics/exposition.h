#ifndef EVROUTER_SERVER_METRICS_EXPOSITION_H_
#define EVROUTER_SERVER_METRICS_EXPOSITION_H_

#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "server/metrics/histogram.h"

namespace evrouter::metrics {

// Label name and value pairs of one sample, in the order written.
using Labels = std::vector<std::pair<std::string, std::string>>;

enum class MetricType { kCounter, kGauge, kHistogram };

// Writes the Prometheus text exposition format (version 0.0.4): a family's
// HELP and TYPE lines, then its samples. Label values and help texts are
// escaped; values print exactly (integers without exponent, +Inf, NaN).
// Not thread-safe: one writer per scrape.
class ExpositionWriter {
 public:
  // Starts a family. `name` must be a valid metric name not written before
  // in this exposition (a programming error otherwise: the family is
  // skipped and counted in duplicate_families()).
  void Family(absl::string_view name, MetricType type, absl::string_view help);
  // A counter or gauge sample of the current family.
  void Sample(const Labels& labels, double value);
  // A histogram's _bucket, _sum and _count samples of the current family.
  void Sample(const Labels& labels, const Histogram::Snapshot& histogram);

  std::string Take() { return std::move(out_); }
  int duplicate_families() const { return duplicate_families_; }

 private:
  void WriteSample(absl::string_view suffix, const Labels& labels,
                   const std::pair<std::string, std::string>* extra,
                   double value);

  std::string out_;
  std::string family_;
  MetricType type_ = MetricType::kGauge;
  bool skipping_ = false;
  int duplicate_families_ = 0;
  absl::flat_hash_set<std::string> written_;
};

// The metrics of a server: collectors, each writing its families when
// scraped, in the order added. Collectors read live state (atomics, stats
// snapshots), so a scrape costs nothing between scrapes. Thread-safe.
class MetricsRegistry {
 public:
  using Collector = std::function<void(ExpositionWriter&)>;

  void AddCollector(Collector collector);
  // The whole exposition, one collector after another.
  std::string Render() const;

 private:
  mutable absl::Mutex mu_;
  std::vector<Collector> collectors_ ABSL_GUARDED_BY(mu_);
};

// The content type of Render()'s output.
inline constexpr char kExpositionContentType[] =
    "text/plain; version=0.0.4; charset=utf-8";

}  // namespace evrouter::metrics

#endif  // EVROUTER_SERVER_METRICS_EXPOSITION_H_
