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

}  // namespace evrouter
