#include "server/transport/request_parser.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>
#include <grpcpp/support/byte_buffer.h>
#include <grpcpp/support/slice.h>

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "evrouter/v1/admin.pb.h"
#include "evrouter/v1/publisher.pb.h"
#include "evrouter/v1/subscriber.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/core/validation.h"

namespace evrouter::transport {
namespace {

namespace pb = google::protobuf;

using ::testing::Contains;
using ::testing::StartsWith;

constexpr char kNotUtf8[] = "a\xff";

std::string Join(const std::string& path, const std::string& name) {
  return path.empty() ? name : absl::StrCat(path, ".", name);
}

// A way to put invalid UTF-8 into a request: what to spoil, and the field
// path and problem the parse error must name.
struct Spoiled {
  std::string path;
  std::string problem;
  std::function<void(pb::Message*)> spoil;
};

// Leads from a request to the message that holds a field, creating what is
// on the way.
using Reach = std::function<pb::Message*(pb::Message*)>;

// Every string field of `type`, reached through `reach`, at `path`. A repeated
// field gets three elements and the last one is spoiled, so paths carry [2].
void CollectStringFields(const pb::Descriptor& type, const std::string& path,
                         const Reach& reach, int depth,
                         std::vector<Spoiled>* out) {
  ASSERT_LT(depth, 8) << "recursive request type at " << path;
  for (int i = 0; i < type.field_count(); ++i) {
    const pb::FieldDescriptor* field = type.field(i);
    const std::string name = Join(path, field->name());
    if (field->is_map()) {
      const pb::Descriptor& entry = *field->message_type();
      if (entry.map_key()->type() != pb::FieldDescriptor::TYPE_STRING) continue;
      auto add = [reach, field](std::string key, std::string value) {
        return [=](pb::Message* root) {
          pb::Message* holder = reach(root);
          pb::Message* added =
              holder->GetReflection()->AddMessage(holder, field);
          const pb::Descriptor& entry = *field->message_type();
          added->GetReflection()->SetString(added, entry.map_key(), key);
          if (entry.map_value()->type() == pb::FieldDescriptor::TYPE_STRING) {
            added->GetReflection()->SetString(added, entry.map_value(), value);
          }
        };
      };
      out->push_back({core::MapEntryPath(name, kNotUtf8),
                      "key is not valid UTF-8", add(kNotUtf8, "v")});
      if (entry.map_value()->type() == pb::FieldDescriptor::TYPE_STRING) {
        out->push_back({core::MapEntryPath(name, "k"),
                        "value is not valid UTF-8", add("k", kNotUtf8)});
      }
      continue;
    }
    if (field->type() == pb::FieldDescriptor::TYPE_STRING) {
      if (field->is_repeated()) {
        out->push_back({absl::StrCat(name, "[2]"), "not valid UTF-8",
                        [reach, field](pb::Message* root) {
                          pb::Message* holder = reach(root);
                          const pb::Reflection* r = holder->GetReflection();
                          r->AddString(holder, field, "ok");
                          r->AddString(holder, field, "ok");
                          r->AddString(holder, field, kNotUtf8);
                        }});
      } else {
        out->push_back(
            {name, "not valid UTF-8", [reach, field](pb::Message* root) {
               pb::Message* holder = reach(root);
               holder->GetReflection()->SetString(holder, field, kNotUtf8);
             }});
      }
      continue;
    }
    if (field->type() != pb::FieldDescriptor::TYPE_MESSAGE) continue;
    if (field->is_repeated()) {
      CollectStringFields(
          *field->message_type(), absl::StrCat(name, "[2]"),
          [reach, field](pb::Message* root) {
            pb::Message* holder = reach(root);
            const pb::Reflection* r = holder->GetReflection();
            while (r->FieldSize(*holder, field) < 3)
              r->AddMessage(holder, field);
            return r->MutableRepeatedMessage(holder, field, 2);
          },
          depth + 1, out);
    } else {
      CollectStringFields(
          *field->message_type(), name,
          [reach, field](pb::Message* root) {
            pb::Message* holder = reach(root);
            return holder->GetReflection()->MutableMessage(holder, field);
          },
          depth + 1, out);
    }
  }
}

// The request types of every evrouter RPC.
std::vector<const pb::Descriptor*> RequestTypes() {
  // Linked in by the includes above; the pool builds them on first lookup.
  std::set<const pb::Descriptor*> types;
  for (const char* name : {"evrouter.v1.Publisher", "evrouter.v1.Admin",
                           "evrouter.v1.Subscriber"}) {
    const pb::ServiceDescriptor* service =
        pb::DescriptorPool::generated_pool()->FindServiceByName(name);
    EXPECT_NE(service, nullptr) << name;
    if (service == nullptr) continue;
    for (int i = 0; i < service->method_count(); ++i)
      types.insert(service->method(i)->input_type());
  }
  return {types.begin(), types.end()};
}

std::unique_ptr<pb::Message> New(const pb::Descriptor& type) {
  return std::unique_ptr<pb::Message>(
      pb::MessageFactory::generated_factory()->GetPrototype(&type)->New());
}

grpc::ByteBuffer InSlices(const std::string& bytes) {
  // Two slices, so that parsing does not rely on contiguous input.
  const size_t half = bytes.size() / 2;
  grpc::Slice slices[] = {grpc::Slice(bytes.substr(0, half)),
                          grpc::Slice(bytes.substr(half))};
  return grpc::ByteBuffer(slices, 2);
}

TEST(ParseRequestTest, InvalidUtf8InEveryStringFieldOfEveryRequestIsNamed) {
  // Keeps v1:: types referenced so their descriptors are linked in.
  ASSERT_NE(v1::PublishRequest::descriptor(), nullptr);
  ASSERT_NE(v1::CreateQueueRequest::descriptor(), nullptr);
  ASSERT_NE(v1::SubscribeRequest::descriptor(), nullptr);
  std::vector<std::string> paths;
  for (const pb::Descriptor* type : RequestTypes()) {
    std::vector<Spoiled> spoiled;
    CollectStringFields(
        *type, "", [](pb::Message* root) { return root; }, 0, &spoiled);
    for (const Spoiled& s : spoiled) {
      SCOPED_TRACE(absl::StrCat(type->full_name(), " ", s.path));
      std::unique_ptr<pb::Message> request = New(*type);
      s.spoil(request.get());
      std::string bytes;
      // Serializing logs protobuf's complaint, but sends the bytes anyway.
      ASSERT_TRUE(request->SerializePartialToString(&bytes));

      // What protobuf does on its own: it refuses the whole message.
      std::unique_ptr<pb::Message> parsed = New(*type);
      EXPECT_FALSE(parsed->ParseFromString(bytes));

      absl::Status status = ParseRequest(InSlices(bytes), parsed.get());
      EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
      EXPECT_EQ(status.message(), absl::StrCat(s.path, ": ", s.problem));
      EXPECT_TRUE(core::IsValidUtf8(status.message())) << status;
      EXPECT_EQ(ParseRequest(bytes, parsed.get()), status);
      paths.push_back(absl::StrCat(type->name(), " ", s.path));
    }
  }
  // A few known ones, so that an empty walk cannot pass.
  EXPECT_THAT(paths, Contains("PublishRequest exchange"));
  EXPECT_THAT(paths, Contains("PublishRequest events[2].type"));
  EXPECT_THAT(paths, Contains("PublishRequest events[2].content_type"));
  EXPECT_THAT(paths, Contains("PublishRequest events[2].headers[\"k\"]"));
  EXPECT_THAT(paths,
              Contains("PublishStreamRequest events[2].headers[\"a\\xff\"]"));
  EXPECT_THAT(paths, Contains("CreateQueueRequest bindings[2]"));
  EXPECT_THAT(paths, Contains("SeekConsumerRequest name"));
  EXPECT_THAT(paths, Contains("SubscribeRequest start.consumer"));
  EXPECT_THAT(paths, Contains("FetchRequest queue"));
  EXPECT_THAT(paths, Contains("AckRequest consumer"));
}

TEST(ParseRequestTest, ParsesValidRequests) {
  v1::PublishRequest request;
  request.set_exchange("orders");
  v1::Event* event = request.add_events();
  event->set_type("order.created");
  event->set_payload(std::string("\0\xff", 2));  // bytes need not be UTF-8
  (*event->mutable_headers())["trace"] = "caf\xc3\xa9";
  const std::string bytes = request.SerializeAsString();

  v1::PublishRequest parsed;
  parsed.set_exchange("left over");
  ASSERT_TRUE(ParseRequest(InSlices(bytes), &parsed).ok());
  EXPECT_EQ(parsed.SerializeAsString(), bytes);

  // An empty message is a valid one (every field at its default).
  ASSERT_TRUE(ParseRequest(InSlices(""), &parsed).ok());
  EXPECT_EQ(parsed.events_size(), 0);
  EXPECT_TRUE(parsed.exchange().empty());

  // Unknown fields and known fields with another wire type are kept aside
  // by protobuf, not refused.
  ASSERT_TRUE(ParseRequest(std::string("\x78\x01\x08\x01", 4), &parsed).ok());
}

struct MalformedCase {
  const char* label;
  std::string bytes;
  std::string message;
};

TEST(ParseRequestTest, BrokenWireDataIsNamedWhereItIsFound) {
  const std::string whole =
      "request: not a valid evrouter.v1.PublishRequest (malformed protobuf "
      "encoding)";
  const std::vector<MalformedCase> cases = {
      {"tag without length", "\x0a", whole},
      {"length past the end",
       "\x0a\x05"
       "ab",
       whole},
      {"bad varint",
       std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), whole},
      {"field number 0", std::string("\x00\x01", 2), whole},
      {"group never ended", "\x0b", whole},
      {"inside an event",
       "\x12\x03\x12\x05"
       "a",
       "events[0]: malformed protobuf encoding"},
      {"inside the second event",
       std::string("\x12\x00\x12\x03\x12\x05"
                   "a",
                   7),
       "events[1]: malformed protobuf encoding"},
      {"inside headers", "\x12\x04\x22\x02\x0a\x05",
       "events[0].headers: malformed protobuf encoding"},
  };
  for (const MalformedCase& c : cases) {
    SCOPED_TRACE(c.label);
    v1::PublishRequest parsed;
    ASSERT_FALSE(parsed.ParseFromString(c.bytes));
    absl::Status status = ParseRequest(InSlices(c.bytes), &parsed);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_EQ(status.message(), c.message);
  }
}

TEST(ParseRequestTest, MissingMessageIsInvalid) {
  v1::AckRequest parsed;
  absl::Status status = ParseRequest(grpc::ByteBuffer(), &parsed);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("request: "));
}

TEST(ReadUint64FieldTest, ReadsWhatProtobufWouldEvenFromARefusedRequest) {
  v1::PublishStreamRequest request;
  request.set_batch_id(42);
  request.set_exchange(kNotUtf8);
  const std::string refused = request.SerializePartialAsString();
  ASSERT_FALSE(v1::PublishStreamRequest().ParseFromString(refused));
  EXPECT_EQ(ReadUint64Field(InSlices(refused), 1), 42u);

  // The last occurrence wins; absent is 0; a broken tail keeps what came
  // before it.
  EXPECT_EQ(ReadUint64Field(InSlices("\x08\x01\x08\x07"), 1), 7u);
  EXPECT_EQ(ReadUint64Field(InSlices("\x12\x00"), 1), 0u);
  EXPECT_EQ(ReadUint64Field(InSlices("\x08\x05\x0a"), 1), 5u);
  EXPECT_EQ(ReadUint64Field(grpc::ByteBuffer(), 1), 0u);
}

}  // namespace
}  // namespace evrouter::transport
