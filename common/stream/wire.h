#pragma once
// Primitive encodings of the native protocol's payloads (docs/protocol.md §4.1): LEB128 varints,
// zigzag varints, length-prefixed strings, little-endian doubles.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "common/base/error.h"

namespace trib::stream::wire {

void put_u8(std::string& out, uint8_t value);
void put_varint(std::string& out, uint64_t value);
void put_zigzag(std::string& out, int64_t value);
void put_string(std::string& out, std::string_view value);
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
  uint64_t varint(const char* what);
  uint32_t varint_u32(const char* what);
  int64_t zigzag(const char* what);
  int32_t zigzag_i32(const char* what);
  std::string string(const char* what);
  // A string with its own bound instead of max_string (log lines may be longer than names).
  std::string string_up_to(const char* what, size_t max);
  double float64(const char* what);
  // out.size() doubles in a row (a Samples row's values: one bounds check for all of them).
  void float64s(const char* what, std::span<double> out);
  // A count of items that each take at least `min_item_bytes`: more than `limit`, or more than
  // the remaining bytes can hold, is an error (so it never drives a large allocation).
  size_t count(const char* what, size_t limit, size_t min_item_bytes);

  void fail(std::string message);
  bool ok() const { return !error_; }
  bool at_end() const { return pos_ == bytes_.size(); }
  size_t remaining() const { return bytes_.size() - pos_; }
  const std::optional<Error>& error() const { return error_; }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
  size_t max_string_;
  std::optional<Error> error_;
};

}  // namespace trib::stream::wire
