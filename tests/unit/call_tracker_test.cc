#include "server/transport/call_tracker.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace evrouter::transport {
namespace {

TEST(CallTrackerTest, StreamsPerConnectionAreBoundedAndFreedOnLeave) {
  CallTracker calls({.max_streams = 100, .max_streams_per_connection = 2});
  const std::string a = "ipv4:127.0.0.1:40001";
  const std::string b = "ipv4:127.0.0.1:40002";
  ASSERT_TRUE(calls.EnterStream(a).ok());
  ASSERT_TRUE(calls.EnterStream(a).ok());
  absl::Status third = calls.EnterStream(a);
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(third.message().find("max-streams-per-connection"),
            absl::string_view::npos)
      << third;
  EXPECT_NE(third.message().find("limit is 2"), absl::string_view::npos)
      << third;
  // Another connection has its own allowance.
  EXPECT_TRUE(calls.EnterStream(b).ok());
  EXPECT_EQ(calls.streams(), 3u);
  EXPECT_EQ(calls.streams_of(a), 2u);

  calls.LeaveStream(a);
  EXPECT_EQ(calls.streams_of(a), 1u);
  EXPECT_TRUE(calls.EnterStream(a).ok());
  calls.LeaveStream(a);
  calls.LeaveStream(a);
  calls.LeaveStream(b);
  EXPECT_EQ(calls.streams(), 0u);
  EXPECT_EQ(calls.streams_of(a), 0u);
}

TEST(CallTrackerTest, StreamsOverallAreBoundedAcrossConnections) {
  CallTracker calls({.max_streams = 3, .max_streams_per_connection = 10});
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(calls.EnterStream("peer" + std::to_string(i)).ok());
  }
  absl::Status refused = calls.EnterStream("peer-new");
  EXPECT_EQ(refused.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("(max-streams)"), absl::string_view::npos)
      << refused;
  EXPECT_EQ(calls.streams_of("peer-new"), 0u);
  calls.LeaveStream("peer1");
  EXPECT_TRUE(calls.EnterStream("peer-new").ok());
}

TEST(CallTrackerTest, DrainRefusesStreamsAndWaitsForOpenOnes) {
  CallTracker calls;
  ASSERT_TRUE(calls.EnterStream("peer").ok());
  ASSERT_TRUE(calls.Enter());
  calls.StartDrain();
  EXPECT_EQ(calls.EnterStream("peer").code(), absl::StatusCode::kUnavailable);
  EXPECT_FALSE(calls.Enter());
  EXPECT_FALSE(calls.WaitIdle(absl::ZeroDuration()));
  calls.Leave();
  EXPECT_FALSE(calls.WaitIdle(absl::ZeroDuration()));  // the stream is open
  calls.LeaveStream("peer");
  EXPECT_TRUE(calls.WaitIdle(absl::ZeroDuration()));
}

}  // namespace
}  // namespace evrouter::transport
