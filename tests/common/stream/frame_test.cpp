#include "common/stream/frame.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <cctype>
#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

#include "common/stream/wire.h"
#include "tests/support/samples.h"

namespace trib::stream {
namespace {

std::string hex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (const char c : bytes) {
    const auto u = static_cast<unsigned char>(c);
    if (!out.empty()) out.push_back(' ');
    out.push_back(kDigits[u >> 4]);
    out.push_back(kDigits[u & 0xF]);
  }
  return out;
}

model::HostInfo sample_host() {
  model::HostInfo host;
  host.machine_guid = "aaaaaaaa-bbbb-cccc-dddd-000000000001";
  host.hostname = "web-01";
  host.timezone = "Europe/Paris";
  host.program_version = "0.1.0";
  host.update_every = 2;
  host.hops = 1;
  host.labels = {{"role", "web"}, {"", ""}, {"zone", "dmz 1"}};
  return host;
}

model::ChartDef sample_chart() {
  model::ChartDef def;
  def.id = "system.cpu";
  def.name = "system.cpu";
  def.title = "Total CPU utilization";
  def.units = "percentage";
  def.family = "cpu";
  def.context = "system.cpu";
  def.chart_type = model::ChartType::stacked;
  def.priority = -100;
  def.update_every = 1;
  def.plugin = "proc";
  def.module = "/proc/stat";
  def.dimensions = {
      {"user", "user", model::Algorithm::incremental, 1, 100, false},
      {"guest", "", model::Algorithm::percentage_of_incremental_row,
       std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max(), true}};
  return def;
}

SamplesMsg sample_batch(size_t rows) {
  SamplesMsg msg{.host_slot = 7, .seq = 1ULL << 40};
  for (size_t i = 0; i < rows; ++i) {
    const double values[] = {static_cast<double>(i),
                             0.25,
                             -1e300,
                             model::kNoValue,
                             std::numeric_limits<double>::infinity(),
                             -0.0};
    msg.add_row(static_cast<uint32_t>(i % 3), 1'700'000'000 + static_cast<int64_t>(i), values);
  }
  return msg;
}

LogsMsg log_batch() {
  LogsMsg msg{2, 77, {{"/var/log/app.log", {{"service", "app"}}}, {"/var/log/b.log", {}}}, {}};
  msg.records.push_back({0, 1, 0, 1'700'000'000'123, 0, "first line", {}});
  msg.records.push_back({1,
                         3,
                         1ULL << 40,
                         -5,
                         kLogLineContinues,
                         std::string(70'000, 'x'),
                         {{"level", "info"}, {"msg", "a\0b"}}});
  msg.records.push_back({0, 1, 11, 0, kLogLineUnterminated, "\xff\xfe not utf-8", {}});
  return msg;
}

std::vector<Message> every_message() {
  return {
      HostDefMsg{0, sample_host()},
      HostDefMsg{UINT32_MAX, model::HostInfo{}},
      ChartDefMsg{1, 2, sample_chart()},
      ChartDefMsg{1, 3, model::ChartDef{}},
      sample_batch(1),
      sample_batch(2000),
      test::samples_msg(1, 1, {}),
      test::samples_msg(1, UINT64_MAX, {{UINT32_MAX, std::numeric_limits<int64_t>::min(), {}}}),
      AckMsg{3, UINT64_MAX},
      HostResumeMsg{3, 0},
      KeepaliveMsg{},
      GoodbyeMsg{kAllHosts, "shutting down"},
      GoodbyeMsg{5, ""},
      log_batch(),
      LogsMsg{1, 2, {}, {}},
      GapsMsg{1, 3, {{"/var/log/app.log", 2, 100, 4096, 1'700'000'000'000, "spool full"}}, {}},
      GapsMsg{1, 4, {}, {}},
      GapsMsg{1, 5, {}, {{1'700'000'000, 1'700'000'010, 1'700'000'020'000, "proxy spool full"}}},
      GapsMsg{1, 6, {{"p", 1, 0, 9, 0, "x"}}, {{-5, -5, 0, ""}, {0, INT64_MAX, -1, "y"}}},
  };
}

std::vector<Message> decode_all(FrameDecoder& decoder) {
  std::vector<Message> out;
  while (true) {
    auto next = decoder.next();
    EXPECT_TRUE(next.ok()) << next.error().describe();
    if (!next.ok() || !next->has_value()) break;
    out.push_back(std::move(**next));
  }
  return out;
}

// A frame built by hand, for inputs the encoder would never produce.
std::string raw_frame(uint8_t type, uint8_t flags, std::string_view payload) {
  std::string out;
  wire::put_u32_le(out, static_cast<uint32_t>(payload.size()));
  wire::put_u8(out, type);
  wire::put_u8(out, flags);
  out += payload;
  return out;
}

Error decode_error(std::string_view bytes, FrameLimits limits = {}, bool compression = false) {
  FrameDecoder decoder(limits, compression);
  decoder.feed(bytes);
  while (true) {
    auto next = decoder.next();
    if (!next.ok()) return next.error();
    if (!next->has_value()) return Error(Errc::ok, "no error: decoder wants more bytes");
  }
}

class FrameRoundTripTest : public ::testing::TestWithParam<bool> {};

TEST_P(FrameRoundTripTest, EveryMessageSurvives) {
  FrameEncoder encoder({.compress = GetParam()});
  FrameDecoder decoder({}, GetParam());
  const std::vector<Message> messages = every_message();
  for (const Message& m : messages) decoder.feed(encoder.encode(m));
  EXPECT_EQ(decode_all(decoder), messages);
  EXPECT_EQ(decoder.buffered_bytes(), 0U);
}

TEST_P(FrameRoundTripTest, OneByteAtATime) {
  FrameEncoder encoder({.compress = GetParam()});
  std::string stream;
  const std::vector<Message> messages = every_message();
  for (const Message& m : messages) encoder.append(m, stream);

  FrameDecoder decoder({}, GetParam());
  std::vector<Message> got;
  for (const char c : stream) {
    decoder.feed(std::string_view(&c, 1));
    auto next = decoder.next();
    ASSERT_TRUE(next.ok()) << next.error().describe();
    if (next->has_value()) got.push_back(std::move(**next));
  }
  EXPECT_EQ(got, messages);
}

INSTANTIATE_TEST_SUITE_P(Compression, FrameRoundTripTest, ::testing::Bool(),
                         [](const auto& test) { return test.param ? "zstd" : "plain"; });

TEST(FrameEncoderTest, CompressesOnlyPayloadsWorthIt) {
  FrameEncoder encoder({.compress = true});
  const std::string small = encoder.encode(AckMsg{1, 2});
  EXPECT_EQ(static_cast<uint8_t>(small[5]), 0);
  const std::string big = encoder.encode(sample_batch(500));
  EXPECT_EQ(static_cast<uint8_t>(big[5]), kFlagZstd);
  const std::string plain = FrameEncoder().encode(sample_batch(500));
  EXPECT_LT(big.size() * 4, plain.size());
}

bool is_hex_byte(std::string_view token) {
  return token.size() == 2 && std::isxdigit(static_cast<unsigned char>(token[0])) &&
         std::isxdigit(static_cast<unsigned char>(token[1]));
}

// The bytes of the code block under "### 4.4 Worked example" in docs/protocol.md: the leading
// hex byte tokens of each line, the rest of a line being its comment.
std::string documented_example_hex() {
  std::ifstream in(std::string(TRIB_SOURCE_DIR) + "/docs/protocol.md");
  std::string line;
  bool in_section = false;
  bool in_block = false;
  std::string out;
  while (std::getline(in, line)) {
    if (line.starts_with("### ")) in_section = line.starts_with("### 4.4 Worked example");
    if (!in_section) continue;
    if (line.starts_with("```")) {
      if (in_block) break;
      in_block = true;
      continue;
    }
    if (!in_block) continue;
    std::istringstream tokens(line);
    std::string token;
    while (tokens >> token && is_hex_byte(token)) out += (out.empty() ? "" : " ") + token;
  }
  return out;
}

// docs/protocol.md §4.4 shows this frame byte by byte; the test reads the document itself.
TEST(FrameEncoderTest, DocumentedSamplesFrame) {
  const SamplesMsg msg = test::samples_msg(1, 42, {{3, 1700000000, {1.5, model::kNoValue}}});
  const std::string documented = documented_example_hex();
  ASSERT_FALSE(documented.empty()) << "no example found in docs/protocol.md §4.4";
  EXPECT_EQ(hex(FrameEncoder().encode(msg)), documented);
}

TEST(FrameDecoderTest, TruncatedFramesWaitForMoreBytes) {
  const std::string frame = FrameEncoder().encode(sample_batch(3));
  FrameDecoder decoder;
  decoder.feed(frame.substr(0, frame.size() - 1));
  auto next = decoder.next();
  ASSERT_TRUE(next.ok());
  EXPECT_FALSE(next->has_value());
  decoder.feed(frame.substr(frame.size() - 1));
  next = decoder.next();
  ASSERT_TRUE(next.ok() && next->has_value());
}

TEST(FrameDecoderTest, OversizedFrameFailsFromItsHeader) {
  FrameLimits limits;
  limits.max_frame_payload = 1024;
  std::string header;
  wire::put_u32_le(header, 1025);
  wire::put_u8(header, static_cast<uint8_t>(FrameType::samples));
  wire::put_u8(header, 0);
  const Error error = decode_error(header, limits);
  EXPECT_TRUE(error.is(Errc::protocol_error));
  EXPECT_NE(error.message.find("limit is 1024"), std::string::npos) << error.message;
}

TEST(FrameDecoderTest, GarbageIsAProtocolErrorNamingTheProblem) {
  struct Case {
    std::string bytes;
    const char* says;
  };
  std::string long_string;
  wire::put_varint(long_string, 1);
  wire::put_varint(long_string, 1'000'000);
  std::string many_rows;
  wire::put_varint(many_rows, 1);
  wire::put_varint(many_rows, 1);
  wire::put_varint(many_rows, 1'000'000);
  std::string too_many_values;
  wire::put_varint(too_many_values, 1);
  wire::put_varint(too_many_values, 1);
  wire::put_varint(too_many_values, 1);
  wire::put_varint(too_many_values, 0);
  wire::put_zigzag(too_many_values, 0);
  wire::put_varint(too_many_values, 3);
  too_many_values += std::string(16, '\0');
  std::string bad_chart_type = FrameEncoder().encode(ChartDefMsg{1, 2, model::ChartDef{}});
  bad_chart_type[6 + 2 + 6] = 9;  // slots, six empty strings, then the chart type

  const Case cases[] = {
      {raw_frame(0, 0, ""), "unknown frame type 0"},
      {raw_frame(99, 0, ""), "unknown frame type 99"},
      {raw_frame(6, 0x80, ""), "unknown flags 128"},
      {raw_frame(6, 0, "x"), "1 bytes after the payload's end"},
      {raw_frame(4, 0, "\x01"), "truncated varint in seq"},
      {raw_frame(4, 0, "\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f"), "overflows 64 bits"},
      {raw_frame(5, 0, "\xff\xff\xff\xff\x7f\x00"), "host_slot does not fit 32 bits"},
      {raw_frame(7, 0, long_string), "reason is 1000000 bytes, the limit is 65536"},
      {raw_frame(3, 0, many_rows), "row count is 1000000, more than the 0 bytes left"},
      {raw_frame(3, 0, too_many_values), "row value count is 3, more than the 16 bytes"},
      {bad_chart_type, "unknown chart type 9"},
      {raw_frame(3, kFlagZstd, "\x05zzzzzzzzzz"), "zstd was not negotiated"},
  };
  for (const Case& c : cases) {
    const Error error = decode_error(c.bytes);
    EXPECT_TRUE(error.is(Errc::protocol_error)) << c.says << ": " << error.message;
    EXPECT_NE(error.message.find(c.says), std::string::npos)
        << "want '" << c.says << "', got '" << error.message << "'";
  }
}

TEST(FrameDecoderTest, LimitsOnCountsApply) {
  FrameLimits limits;
  limits.max_rows = 10;
  const Error rows = decode_error(FrameEncoder().encode(sample_batch(11)), limits);
  EXPECT_NE(rows.message.find("row count is 11, the limit is 10"), std::string::npos);
  limits.max_labels = 2;
  const Error labels = decode_error(FrameEncoder().encode(HostDefMsg{1, sample_host()}), limits);
  EXPECT_NE(labels.message.find("label count is 3, the limit is 2"), std::string::npos);
}

TEST(FrameDecoderTest, StaysFailedAfterAnError) {
  FrameDecoder decoder;
  decoder.feed(raw_frame(99, 0, ""));
  auto first = decoder.next();
  ASSERT_FALSE(first.ok());
  decoder.feed(FrameEncoder().encode(KeepaliveMsg{}));
  auto second = decoder.next();
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().message, first.error().message);
  EXPECT_EQ(decoder.buffered_bytes(), 0U);
}

TEST(FrameDecoderTest, LogRecordsAreChecked) {
  // A record naming a source the batch does not define.
  std::string payload;
  for (const uint64_t v : {1, 5, 0, 1}) wire::put_varint(payload, v);     // slot, seq, 0 src, 1 rec
  for (const uint64_t v : {0, 1, 0, 0, 0}) wire::put_varint(payload, v);  // src 0, gen, off, t, fl
  wire::put_string(payload, "line");
  wire::put_varint(payload, 0);
  EXPECT_NE(decode_error(raw_frame(8, 0, payload)).message.find("names source 0 of 0"),
            std::string::npos);
  // A line over the log-line limit.
  FrameLimits limits;
  limits.max_log_line = 10;
  LogsMsg big{1, 1, {{"p", {}}}, {{0, 1, 0, 0, 0, std::string(11, 'x'), {}}}};
  EXPECT_NE(decode_error(FrameEncoder().encode(big), limits).message.find("limit is 10"),
            std::string::npos);
  // A gap that ends before it starts.
  GapsMsg backwards{1, 1, {{"p", 1, 10, 5, 0, "x"}}, {}};
  EXPECT_NE(decode_error(FrameEncoder().encode(backwards)).message.find("ends before"),
            std::string::npos);
  // A metric gap that ends before it starts, and an empty metric gap list (sent as none).
  GapsMsg metric_backwards{1, 1, {}, {{10, 9, 0, "x"}}};
  EXPECT_NE(decode_error(FrameEncoder().encode(metric_backwards)).message.find("ends before"),
            std::string::npos);
  std::string empty_list;
  wire::put_varint(empty_list, 1);  // host slot
  wire::put_varint(empty_list, 1);  // seq
  wire::put_varint(empty_list, 0);  // no log gaps
  wire::put_varint(empty_list, 0);  // an empty metric gap list
  EXPECT_NE(decode_error(raw_frame(9, 0, empty_list)).message.find("sent as none"),
            std::string::npos);
  // Unknown record flags.
  LogsMsg flagged{1, 1, {{"p", {}}}, {{0, 1, 0, 0, 0x80, "l", {}}}};
  EXPECT_NE(decode_error(FrameEncoder().encode(flagged)).message.find("flags"), std::string::npos);
}

TEST(FrameDecoderTest, SkippableUnknownFramesAreSkipped) {
  FrameDecoder decoder;
  decoder.feed(raw_frame(200, kFlagSkippable, "a later version's frame"));
  decoder.feed(FrameEncoder().encode(AckMsg{1, 9}));
  auto next = decoder.next();
  ASSERT_TRUE(next.ok() && next->has_value());
  EXPECT_EQ(**next, Message(AckMsg{1, 9}));
}

std::string zstd_compress(std::string_view input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  out.resize(ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 1));
  return out;
}

std::string compressed_payload(uint64_t declared, std::string_view zstd_frame) {
  std::string payload;
  wire::put_varint(payload, declared);
  payload += zstd_frame;
  return payload;
}

TEST(FrameDecoderTest, ZstdBombsAreRejected) {
  FrameLimits limits;
  limits.max_decompressed = 1024 * 1024;
  const std::string zeros(8 * 1024 * 1024, '\0');
  const std::string bomb = zstd_compress(zeros);
  ASSERT_LT(bomb.size(), 1024U);

  // Declares more than the limit: refused before any allocation.
  Error error =
      decode_error(raw_frame(6, kFlagZstd, compressed_payload(1ULL << 60, bomb)), limits, true);
  EXPECT_NE(error.message.find("the limit is 1048576"), std::string::npos) << error.message;

  // Declares little, the zstd header says 8 MiB.
  error = decode_error(raw_frame(6, kFlagZstd, compressed_payload(100, bomb)), limits, true);
  EXPECT_NE(error.message.find("declares 8388608 bytes"), std::string::npos) << error.message;

  // Both headers say 100 bytes, a second zstd frame expands past them into the bounded buffer.
  const std::string small = zstd_compress(std::string(100, 'a'));
  error =
      decode_error(raw_frame(6, kFlagZstd, compressed_payload(100, small + bomb)), limits, true);
  EXPECT_TRUE(error.is(Errc::protocol_error));
  EXPECT_NE(error.message.find("zstd"), std::string::npos) << error.message;

  // A zstd frame that does not declare its size.
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string unsized(1024, '\0');
  unsized.resize(ZSTD_compress2(cctx, unsized.data(), unsized.size(), "hello", 5));
  ZSTD_freeCCtx(cctx);
  error = decode_error(raw_frame(6, kFlagZstd, compressed_payload(5, unsized)), limits, true);
  EXPECT_NE(error.message.find("does not declare its content size"), std::string::npos)
      << error.message;

  // Corrupt zstd data and a payload too short for a zstd frame.
  std::string corrupt = zstd_compress(std::string(300, 'b'));
  corrupt[corrupt.size() - 2] ^= 0x55;
  corrupt[6] ^= 0x55;
  error = decode_error(raw_frame(6, kFlagZstd, compressed_payload(300, corrupt)), limits, true);
  EXPECT_TRUE(error.is(Errc::protocol_error)) << error.message;
  error = decode_error(raw_frame(6, kFlagZstd, "\x05\x28"), limits, true);
  EXPECT_NE(error.message.find("too short"), std::string::npos) << error.message;
}

TEST(FrameDecoderTest, CompressedPayloadMustDecodeToAValidMessage) {
  // Well-formed zstd around a keepalive with a stray byte.
  const Error error =
      decode_error(raw_frame(6, kFlagZstd, compressed_payload(1, zstd_compress("x"))), {}, true);
  EXPECT_NE(error.message.find("Keepalive frame: 1 bytes after"), std::string::npos)
      << error.message;
}

TEST(WireTest, VarintsAndZigzagsAtTheEdges) {
  for (const uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{300},
                           uint64_t{UINT32_MAX}, UINT64_MAX}) {
    std::string out;
    wire::put_varint(out, v);
    wire::Reader in(out, 0);
    EXPECT_EQ(in.varint("v"), v);
    EXPECT_TRUE(in.ok() && in.at_end());
  }
  for (const int64_t v : {int64_t{0}, int64_t{-1}, int64_t{1}, std::numeric_limits<int64_t>::min(),
                          std::numeric_limits<int64_t>::max()}) {
    std::string out;
    wire::put_zigzag(out, v);
    wire::Reader in(out, 0);
    EXPECT_EQ(in.zigzag("v"), v);
  }
  std::string minus_one;
  wire::put_zigzag(minus_one, -1);
  EXPECT_EQ(hex(minus_one), "01");
}

