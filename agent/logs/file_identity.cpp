#include "agent/logs/file_identity.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string>
#include <system_error>

namespace trib::agent::logs {
namespace {

// Reads up to `length` bytes at `offset`; fewer only at the end of the file.
Result<std::string> read_at(int fd, uint64_t offset, size_t length) {
  std::string out(length, '\0');
  size_t got = 0;
  while (got < length) {
    const ssize_t n = ::pread(fd, out.data() + got, length - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      return Error(std::error_code(errno, std::generic_category()), "pread");
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

}  // namespace

uint64_t hash_bytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = seed;
  for (const char c : bytes) {
    h ^= static_cast<uint8_t>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

Fingerprint fingerprint_of(std::string_view head) {
  head = head.substr(0, kFingerprintBytes);
  return Fingerprint{static_cast<uint32_t>(head.size()), hash_bytes(head)};
}

Result<std::string> read_head(int fd, size_t length) { return read_at(fd, 0, length); }

Result<Fingerprint> take_fingerprint(int fd) {
  TRIB_ASSIGN_OR_RETURN(const std::string head, read_at(fd, 0, kFingerprintBytes));
  return fingerprint_of(head);
}

Result<bool> fingerprint_matches(int fd, const Fingerprint& fingerprint) {
  TRIB_ASSIGN_OR_RETURN(const std::string head, read_at(fd, 0, fingerprint.length));
  return head.size() == fingerprint.length && hash_bytes(head) == fingerprint.hash;
}

Result<bool> is_compressed_archive(int fd) {
  static constexpr std::string_view kMagics[] = {
      std::string_view("\x1f\x8b", 2),          // gzip
      std::string_view("BZh", 3),               // bzip2
      std::string_view("\xfd\x37zXZ\x00", 6),   // xz
      std::string_view("\x28\xb5\x2f\xfd", 4),  // zstd
  };
  TRIB_ASSIGN_OR_RETURN(const std::string head, read_at(fd, 0, 6));
  return std::any_of(std::begin(kMagics), std::end(kMagics),
                     [&](std::string_view magic) { return head.starts_with(magic); });
}

RangeCheck range_check_of(std::string_view tail, uint64_t end) {
  const size_t length = static_cast<size_t>(std::min<uint64_t>({tail.size(), kCheckBytes, end}));
  return RangeCheck{end, static_cast<uint32_t>(length),
                    hash_bytes(tail.substr(tail.size() - length))};
}

Result<RangeCheck> take_range_check(int fd, uint64_t end) {
  const uint64_t length = std::min<uint64_t>(end, kCheckBytes);
  TRIB_ASSIGN_OR_RETURN(const std::string bytes, read_at(fd, end - length, length));
  if (bytes.size() != length) {
    return Error(Errc::not_found, "the file ends before byte " + std::to_string(end));
  }
  return range_check_of(bytes, end);
}

Result<bool> range_check_matches(int fd, const RangeCheck& check) {
  TRIB_ASSIGN_OR_RETURN(const std::string bytes,
                        read_at(fd, check.end - check.length, check.length));
  return bytes.size() == check.length && hash_bytes(bytes) == check.hash;
}

}  // namespace trib::agent::logs
