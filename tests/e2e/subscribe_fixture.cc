#include "tests/e2e/subscribe_fixture.h"

#include <signal.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"

namespace evrouter::testing {

std::vector<uint64_t> Offsets(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> offsets;
  offsets.reserve(events.size());
  for (const v1::Event& event : events) offsets.push_back(event.offset());
  return offsets;
}

std::vector<uint64_t> Range(uint64_t first, uint64_t last) {
  std::vector<uint64_t> offsets;
  for (uint64_t offset = first; offset <= last; ++offset)
    offsets.push_back(offset);
  return offsets;
}

::testing::AssertionResult SameOffsets(const std::vector<uint64_t>& got,
                                       const std::vector<uint64_t>& want) {
  if (got == want) return ::testing::AssertionSuccess();
  size_t at = 0;
  while (at < got.size() && at < want.size() && got[at] == want[at]) ++at;
  auto around = [at](const std::vector<uint64_t>& offsets) {
    size_t from = at < 3 ? 0 : at - 3;
    size_t to = std::min(offsets.size(), at + 4);
    return absl::StrCat(
        "[", from, "..", to, "): ",
        absl::StrJoin(offsets.begin() + from, offsets.begin() + to, ","));
  };
  return ::testing::AssertionFailure()
         << "got " << got.size() << " offsets (" << (got.empty() ? 0 : got[0])
         << ".." << (got.empty() ? 0 : got.back()) << "), want " << want.size()
         << " (" << (want.empty() ? 0 : want[0]) << ".."
         << (want.empty() ? 0 : want.back()) << "); first difference at index "
         << at << ": got " << around(got) << "; want " << around(want);
}

client::Client& SubscribeE2ETest::streams() {
  if (streams_ == nullptr || streams_address_ != server_->address()) {
    client::ClientOptions options;
    options.server = server_->address();
    options.token = server_->admin_token();
    options.stream_timeout = absl::Minutes(2);
    streams_ = std::make_unique<client::Client>(options);
    streams_address_ = server_->address();
  }
  return *streams_;
}

void SubscribeE2ETest::Restart(int signal) {
  EXPECT_EQ(server_->Stop(signal), signal == SIGKILL ? 128 + SIGKILL : 0)
      << server_->Log();
  // The old channel would wait out its reconnect backoff.
  streams_.reset();
  absl::Status started = server_->Start();
  ASSERT_TRUE(started.ok()) << started;
}

v1::SubscribeStart SubscribeE2ETest::StartOf(const std::string& queue,
                                             const std::string& consumer,
                                             v1::StartPosition position,
                                             uint32_t max_in_flight) {
  v1::SubscribeStart start;
  start.set_queue(queue);
  start.set_consumer(consumer);
  start.set_position(position);
  start.set_max_in_flight(max_in_flight);
  return start;
}

std::unique_ptr<client::Subscription> SubscribeE2ETest::Subscribe(
    const std::string& queue, const std::string& consumer,
    v1::StartPosition position, uint32_t max_in_flight) {
  return streams().Subscribe(StartOf(queue, consumer, position, max_in_flight));
}

absl::Status SubscribeE2ETest::ReadUntil(
    client::Subscription& subscription, Received* received,
    const std::function<bool(const Received&)>& done, uint64_t ack_limit) {
  while (!done(*received)) {
    absl::StatusOr<v1::SubscribeResponse> response = subscription.Next();
    if (!response.ok()) return response.status();
    ++received->responses;
    for (v1::Event& event : *response->mutable_events())
      received->events.push_back(std::move(event));
    if (response->caught_up() && received->caught_up++ == 0)
      received->events_at_caught_up = received->events.size();
    uint64_t ack = std::min(received->last_offset(), ack_limit);
    if (response->events_size() > 0 && ack > received->acked) {
      if (absl::Status acked = subscription.Ack(ack); !acked.ok()) return acked;
      received->acked = ack;
    }
  }
  return absl::OkStatus();
}

absl::Status SubscribeE2ETest::ReadThrough(client::Subscription& subscription,
                                           Received* received, uint64_t offset,
                                           uint64_t ack_limit) {
  return ReadUntil(
      subscription, received,
      [offset](const Received& got) { return got.last_offset() >= offset; },
      ack_limit);
}

absl::Status SubscribeE2ETest::ReadUntilCaughtUp(
    client::Subscription& subscription, Received* received,
    uint64_t ack_limit) {
  return ReadUntil(
      subscription, received,
      [](const Received& got) { return got.caught_up > 0; }, ack_limit);
}

absl::Status SubscribeE2ETest::Drain(client::Subscription& subscription,
                                     Received* received) {
  subscription.HalfClose();
  absl::Status end = ReadToEnd(subscription, received);
  return absl::IsOutOfRange(end) ? absl::OkStatus() : end;
}

absl::Status SubscribeE2ETest::ReadToEnd(client::Subscription& subscription,
                                         Received* received) {
  absl::Status end = ReadUntil(
      subscription, received, [](const Received&) { return false; },
      kAckNothing);
  return end;
}

std::optional<v1::Consumer> SubscribeE2ETest::FindConsumer(
    const std::string& queue, const std::string& name) {
  absl::StatusOr<std::vector<v1::Consumer>> consumers =
      client().ListConsumers(queue);
  if (!consumers.ok()) return std::nullopt;
  for (const v1::Consumer& consumer : *consumers) {
    if (consumer.name() == name) return consumer;
  }
  return std::nullopt;
}

uint64_t SubscribeE2ETest::UnaryAck(const std::string& queue,
                                    const std::string& consumer,
                                    uint64_t offset) {
  absl::StatusOr<uint64_t> committed = client().Ack(queue, consumer, offset);
  EXPECT_TRUE(committed.ok()) << committed.status();
  return committed.ok() ? *committed : 0;
}

uint64_t SubscribeE2ETest::CommittedOf(const std::string& queue,
                                       const std::string& name) {
  std::optional<v1::Consumer> consumer = FindConsumer(queue, name);
  if (!consumer.has_value()) {
    ADD_FAILURE() << "consumer '" << name << "' of queue '" << queue
                  << "' is not listed";
    return std::numeric_limits<uint64_t>::max();
  }
  return consumer->committed_offset();
}

std::string SubscribeE2ETest::StoredCommitted(const std::string& queue,
                                              const std::string& name) {
  return QueryValue(absl::StrCat(
      "SELECT c.committed_offset FROM consumers c JOIN queues q ON q.id = "
      "c.queue_id WHERE q.name = '",
      queue, "' AND c.name = '", name, "'"));
}

bool SubscribeE2ETest::PollUntil(const std::function<bool()>& condition,
                                 absl::Duration within) {
  absl::Time deadline = absl::Now() + within;
  while (!condition()) {
    if (absl::Now() > deadline) return false;
    absl::SleepFor(absl::Milliseconds(20));  // poll interval
  }
  return true;
}

void SubscribeE2ETest::CreateExchangeAndQueue(
    const std::string& exchange, v1::ExchangeKind kind,
    const std::string& queue, const std::vector<std::string>& bindings,
    uint32_t limit_size) {
  absl::StatusOr<v1::Exchange> created =
      client().CreateExchange(exchange, kind);
  ASSERT_TRUE(created.ok()) << created.status();
  absl::StatusOr<v1::Queue> made =
      client().CreateQueue(queue, exchange, bindings, limit_size);
  ASSERT_TRUE(made.ok()) << made.status();
}

std::vector<uint64_t> SubscribeE2ETest::PublishEvents(
    const std::string& exchange, int count, const std::string& type) {
  absl::StatusOr<std::vector<v1::PublishResult>> results =
      client().Publish(exchange, MakeEvents(count, type));
  EXPECT_TRUE(results.ok()) << results.status();
  std::vector<uint64_t> offsets;
  if (!results.ok()) return offsets;
  for (const v1::PublishResult& result : *results)
    offsets.push_back(result.offset());
  return offsets;
}

}  // namespace evrouter::testing
