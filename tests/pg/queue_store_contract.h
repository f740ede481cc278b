#ifndef EVROUTER_TESTS_PG_QUEUE_STORE_CONTRACT_H_
#define EVROUTER_TESTS_PG_QUEUE_STORE_CONTRACT_H_

// The queue, consumer and OffsetAtTime contract of EventStore as
// value-parameterized tests (QueueStoreContractTest), run against every store
// so that they are proven to answer alike: each test binary instantiates the
// suite with its stores (memory_queue_store_test.cc, pg_queue_store_pgtest.cc).

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>

#include "storage/event_store.h"

namespace evrouter::testing {

// Owns one empty store and whatever it needs (a database).
class StoreHarness {
 public:
  virtual ~StoreHarness() = default;
  // Null when setup failed (the harness recorded why).
  virtual EventStore* store() = 0;
};

struct StoreKind {
  std::string name;  // the test name suffix: letters and digits
  std::function<std::unique_ptr<StoreHarness>()> make;
};

class QueueStoreContractTest : public ::testing::TestWithParam<StoreKind> {
 protected:
  void SetUp() override;

  EventStore& store() { return *store_; }
  // Creates an exchange; fails the test unless it is new.
  int64_t CreateExchange(const std::string& name,
                         ExchangeKind kind = ExchangeKind::kTopic);
  // Creates a queue; fails the test unless it is new.
  QueueRecord CreateQueue(const QueueRecord& spec);

  std::unique_ptr<StoreHarness> harness_;
  EventStore* store_ = nullptr;
};

// For INSTANTIATE_TEST_SUITE_P's name generator.
std::string StoreKindName(const ::testing::TestParamInfo<StoreKind>& info);

}  // namespace evrouter::testing

#endif  // EVROUTER_TESTS_PG_QUEUE_STORE_CONTRACT_H_
