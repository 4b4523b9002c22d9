#pragma once
// Primitive encodings of the native protocol's payloads (docs/protocol.md §4.1): LEB128 varints,
// zigzag varints, length-prefixed strings, little-endian doubles.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/base/error.h"

namespace trib::stream::wire {

// Inline: log batches put a few of these per line, millions of lines per second.
inline void put_u8(std::string& out, uint8_t value) { out.push_back(static_cast<char>(value)); }

inline void put_varint(std::string& out, uint64_t value) {
  char bytes[10];
  size_t n = 0;
  while (value >= 0x80) {
    bytes[n++] = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  bytes[n++] = static_cast<char>(value);
  out.append(bytes, n);
}

inline void put_zigzag(std::string& out, int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  put_varint(out, (u << 1) ^ (value < 0 ? ~uint64_t{0} : uint64_t{0}));
}

inline void put_string(std::string& out, std::string_view value) {
  put_varint(out, value.size());
  out += value;
}

// The same at a raw position with room enough, returning the end: an encoder of millions of log
// records sizes its buffer once per batch rather than checking its capacity per field.
inline constexpr size_t kMaxVarintBytes = 10;

inline char* put_varint(char* out, uint64_t value) {
  while (value >= 0x80) {
    *out++ = static_cast<char>((value & 0x7F) | 0x80);
    value >>= 7;
  }
  *out++ = static_cast<char>(value);
  return out;
}

inline char* put_zigzag(char* out, int64_t value) {
  const auto u = static_cast<uint64_t>(value);
  return put_varint(out, (u << 1) ^ (value < 0 ? ~uint64_t{0} : uint64_t{0}));
}

inline char* put_string(char* out, std::string_view value) {
  out = put_varint(out, value.size());
  if (!value.empty()) std::memcpy(out, value.data(), value.size());
  return out + value.size();
}

// Bytes put_string() writes at most.
inline size_t string_bound(std::string_view value) { return kMaxVarintBytes + value.size(); }

void put_double(std::string& out, double value);
void put_u32_le(std::string& out, uint32_t value);
uint32_t get_u32_le(const char* bytes);

// Reads a payload front to back. The first failure sticks: later reads return zeros and
// error() names the first field that was wrong, so a decoder checks once at the end (and in
// loops, so garbage counts cannot spin).
class Reader {
 public:
  Reader(std::string_view bytes, size_t max_string) : bytes_(bytes), max_string_(max_string) {}

  uint8_t u8(const char* what);
  uint64_t varint(const char* what) {
    // Inline, without a bounds check per byte while a longest varint fits (a failed reader has
    // nothing left): log records carry several of 1 to 6 bytes each.
    if (remaining() >= kMaxVarintBytes) {
      const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data() + pos_);
      uint64_t value = 0;
      for (size_t i = 0; i + 1 < kMaxVarintBytes; ++i) {
        value |= static_cast<uint64_t>(p[i] & 0x7F) << (7 * i);
        if (p[i] < 0x80) {
          pos_ += i + 1;
          return value;
        }
      }
    }
    return varint_slow(what);  // a tenth byte, the payload's last bytes, or an error
  }
  uint32_t varint_u32(const char* what);
  int64_t zigzag(const char* what);
  int32_t zigzag_i32(const char* what);
  std::string string(const char* what);
  // A string with its own bound instead of max_string (log lines may be longer than names).
  std::string string_up_to(const char* what, size_t max);
  // The same string as a view into the bytes being read (no copy; valid while they are).
  std::string_view view_up_to(const char* what, size_t max);
  double float64(const char* what);
  // out.size() doubles in a row (a Samples row's values: one bounds check for all of them).
  void float64s(const char* what, std::span<double> out);
  // A count of items that each take at least `min_item_bytes`: more than `limit`, or more than
  // the remaining bytes can hold, is an error (so it never drives a large allocation).
  size_t count(const char* what, size_t limit, size_t min_item_bytes) {
    const uint64_t n = varint(what);
    if (n == 0) return 0;  // most attribute lists; also what a failed read returns
    return checked_count(what, n, limit, min_item_bytes);
  }

  void fail(std::string message);
  bool ok() const { return !error_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }
  const std::optional<Error>& error() const { return error_; }

 private:
  uint64_t varint_slow(const char* what);
  size_t checked_count(const char* what, uint64_t n, size_t limit, size_t min_item_bytes);

  std::string_view bytes_;
  size_t pos_ = 0;
  size_t max_string_;
  std::optional<Error> error_;
};

}  // namespace trib::stream::wire
