// Garbage on the parent's port: each bad connection is answered or closed with one log line,
// and the parent keeps serving the API and the agent that is already streaming.
#include <gtest/gtest.h>
#include <zstd.h>

#include <cstdint>

#include "integration/cluster.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kRawGuid = "0f0e0d0c-0b0a-0908-0706-050403020100";
constexpr uint8_t kSamples = 3;
constexpr uint8_t kFlagZstd = 0x01;
constexpr size_t kMaxDecompressed = 64 * 1024 * 1024;  // FrameLimits::max_decompressed

std::string u32le(uint32_t v) {
  std::string out;
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
  return out;
}

std::string varint(uint64_t v) {
  std::string out;
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    if (v != 0) byte |= 0x80;
    out.push_back(static_cast<char>(byte));
  } while (v != 0);
  return out;
}

// docs/protocol.md §4.2: u32le payload length | u8 type | u8 flags | payload.
std::string frame(uint8_t type, uint8_t flags, const std::string& payload) {
  return u32le(static_cast<uint32_t>(payload.size())) + static_cast<char>(type) +
         static_cast<char>(flags) + payload;
}

std::string zstd_compress(const std::string& input) {
  std::string out(ZSTD_compressBound(input.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), input.data(), input.size(), 1);
  out.resize(ZSTD_isError(n) ? 0 : n);
  return out;
}

// Rewrites the content size a zstd frame header declares (same field width), so the frame
// expands past what it claims.
bool patch_content_size(std::string& zstd_frame, uint64_t size) {
  if (zstd_frame.size() < 6) return false;
  const auto descriptor = static_cast<uint8_t>(zstd_frame[4]);
  const unsigned size_flag = descriptor >> 6;
  const bool single_segment = (descriptor >> 5) & 1;
  const size_t dictionary_bytes[] = {0, 1, 2, 4};
  const size_t offset = 5 + (single_segment ? 0 : 1) + dictionary_bytes[descriptor & 3];
  if (size_flag != 2 || offset + 4 > zstd_frame.size()) return false;  // 4-byte field only
  for (int i = 0; i < 4; ++i) zstd_frame[offset + i] = static_cast<char>((size >> (8 * i)) & 0xFF);
  return true;
}

class Wire : public ::testing::Test {
 protected:
  void SetUp() override {
    cluster_.start_parent();
    agent_ = cluster_.start_agent("steady");
    ASSERT_TRUE(eventually([&] { return !cluster_.agent_guid("steady").empty(); }, 5s));
    guid_ = cluster_.agent_guid("steady");
    ASSERT_TRUE(eventually([&] { return cluster_.reachable(guid_); }, 10s))
        << cluster_.parent_log();
  }

  // Sends `bytes` on a new connection; returns what came back. The parent must close the
  // connection itself, well before the client gives up.
  std::string exchange_until_closed(const std::string& bytes) {
    const auto started = std::chrono::steady_clock::now();
    std::string reply = raw_exchange(cluster_.port(), bytes, 8s);
    EXPECT_LT(std::chrono::steady_clock::now() - started, 4s) << "the parent did not close";
    return reply;
  }

  // A raw Tributary handshake that gets accepted, then `frames`.
  std::string handshake_then(const std::string& frames, const std::string& caps = "zstd,ack") {
    std::string reply =
        exchange_until_closed(tributary_stream_request(kApiKey, kRawGuid, caps) + frames);
    EXPECT_EQ(reply.rfind("TRIBUTARY/1 OK caps=" + caps + " ", 0), 0U) << reply;
    return reply;
  }

  void expect_parent_logs(const std::string& text) {
    EXPECT_TRUE(
        eventually([&] { return cluster_.parent_log().find(text) != std::string::npos; }, 5s))
        << "no '" << text << "' in\n"
        << cluster_.parent_log();
  }

