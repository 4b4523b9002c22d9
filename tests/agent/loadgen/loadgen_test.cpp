#include "agent/loadgen/loadgen.h"

#include <gtest/gtest.h>

#include <string>

#include "common/stream/frame.h"

namespace trib::agent::loadgen {
namespace {

LoadgenOptions small_load() {
  LoadgenOptions o;
  o.api_key = "k";
  o.charts = 3;
  o.dimensions = 4;
  o.ticks_per_batch = 2;
  return o;
}

// Decodes the one Samples frame in `bytes` with the parent's decoder.
stream::SamplesMsg decode_batch(const std::string& bytes) {
  stream::FrameDecoder decoder;
  decoder.feed(bytes);
  auto next = decoder.next();
  EXPECT_TRUE(next.ok()) << next.error().describe();
  EXPECT_TRUE(next->has_value());
  EXPECT_EQ(decoder.buffered_bytes(), 0u);
  return std::get<stream::SamplesMsg>(**next);
}

TEST(LoadEncoderTest, ABatchHoldsEveryChartOfEachTickWithItsValues) {
  const LoadgenOptions o = small_load();
  const LoadEncoder encoder(o);
  std::string out = "before";
  // Tick 1999 and 2000 straddle a value period: the table wraps around.
  encoder.append_batch(1'700'000'000, 1999, 300, out);
  ASSERT_EQ(out.substr(0, 6), "before");
  const stream::SamplesMsg batch = decode_batch(out.substr(6));
  EXPECT_EQ(batch.host_slot, 1u);
  EXPECT_EQ(batch.seq, 300u);
  ASSERT_EQ(batch.rows.size(), 6u);
  for (size_t r = 0; r < batch.rows.size(); ++r) {
    const auto& row = batch.rows[r];
    const int64_t tick = 1999 + static_cast<int64_t>(r / 3);
    const auto chart = static_cast<uint32_t>(r % 3);
    EXPECT_EQ(row.chart_slot, chart + 1);
    EXPECT_EQ(row.timestamp, 1'700'000'000 + tick);
    const auto values = batch.values_of(row);
    ASSERT_EQ(values.size(), 4u);
    for (uint32_t d = 0; d < 4; ++d) EXPECT_EQ(values[d], load_value(tick, chart, d));
  }
}

TEST(LoadEncoderTest, ALoadOverTheTableCapComputesTheSameBytes) {
  LoadgenOptions o = small_load();
  const LoadEncoder table(o);
  o.charts = 3;
  o.dimensions = static_cast<uint32_t>(LoadEncoder::kMaxTableBytes / (kValuePeriod * 8 * 3)) + 1;
  const LoadEncoder computed(o);
  std::string from_table, from_computed;
  table.append_batch(1'700'000'000, 7, 1, from_table);
  computed.append_batch(1'700'000'000, 7, 1, from_computed);
  const auto a = decode_batch(from_table);
  const auto b = decode_batch(from_computed);
  ASSERT_EQ(a.rows.size(), b.rows.size());
  for (size_t r = 0; r < a.rows.size(); ++r) {
    for (size_t d = 0; d < 4; ++d) {
      EXPECT_EQ(a.values_of(a.rows[r])[d], b.values_of(b.rows[r])[d]);
    }
  }
}

TEST(LoadEncoderTest, NetdataTicksRepeatWithTheValuePeriod) {
  LoadgenOptions o = small_load();
  o.protocol = Protocol::netdata;
  const LoadEncoder encoder(o);
  std::string first, again;
  encoder.append_netdata_tick(5, first);
  encoder.append_netdata_tick(5 + kValuePeriod, again);
  EXPECT_EQ(first, again);
  EXPECT_NE(first.find("BEGIN \"loadgen.c2\" 1000000\nSET \"d0\" = "), std::string::npos);
  EXPECT_EQ(first.find("SET \"d0\" = " + std::to_string(static_cast<int>(load_value(5, 0, 0)))),
            first.find("SET \"d0\" = "));
}

TEST(LoadgenArgsTest, ThreadsAreBounded) {
  auto ok = parse_args({"--api-key", "k", "--threads", "2"});
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->threads, 2u);
  EXPECT_FALSE(parse_args({"--api-key", "k", "--threads", "0"}).ok());
}

TEST(LoadgenArgsTest, CompressIsOffUnlessAsked) {
  EXPECT_FALSE(parse_args({"--api-key", "k"})->compress);
  EXPECT_TRUE(parse_args({"--api-key", "k", "--compress"})->compress);
}

TEST(LoadgenArgsTest, TlsOptions) {
  auto verified = parse_args({"--api-key", "k", "--tls", "--tls-ca", "/ca.pem", "--tls-cert",
                              "/c.pem", "--tls-key", "/c.key", "--handshakes"});
  ASSERT_TRUE(verified.ok()) << verified.error().message;
  EXPECT_TRUE(verified->tls);
  EXPECT_TRUE(verified->tls_verify);
  EXPECT_EQ(verified->tls_ca, "/ca.pem");
  EXPECT_EQ(verified->tls_cert, "/c.pem");
  EXPECT_EQ(verified->tls_key, "/c.key");
  EXPECT_TRUE(verified->handshakes_only);
  auto insecure = parse_args({"--api-key", "k", "--tls", "--tls-insecure"});
  ASSERT_TRUE(insecure.ok());
  EXPECT_FALSE(insecure->tls_verify);
  EXPECT_FALSE(parse_args({"--api-key", "k"})->tls);
}

TEST(LoadgenArgsTest, TlsDetailsWithoutTlsOrContradictingAreErrors) {
  auto without = parse_args({"--api-key", "k", "--tls-ca", "/ca.pem"});
  ASSERT_FALSE(without.ok());
  EXPECT_NE(without.error().message.find("need --tls"), std::string::npos);
  auto both = parse_args({"--api-key", "k", "--tls", "--tls-insecure", "--tls-ca", "/ca.pem"});
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("contradict"), std::string::npos);
}

}  // namespace
}  // namespace trib::agent::loadgen
