#include "server/transport/request_parser.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/support/proto_buffer_reader.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "server/core/validation.h"

namespace evrouter::transport {
namespace {

namespace pb = google::protobuf;
using WireFormatLite = pb::internal::WireFormatLite;

// Deeper than any evrouter request; bounds the recursion on hostile input.
constexpr int kMaxDepth = 16;

std::string Join(absl::string_view path, absl::string_view name) {
  return path.empty() ? std::string(name) : absl::StrCat(path, ".", name);
}

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

// One field of a message on the wire: its tag and its bytes when it is
// length-delimited, or its value when it is a varint.
struct WireField {
  uint32_t tag;
  std::optional<absl::string_view> bytes;
  uint64_t varint = 0;
};

// Reads the fields of one message without interpreting them.
class WireReader {
 public:
  explicit WireReader(absl::string_view bytes)
      : bytes_(bytes),
        in_(reinterpret_cast<const uint8_t*>(bytes.data()),
            static_cast<int>(bytes.size())) {}

  bool done() {
    return static_cast<size_t>(in_.CurrentPosition()) >= bytes_.size();
  }

  // The next field; nullopt when the encoding is broken.
  std::optional<WireField> Next() {
    const uint32_t tag = in_.ReadTag();
    if (tag == 0) return std::nullopt;
    switch (WireFormatLite::GetTagWireType(tag)) {
      case WireFormatLite::WIRETYPE_LENGTH_DELIMITED:
        break;
      case WireFormatLite::WIRETYPE_VARINT: {
        uint64_t value;
        if (!in_.ReadVarint64(&value)) return std::nullopt;
        return WireField{tag, std::nullopt, value};
      }
      default:
        if (!WireFormatLite::SkipField(&in_, tag)) return std::nullopt;
        return WireField{tag, std::nullopt};
    }
    uint32_t length;
    if (!in_.ReadVarint32(&length)) return std::nullopt;
    const size_t start = static_cast<size_t>(in_.CurrentPosition());
    if (length > bytes_.size() - start || !in_.Skip(static_cast<int>(length))) {
      return std::nullopt;
    }
    return WireField{tag, bytes_.substr(start, length)};
  }

 private:
  absl::string_view bytes_;
  pb::io::CodedInputStream in_;
};

class Explainer {
 public:
  explicit Explainer(const pb::Descriptor& root) : root_(root) {}

