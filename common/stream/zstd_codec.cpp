#include "common/stream/zstd_codec.h"

#include <zstd.h>

namespace trib::stream {

void ZstdCompressor::Free::operator()(ZSTD_CCtx_s* ctx) const { ZSTD_freeCCtx(ctx); }
void ZstdDecompressor::Free::operator()(ZSTD_DCtx_s* ctx) const { ZSTD_freeDCtx(ctx); }

ZstdCompressor::ZstdCompressor(int level) : ctx_(ZSTD_createCCtx()), level_(level) {}

Status ZstdCompressor::compress(std::string_view input, std::string& out) {
  const size_t old_size = out.size();
  out.resize(old_size + bound(input.size()));
  auto written = compress_to(input, out.data() + old_size, out.size() - old_size);
  out.resize(old_size + (written.ok() ? *written : 0));
  if (!written.ok()) return written.take_error();
  return {};
}

Result<size_t> ZstdCompressor::compress_to(std::string_view input, char* out, size_t capacity) {
  if (!ctx_) return Error(Errc::io_error, "zstd: cannot allocate a compression context");
  const size_t written =
      ZSTD_compressCCtx(ctx_.get(), out, capacity, input.data(), input.size(), level_);
  if (ZSTD_isError(written)) return Error(zstd_error(written), "zstd: compressing a frame payload");
  return written;
}

size_t ZstdCompressor::bound(size_t input_size) { return ZSTD_compressBound(input_size); }

ZstdDecompressor::ZstdDecompressor() = default;

Result<std::string> ZstdDecompressor::decompress(std::string_view frame, size_t expected_size) {
  std::string out;
  TRIB_TRY(decompress_into(frame, expected_size, out));
  return out;
}

Status ZstdDecompressor::decompress_into(std::string_view frame, size_t expected_size,
                                         std::string& out) {
  // Created on first use: a context is about 100 KiB, and most decoders never decompress (a
  // session without zstd, a stored definition decoded at start).
  if (!ctx_) ctx_.reset(ZSTD_createDCtx());
  if (!ctx_) return Error(Errc::io_error, "zstd: cannot allocate a decompression context");
  const unsigned long long declared = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return Error(Errc::protocol_error, "compressed payload is not a zstd frame");
  }
  if (declared == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Error(Errc::protocol_error, "zstd frame does not declare its content size");
  }
  if (declared != expected_size) {
    return Error(Errc::protocol_error, "zstd frame declares " + std::to_string(declared) +
                                           " bytes, the frame header " +
                                           std::to_string(expected_size));
  }
  // Shrinking keeps the buffer and writes nothing; only growth is zero-filled.
  out.resize(expected_size);
  const size_t written =
      ZSTD_decompressDCtx(ctx_.get(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(written)) {
    // The peer sent it, so it is a protocol error; zstd's own name says what was wrong.
    return Error(Errc::protocol_error,
                 std::string("corrupt zstd payload: ") + ZSTD_getErrorName(written));
  }
  if (written != expected_size) {
    return Error(Errc::protocol_error, "zstd frame expanded to " + std::to_string(written) +
                                           " bytes, expected " + std::to_string(expected_size));
  }
  return {};
}

}  // namespace trib::stream
