#include "storage/store_checks.h"

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"

namespace evrouter {
namespace {

constexpr uint64_t kMaxInt64 =
    static_cast<uint64_t>(std::numeric_limits<int64_t>::max());

bool Finite(absl::Time t) {
  return t != absl::InfinitePast() && t != absl::InfiniteFuture();
}

}  // namespace

absl::Status CheckQueueSpec(const QueueRecord& spec) {
  if (spec.limit_size == 0 ||
      spec.limit_size >
          static_cast<uint32_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue '", spec.name, "': limit_size ", spec.limit_size,
                     " out of range"));
  }
  if (spec.start_offset > kMaxInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat("queue '", spec.name, "': start_offset ",
                     spec.start_offset, " out of range"));
  }
  return absl::OkStatus();
}

absl::Status CheckSameQueue(const QueueRecord& existing,
                            const QueueRecord& spec) {
  std::vector<std::string> differs;
  if (existing.exchange_id != spec.exchange_id) differs.push_back("exchange");
  if (existing.bindings != spec.bindings) differs.push_back("bindings");
  if (existing.limit_size != spec.limit_size) differs.push_back("limit_size");
  if (differs.empty()) return absl::OkStatus();
  return absl::AlreadyExistsError(absl::StrCat("queue '", existing.name,
                                               "' exists with other ",
                                               absl::StrJoin(differs, ", ")));
}

absl::Status CheckConsumer(const ConsumerRecord& consumer) {
  if (consumer.committed_offset > kMaxInt64) {
    return absl::InvalidArgumentError(
        absl::StrCat("consumer '", consumer.name, "': committed_offset ",
                     consumer.committed_offset, " out of range"));
  }
  if (!Finite(consumer.created_at) || !Finite(consumer.last_active_at)) {
    return absl::InvalidArgumentError(
        absl::StrCat("consumer '", consumer.name, "': times must be finite"));
  }
  return absl::OkStatus();
}

}  // namespace evrouter