  // Only the bad connection went: the API answers and the agent's stream was never lost.
  void expect_others_served() {
    EXPECT_EQ(http_get(cluster_.port(), "/api/v1/info").status, 200);
    EXPECT_TRUE(cluster_.reachable(guid_));
    EXPECT_TRUE(cluster_.parent().running());
    EXPECT_EQ(cluster_.agent_log("steady").find("lost"), std::string::npos)
        << cluster_.agent_log("steady");
    EXPECT_EQ(count_of(cluster_.parent_log(), "'CONNECTED'"), 1U + raw_sessions_);
  }

  Cluster cluster_;
  std::unique_ptr<Process> agent_;
  std::string guid_;
  size_t raw_sessions_ = 0;  // raw handshakes this test had admitted
};

TEST_F(Wire, TlsHelloAndGarbageRequestLinesGet400) {
  for (const std::string& garbage :
       {std::string("\x16\x03\x01garbage\r\n\r\n"), std::string("HELLO\r\n\r\n")}) {
    const std::string reply = exchange_until_closed(garbage);
    EXPECT_EQ(reply.rfind("HTTP/1.1 400 ", 0), 0U) << reply;
  }
  EXPECT_GE(count_of(cluster_.parent_log(), " 400 "), 2U) << cluster_.parent_log();
  expect_parent_logs(": closing");
  expect_others_served();
}

TEST_F(Wire, OversizedHeaderGets431) {
  const std::string request =
      "GET /api/v1/info HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + std::string(17 * 1024, 'a') +
      "\r\n\r\n";
  const std::string reply = exchange_until_closed(request);
  EXPECT_EQ(reply.rfind("HTTP/1.1 431 ", 0), 0U) << reply.substr(0, 200);
  expect_parent_logs(" 431 ");
  expect_others_served();
}

TEST_F(Wire, StreamRequestWithoutAnEndIsClosedAfter16KiB) {
  const std::string reply = exchange_until_closed("STREAM key=" + std::string(20 * 1024, 'k'));
  EXPECT_EQ(reply.find("TRIBUTARY/1 OK"), std::string::npos);
  expect_parent_logs("STREAM request has no end within 16384 bytes; closing");
  expect_others_served();
}

TEST_F(Wire, FrameWithAnImpossibleLengthIsRejectedFromItsHeader) {
  raw_sessions_ = 1;
  // Only the 6-byte header: the decoder must refuse without waiting for 4 GiB of payload.
  handshake_then(u32le(0xFFFFFFFF) + static_cast<char>(kSamples) + '\0');
  expect_parent_logs("bad frame: frame of 4294967295 bytes, the limit is 16777216");
  expect_parent_logs("disconnected from");
  expect_others_served();
}

TEST_F(Wire, ZstdFrameDeclaringMoreThanTheLimitIsRejected) {
  raw_sessions_ = 1;
  const std::string payload = varint(kMaxDecompressed + 1) + zstd_compress(std::string(1024, 'x'));
  handshake_then(frame(kSamples, kFlagZstd, payload));
  expect_parent_logs("bad frame: compressed frame declares " +
                     std::to_string(kMaxDecompressed + 1) + " bytes, the limit is " +
                     std::to_string(kMaxDecompressed));
  expect_others_served();
}

TEST_F(Wire, ZstdFrameExpandingPastItsDeclaredSizeIsRejected) {
  raw_sessions_ = 1;
  // 1 MiB of zeros compresses to a few hundred bytes; claim it is 1000 bytes.
  std::string bomb = zstd_compress(std::string(1024 * 1024, '\0'));
  ASSERT_TRUE(patch_content_size(bomb, 1000));
  handshake_then(frame(kSamples, kFlagZstd, varint(1000) + bomb));
  expect_parent_logs("bad frame: corrupt zstd payload");
  expect_others_served();
}

TEST_F(Wire, CompressedFrameWithoutZstdGrantedIsRejected) {
  raw_sessions_ = 1;
  const std::string payload = varint(1024) + zstd_compress(std::string(1024, 'x'));
  handshake_then(frame(kSamples, kFlagZstd, payload), "ack");
  expect_parent_logs("bad frame: compressed frame, but zstd was not negotiated");
  expect_others_served();
}

}  // namespace
}  // namespace trib::test
