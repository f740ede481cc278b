#include "storage/uuid.h"

#include <cstdint>

#include "absl/random/random.h"

namespace evrouter {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> ParseUuid(absl::string_view text) {
  if (text.size() != 36) return std::nullopt;
  std::string bytes;
  bytes.reserve(16);
  for (size_t i = 0; i < text.size();) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (text[i] != '-') return std::nullopt;
      ++i;
      continue;
    }
    int high = HexValue(text[i]);
    int low = HexValue(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    bytes.push_back(static_cast<char>(high << 4 | low));
    i += 2;
  }
  return bytes;
}

std::string FormatUuid(absl::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    auto byte = static_cast<unsigned char>(bytes[i]);
    text.push_back(kHex[byte >> 4]);
    text.push_back(kHex[byte & 0xf]);
  }
  return text;
}

std::string NewUuidV7(absl::Time now) {
  thread_local absl::BitGen gen;
  uint64_t millis = static_cast<uint64_t>(absl::ToUnixMillis(now));
  uint64_t random_a = absl::Uniform<uint64_t>(gen);
  uint64_t random_b = absl::Uniform<uint64_t>(gen);
  std::string bytes(16, '\0');
  for (int i = 0; i < 6; ++i)
    bytes[i] = static_cast<char>(millis >> (40 - 8 * i));
  for (int i = 6; i < 16; ++i) {
    uint64_t source = i < 8 ? random_a : random_b;
    bytes[i] = static_cast<char>(source >> (8 * (i % 8)));
  }
  bytes[6] = static_cast<char>(0x70 | (bytes[6] & 0x0f));  // version 7
  bytes[8] = static_cast<char>(0x80 | (bytes[8] & 0x3f));  // variant 10
  return bytes;
}

}  // namespace evrouter
