#include "common/stream/frame.h"

#include <cassert>
#include <type_traits>

#include "common/stream/wire.h"

namespace trib::stream {
namespace {

constexpr uint8_t kKnownFlags = kFlagZstd | kFlagSkippable;
constexpr uint8_t kDimensionHidden = 0x01;
// A zstd frame is never shorter than this (magic number + frame header + a block header).
constexpr size_t kMinZstdFrame = 9;

// ---- encoding ----

void put_host_info(std::string& out, const model::HostInfo& host) {
  wire::put_string(out, host.machine_guid);
  wire::put_string(out, host.hostname);
  wire::put_string(out, host.os);
  wire::put_string(out, host.timezone);
  wire::put_string(out, host.program_name);
  wire::put_string(out, host.program_version);
  wire::put_zigzag(out, host.update_every);
  wire::put_zigzag(out, host.hops);
  wire::put_varint(out, host.labels.size());
  for (const auto& [name, value] : host.labels) {
    wire::put_string(out, name);
    wire::put_string(out, value);
  }
}

void put_chart_def(std::string& out, const model::ChartDef& def) {
  wire::put_string(out, def.id);
  wire::put_string(out, def.name);
  wire::put_string(out, def.title);
  wire::put_string(out, def.units);
  wire::put_string(out, def.family);
  wire::put_string(out, def.context);
  wire::put_u8(out, static_cast<uint8_t>(def.chart_type));
  wire::put_zigzag(out, def.priority);
  wire::put_zigzag(out, def.update_every);
  wire::put_string(out, def.plugin);
  wire::put_string(out, def.module);
  wire::put_varint(out, def.dimensions.size());
  for (const model::DimensionDef& dim : def.dimensions) {
    wire::put_string(out, dim.id);
    wire::put_string(out, dim.name);
    wire::put_u8(out, static_cast<uint8_t>(dim.algorithm));
    wire::put_zigzag(out, dim.multiplier);
    wire::put_zigzag(out, dim.divisor);
    wire::put_u8(out, dim.hidden ? kDimensionHidden : 0);
  }
}

using Attributes = std::vector<std::pair<std::string, std::string>>;

// Bytes a record takes at most: four varints, the flags, the line, the attribute count and the
// attributes.
size_t record_bound(const LogRecord& record) {
  size_t bytes =
      4 * wire::kMaxVarintBytes + 1 + wire::string_bound(record.line) + wire::kMaxVarintBytes;
  for (const auto& [name, value] : record.attributes) {
    bytes += wire::string_bound(name) + wire::string_bound(value);
  }
  return bytes;
}

char* put_attributes(char* out, const Attributes& attributes) {
  out = wire::put_varint(out, attributes.size());
  for (const auto& [name, value] : attributes) {
    out = wire::put_string(out, name);
    out = wire::put_string(out, value);
  }
  return out;
}

// Bytes put_logs() writes at most.
size_t logs_bound(const LogsMsg& msg) {
  size_t bytes = 4 * wire::kMaxVarintBytes;  // host slot, seq, the two counts
  for (const LogSource& source : msg.sources) {
    bytes += wire::string_bound(source.path) + wire::kMaxVarintBytes;
    for (const auto& [name, value] : source.attributes) {
      bytes += wire::string_bound(name) + wire::string_bound(value);
    }
  }
  for (const LogRecord& record : msg.records) bytes += record_bound(record);
  return bytes;
}

// At a raw position with room for logs_bound(msg): a megabyte of lines is not written field by
// field into a string that checks its capacity each time.
char* put_logs(char* out, const LogsMsg& msg) {
  out = wire::put_varint(out, msg.host_slot);
  out = wire::put_varint(out, msg.seq);
  out = wire::put_varint(out, msg.sources.size());
  for (const LogSource& source : msg.sources) {
    out = wire::put_string(out, source.path);
    out = put_attributes(out, source.attributes);
  }
  out = wire::put_varint(out, msg.records.size());
  for (const LogRecord& record : msg.records) {
    out = wire::put_varint(out, record.source);
    out = wire::put_varint(out, record.generation);
    out = wire::put_varint(out, record.offset);
    out = wire::put_zigzag(out, record.time_ms);
    *out++ = static_cast<char>(record.flags);
    out = wire::put_string(out, record.line);
    out = put_attributes(out, record.attributes);
  }
  return out;
}

void put_logs(std::string& out, const LogsMsg& msg) {
  const size_t start = out.size();
  out.resize(start + logs_bound(msg));
  const char* end = put_logs(out.data() + start, msg);
  out.resize(static_cast<size_t>(end - out.data()));
}

void put_samples(std::string& out, const SamplesMsg& msg) {
  wire::put_varint(out, msg.host_slot);
  wire::put_varint(out, msg.seq);
  wire::put_varint(out, msg.rows.size());
  for (const SamplesMsg::Row& row : msg.rows) {
    wire::put_varint(out, row.chart_slot);
    wire::put_zigzag(out, row.timestamp);
    wire::put_varint(out, row.value_count);
    for (const double value : msg.values_of(row)) wire::put_double(out, value);
  }
}

void put_gaps(std::string& out, const GapsMsg& msg) {
  wire::put_varint(out, msg.host_slot);
  wire::put_varint(out, msg.seq);
  wire::put_varint(out, msg.gaps.size());
  for (const LogGap& gap : msg.gaps) {
    wire::put_string(out, gap.source);
    wire::put_varint(out, gap.generation);
    wire::put_varint(out, gap.from);
    wire::put_varint(out, gap.to);
    wire::put_zigzag(out, gap.time_ms);
    wire::put_string(out, gap.reason);
  }
  // Optional at the end: a frame without metric gaps is what receivers before them read.
  if (msg.metric_gaps.empty()) return;
  wire::put_varint(out, msg.metric_gaps.size());
  for (const MetricGap& gap : msg.metric_gaps) {
    wire::put_zigzag(out, gap.from_s);
    wire::put_zigzag(out, gap.to_s);
    wire::put_zigzag(out, gap.time_ms);
    wire::put_string(out, gap.reason);
  }
}

void put_payload(std::string& out, const Message& message) {
  std::visit(
      [&out](const auto& msg) {
        using T = std::decay_t<decltype(msg)>;
        if constexpr (std::is_same_v<T, HostDefMsg>) {
          wire::put_varint(out, msg.host_slot);
          put_host_info(out, msg.info);
        } else if constexpr (std::is_same_v<T, ChartDefMsg>) {
          wire::put_varint(out, msg.host_slot);
          wire::put_varint(out, msg.chart_slot);
          put_chart_def(out, msg.def);
        } else if constexpr (std::is_same_v<T, SamplesMsg>) {
          put_samples(out, msg);
        } else if constexpr (std::is_same_v<T, AckMsg>) {
          wire::put_varint(out, msg.host_slot);
          wire::put_varint(out, msg.seq);
        } else if constexpr (std::is_same_v<T, HostResumeMsg>) {
          wire::put_varint(out, msg.host_slot);
          wire::put_varint(out, msg.last_stored_seq);
        } else if constexpr (std::is_same_v<T, KeepaliveMsg>) {
          // no payload
        } else if constexpr (std::is_same_v<T, GoodbyeMsg>) {
          wire::put_varint(out, msg.host_slot);
          wire::put_string(out, msg.reason);
        } else if constexpr (std::is_same_v<T, LogsMsg>) {
          put_logs(out, msg);
        } else if constexpr (std::is_same_v<T, GapsMsg>) {
          put_gaps(out, msg);
        } else {
          static_assert(!sizeof(T), "every message needs an encoding");
        }
      },
      message);
}

void put_frame(std::string& out, FrameType type, uint8_t flags, std::string_view payload) {
  assert(payload.size() <= UINT32_MAX && "callers keep batches far below 4 GiB");
  wire::put_u32_le(out, static_cast<uint32_t>(payload.size()));
  wire::put_u8(out, static_cast<uint8_t>(type));
  wire::put_u8(out, flags);
  out += payload;
}

// ---- decoding ----

model::HostInfo read_host_info(wire::Reader& in, const FrameLimits& limits) {
  model::HostInfo host;
  host.machine_guid = in.string("machine_guid");
  host.hostname = in.string("hostname");
  host.os = in.string("os");
  host.timezone = in.string("timezone");
  host.program_name = in.string("program_name");
  host.program_version = in.string("program_version");
  host.update_every = in.zigzag_i32("update_every");
  host.hops = in.zigzag_i32("hops");
  const size_t labels = in.count("label count", limits.max_labels, 2);
  for (size_t i = 0; i < labels && in.ok(); ++i) {
    std::string name = in.string("label name");
    std::string value = in.string("label value");
    host.labels.emplace_back(std::move(name), std::move(value));
  }
  return host;
}

model::DimensionDef read_dimension(wire::Reader& in) {
  model::DimensionDef dim;
  dim.id = in.string("dimension id");
  dim.name = in.string("dimension name");
  const uint8_t algorithm = in.u8("dimension algorithm");
  if (algorithm > static_cast<uint8_t>(model::Algorithm::percentage_of_incremental_row)) {
    in.fail("unknown dimension algorithm " + std::to_string(algorithm));
  }
  dim.algorithm = static_cast<model::Algorithm>(algorithm);
  dim.multiplier = in.zigzag("dimension multiplier");
  dim.divisor = in.zigzag("dimension divisor");
  const uint8_t flags = in.u8("dimension flags");
  if (flags & ~kDimensionHidden) in.fail("unknown dimension flags " + std::to_string(flags));
  dim.hidden = (flags & kDimensionHidden) != 0;
  return dim;
}

model::ChartDef read_chart_def(wire::Reader& in, const FrameLimits& limits) {
  model::ChartDef def;
  def.id = in.string("chart id");
  def.name = in.string("chart name");
  def.title = in.string("chart title");
  def.units = in.string("chart units");
  def.family = in.string("chart family");
  def.context = in.string("chart context");
  const uint8_t chart_type = in.u8("chart type");
  if (chart_type > static_cast<uint8_t>(model::ChartType::stacked)) {
    in.fail("unknown chart type " + std::to_string(chart_type));
  }
  def.chart_type = static_cast<model::ChartType>(chart_type);
  def.priority = in.zigzag_i32("chart priority");
  def.update_every = in.zigzag_i32("chart update_every");
  def.plugin = in.string("chart plugin");
  def.module = in.string("chart module");
  // A dimension takes at least 6 bytes: two empty strings, algorithm, two varints, flags.
  const size_t dims = in.count("dimension count", limits.max_dimensions, 6);
  def.dimensions.reserve(dims);
  for (size_t i = 0; i < dims && in.ok(); ++i) def.dimensions.push_back(read_dimension(in));
  return def;
}

SamplesMsg read_samples(wire::Reader& in, const FrameLimits& limits) {
  SamplesMsg msg;
  msg.host_slot = in.varint_u32("host_slot");
  msg.seq = in.varint("seq");
  // A row takes at least 3 bytes: chart slot, timestamp, value count.
  const size_t rows = in.count("row count", limits.max_rows, 3);
  msg.rows.reserve(rows);
  // Every value takes 8 bytes: the payload bounds them all, so one allocation holds them.
  msg.values.reserve(in.remaining() / 8);
  for (size_t i = 0; i < rows && in.ok(); ++i) {
    SamplesMsg::Row& row = msg.rows.emplace_back();
    row.chart_slot = in.varint_u32("row chart_slot");
    row.timestamp = in.zigzag("row timestamp");
    const size_t values = in.count("row value count", limits.max_values_per_row, 8);
    row.first_value = static_cast<uint32_t>(msg.values.size());
    row.value_count = static_cast<uint32_t>(values);
    msg.values.resize(msg.values.size() + values);  // count() bounded it by the bytes left
    in.float64s("value", std::span<double>(msg.values).subspan(row.first_value));
  }
  return msg;
}

std::vector<std::pair<std::string, std::string>> read_attributes(wire::Reader& in,
                                                                 const FrameLimits& limits) {
  std::vector<std::pair<std::string, std::string>> attributes;
  const size_t count = in.count("attribute count", limits.max_attributes, 2);
  attributes.reserve(count);
  for (size_t i = 0; i < count && in.ok(); ++i) {
    std::string name = in.string("attribute name");
    std::string value = in.string("attribute value");
    attributes.emplace_back(std::move(name), std::move(value));
  }
  return attributes;
}

LogsMsg read_logs(wire::Reader& in, const FrameLimits& limits) {
  LogsMsg msg;
  msg.host_slot = in.varint_u32("host_slot");
  msg.seq = in.varint("seq");
  // A source takes at least 2 bytes (empty path, no attributes).
  const size_t sources = in.count("log source count", limits.max_log_sources, 2);
  msg.sources.reserve(sources);
  for (size_t i = 0; i < sources && in.ok(); ++i) {
    LogSource& source = msg.sources.emplace_back();
    source.path = in.string("log source path");
    source.attributes = read_attributes(in, limits);
  }
  // A record takes at least 7 bytes: four varints, flags, an empty line, no attributes.
  const size_t records = in.count("log record count", limits.max_log_records, 7);
  msg.records.reserve(records);
  for (size_t i = 0; i < records && in.ok(); ++i) {
    LogRecord& record = msg.records.emplace_back();
    record.source = in.varint_u32("log record source");
    if (in.ok() && record.source >= msg.sources.size()) {
      in.fail("log record names source " + std::to_string(record.source) + " of " +
              std::to_string(msg.sources.size()));
    }
    record.generation = in.varint("log record generation");
    record.offset = in.varint("log record offset");
    record.time_ms = in.zigzag("log record time");
    record.flags = in.u8("log record flags");
    if (record.flags & ~kLogRecordFlags) {
      in.fail("unknown log record flags " + std::to_string(record.flags));
    }
    record.line = in.string_up_to("log record line", limits.max_log_line);
    record.attributes = read_attributes(in, limits);
  }
  return msg;
}

GapsMsg read_gaps(wire::Reader& in, const FrameLimits& limits) {
  GapsMsg msg;
  msg.host_slot = in.varint_u32("host_slot");
  msg.seq = in.varint("seq");
  // A gap takes at least 6 bytes: an empty source, four varints, an empty reason.
  const size_t gaps = in.count("gap count", limits.max_gaps, 6);
  msg.gaps.reserve(gaps);
  for (size_t i = 0; i < gaps && in.ok(); ++i) {
    LogGap& gap = msg.gaps.emplace_back();
    gap.source = in.string("gap source");
    gap.generation = in.varint("gap generation");
    gap.from = in.varint("gap from");
    gap.to = in.varint("gap to");
    if (in.ok() && gap.to < gap.from) in.fail("gap ends before it starts");
    gap.time_ms = in.zigzag("gap time");
    gap.reason = in.string("gap reason");
  }
  if (!in.ok() || in.at_end()) return msg;
  // A metric gap takes at least 4 bytes: three varints and an empty reason.
  const size_t metric_gaps = in.count("metric gap count", limits.max_gaps, 4);
  if (in.ok() && metric_gaps == 0) in.fail("an empty metric gap list is sent as none");
  msg.metric_gaps.reserve(metric_gaps);
  for (size_t i = 0; i < metric_gaps && in.ok(); ++i) {
    MetricGap& gap = msg.metric_gaps.emplace_back();
    gap.from_s = in.zigzag("metric gap from");
    gap.to_s = in.zigzag("metric gap to");
    if (in.ok() && gap.to_s < gap.from_s) in.fail("metric gap ends before it starts");
    gap.time_ms = in.zigzag("metric gap time");
    gap.reason = in.string("metric gap reason");
  }
  return msg;
}

Result<Message> read_message(FrameType type, std::string_view payload, const FrameLimits& limits) {
  wire::Reader in(payload, limits.max_string);
  Message message;
  switch (type) {
    case FrameType::host_def: {
      HostDefMsg msg;
      msg.host_slot = in.varint_u32("host_slot");
      msg.info = read_host_info(in, limits);
      message = std::move(msg);
      break;
    }
    case FrameType::chart_def: {
      ChartDefMsg msg;
      msg.host_slot = in.varint_u32("host_slot");
      msg.chart_slot = in.varint_u32("chart_slot");
      msg.def = read_chart_def(in, limits);
      message = std::move(msg);
      break;
    }
    case FrameType::samples:
      message = read_samples(in, limits);
      break;
    case FrameType::ack: {
      AckMsg msg;
      msg.host_slot = in.varint_u32("host_slot");
      msg.seq = in.varint("seq");
      message = msg;
      break;
    }
    case FrameType::host_resume: {
      HostResumeMsg msg;
      msg.host_slot = in.varint_u32("host_slot");
      msg.last_stored_seq = in.varint("last_stored_seq");
      message = msg;
      break;
    }
    case FrameType::keepalive:
      message = KeepaliveMsg{};
      break;
    case FrameType::goodbye: {
      GoodbyeMsg msg;
      msg.host_slot = in.varint_u32("host_slot");
      msg.reason = in.string("reason");
      message = std::move(msg);
      break;
    }
    case FrameType::logs:
      message = read_logs(in, limits);
      break;
    case FrameType::gaps:
      message = read_gaps(in, limits);
      break;
  }
  const std::string context = std::string(to_string(type)) + " frame: ";
  if (!in.ok()) return Error(Errc::protocol_error, context + in.error()->message);
  if (!in.at_end()) {
    return Error(Errc::protocol_error,
                 context + std::to_string(in.remaining()) + " bytes after the payload's end");
  }
  return message;
}

bool is_known_type(uint8_t type) {
  return type >= static_cast<uint8_t>(FrameType::host_def) &&
         type <= static_cast<uint8_t>(FrameType::gaps);
}

}  // namespace

FrameEncoder::FrameEncoder(EncoderOptions options)
    : options_(options), compressor_(options.zstd_level) {}

std::string FrameEncoder::encode(const Message& message) {
  std::string out;
  append(message, out);
  return out;
}

std::string FrameEncoder::encode(const LogsMsg& logs) {
  const size_t bound = logs_bound(logs);
  if (logs_payload_.size() < bound) logs_payload_.resize(bound);
  const char* end = put_logs(logs_payload_.data(), logs);
  std::string out;
  append_payload(
      FrameType::logs,
      std::string_view(logs_payload_.data(), static_cast<size_t>(end - logs_payload_.data())), out);
  return out;
}

std::string FrameEncoder::encode(const SamplesMsg& samples) {
  payload_.clear();
  put_samples(payload_, samples);
  std::string out;
  append_payload(FrameType::samples, payload_, out);
  return out;
}

void FrameEncoder::append(const Message& message, std::string& out) {
  payload_.clear();
  put_payload(payload_, message);
  append_payload(frame_type(message), payload_, out);
}

void FrameEncoder::append_payload(FrameType type, std::string_view payload, std::string& out) {
  if (options_.compress && payload.size() >= options_.min_compress_bytes) {
    const size_t bound = wire::kMaxVarintBytes + ZstdCompressor::bound(payload.size());
    if (compressed_.size() < bound) compressed_.resize(bound);
    char* frame = wire::put_varint(compressed_.data(), payload.size());
    const size_t capacity = compressed_.size() - static_cast<size_t>(frame - compressed_.data());
    // A failed compression (out of memory) is not fatal: the frame goes out uncompressed.
    const auto written = compressor_.compress_to(payload, frame, capacity);
    const size_t size =
        written.ok() ? static_cast<size_t>(frame - compressed_.data()) + *written : SIZE_MAX;
    if (size < payload.size()) {
      put_frame(out, type, kFlagZstd, std::string_view(compressed_.data(), size));
      return;
    }
  }
  put_frame(out, type, 0, payload);
}

FrameDecoder::FrameDecoder(FrameLimits limits, bool compression_allowed)
    : limits_(limits), compression_allowed_(compression_allowed) {}

void FrameDecoder::feed(std::string_view bytes) {
  if (failure_) return;
  // Drop consumed bytes once they dominate the buffer, so it does not grow without end.
  if (read_pos_ > 0 && read_pos_ >= buffer_.size() / 2) {
    buffer_.erase(0, read_pos_);
    read_pos_ = 0;
  }
  buffer_ += bytes;
}

Result<std::optional<Message>> FrameDecoder::fail(Error error) {
  failure_ = error;
  buffer_.clear();
  read_pos_ = 0;
  return error;
}

Result<std::string_view> FrameDecoder::plain_payload(uint8_t flags, std::string_view payload) {
  if ((flags & kFlagZstd) == 0) return payload;
  if (!compression_allowed_) {
    return Error(Errc::protocol_error, "compressed frame, but zstd was not negotiated");
  }
  wire::Reader in(payload, 0);
  const uint64_t size = in.varint("decompressed size");
  if (!in.ok()) return *in.error();
  if (size > limits_.max_decompressed) {
    return Error(Errc::protocol_error, "compressed frame declares " + std::to_string(size) +
                                           " bytes, the limit is " +
                                           std::to_string(limits_.max_decompressed));
  }
  const std::string_view frame = payload.substr(payload.size() - in.remaining());
  if (frame.size() < kMinZstdFrame) {
    return Error(Errc::protocol_error, "compressed frame too short for a zstd frame");
  }
  TRIB_TRY(decompressor_.decompress_into(frame, size, decompressed_));
  return std::string_view(decompressed_);
}

Result<std::optional<Message>> FrameDecoder::next() {
  if (failure_) return *failure_;
  while (buffered_bytes() >= kFrameHeaderSize) {
    const char* header = buffer_.data() + read_pos_;
    const uint32_t length = wire::get_u32_le(header);
    const auto type = static_cast<uint8_t>(header[4]);
    const auto flags = static_cast<uint8_t>(header[5]);
    if (length > limits_.max_frame_payload) {
      return fail(Error(Errc::protocol_error, "frame of " + std::to_string(length) +
                                                  " bytes, the limit is " +
                                                  std::to_string(limits_.max_frame_payload)));
    }
    if (flags & ~kKnownFlags) {
      return fail(Error(Errc::protocol_error, "frame with unknown flags " + std::to_string(flags)));
    }
    if (!is_known_type(type) && (flags & kFlagSkippable) == 0) {
      return fail(Error(Errc::protocol_error, "unknown frame type " + std::to_string(type)));
    }
    if (buffered_bytes() < kFrameHeaderSize + length) return std::optional<Message>{};

    const std::string_view payload(header + kFrameHeaderSize, length);
    read_pos_ += kFrameHeaderSize + length;
    if (!is_known_type(type)) continue;  // skippable: a later version's optional frame

    auto plain = plain_payload(flags, payload);
    if (!plain.ok()) return fail(plain.take_error());
    auto message = read_message(static_cast<FrameType>(type), *plain, limits_);
    if (!message.ok()) return fail(message.take_error());
    return std::optional<Message>(std::move(message).value());
  }
  return std::optional<Message>{};
}

}  // namespace trib::stream