TEST(ZstdCodecTest, DecompressIntoReusesItsBufferForSmallerFrames) {
  ZstdCompressor compressor(1);
  const std::string big(5000, 'a');
  const std::string small = "hello hello hello";
  std::string big_frame;
  std::string small_frame;
  ASSERT_TRUE(compressor.compress(big, big_frame).ok());
  ASSERT_TRUE(compressor.compress(small, small_frame).ok());
  ZstdDecompressor decompressor;
  std::string out;
  ASSERT_TRUE(decompressor.decompress_into(big_frame, big.size(), out).ok());
  EXPECT_EQ(out, big);
  ASSERT_TRUE(decompressor.decompress_into(small_frame, small.size(), out).ok());
  EXPECT_EQ(out, small);
  EXPECT_FALSE(decompressor.decompress_into(small_frame, small.size() + 1, out).ok());
}

// With ten or more bytes left the reader takes its unchecked path: same values, same errors.
TEST(WireTest, VarintsFollowedByMoreBytesReadAlike) {
  for (const uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 41,
                           uint64_t{UINT32_MAX}, UINT64_MAX}) {
    std::string out;
    wire::put_varint(out, v);
    wire::put_string(out, "0123456789");
    wire::Reader in(out, 0);
    EXPECT_EQ(in.varint("v"), v);
    EXPECT_EQ(in.view_up_to("tail", 10), "0123456789");
    EXPECT_TRUE(in.ok() && in.at_end());
  }
  // A Reader views its bytes: each buffer outlives its reader.
  const std::string overlong_bytes = std::string(10, '\xff') + std::string(5, '\0');
  wire::Reader overlong(overlong_bytes, 0);
  EXPECT_EQ(overlong.varint("big"), 0U);
  ASSERT_FALSE(overlong.ok());
  EXPECT_NE(overlong.error()->message.find("overflows 64 bits in big"), std::string::npos);
  // Ten bytes whose last carries more than the top bit of a uint64.
  const std::string tenth_bytes = std::string(9, '\xff') + "\x02" + std::string(5, '\0');
  wire::Reader tenth(tenth_bytes, 0);
  EXPECT_EQ(tenth.varint("v"), 0U);
  EXPECT_FALSE(tenth.ok());
  const std::string too_long_bytes =
      "\x05"
      "abc";
  wire::Reader too_long(too_long_bytes, 0);
  EXPECT_EQ(too_long.view_up_to("line", 10), "");
  EXPECT_FALSE(too_long.ok());
}

TEST(WireTest, RawPositionWritersMatchTheStringWriters) {
  for (const uint64_t v : {uint64_t{0}, uint64_t{127}, uint64_t{128}, uint64_t{1} << 41,
                           uint64_t{UINT32_MAX}, UINT64_MAX}) {
    const int64_t signed_v = static_cast<int64_t>(v);
    const std::string text(static_cast<size_t>(v % 200), 'x');
    std::string expected;
    wire::put_varint(expected, v);
    wire::put_zigzag(expected, signed_v);
    wire::put_zigzag(expected, -signed_v);
    wire::put_string(expected, text);
    std::string raw(3 * wire::kMaxVarintBytes + wire::string_bound(text), '?');
    char* end = raw.data();
    end = wire::put_varint(end, v);
    end = wire::put_zigzag(end, signed_v);
    end = wire::put_zigzag(end, -signed_v);
    end = wire::put_string(end, text);
    raw.resize(static_cast<size_t>(end - raw.data()));
    EXPECT_EQ(hex(raw), hex(expected)) << v;
  }
}

}  // namespace
}  // namespace trib::stream
