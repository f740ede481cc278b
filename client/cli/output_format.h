#ifndef EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_
#define EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_

#include <google/protobuf/message.h>

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "evrouter/v1/admin.pb.h"
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

// "deleted exchange NAME", or "{}".
std::string FormatDeleted(std::string_view name, bool json);

// "published offset=N id=ID" (plus " duplicate"), or one JSON line.
std::string FormatPublishResult(const evrouter::v1::PublishResult& result,
                                bool json);

// "SERVING" etc., or {"status":"SERVING"}.
std::string FormatHealth(
    grpc::health::v1::HealthCheckResponse::ServingStatus status, bool json);

// "evrouter: NOT_FOUND: <message>" for stderr.
std::string FormatError(const absl::Status& status);

}  // namespace evrouter::cli

#endif  // EVROUTER_CLIENT_CLI_OUTPUT_FORMAT_H_
