#pragma once
// What makes a log file the same file: device + inode, a fingerprint of its head, and a check of
// the bytes just before a position (a checkpoint). Inode reuse changes the head, truncation makes
// the file shorter than the position, and truncate-then-regrow changes the bytes before it; each
// is a new generation of the file. Pure functions over an open descriptor (pread), any thread.

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/base/result.h"

namespace trib::agent::logs {

inline constexpr size_t kFingerprintBytes = 256;  // of the head
inline constexpr size_t kCheckBytes = 64;         // before a checkpoint

// 64-bit FNV-1a: small inputs, stable across builds and versions (it is stored on disk).
uint64_t hash_bytes(std::string_view bytes, uint64_t seed = 0xcbf29ce484222325ULL);

struct Fingerprint {
  uint32_t length = 0;  // bytes hashed: min(file size when taken, kFingerprintBytes)
  uint64_t hash = 0;
  bool operator==(const Fingerprint&) const = default;
};

struct FileIdentity {
  uint64_t device = 0;
  uint64_t inode = 0;
  bool operator==(const FileIdentity&) const = default;
  bool operator<(const FileIdentity& o) const {
    return device != o.device ? device < o.device : inode < o.inode;
  }
};

// The hash of `length` bytes ending at `end` (fewer at the start of the file).
struct RangeCheck {
  uint64_t end = 0;
  uint32_t length = 0;
  uint64_t hash = 0;
  bool operator==(const RangeCheck&) const = default;
};

Result<Fingerprint> take_fingerprint(int fd);
// The fingerprint of bytes already read from the head (at most kFingerprintBytes are hashed).
Fingerprint fingerprint_of(std::string_view head);
// Up to `length` bytes from the start of the file.
Result<std::string> read_head(int fd, size_t length);
// The fingerprint's bytes are still what they were (the file may have grown past them).
Result<bool> fingerprint_matches(int fd, const Fingerprint& fingerprint);
Result<RangeCheck> take_range_check(int fd, uint64_t end);
Result<bool> range_check_matches(int fd, const RangeCheck& check);
// The file starts like a gzip, bzip2, xz or zstd archive: a rotated log compressed by logrotate,
// a copy of lines already read, never a log to follow.
Result<bool> is_compressed_archive(int fd);
// From the bytes already in memory that end at `end` (`tail` holds the last bytes before it).
RangeCheck range_check_of(std::string_view tail, uint64_t end);

}  // namespace trib::agent::logs
