#include <cmath>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "server/metrics/exposition.h"
#include "server/metrics/histogram.h"

namespace evrouter::metrics {
namespace {

TEST(ExpositionWriterTest, WritesHelpTypeAndSamples) {
  ExpositionWriter writer;
  writer.Family("evrouter_things_total", MetricType::kCounter, "Things seen.");
  writer.Sample({{"kind", "a"}}, 3);
  writer.Sample({{"kind", "b"}, {"zone", "eu"}}, 0);
  writer.Family("evrouter_level", MetricType::kGauge, "A level.");
  writer.Sample({}, 0.25);
  EXPECT_EQ(writer.Take(),
            "# HELP evrouter_things_total Things seen.\n"
            "# TYPE evrouter_things_total counter\n"
            "evrouter_things_total{kind=\"a\"} 3\n"
            "evrouter_things_total{kind=\"b\",zone=\"eu\"} 0\n"
            "# HELP evrouter_level A level.\n"
            "# TYPE evrouter_level gauge\n"
            "evrouter_level 0.25\n");
}

TEST(ExpositionWriterTest, EscapesLabelValuesAndHelp) {
  ExpositionWriter writer;
  writer.Family("evrouter_x", MetricType::kGauge, "back\\slash\nnewline \"q\"");
  writer.Sample({{"name", "a\"b\\c\nd"}}, 1);
  EXPECT_EQ(writer.Take(),
            "# HELP evrouter_x back\\\\slash\\nnewline \"q\"\n"
            "# TYPE evrouter_x gauge\n"
            "evrouter_x{name=\"a\\\"b\\\\c\\nd\"} 1\n");
}

TEST(ExpositionWriterTest, PrintsValuesExactly) {
  ExpositionWriter writer;
  writer.Family("evrouter_v", MetricType::kGauge, "v");
  writer.Sample({{"i", "big"}}, 123456789012.0);
  writer.Sample({{"i", "fraction"}}, 0.00025);
  writer.Sample({{"i", "negative"}}, -2);
  writer.Sample({{"i", "inf"}}, std::numeric_limits<double>::infinity());
  writer.Sample({{"i", "-inf"}}, -std::numeric_limits<double>::infinity());
  writer.Sample({{"i", "nan"}}, std::nan(""));
  const std::string out = writer.Take();
  EXPECT_NE(out.find("{i=\"big\"} 123456789012\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{i=\"fraction\"} 0.00025\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{i=\"negative\"} -2\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{i=\"inf\"} +Inf\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{i=\"-inf\"} -Inf\n"), std::string::npos) << out;
  EXPECT_NE(out.find("{i=\"nan\"} NaN\n"), std::string::npos) << out;
}

TEST(ExpositionWriterTest, SkipsAndCountsADuplicateFamily) {
  ExpositionWriter writer;
  writer.Family("evrouter_once", MetricType::kGauge, "first");
  writer.Sample({}, 1);
  writer.Family("evrouter_once", MetricType::kGauge, "second");
  writer.Sample({}, 2);
  EXPECT_EQ(writer.duplicate_families(), 1);
  EXPECT_EQ(writer.Take(),
            "# HELP evrouter_once first\n# TYPE evrouter_once gauge\n"
            "evrouter_once 1\n");
}

TEST(HistogramTest, BucketsAreCumulativeAndInclusive) {
  Histogram histogram({1, 2, 5});
  for (double value : {0.5, 1.0, 1.5, 2.0, 4.0, 6.0, 100.0}) {
    histogram.Observe(value);
  }
  Histogram::Snapshot snapshot = histogram.Get();
  // <= 1: 0.5, 1.0; <= 2: + 1.5, 2.0; <= 5: + 4.0; +Inf: + 6, 100.
  EXPECT_EQ(snapshot.cumulative, (std::vector<uint64_t>{2, 4, 5, 7}));
  EXPECT_EQ(snapshot.count, 7u);
  EXPECT_DOUBLE_EQ(snapshot.sum, 115.0);
}

TEST(HistogramTest, WritesBucketSumAndCount) {
  Histogram histogram({0.1, 1});
  histogram.Observe(0.05);
  histogram.Observe(3);
  ExpositionWriter writer;
  writer.Family("evrouter_wait_seconds", MetricType::kHistogram, "Waits.");
  writer.Sample({{"op", "x"}}, histogram.Get());
  EXPECT_EQ(writer.Take(),
            "# HELP evrouter_wait_seconds Waits.\n"
            "# TYPE evrouter_wait_seconds histogram\n"
            "evrouter_wait_seconds_bucket{op=\"x\",le=\"0.1\"} 1\n"
            "evrouter_wait_seconds_bucket{op=\"x\",le=\"1\"} 1\n"
            "evrouter_wait_seconds_bucket{op=\"x\",le=\"+Inf\"} 2\n"
            "evrouter_wait_seconds_sum{op=\"x\"} 3.05\n"
            "evrouter_wait_seconds_count{op=\"x\"} 2\n");
}

TEST(HistogramTest, DefaultBoundsAscend) {
  for (const std::vector<double>& bounds :
       {Histogram::LatencyBounds(), Histogram::CountBounds()}) {
    ASSERT_FALSE(bounds.empty());
    for (size_t i = 1; i < bounds.size(); ++i)
      EXPECT_LT(bounds[i - 1], bounds[i]);
  }
}

TEST(MetricsRegistryTest, RendersCollectorsInOrderAtEachScrape) {
  MetricsRegistry registry;
  int scrapes = 0;
  registry.AddCollector([&scrapes](ExpositionWriter& writer) {
    ++scrapes;
    writer.Family("evrouter_a", MetricType::kGauge, "a");
    writer.Sample({}, scrapes);
  });
  registry.AddCollector([](ExpositionWriter& writer) {
    writer.Family("evrouter_b", MetricType::kGauge, "b");
  });
  EXPECT_EQ(registry.Render(),
            "# HELP evrouter_a a\n# TYPE evrouter_a gauge\nevrouter_a 1\n"
            "# HELP evrouter_b b\n# TYPE evrouter_b gauge\n");
  EXPECT_NE(registry.Render().find("evrouter_a 2\n"), std::string::npos);
}

}  // namespace
}  // namespace evrouter::metrics
