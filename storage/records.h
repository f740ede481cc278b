#ifndef EVROUTER_STORAGE_RECORDS_H_
#define EVROUTER_STORAGE_RECORDS_H_

// Plain domain records shared by core and the stores. No grpc, no pqxx.

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace evrouter {

// A snapshot of a connection pool: its slots, those borrowed by a caller,
// those holding an open connection that nobody borrows, and the callers
// waiting for a free slot.
struct ConnectionPoolUse {
  int size = 0;
  int in_use = 0;
  int idle_open = 0;
  int waiting = 0;
};

// Routing kind of an exchange. Values match evrouter.v1.ExchangeKind and the
// `exchanges.kind` column.
enum class ExchangeKind : int { kFanout = 1, kDirect = 2, kTopic = 3 };

// "fanout", "direct" or "topic".
const char* ExchangeKindName(ExchangeKind kind);

// An event as stored. `id` is a 16-byte binary UUID.
struct Event {
  std::string id;  // 16 raw bytes
  // True when the publisher set `id` (only those can be retried, so only
  // those are remembered for idempotent publish); false when generated.
  bool publisher_id = false;
  std::string type;
  std::string source;
  std::vector<std::pair<std::string, std::string>> headers;  // sorted by key
  std::string content_type;
  std::string payload;
  std::optional<absl::Time> time;  // the publisher's clock
  // Assigned by the server.
  uint64_t offset = 0;
  absl::Time stored_at = absl::UnixEpoch();
};

struct ExchangeRecord {
  int64_t id = 0;  // storage key
  std::string name;
  ExchangeKind kind = ExchangeKind::kFanout;
  absl::Time created_at = absl::UnixEpoch();
  uint64_t head_offset = 0;  // 0 when empty
};

// An event id seen recently in an exchange, for idempotent publish.
struct StoredId {
  std::string id;  // 16 raw bytes
  uint64_t offset = 0;
  absl::Time stored_at = absl::UnixEpoch();
};

// A queue: a filtered view of one exchange.
struct QueueRecord {
  int64_t id = 0;  // storage key
  std::string name;
  int64_t exchange_id = 0;
  // Binding keys, sorted and unique; empty for a fanout exchange.
  std::vector<std::string> bindings;
  uint32_t limit_size = 0;  // events held in memory for live delivery
  // The queue holds the exchange's matching events with offsets above this.
  uint64_t start_offset = 0;
  absl::Time created_at = absl::UnixEpoch();
};

// A durable named cursor on a queue.
struct ConsumerRecord {
  int64_t queue_id = 0;
  std::string name;
  uint64_t committed_offset = 0;  // last acknowledged exchange offset
  absl::Time created_at = absl::UnixEpoch();
  absl::Time last_active_at = absl::UnixEpoch();
};

// What a permission allows. Values match evrouter.v1.PermissionAction and the
// `user_permissions.action` column.
enum class PermissionAction : int { kAdmin = 1, kPublish = 2, kSubscribe = 3 };

// "admin", "publish" or "subscribe".
const char* PermissionActionName(PermissionAction action);

// A right of a user: admin (pattern empty), or publish to the exchanges /
// subscribe to the queues whose names match `pattern` (topic syntax).
struct Permission {
  PermissionAction action = PermissionAction::kAdmin;
  std::string pattern;

  friend bool operator==(const Permission& a, const Permission& b) {
    return a.action == b.action && a.pattern == b.pattern;
  }
  friend bool operator<(const Permission& a, const Permission& b) {
    return a.action != b.action ? a.action < b.action : a.pattern < b.pattern;
  }
};

// A bearer token of a user, as stored: only a hash of the token.
struct TokenRecord {
  std::string id;    // public; the token starts with "evr_<id>_"
  std::string hash;  // SHA-256 of the whole token, 32 raw bytes
  std::string description;
  absl::Time created_at = absl::UnixEpoch();
};

struct UserRecord {
  std::string name;
  std::vector<Permission> permissions;  // sorted, unique
  std::vector<TokenRecord> tokens;      // sorted by id
  absl::Time created_at = absl::UnixEpoch();
};

}  // namespace evrouter

#endif  // EVROUTER_STORAGE_RECORDS_H_