  // The first problem in `bytes`, a `type` at `path`; OK when none is found.
  absl::Status Walk(absl::string_view bytes, const pb::Descriptor& type,
                    const std::string& path, int depth) const {
    if (bytes.size() > INT32_MAX || depth > kMaxDepth) return Malformed(path);
    std::vector<int> seen(static_cast<size_t>(type.field_count()), 0);
    WireReader reader(bytes);
    while (!reader.done()) {
      std::optional<WireField> wire = reader.Next();
      if (!wire.has_value()) return Malformed(path);
      const pb::FieldDescriptor* field =
          type.FindFieldByNumber(WireFormatLite::GetTagFieldNumber(wire->tag));
      // Protobuf keeps a field with the wrong wire type as an unknown one.
      if (field == nullptr || !wire->bytes.has_value()) continue;
      const bool is_string = field->type() == pb::FieldDescriptor::TYPE_STRING;
      if (!is_string && field->type() != pb::FieldDescriptor::TYPE_MESSAGE)
        continue;
      const std::string name = Join(path, field->name());
      if (field->is_map()) {
        absl::Status status =
            WalkMapEntry(*wire->bytes, *field->message_type(), name, depth + 1);
        if (!status.ok()) return status;
        continue;
      }
      const std::string field_path =
          field->is_repeated()
              ? absl::StrCat(name, "[", seen[field->index()]++, "]")
              : name;
      if (is_string) {
        if (!core::IsValidUtf8(*wire->bytes))
          return Invalid(field_path, "not valid UTF-8");
        continue;
      }
      absl::Status status =
          Walk(*wire->bytes, *field->message_type(), field_path, depth + 1);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status Malformed(const std::string& path) const {
    if (path.empty()) {
      return Invalid("request", absl::StrCat("not a valid ", root_.full_name(),
                                             " (malformed protobuf encoding)"));
    }
    return Invalid(path, "malformed protobuf encoding");
  }

 private:
  // A map entry: a message with key = 1 and value = 2, the last of each
  // winning. Problems are named `map["key"]`.
  absl::Status WalkMapEntry(absl::string_view bytes,
                            const pb::Descriptor& entry,
                            const std::string& map_path, int depth) const {
    if (depth > kMaxDepth) return Malformed(map_path);
    std::optional<absl::string_view> key;
    std::optional<absl::string_view> value;
    WireReader reader(bytes);
    while (!reader.done()) {
      std::optional<WireField> wire = reader.Next();
      if (!wire.has_value()) return Malformed(map_path);
      if (!wire->bytes.has_value()) continue;
      const int number = WireFormatLite::GetTagFieldNumber(wire->tag);
      if (number == 1) key = wire->bytes;
      if (number == 2) value = wire->bytes;
    }
    const pb::FieldDescriptor* key_field = entry.map_key();
    const pb::FieldDescriptor* value_field = entry.map_value();
    const bool string_key =
        key_field->type() == pb::FieldDescriptor::TYPE_STRING;
    const std::string path =
        string_key ? core::MapEntryPath(map_path, key.value_or("")) : map_path;
    if (string_key && key.has_value() && !core::IsValidUtf8(*key))
      return Invalid(path, "key is not valid UTF-8");
    if (!value.has_value()) return absl::OkStatus();
    switch (value_field->type()) {
      case pb::FieldDescriptor::TYPE_STRING:
        if (!core::IsValidUtf8(*value))
          return Invalid(path, "value is not valid UTF-8");
        return absl::OkStatus();
      case pb::FieldDescriptor::TYPE_MESSAGE:
        return Walk(*value, *value_field->message_type(), path, depth + 1);
      default:
        return absl::OkStatus();
    }
  }

  const pb::Descriptor& root_;
};

}  // namespace

absl::Status ExplainParseFailure(absl::string_view bytes,
                                 const pb::Descriptor& type) {
  Explainer explainer(type);
  absl::Status status = explainer.Walk(bytes, type, "", 0);
  if (!status.ok()) return status;
  // Nothing specific found: say what was refused.
  return explainer.Malformed("");
}

absl::Status ParseRequest(absl::string_view bytes, pb::Message* request) {
  request->Clear();
  if (bytes.size() <= INT32_MAX &&
      request->ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::OkStatus();
  }
  request->Clear();
  return ExplainParseFailure(bytes, *request->GetDescriptor());
}

absl::Status ParseRequest(const grpc::ByteBuffer& bytes, pb::Message* request) {
  request->Clear();
  if (!bytes.Valid()) return Invalid("request", "no message was sent");
  grpc::ByteBuffer shared(bytes);  // shares the slices; the reader wants it
  grpc::ProtoBufferReader reader(&shared);
  if (reader.status().ok() && request->ParseFromZeroCopyStream(&reader) &&
      reader.status().ok()) {
    return absl::OkStatus();
  }
  request->Clear();
  grpc::Slice flat;
  if (!bytes.DumpToSingleSlice(&flat).ok()) {
    return Invalid(
        "request",
        absl::StrCat("not a valid ", request->GetDescriptor()->full_name()));
  }
  return ExplainParseFailure(
      absl::string_view(reinterpret_cast<const char*>(flat.begin()),
                        flat.size()),
      *request->GetDescriptor());
}

uint64_t ReadUint64Field(const grpc::ByteBuffer& bytes, int number) {
  grpc::Slice flat;
  if (!bytes.Valid() || !bytes.DumpToSingleSlice(&flat).ok() ||
      flat.size() > INT32_MAX) {
    return 0;
  }
  WireReader reader(absl::string_view(
      reinterpret_cast<const char*>(flat.begin()), flat.size()));
  uint64_t value = 0;
  while (!reader.done()) {
    std::optional<WireField> wire = reader.Next();
    if (!wire.has_value()) break;
    if (WireFormatLite::GetTagFieldNumber(wire->tag) == number &&
        WireFormatLite::GetTagWireType(wire->tag) ==
            WireFormatLite::WIRETYPE_VARINT) {
      value = wire->varint;
    }
  }
  return value;
}

}  // namespace evrouter::transport
