#ifndef EVROUTER_TESTS_E2E_SUBSCRIBE_FIXTURE_H_
#define EVROUTER_TESTS_E2E_SUBSCRIBE_FIXTURE_H_

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/evrouter_client.h"
#include "client/subscription.h"
#include "tests/e2e/e2e_fixture.h"

namespace evrouter::testing {

// Ack policies for SubscribeE2ETest::ReadUntil.
inline constexpr uint64_t kAckNothing = 0;
inline constexpr uint64_t kAckEverything = std::numeric_limits<uint64_t>::max();

// What one subscription delivered, in order.
struct Received {
  std::vector<v1::Event> events;
  int responses = 0;
  int caught_up = 0;  // responses with caught_up set
  // Events delivered when the first caught_up response arrived (-1: none).
  int64_t events_at_caught_up = -1;
  uint64_t acked = 0;  // the highest offset acked on the stream

  uint64_t last_offset() const {
    return events.empty() ? 0 : events.back().offset();
  }
};

std::vector<uint64_t> Offsets(const std::vector<v1::Event>& events);
// first..last, both included; empty when last < first.
std::vector<uint64_t> Range(uint64_t first, uint64_t last);
// Compares offset lists, naming the sizes and the first difference instead
// of printing thousands of numbers.
::testing::AssertionResult SameOffsets(const std::vector<uint64_t>& got,
                                       const std::vector<uint64_t>& want);

// E2ETest plus helpers for queues, consumers and subscriptions.
class SubscribeE2ETest : public E2ETest {
 protected:
  // A client whose streams end after two minutes, so a test that waits in
  // Subscription::Next() for an event that never comes fails instead of
  // hanging. A new one after each Restart().
  client::Client& streams();

  // Stops the server with `signal` and starts it again on the same port.
  void Restart(int signal);

  static v1::SubscribeStart StartOf(
      const std::string& queue, const std::string& consumer,
      v1::StartPosition position = v1::START_POSITION_RESUME,
      uint32_t max_in_flight = 0);
  std::unique_ptr<client::Subscription> Subscribe(
      const std::string& queue, const std::string& consumer,
      v1::StartPosition position = v1::START_POSITION_RESUME,
      uint32_t max_in_flight = 0);

  // Reads responses into `received` until `done(*received)` holds (checked
  // before every read, so a read never waits for something already there).
  // After each response with events it acks its last offset, capped at
  // `ack_limit` (kAckNothing: no acks). An error when the stream ended first
  // (OUT_OF_RANGE: the server ended it with OK).
  static absl::Status ReadUntil(
      client::Subscription& subscription, Received* received,
      const std::function<bool(const Received&)>& done,
      uint64_t ack_limit = kAckEverything);
  // ReadUntil the event at `offset` (or a later one) was delivered.
  static absl::Status ReadThrough(client::Subscription& subscription,
                                  Received* received, uint64_t offset,
                                  uint64_t ack_limit = kAckEverything);
  // ReadUntil the caught_up response arrived.
  static absl::Status ReadUntilCaughtUp(client::Subscription& subscription,
                                        Received* received,
                                        uint64_t ack_limit = kAckEverything);
  // The clean end of a subscription: HalfClose(), then every response still
  // under way into `received`. OK when the server ended the stream with OK.
  static absl::Status Drain(client::Subscription& subscription,
                            Received* received);
  // Reads until the stream ends, without acking; its final status.
  static absl::Status ReadToEnd(client::Subscription& subscription,
                                Received* received);

  // The consumer as ListConsumers reports it; nullopt when absent or the
  // call failed.
  std::optional<v1::Consumer> FindConsumer(const std::string& queue,
                                           const std::string& name);
  // Client::Ack, expected to succeed; the committed offset (0 on error).
  uint64_t UnaryAck(const std::string& queue, const std::string& consumer,
                    uint64_t offset);
  // Its committed offset from ListConsumers; records a failure and returns
  // UINT64_MAX when it is not listed.
  uint64_t CommittedOf(const std::string& queue, const std::string& name);
  // consumers.committed_offset in Postgres, or "<not one value>".
  std::string StoredCommitted(const std::string& queue,
                              const std::string& name);
  // Polls `condition` every 20 ms until it holds or `within` passed.
  static bool PollUntil(const std::function<bool()>& condition,
                        absl::Duration within = absl::Seconds(10));

  // Creates `exchange` and `queue` on it; fails the test on error.
  void CreateExchangeAndQueue(const std::string& exchange,
                              v1::ExchangeKind kind, const std::string& queue,
                              const std::vector<std::string>& bindings = {},
                              uint32_t limit_size = 0);
  // Publishes `count` events of `type` in one call; returns their offsets.
  std::vector<uint64_t> PublishEvents(const std::string& exchange, int count,
                                      const std::string& type = "t.e");

 private:
  std::unique_ptr<client::Client> streams_;
  std::string streams_address_;
};

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_E2E_SUBSCRIBE_FIXTURE_H_
