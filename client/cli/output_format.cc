#include "client/cli/output_format.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"

namespace evrouter::cli {
namespace {

std::string TimestampText(const evrouter::v1::Exchange& exchange) {
  if (!exchange.has_created_at()) return "-";
  return google::protobuf::util::TimeUtil::ToString(exchange.created_at());
}

}  // namespace

std::string ExchangeKindName(evrouter::v1::ExchangeKind kind) {
  switch (kind) {
    case evrouter::v1::EXCHANGE_KIND_FANOUT:
      return "fanout";
    case evrouter::v1::EXCHANGE_KIND_DIRECT:
      return "direct";
    case evrouter::v1::EXCHANGE_KIND_TOPIC:
      return "topic";
    default:
      return evrouter::v1::ExchangeKind_Name(kind);
  }
}

std::string JsonLine(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string json;
  const auto status =
      google::protobuf::util::MessageToJsonString(message, &json, options);
  if (!status.ok()) {
    return absl::StrCat("{\"error\":\"cannot print ", message.GetTypeName(),
                        "\"}\n");
  }
  json.push_back('\n');
  return json;
}

std::string FormatExchange(const evrouter::v1::Exchange& exchange, bool json) {
  if (json) return JsonLine(exchange);
  return absl::StrCat("name:        ", exchange.name(), "\n",
                      "kind:        ", ExchangeKindName(exchange.kind()), "\n",
                      "head_offset: ", exchange.head_offset(), "\n",
                      "created_at:  ", TimestampText(exchange), "\n");
}

std::string FormatExchangeList(
    const std::vector<evrouter::v1::Exchange>& exchanges, bool json) {
  std::string out;
  if (json) {
    for (const evrouter::v1::Exchange& exchange : exchanges) {
      absl::StrAppend(&out, JsonLine(exchange));
    }
    return out;
  }
  using Row = std::array<std::string, 4>;
  std::vector<Row> rows = {{"NAME", "KIND", "HEAD_OFFSET", "CREATED_AT"}};
  for (const evrouter::v1::Exchange& exchange : exchanges) {
    rows.push_back({exchange.name(), ExchangeKindName(exchange.kind()),
                    absl::StrCat(exchange.head_offset()),
                    TimestampText(exchange)});
  }
  std::array<size_t, 4> widths{};
  for (const Row& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  for (const Row& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      absl::StrAppend(&out, row[i],
                      std::string(widths[i] - row[i].size() + 2, ' '));
    }
    absl::StrAppend(&out, row.back(), "\n");
  }
  return out;
}

std::string FormatDeleted(std::string_view name, bool json) {
  if (json) return "{}\n";
  return absl::StrCat("deleted exchange ", std::string(name), "\n");
}

std::string FormatPublishResult(const evrouter::v1::PublishResult& result,
                                bool json) {
  if (json) return JsonLine(result);
  return absl::StrCat("published offset=", result.offset(), " id=", result.id(),
                      result.duplicate() ? " duplicate" : "", "\n");
}

std::string FormatHealth(
    grpc::health::v1::HealthCheckResponse::ServingStatus status, bool json) {
  if (json) {
    grpc::health::v1::HealthCheckResponse response;
    response.set_status(status);
    return JsonLine(response);
  }
  return absl::StrCat(
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(status), "\n");
}

std::string FormatError(const absl::Status& status) {
  return absl::StrCat("evrouter: ", absl::StatusCodeToString(status.code()),
                      ": ", status.message(), "\n");
}

}  // namespace evrouter::cli
