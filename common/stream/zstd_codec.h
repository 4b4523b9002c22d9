#pragma once
// RAII owners of zstd contexts, reused across frames (a context is expensive to create). Each
// belongs to one connection and is used on that connection's loop only.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "common/base/result.h"

struct ZSTD_CCtx_s;
struct ZSTD_DCtx_s;

namespace trib::stream {

class ZstdCompressor {
 public:
  explicit ZstdCompressor(int level);
  // Appends the zstd frame of `input` (with its content size in the header) to `out`.
  Status compress(std::string_view input, std::string& out);
  // The same into `capacity` bytes at `out`, at least bound(input.size()); returns the frame's
  // size. For a caller that reuses one buffer (growing a string zero-fills the new room).
  Result<size_t> compress_to(std::string_view input, char* out, size_t capacity);
  // The most bytes a frame of `input_size` bytes can take.
  static size_t bound(size_t input_size);

 private:
  struct Free {
    void operator()(ZSTD_CCtx_s* ctx) const;
  };
  std::unique_ptr<ZSTD_CCtx_s, Free> ctx_;
  int level_;
};

class ZstdDecompressor {
 public:
  ZstdDecompressor();
  // Decompresses one zstd frame that must expand to exactly `expected_size` bytes. The frame's
  // declared content size is checked first and the output buffer is never larger than
  // `expected_size`, so a frame that claims or expands to more is an error, not an allocation.
  Result<std::string> decompress(std::string_view frame, size_t expected_size);
  // The same into `out`, whose buffer is reused: a stream of megabyte frames neither allocates
  // nor zero-fills a new buffer for each. On error `out` holds no meaningful bytes.
  Status decompress_into(std::string_view frame, size_t expected_size, std::string& out);

 private:
  struct Free {
    void operator()(ZSTD_DCtx_s* ctx) const;
  };
  std::unique_ptr<ZSTD_DCtx_s, Free> ctx_;
};

}  // namespace trib::stream
