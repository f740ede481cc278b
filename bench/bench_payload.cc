#include "bench/bench_payload.h"

#include <chrono>

namespace evrouter::bench {

int64_t SteadyNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string MakePayload(int64_t timestamp_ns) {
  std::string payload(kPayloadBytes, '\0');
  for (size_t i = 8; i < kPayloadBytes; ++i) {
    payload[i] = static_cast<char>('a' + i % 26);
  }
  uint64_t value = static_cast<uint64_t>(timestamp_ns);
  for (int i = 0; i < 8; ++i) {
    payload[i] = static_cast<char>((value >> (8 * i)) & 0xff);
  }
  return payload;
}

int64_t PayloadTimestamp(absl::string_view payload) {
  if (payload.size() < 8) return 0;
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(payload[i]))
             << (8 * i);
  }
  return static_cast<int64_t>(value);
}

evrouter::v1::Event MakeEvent(absl::string_view type, int64_t timestamp_ns) {
  evrouter::v1::Event event;
  event.set_type(std::string(type));
  event.set_source("evrouter-bench");
  event.set_content_type("application/octet-stream");
  event.set_payload(MakePayload(timestamp_ns));
  return event;
}

}  // namespace evrouter::bench
