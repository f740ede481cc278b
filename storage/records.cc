#include "storage/records.h"

namespace evrouter {

const char* ExchangeKindName(ExchangeKind kind) {
  switch (kind) {
    case ExchangeKind::kFanout:
      return "fanout";
    case ExchangeKind::kDirect:
      return "direct";
    case ExchangeKind::kTopic:
      return "topic";
  }
  return "unknown";
}

const char* PermissionActionName(PermissionAction action) {
  switch (action) {
    case PermissionAction::kAdmin:
      return "admin";
    case PermissionAction::kPublish:
      return "publish";
    case PermissionAction::kSubscribe:
      return "subscribe";
  }
  return "unknown";
}

}  // namespace evrouter
