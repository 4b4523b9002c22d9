#pragma once
// Framing of the native stream protocol (docs/protocol.md §4):
//
//   u32 LE payload length | u8 type | u8 flags | payload
//
// flags bit 0: the payload is `varint decompressed size | zstd frame`; bit 1: a receiver that
// does not know `type` skips the frame instead of failing; other bits must be 0. Payloads use
// LEB128 varints, zigzag varints for signed numbers, `varint length | bytes` strings and
// 8-byte little-endian IEEE 754 doubles.
//
// Both classes belong to one connection and run on its loop; neither blocks nor owns a socket.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.h"
#include "common/stream/messages.h"
#include "common/stream/zstd_codec.h"

namespace trib::stream {

inline constexpr size_t kFrameHeaderSize = 6;
inline constexpr uint8_t kFlagZstd = 0x01;
inline constexpr uint8_t kFlagSkippable = 0x02;

// Hard bounds on what a peer may make the decoder hold. Every count is also bounded by the
// bytes left in the payload, so no count can allocate more than its payload justifies.
struct FrameLimits {
  size_t max_frame_payload = 16 * 1024 * 1024;  // checked from the header, before buffering
  size_t max_decompressed = 64 * 1024 * 1024;   // declared size of a compressed payload
  size_t max_string = 64 * 1024;
  size_t max_labels = 4096;              // per HostDef
  size_t max_dimensions = 65536;         // per ChartDef
  size_t max_rows = 1024 * 1024;         // per Samples
  size_t max_values_per_row = 65536;     // per Samples row
  size_t max_log_line = 1024 * 1024;     // bytes of one LogRecord line (max_line_bytes is below)
  size_t max_log_sources = 65536;        // per Logs
  size_t max_log_records = 1024 * 1024;  // per Logs
  size_t max_attributes = 4096;          // per LogSource or LogRecord
  size_t max_gaps = 65536;               // per Gaps
};

struct EncoderOptions {
  bool compress = false;            // only when `zstd` was granted
  int zstd_level = 1;               // low: streaming favours CPU over ratio
  size_t min_compress_bytes = 256;  // smaller payloads are sent as they are
};

class FrameEncoder {
 public:
  explicit FrameEncoder(EncoderOptions options = {});

  // One frame. A payload is compressed when compression is on, it is at least
  // min_compress_bytes long and compressing it makes it smaller. The caller keeps messages
  // below the receiver's FrameLimits (batches of at most a few MiB).
  std::string encode(const Message& message);
  // A Logs frame, without first copying the batch into a Message.
  std::string encode(const LogsMsg& logs);
  // A Samples frame, likewise without the copy.
  std::string encode(const SamplesMsg& samples);
  // Appends one frame to `out`, so a writer can batch frames into one buffer.
  void append(const Message& message, std::string& out);

 private:
  // Frames `payload`, compressed when the options say so.
  void append_payload(FrameType type, std::string_view payload, std::string& out);

  EncoderOptions options_;
  ZstdCompressor compressor_;
  std::string payload_;  // reused scratch buffer
  // Scratch buffers of a megabyte or more (log batches) that keep their size between frames:
  // shrinking and growing a string again would zero-fill the room on every frame.
  std::string logs_payload_;
  std::string compressed_;
};

class FrameDecoder {
 public:
  explicit FrameDecoder(FrameLimits limits = {}, bool compression_allowed = false);

  // Buffers received bytes; call next() until it returns nullopt.
  void feed(std::string_view bytes);
  // The next complete message, nullopt when more bytes are needed, protocol_error for anything
  // malformed or over a limit (a frame over max_frame_payload fails as soon as its header is
  // in). After an error the decoder stays failed, drops its buffer and returns the same error.
  Result<std::optional<Message>> next();

  size_t buffered_bytes() const { return buffer_.size() - read_pos_; }

 private:
  Result<std::optional<Message>> fail(Error error);
  Result<std::string_view> plain_payload(uint8_t flags, std::string_view payload);

  FrameLimits limits_;
  bool compression_allowed_;
  ZstdDecompressor decompressor_;
  std::string buffer_;
  size_t read_pos_ = 0;
  std::string decompressed_;
  std::optional<Error> failure_;
};

}  // namespace trib::stream
