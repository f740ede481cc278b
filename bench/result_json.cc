#include "bench/result_json.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace evrouter::bench {
namespace {

std::string FormatNumber(double value) {
  if (!std::isfinite(value)) return "null";
  std::string text = absl::StrFormat("%.3f", value);
  while (!text.empty() && text.back() == '0') text.pop_back();
  if (!text.empty() && text.back() == '.') text.pop_back();
  if (text == "-0") text = "0";
  return text;
}

std::string QuoteJson(absl::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          absl::StrAppendFormat(&out, "\\u%04x", c);
        } else {
          out += c;
        }
    }
  }
  out += "\"";
  return out;
}

struct ValuePrinter {
  std::string operator()(std::monostate) const { return "null"; }
  std::string operator()(bool value) const { return value ? "true" : "false"; }
  std::string operator()(int64_t value) const { return absl::StrCat(value); }
  std::string operator()(double value) const { return FormatNumber(value); }
  std::string operator()(const std::string& value) const {
    return QuoteJson(value);
  }
  std::string operator()(const std::vector<double>& values) const {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ",";
      out += FormatNumber(values[i]);
    }
    return out + "]";
  }
};

}  // namespace

BenchResult::BenchResult(absl::string_view workload) : workload_(workload) {
  Set("workload", std::string(workload));
}

void BenchResult::Set(absl::string_view key, Value value) {
  for (auto& [name, existing] : fields_) {
    if (name == key) {
      existing = std::move(value);
      return;
    }
  }
  fields_.emplace_back(std::string(key), std::move(value));
}

void BenchResult::SetNumber(absl::string_view key,
                            std::optional<double> value) {
  if (value.has_value()) {
    Set(key, *value);
  } else {
    SetNull(key);
  }
}

std::optional<double> BenchResult::Number(absl::string_view key) const {
  for (const auto& [name, value] : fields_) {
    if (name != key) continue;
    if (const double* d = std::get_if<double>(&value)) return *d;
    if (const int64_t* i = std::get_if<int64_t>(&value)) {
      return static_cast<double>(*i);
    }
    return std::nullopt;
  }
  return std::nullopt;
}

std::string BenchResult::ToJson() const {
  std::string out = "{";
  for (size_t i = 0; i < fields_.size(); ++i) {
    if (i > 0) out += ",";
    absl::StrAppend(&out, QuoteJson(fields_[i].first), ":",
                    std::visit(ValuePrinter{}, fields_[i].second));
  }
  return out + "}";
}

std::string BenchResult::HumanLine() const {
  // The field with `decimals` decimals, "-" when null.
  auto num = [this](absl::string_view key, int decimals) -> std::string {
    std::optional<double> value = Number(key);
    if (!value.has_value()) return "-";
    return absl::StrFormat("%.*f", decimals, *value);
  };
  std::string line = absl::StrFormat("%-5s", workload_);
  if (Number("events_per_sec").has_value()) {
    absl::StrAppend(&line, " ", num("events_per_sec", 0), " ev/s (",
                    num("ratio_to_ceiling", 2), "x ceiling ",
                    num("ceiling_events_per_sec", 0), ")", "  p50/p99/p99.9 ",
                    num("p50_ms", 2), "/", num("p99_ms", 2), "/",
                    num("p999_ms", 2), " ms");
  }
  if (Number("publish_ack_p99_ms").has_value()) {
    absl::StrAppend(&line, "  ack p99 ", num("publish_ack_p99_ms", 2), " ms");
  }
  if (Number("deliveries_per_sec").has_value()) {
    absl::StrAppend(&line, "  out ", num("deliveries_per_sec", 0),
                    " deliveries/s, lag final ", num("final_lag", 0), " max ",
                    num("max_lag", 0));
  }
  if (Number("rss_growth_mb").has_value()) {
    absl::StrAppend(&line, "  rss growth ", num("rss_growth_mb", 1), " MB");
  }
  if (Number("serving_ms").has_value()) {
    absl::StrAppend(&line, "  serving after restart ", num("serving_ms", 0),
                    " ms (median of ", num("restarts", 0), ")");
  }
  if (Number("server_unclean_exits").value_or(0) > 0) {
    absl::StrAppend(&line, "  (server crashed or hung on SIGTERM ",
                    num("server_unclean_exits", 0), " times)");
  }
  absl::StrAppend(&line, "  cpu ", num("server_cpu_s_per_million", 2),
                  " s/M ev, server rss ", num("server_peak_rss_mb", 0),
                  " MB, pg pss ", num("postgres_peak_rss_mb", 0), " MB, ",
                  num("events", 0), " events in ", num("duration_s", 1), " s");
  return line;
}

}  // namespace evrouter::bench
