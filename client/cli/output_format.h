#ifndef EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_
#define EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/event.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "grpc/health/v1/health.pb.h"

// Renders results for people (default) or as JSON lines (--json). JSON is the
// proto3 JSON of the message with the .proto field names and every field
// printed. Every function returns complete lines ending in '\n'.
namespace evrouter::cli {

// "fanout", "direct", "topic" (or the enum name for other values).
std::string ExchangeKindName(evrouter::v1::ExchangeKind kind);

// One line of proto3 JSON for `message`.
std::string JsonLine(const google::protobuf::Message& message);

// "key: value" lines, or one JSON line.
std::string FormatExchange(const evrouter::v1::Exchange& exchange, bool json);

// An aligned table with a header row, or one JSON line per exchange.
std::string FormatExchangeList(
    const std::vector<evrouter::v1::Exchange>& exchanges, bool json);

// "deleted WHAT NAME" (e.g. "deleted queue q1"), or "{}".
std::string FormatDeleted(std::string_view what, std::string_view name,
                          bool json);

// "key: value" lines, or one JSON line.
std::string FormatQueue(const evrouter::v1::Queue& queue, bool json);

// An aligned table with a header row, or one JSON line per queue.
std::string FormatQueueList(const std::vector<evrouter::v1::Queue>& queues,
                            bool json);

// "ACTIVE", "SLEEPING" (or the enum name for other values).
std::string ConsumerStateName(evrouter::v1::ConsumerState state);

// "key: value" lines, or one JSON line.
std::string FormatConsumer(const evrouter::v1::Consumer& consumer, bool json);

// An aligned table with a header row, or one JSON line per consumer.
std::string FormatConsumerList(
    const std::vector<evrouter::v1::Consumer>& consumers, bool json);

// True when `bytes` is valid UTF-8 without control characters (C0, DEL,
// C1), so it prints on one line as it is.
bool IsPrintableUtf8(std::string_view bytes);

// One delivered event: "offset=N type=T id=ID payload=TEXT", with
// "payload_base64=..." instead when the payload is not printable UTF-8; or
// the event's JSON line (payload in base64, offset always present).
std::string FormatEvent(const evrouter::v1::Event& event, bool json);

// Three aligned tables separated by a blank line: exchanges (kind, head,
// events in per second over 10 s and 1 min), queues (events out per second,
// buffered/limit and fill) and consumers (state, committed offset, lag, last
// active); or one JSON line of the whole Stats.
std::string FormatStats(const evrouter::v1::Stats& stats, bool json);

// "published offset=N id=ID" (plus " duplicate"), or one JSON line.
std::string FormatPublishResult(const evrouter::v1::PublishResult& result,
                                bool json);

// "SERVING" etc., or {"status":"SERVING"}.
std::string FormatHealth(
    grpc::health::v1::HealthCheckResponse::ServingStatus status, bool json);

// "admin", "publish:PATTERN", "subscribe:PATTERN" (or the enum name and
// the pattern for other actions).
std::string PermissionText(const evrouter::v1::Permission& permission);

// "key: value" lines (permissions and token ids space-separated, "-" for
// none), or one JSON line.
std::string FormatUser(const evrouter::v1::User& user, bool json);

// An aligned table (name, permissions and token ids comma-separated,
// created_at) with a header row, or one JSON line per user.
std::string FormatUserList(const std::vector<evrouter::v1::User>& users,
                           bool json);

// The token alone on one line (so `TOKEN=$(evrouter token issue u)` works),
// or the whole response as one JSON line.
std::string FormatIssuedToken(const evrouter::v1::IssueTokenResponse& issued,
                              bool json);

// The stderr line after an issued token: it is shown only once, and its id.
std::string IssuedTokenNote(const evrouter::v1::IssueTokenResponse& issued);

// "revoked token ID", or "{}".
std::string FormatRevokedToken(std::string_view id, bool json);

// "evrouter: NOT_FOUND: <message>" for stderr.
std::string FormatError(const absl::Status& status);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_
