#include "client/cli/publish_lines.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace evrouter::cli {
namespace {

// Sends batches and consumes their acks, keeping the window bounded so the
// stream never stalls on acks nobody reads.
class BatchSender {
 public:
  BatchSender(
      client::PublishStream& stream, std::string_view exchange,
      int max_in_flight,
      absl::FunctionRef<void(const evrouter::v1::PublishResult&)> on_result)
      : stream_(stream),
        exchange_(exchange),
        max_in_flight_(max_in_flight),
        on_result_(on_result) {}

  // Sends `events` (if any), first waiting for an ack when the window is full.
  absl::Status Send(std::vector<evrouter::v1::Event> events) {
    if (events.empty()) return absl::OkStatus();
    if (in_flight_ >= max_in_flight_) {
      absl::StatusOr<evrouter::v1::PublishStreamResponse> ack =
          stream_.NextAck();
      if (!ack.ok()) return ack.status();
      --in_flight_;
      HandleAck(*ack);
    }
    absl::StatusOr<uint64_t> batch_id =
        stream_.Send(exchange_, std::move(events));
    if (!batch_id.ok()) {
      // The stream broke; Close() reports the reason the server gave.
      absl::Status closed = Close();
      return closed.ok() ? batch_id.status() : closed;
    }
    ++in_flight_;
    return absl::OkStatus();
  }

  // Half-closes and handles the remaining acks.
  absl::Status Close() {
    absl::StatusOr<std::vector<evrouter::v1::PublishStreamResponse>> acks =
        stream_.Close();
    if (!acks.ok()) return acks.status();
    for (const evrouter::v1::PublishStreamResponse& ack : *acks) {
      HandleAck(ack);
    }
    in_flight_ = 0;
    return absl::OkStatus();
  }

  // The first batch the server rejected, as a status.
  const absl::Status& rejected() const { return rejected_; }

 private:
  void HandleAck(const evrouter::v1::PublishStreamResponse& ack) {
    if (ack.error_code() != 0) {
      if (rejected_.ok()) {
        rejected_ = absl::Status(
            static_cast<absl::StatusCode>(ack.error_code()),
            absl::StrCat("batch ", ack.batch_id(), ": ", ack.error_message()));
      }
      return;
    }
    for (const evrouter::v1::PublishResult& result : ack.results()) {
      on_result_(result);
    }
  }

  client::PublishStream& stream_;
  std::string_view exchange_;
  int max_in_flight_;
  absl::FunctionRef<void(const evrouter::v1::PublishResult&)> on_result_;
  int in_flight_ = 0;
  absl::Status rejected_;
};

}  // namespace

absl::Status PublishLines(
    client::PublishStream& stream, std::string_view exchange, std::istream& in,
    const EventDefaults& defaults, const LineBatching& batching,
    absl::FunctionRef<void(const evrouter::v1::PublishResult&)> on_result) {
  BatchSender sender(stream, exchange, batching.max_batches_in_flight,
                     on_result);
  std::vector<evrouter::v1::Event> batch;
  size_t batch_bytes = 0;
  absl::Status line_error;
  std::string line;
  int64_t line_number = 0;
  while (sender.rejected().ok() && std::getline(in, line)) {
    ++line_number;
    absl::StatusOr<std::optional<evrouter::v1::Event>> event =
        ParseEventLine(line, line_number, defaults);
    if (!event.ok()) {
      line_error = event.status();
      break;
    }
    if (!event->has_value()) continue;
    const size_t size = (*event)->ByteSizeLong();
    if (!batch.empty() && batch_bytes + size > batching.max_batch_bytes) {
      if (absl::Status status = sender.Send(std::move(batch)); !status.ok()) {
        return status;
      }
      batch.clear();
      batch_bytes = 0;
    }
    batch.push_back(std::move(**event));
    batch_bytes += size;
    if (batch.size() >= batching.max_batch_events) {
      if (absl::Status status = sender.Send(std::move(batch)); !status.ok()) {
        return status;
      }
      batch.clear();
      batch_bytes = 0;
    }
  }
  if (sender.rejected().ok()) {
    if (absl::Status status = sender.Send(std::move(batch)); !status.ok()) {
      return status;
    }
  }
  if (absl::Status status = sender.Close(); !status.ok()) return status;
  if (!sender.rejected().ok()) return sender.rejected();
  return line_error;
}

}  // namespace evrouter::cli
