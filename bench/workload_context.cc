#include "bench/workload_context.h"

#include <cstdio>

#include "absl/strings/str_cat.h"

namespace evrouter::bench {

std::string WorkloadContext::Name(absl::string_view suffix) const {
  return absl::StrCat(run_tag, "-", suffix);
}

absl::StatusOr<std::unique_ptr<ScopedExchange>> ScopedExchange::Create(
    const WorkloadContext& context, std::string name) {
  absl::StatusOr<evrouter::v1::Exchange> created =
      context.client->CreateExchange(name, evrouter::v1::EXCHANGE_KIND_FANOUT);
  if (!created.ok()) {
    return absl::Status(created.status().code(),
                        absl::StrCat("CreateExchange ", name, ": ",
                                     created.status().message()));
  }
  context.cleanup->Add(name);
  return std::unique_ptr<ScopedExchange>(new ScopedExchange(std::move(name)));
}

ExchangeCleanup::~ExchangeCleanup() {
  for (const std::string& name : names_) {
    absl::Status deleted = client_.DeleteExchange(name);
    if (!deleted.ok()) {
      std::fprintf(stderr, "evrouter-bench: warning: DeleteExchange %s: %s\n",
                   name.c_str(), deleted.ToString().c_str());
    }
  }
}

client::ClientOptions OwnConnection(const client::Client& client) {
  client::ClientOptions options = client.options();
  options.own_connection = true;
  return options;
}

std::optional<double> CpuPerMillion(const ResourceUsage& usage,
                                    uint64_t count) {
  if (!usage.server_cpu_s.has_value() || count == 0) return std::nullopt;
  return *usage.server_cpu_s * 1e6 / static_cast<double>(count);
}

void SetCommonFields(BenchResult& result, const WorkloadContext& context,
                     uint64_t events, double duration_s,
                     std::optional<double> events_per_sec,
                     const std::optional<LatencySummary>& latency,
                     const ResourceUsage& usage, uint64_t cpu_events) {
  result.SetNumber("events_per_sec", events_per_sec);
  result.SetNumber("ceiling_events_per_sec", context.ceiling_events_per_sec);
  std::optional<double> ratio;
  if (events_per_sec.has_value() &&
      context.ceiling_events_per_sec.value_or(0) > 0) {
    ratio = *events_per_sec / *context.ceiling_events_per_sec;
  }
  result.SetNumber("ratio_to_ceiling", ratio);
  result.SetNumber("p50_ms",
                   latency ? std::optional(latency->p50_ms) : std::nullopt);
  result.SetNumber("p99_ms",
                   latency ? std::optional(latency->p99_ms) : std::nullopt);
  result.SetNumber("p999_ms",
                   latency ? std::optional(latency->p999_ms) : std::nullopt);
  result.SetNumber("max_ms",
                   latency ? std::optional(latency->max_ms) : std::nullopt);
  result.SetNumber("server_cpu_s_per_million",
                   CpuPerMillion(usage, cpu_events));
  result.SetNumber("server_cpu_s", usage.server_cpu_s);
  result.SetNumber("server_peak_rss_mb", usage.server_peak_rss_mb);
  result.SetNumber("postgres_peak_rss_mb", usage.postgres_peak_pss_mb);
  result.SetInt("events", static_cast<int64_t>(events));
  result.SetNumber("duration_s", duration_s);
}

}  // namespace evrouter::bench
