#include "client/cli/output_format.h"

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace evrouter::cli {
namespace {

using Row = std::vector<std::string>;

// RFC3339 text, or "-" for an unset timestamp.
std::string TimestampText(bool has, const google::protobuf::Timestamp& time) {
  if (!has) return "-";
  return google::protobuf::util::TimeUtil::ToString(time);
}

// Left-aligned columns two spaces apart; the last column is not padded.
std::string FormatTable(const std::vector<Row>& rows) {
  std::vector<size_t> widths;
  for (const Row& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i) {
      widths[i] = std::max(widths[i], row[i].size());
    }
  }
  std::string out;
  for (const Row& row : rows) {
    for (size_t i = 0; i + 1 < row.size(); ++i) {
      absl::StrAppend(&out, row[i],
                      std::string(widths[i] - row[i].size() + 2, ' '));
    }
    if (!row.empty()) absl::StrAppend(&out, row.back());
    out.push_back('\n');
  }
  return out;
}

// "key: value" lines with the values aligned.
std::string FormatFields(
    const std::vector<std::pair<std::string, std::string>>& fields) {
  size_t width = 0;
  for (const auto& [key, value] : fields) width = std::max(width, key.size());
  std::string out;
  for (const auto& [key, value] : fields) {
    absl::StrAppend(&out, key, ":", std::string(width - key.size() + 1, ' '),
                    value, "\n");
  }
  return out;
}

template <typename Message>
std::string JsonLines(const std::vector<Message>& messages) {
  std::string out;
  for (const Message& message : messages)
    absl::StrAppend(&out, JsonLine(message));
  return out;
}

std::string RateText(double per_sec) {
  return absl::StrFormat("%.2f", per_sec);
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
  return FormatFields({{"name", exchange.name()},
                       {"kind", ExchangeKindName(exchange.kind())},
                       {"head_offset", absl::StrCat(exchange.head_offset())},
                       {"created_at", TimestampText(exchange.has_created_at(),
                                                    exchange.created_at())}});
}

std::string FormatExchangeList(
    const std::vector<evrouter::v1::Exchange>& exchanges, bool json) {
  if (json) return JsonLines(exchanges);
  std::vector<Row> rows = {{"NAME", "KIND", "HEAD_OFFSET", "CREATED_AT"}};
  for (const evrouter::v1::Exchange& exchange : exchanges) {
    rows.push_back(
        {exchange.name(), ExchangeKindName(exchange.kind()),
         absl::StrCat(exchange.head_offset()),
         TimestampText(exchange.has_created_at(), exchange.created_at())});
  }
  return FormatTable(rows);
}

std::string FormatDeleted(std::string_view what, std::string_view name,
                          bool json) {
  if (json) return "{}\n";
  return absl::StrCat("deleted ", std::string(what), " ", std::string(name),
                      "\n");
}

std::string FormatQueue(const evrouter::v1::Queue& queue, bool json) {
  if (json) return JsonLine(queue);
  return FormatFields(
      {{"name", queue.name()},
       {"exchange", queue.exchange()},
       {"bindings",
        queue.bindings().empty() ? "-" : absl::StrJoin(queue.bindings(), " ")},
       {"limit_size", absl::StrCat(queue.limit_size())},
       {"start_offset", absl::StrCat(queue.start_offset())},
       {"created_at",
        TimestampText(queue.has_created_at(), queue.created_at())}});
}

std::string FormatQueueList(const std::vector<evrouter::v1::Queue>& queues,
                            bool json) {
  if (json) return JsonLines(queues);
  std::vector<Row> rows = {{"NAME", "EXCHANGE", "BINDINGS", "LIMIT_SIZE",
                            "START_OFFSET", "CREATED_AT"}};
  for (const evrouter::v1::Queue& queue : queues) {
    rows.push_back(
        {queue.name(), queue.exchange(),
         queue.bindings().empty() ? "-" : absl::StrJoin(queue.bindings(), ","),
         absl::StrCat(queue.limit_size()), absl::StrCat(queue.start_offset()),
         TimestampText(queue.has_created_at(), queue.created_at())});
  }
  return FormatTable(rows);
}

std::string ConsumerStateName(evrouter::v1::ConsumerState state) {
  switch (state) {
    case evrouter::v1::CONSUMER_STATE_ACTIVE:
      return "ACTIVE";
    case evrouter::v1::CONSUMER_STATE_SLEEPING:
      return "SLEEPING";
    default:
      return evrouter::v1::ConsumerState_Name(state);
  }
}

std::string FormatConsumer(const evrouter::v1::Consumer& consumer, bool json) {
  if (json) return JsonLine(consumer);
  return FormatFields(
      {{"queue", consumer.queue()},
       {"name", consumer.name()},
       {"state", ConsumerStateName(consumer.state())},
       {"committed_offset", absl::StrCat(consumer.committed_offset())},
       {"lag", absl::StrCat(consumer.lag())},
       {"last_active_at", TimestampText(consumer.has_last_active_at(),
                                        consumer.last_active_at())},
       {"created_at",
        TimestampText(consumer.has_created_at(), consumer.created_at())}});
}

std::string FormatConsumerList(
    const std::vector<evrouter::v1::Consumer>& consumers, bool json) {
  if (json) return JsonLines(consumers);
  std::vector<Row> rows = {
      {"QUEUE", "NAME", "STATE", "COMMITTED", "LAG", "LAST_ACTIVE"}};
  for (const evrouter::v1::Consumer& consumer : consumers) {
    rows.push_back({consumer.queue(), consumer.name(),
                    ConsumerStateName(consumer.state()),
                    absl::StrCat(consumer.committed_offset()),
                    absl::StrCat(consumer.lag()),
                    TimestampText(consumer.has_last_active_at(),
                                  consumer.last_active_at())});
  }
  return FormatTable(rows);
}

bool IsPrintableUtf8(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    const unsigned char lead = static_cast<unsigned char>(bytes[i]);
    uint32_t code_point = 0;
    size_t length = 0;
    if (lead < 0x80) {
      code_point = lead;
      length = 1;
    } else if (lead >= 0xC2 && lead <= 0xDF) {
      code_point = lead & 0x1F;
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      code_point = lead & 0x0F;
      length = 3;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      code_point = lead & 0x07;
      length = 4;
    } else {
      return false;  // a continuation byte, or an invalid lead byte
    }
    if (bytes.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      const unsigned char next = static_cast<unsigned char>(bytes[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    const bool overlong = (length == 3 && code_point < 0x800) ||
                          (length == 4 && code_point < 0x10000);
    const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    const bool control =
        code_point < 0x20 || (code_point >= 0x7F && code_point <= 0x9F);
    if (overlong || surrogate || control || code_point > 0x10FFFF) {
      return false;
    }
    i += length;
  }
  return true;
}

std::string FormatEvent(const evrouter::v1::Event& event, bool json) {
  if (json) return JsonLine(event);
  const std::string& payload = event.payload();
  const bool text = IsPrintableUtf8(payload);
  return absl::StrCat("offset=", event.offset(), " type=", event.type(),
                      " id=", event.id(),
                      text ? " payload=" : " payload_base64=",
                      text ? payload : absl::Base64Escape(payload), "\n");
}

std::string FormatStats(const evrouter::v1::Stats& stats, bool json) {
  if (json) return JsonLine(stats);
  std::vector<Row> exchanges = {
      {"EXCHANGE", "KIND", "HEAD_OFFSET", "IN/S(10s)", "IN/S(1m)"}};
  for (const evrouter::v1::ExchangeStats& exchange : stats.exchanges()) {
    exchanges.push_back({exchange.name(), ExchangeKindName(exchange.kind()),
                         absl::StrCat(exchange.head_offset()),
                         RateText(exchange.events_in().per_sec_10s()),
                         RateText(exchange.events_in().per_sec_1m())});
  }
  std::vector<Row> queues = {
      {"QUEUE", "EXCHANGE", "OUT/S(10s)", "OUT/S(1m)", "BUFFERED", "FILL"}};
  std::vector<Row> consumers = {
      {"CONSUMER", "STATE", "COMMITTED", "LAG", "LAST_ACTIVE"}};
  for (const evrouter::v1::QueueStats& queue : stats.queues()) {
    queues.push_back({queue.name(), queue.exchange(),
                      RateText(queue.events_out().per_sec_10s()),
                      RateText(queue.events_out().per_sec_1m()),
                      absl::StrCat(queue.buffered(), "/", queue.limit_size()),
                      absl::StrFormat("%.1f%%", queue.fill_percent())});
    for (const evrouter::v1::Consumer& consumer : queue.consumers()) {
      consumers.push_back({absl::StrCat(queue.name(), "/", consumer.name()),
                           ConsumerStateName(consumer.state()),
                           absl::StrCat(consumer.committed_offset()),
                           absl::StrCat(consumer.lag()),
                           TimestampText(consumer.has_last_active_at(),
                                         consumer.last_active_at())});
    }
  }
  return absl::StrCat(FormatTable(exchanges), "\n", FormatTable(queues), "\n",
                      FormatTable(consumers));
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

std::string PermissionText(const evrouter::v1::Permission& permission) {
  switch (permission.action()) {
    case evrouter::v1::PERMISSION_ACTION_ADMIN:
      return permission.pattern().empty()
                 ? std::string("admin")
                 : absl::StrCat("admin:", permission.pattern());
    case evrouter::v1::PERMISSION_ACTION_PUBLISH:
      return absl::StrCat("publish:", permission.pattern());
    case evrouter::v1::PERMISSION_ACTION_SUBSCRIBE:
      return absl::StrCat("subscribe:", permission.pattern());
    default:
      return absl::StrCat(
          evrouter::v1::PermissionAction_Name(permission.action()), ":",
          permission.pattern());
  }
}

namespace {

// The user's permissions (or token ids) joined by `separator`, "-" for none.
std::string PermissionsText(const evrouter::v1::User& user,
                            const char* separator) {
  if (user.permissions().empty()) return "-";
  std::vector<std::string> texts;
  for (const evrouter::v1::Permission& permission : user.permissions()) {
    texts.push_back(PermissionText(permission));
  }
  return absl::StrJoin(texts, separator);
}

std::string TokenIdsText(const evrouter::v1::User& user,
                         const char* separator) {
  if (user.tokens().empty()) return "-";
  std::vector<std::string> ids;
  for (const evrouter::v1::Token& token : user.tokens()) {
    ids.push_back(token.id());
  }
  return absl::StrJoin(ids, separator);
}

}  // namespace

std::string FormatUser(const evrouter::v1::User& user, bool json) {
  if (json) return JsonLine(user);
  return FormatFields({{"name", user.name()},
                       {"permissions", PermissionsText(user, " ")},
                       {"tokens", TokenIdsText(user, " ")},
                       {"created_at", TimestampText(user.has_created_at(),
                                                    user.created_at())}});
}

std::string FormatUserList(const std::vector<evrouter::v1::User>& users,
                           bool json) {
  if (json) return JsonLines(users);
  std::vector<Row> rows = {{"NAME", "PERMISSIONS", "TOKENS", "CREATED_AT"}};
  for (const evrouter::v1::User& user : users) {
    rows.push_back({user.name(), PermissionsText(user, ","),
                    TokenIdsText(user, ","),
                    TimestampText(user.has_created_at(), user.created_at())});
  }
  return FormatTable(rows);
}

std::string FormatIssuedToken(const evrouter::v1::IssueTokenResponse& issued,
                              bool json) {
  if (json) return JsonLine(issued);
  return absl::StrCat(issued.token(), "\n");
}

std::string IssuedTokenNote(const evrouter::v1::IssueTokenResponse& issued) {
  return absl::StrCat("evrouter: token ", issued.info().id(), " for user ",
                      issued.user(),
                      " is shown only this once; store it now (revoke it "
                      "with 'evrouter token revoke ",
                      issued.info().id(), "')\n");
}

std::string FormatRevokedToken(std::string_view id, bool json) {
  if (json) return "{}\n";
  return absl::StrCat("revoked token ", std::string(id), "\n");
}

std::string FormatError(const absl::Status& status) {
  return absl::StrCat("evrouter: ", absl::StatusCodeToString(status.code()),
                      ": ", status.message(), "\n");
}

}  // namespace evrouter::cli
