#include "server/metrics/exposition.h"

#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace evrouter::metrics {
namespace {

// Help text: backslash and line feed escaped.
void AppendEscapedHelp(std::string& out, absl::string_view text) {
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

// Label values: also the double quote.
void AppendEscapedLabelValue(std::string& out, absl::string_view text) {
  for (char c : text) {
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
}

void AppendValue(std::string& out, double value) {
  if (std::isnan(value)) {
    out += "NaN";
  } else if (std::isinf(value)) {
    out += value > 0 ? "+Inf" : "-Inf";
  } else if (value == std::floor(value) && std::fabs(value) < 1e15) {
    absl::StrAppend(&out, static_cast<int64_t>(value));
  } else {
    // The shortest text that reads back as the same double.
    char buffer[32];
    auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
    out.append(buffer, end);
  }
}

const char* TypeName(MetricType type) {
  switch (type) {
    case MetricType::kCounter:
      return "counter";
    case MetricType::kGauge:
      return "gauge";
    case MetricType::kHistogram:
      return "histogram";
  }
  return "untyped";
}

}  // namespace

void ExpositionWriter::Family(absl::string_view name, MetricType type,
                              absl::string_view help) {
  skipping_ = !written_.emplace(name).second;
  if (skipping_) {
    ++duplicate_families_;
    return;
  }
  family_ = std::string(name);
  type_ = type;
  absl::StrAppend(&out_, "# HELP ", name, " ");
  AppendEscapedHelp(out_, help);
  absl::StrAppend(&out_, "\n# TYPE ", name, " ", TypeName(type), "\n");
}

void ExpositionWriter::WriteSample(
    absl::string_view suffix, const Labels& labels,
    const std::pair<std::string, std::string>* extra, double value) {
  absl::StrAppend(&out_, family_, suffix);
  if (!labels.empty() || extra != nullptr) {
    out_ += '{';
    bool first = true;
    auto append = [&](const std::pair<std::string, std::string>& label) {
      if (!first) out_ += ',';
      first = false;
      absl::StrAppend(&out_, label.first, "=\"");
      AppendEscapedLabelValue(out_, label.second);
      out_ += '"';
    };
    for (const auto& label : labels) append(label);
    if (extra != nullptr) append(*extra);
    out_ += '}';
  }
  out_ += ' ';
  AppendValue(out_, value);
  out_ += '\n';
}

void ExpositionWriter::Sample(const Labels& labels, double value) {
  if (skipping_ || family_.empty()) return;
  WriteSample("", labels, nullptr, value);
}

void ExpositionWriter::Sample(const Labels& labels,
                              const Histogram::Snapshot& histogram) {
  if (skipping_ || family_.empty()) return;
  for (size_t i = 0; i < histogram.cumulative.size(); ++i) {
    std::string bound;
    if (i < histogram.bounds.size()) {
      AppendValue(bound, histogram.bounds[i]);
    } else {
      bound = "+Inf";
    }
    const std::pair<std::string, std::string> le("le", bound);
    WriteSample("_bucket", labels, &le,
                static_cast<double>(histogram.cumulative[i]));
  }
  WriteSample("_sum", labels, nullptr, histogram.sum);
  WriteSample("_count", labels, nullptr, static_cast<double>(histogram.count));
}

void MetricsRegistry::AddCollector(Collector collector) {
  absl::MutexLock lock(&mu_);
  collectors_.push_back(std::move(collector));
}

std::string MetricsRegistry::Render() const {
  ExpositionWriter writer;
  absl::MutexLock lock(&mu_);
  for (const Collector& collector : collectors_) collector(writer);
  return writer.Take();
}

}  // namespace evrouter::metrics
