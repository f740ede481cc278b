#ifndef EVROUTER_CLIENT_CLI_PUBLISH_LINES_H_
#define EVROUTER_CLIENT_CLI_PUBLISH_LINES_H_

#include <cstddef>
#include <istream>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "client/cli/event_input.h"
#include "client/evrouter_client.h"

namespace evrouter::cli {

// How stdin lines are grouped into PublishStream batches.
struct LineBatching {
  size_t max_batch_events = 500;
  // Well under the server's message limit (--max-message-bytes, default
  // 64 MiB), so one batch stays a modest request.
  size_t max_batch_bytes = 2 << 20;
  int max_batches_in_flight = 8;
};

// Publishes the JSON event lines of `in` (see ParseEventLine) to `exchange`
// over `stream` in pipelined batches; calls `on_result` for every stored
// event in offset order. At a malformed line, the lines before it are sent
// and nothing after it; the first error (stream, rejected batch, or line) is
// returned after all acks were drained.
absl::Status PublishLines(
    client::PublishStream& stream, std::string_view exchange, std::istream& in,
    const EventDefaults& defaults, const LineBatching& batching,
    absl::FunctionRef<void(const evrouter::v1::PublishResult&)> on_result);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_PUBLISH_LINES_H_
