// The queue store contract (queue_store_contract.h) on the in-memory store.

#include <gtest/gtest.h>

#include <memory>

#include "storage/event_store.h"
#include "tests/pg/queue_store_contract.h"

namespace evrouter::testing {
namespace {

class MemoryHarness : public StoreHarness {
 public:
  EventStore* store() override { return store_.get(); }

 private:
  std::unique_ptr<EventStore> store_ = NewMemoryEventStore();
};

INSTANTIATE_TEST_SUITE_P(Memory, QueueStoreContractTest,
                         ::testing::Values(StoreKind{
                             "Memory",
                             [] { return std::make_unique<MemoryHarness>(); }}),
                         StoreKindName);

}  // namespace
}  // namespace evrouter::testing
