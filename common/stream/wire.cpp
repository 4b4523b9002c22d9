#include "common/stream/wire.h"

#include <bit>
#include <cstring>

namespace trib::stream::wire {

void put_double(std::string& out, double value) {
  uint64_t bits = std::bit_cast<uint64_t>(value);
  for (int i = 0; i < 8; ++i) {
    out.push_back(static_cast<char>(bits & 0xFF));
    bits >>= 8;
  }
}

void put_u32_le(std::string& out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out.push_back(static_cast<char>(value & 0xFF));
    value >>= 8;
  }
}

uint32_t get_u32_le(const char* bytes) {
  uint32_t value = 0;
  for (int i = 3; i >= 0; --i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

void Reader::fail(std::string message) {
  if (!error_) error_ = Error(Errc::protocol_error, std::move(message));
  pos_ = bytes_.size();
}

uint8_t Reader::u8(const char* what) {
  if (!ok()) return 0;
  if (remaining() < 1) {
    fail(std::string("truncated ") + what);
    return 0;
  }
  return static_cast<uint8_t>(bytes_[pos_++]);
}

uint64_t Reader::varint_slow(const char* what) {
  if (!ok()) return 0;
  if (remaining() >= 10) {
    // No varint is longer: no bounds check per byte (log records carry several 2-6 byte ones).
    const auto* p = reinterpret_cast<const uint8_t*>(bytes_.data() + pos_);
    uint64_t value = 0;
    for (int i = 0; i < 10; ++i) {
      const uint8_t byte = p[i];
      if (i == 9 && byte > 1) break;  // the tenth byte may only carry the top bit of a uint64
      value |= static_cast<uint64_t>(byte & 0x7F) << (7 * i);
      if ((byte & 0x80) == 0) {
        pos_ += static_cast<size_t>(i) + 1;
        return value;
      }
    }
    fail(std::string("varint overflows 64 bits in ") + what);
    return 0;
  }
  uint64_t value = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (remaining() < 1) {
      fail(std::string("truncated varint in ") + what);
      return 0;
    }
    const auto byte = static_cast<uint8_t>(bytes_[pos_++]);
    // The tenth byte may only carry the top bit of a uint64.
    if (shift == 63 && byte > 1) break;
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) return value;
  }
  fail(std::string("varint overflows 64 bits in ") + what);
  return 0;
}

uint32_t Reader::varint_u32(const char* what) {
  const uint64_t value = varint(what);
  if (value > UINT32_MAX) {
    fail(std::string(what) + " does not fit 32 bits");
    return 0;
  }
  return static_cast<uint32_t>(value);
}

int64_t Reader::zigzag(const char* what) {
  const uint64_t u = varint(what);
  return static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
}

int32_t Reader::zigzag_i32(const char* what) {
  const int64_t value = zigzag(what);
  if (value < INT32_MIN || value > INT32_MAX) {
    fail(std::string(what) + " does not fit 32 bits");
    return 0;
  }
  return static_cast<int32_t>(value);
}

std::string Reader::string(const char* what) { return string_up_to(what, max_string_); }

std::string Reader::string_up_to(const char* what, size_t max) {
  return std::string(view_up_to(what, max));
}

std::string_view Reader::view_up_to(const char* what, size_t max) {
  const uint64_t size = varint(what);
  if (!ok()) return {};
  if (size > max) {
    fail(std::string(what) + " is " + std::to_string(size) + " bytes, the limit is " +
         std::to_string(max));
    return {};
  }
  if (size > remaining()) {
    fail(std::string("truncated ") + what);
    return {};
  }
  const std::string_view value = bytes_.substr(pos_, size);
  pos_ += size;
  return value;
}

double Reader::float64(const char* what) {
  if (!ok()) return 0;
  if (remaining() < 8) {
    fail(std::string("truncated ") + what);
    return 0;
  }
  uint64_t bits = 0;
  for (int i = 7; i >= 0; --i) bits = (bits << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
  pos_ += 8;
  return std::bit_cast<double>(bits);
}

void Reader::float64s(const char* what, std::span<double> out) {
  if (!ok()) return;
  if (remaining() / 8 < out.size()) {
    fail(std::string("truncated ") + what);
    return;
  }
  if (out.empty()) return;  // memcpy must not see the null data() of an empty span
  const char* in = bytes_.data() + pos_;
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(out.data(), in, out.size() * 8);
  } else {
    for (size_t i = 0; i < out.size(); ++i) {
      uint64_t bits = 0;
      for (int b = 7; b >= 0; --b)
        bits = (bits << 8) | static_cast<uint8_t>(in[i * 8 + static_cast<size_t>(b)]);
      out[i] = std::bit_cast<double>(bits);
    }
  }
  pos_ += out.size() * 8;
}

size_t Reader::checked_count(const char* what, uint64_t n, size_t limit, size_t min_item_bytes) {
  if (!ok()) return 0;
  if (n > limit) {
    fail(std::string(what) + " is " + std::to_string(n) + ", the limit is " +
         std::to_string(limit));
    return 0;
  }
  if (n > remaining() / min_item_bytes) {
    fail(std::string(what) + " is " + std::to_string(n) + ", more than the " +
         std::to_string(remaining()) + " bytes left can hold");
    return 0;
  }
  return static_cast<size_t>(n);
}

}  // namespace trib::stream::wire
