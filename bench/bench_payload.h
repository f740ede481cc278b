#ifndef EVROUTER_BENCH_BENCH_PAYLOAD_H_
#define EVROUTER_BENCH_BENCH_PAYLOAD_H_

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"
#include "evrouter/v1/event.pb.h"

namespace evrouter::bench {

// Every bench event carries a 256-byte payload.
inline constexpr size_t kPayloadBytes = 256;

// Nanoseconds of the steady clock; publisher and subscriber threads of one
// bench process share it, so differences are latencies.
int64_t SteadyNowNs();

// A 256-byte payload whose first 8 bytes hold `timestamp_ns` (little
// endian); the rest is filler.
std::string MakePayload(int64_t timestamp_ns);

// The timestamp of a MakePayload() payload; 0 when it is too short.
int64_t PayloadTimestamp(absl::string_view payload);

// An event of type `type` from source "evrouter-bench" with
// MakePayload(timestamp_ns).
evrouter::v1::Event MakeEvent(absl::string_view type, int64_t timestamp_ns);

}  // namespace evrouter::bench

#endif  // EVROUTER_BENCH_BENCH_PAYLOAD_H_
