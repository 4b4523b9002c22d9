#include "common/stream/ingest.h"
#include "tests/support/samples.h"

#include <gtest/gtest.h>

#include <map>

namespace trib::stream {
namespace {

// Records what reaches the store; resume points per GUID are set by the test.
class FakeSink : public IngestSink {
 public:
  Result<uint64_t> host(uint32_t host_slot, const model::HostInfo& info) override {
    hosts.emplace_back(host_slot, info.machine_guid);
    if (fail_next) return Error(Errc::io_error, "store is gone");
    return resume[info.machine_guid];
  }
  Status chart(uint32_t host_slot, uint32_t chart_slot, const model::ChartDef& def) override {
    charts.push_back({host_slot, chart_slot, def});
    return {};
  }
  Status samples(const SamplesMsg& batch) override {
    if (fail_next) return Error(Errc::io_error, "disk full");
    stored.push_back(batch);
    return {};
  }
  Status logs(LogsMsg batch) override {
    stored_logs.push_back(std::move(batch));
    return {};
  }
  Status gaps(GapsMsg batch) override {
    stored_gaps.push_back(std::move(batch));
    return {};
  }
  void goodbye(uint32_t host_slot_or_all, std::string_view reason) override {
    goodbyes.emplace_back(host_slot_or_all, std::string(reason));
  }

  std::map<std::string, uint64_t> resume;
  bool fail_next = false;
  std::vector<std::pair<uint32_t, std::string>> hosts;
  std::vector<ChartDefMsg> charts;
  std::vector<SamplesMsg> stored;
  std::vector<LogsMsg> stored_logs;
  std::vector<GapsMsg> stored_gaps;
  std::vector<std::pair<uint32_t, std::string>> goodbyes;
};

HostDefMsg host_def(uint32_t slot, std::string guid) {
  HostDefMsg msg{slot, {}};
  msg.info.machine_guid = std::move(guid);
  msg.info.hostname = "h" + std::to_string(slot);
  return msg;
}

ChartDefMsg chart_def(uint32_t host_slot, uint32_t chart_slot, size_t dimensions) {
  ChartDefMsg msg{host_slot, chart_slot, {}};
  msg.def.id = "test.chart" + std::to_string(chart_slot);
  for (size_t i = 0; i < dimensions; ++i) {
    model::DimensionDef dim;
    dim.id = "d" + std::to_string(i);
    msg.def.dimensions.push_back(dim);
  }
  return msg;
}

SamplesMsg batch(uint32_t host_slot, uint64_t seq, uint32_t chart_slot, size_t values) {
  return test::samples_msg(host_slot, seq, {{chart_slot, 100, std::vector<double>(values, 1.0)}});
}

class IngestTest : public ::testing::Test {
 protected:
  std::optional<Message> ok(const Message& message) {
    auto reply = dispatcher.dispatch(message);
    EXPECT_TRUE(reply.ok()) << reply.error().describe();
    return reply.ok() ? *reply : std::nullopt;
  }
  std::string violation(const Message& message) {
    auto reply = dispatcher.dispatch(message);
    EXPECT_FALSE(reply.ok());
    if (reply.ok()) return "";
    EXPECT_TRUE(reply.error().is(Errc::protocol_error)) << reply.error().describe();
    return reply.error().message;
  }

  FakeSink sink;
  IngestDispatcher dispatcher{sink, {.max_hosts = 3, .max_charts = 4}};
};

TEST_F(IngestTest, HostChartSamplesFlow) {
  sink.resume["g1"] = 5;
  EXPECT_EQ(ok(host_def(1, "g1")), Message(HostResumeMsg{1, 5}));
  EXPECT_EQ(ok(chart_def(1, 10, 2)), std::nullopt);
  EXPECT_EQ(ok(KeepaliveMsg{}), std::nullopt);
  // At or below the resume point: acknowledged, not stored again.
  EXPECT_EQ(ok(batch(1, 4, 10, 2)), Message(AckMsg{1, 4}));
  EXPECT_EQ(ok(batch(1, 5, 10, 2)), Message(AckMsg{1, 5}));
  EXPECT_TRUE(sink.stored.empty());
  EXPECT_EQ(ok(batch(1, 6, 10, 2)), Message(AckMsg{1, 6}));
  ASSERT_EQ(sink.stored.size(), 1U);
  EXPECT_EQ(sink.stored[0].seq, 6U);
  // Redefinitions are updates.
  EXPECT_EQ(ok(host_def(1, "g1")), Message(HostResumeMsg{1, 5}));
  ok(chart_def(1, 10, 3));
  ok(batch(1, 7, 10, 3));
  EXPECT_EQ(sink.stored.size(), 2U);
}

TEST_F(IngestTest, LogsAndGapsShareTheSamplesSequence) {
  sink.resume["g1"] = 5;
  ok(host_def(1, "g1"));
  ok(chart_def(1, 10, 1));
  const LogsMsg old_logs{1, 5, {{"/a.log", {}}}, {{0, 1, 0, 0, 0, "x", {}}}};
  EXPECT_EQ(ok(old_logs), Message(AckMsg{1, 5}));  // at the resume point: not stored again
  EXPECT_TRUE(sink.stored_logs.empty());
  EXPECT_EQ(ok(batch(1, 6, 10, 1)), Message(AckMsg{1, 6}));
  LogsMsg logs = old_logs;
  logs.seq = 7;
  EXPECT_EQ(ok(logs), Message(AckMsg{1, 7}));
  EXPECT_EQ(ok(GapsMsg{1, 8, {{"/a.log", 1, 1, 9, 0, "spool full"}}, {}}), Message(AckMsg{1, 8}));
  ASSERT_EQ(sink.stored_logs.size(), 1U);
  ASSERT_EQ(sink.stored_gaps.size(), 1U);
  EXPECT_EQ(sink.stored_gaps[0].gaps[0].reason, "spool full");
  // One sequence for all three kinds.
  EXPECT_NE(violation(batch(1, 8, 10, 1)).find("after seq 8"), std::string::npos);
  logs.seq = 8;
  EXPECT_NE(violation(logs).find("Logs seq 8"), std::string::npos);
  EXPECT_NE(violation(GapsMsg{9, 1, {}, {}}).find("Gaps for undefined host slot 9"),
            std::string::npos);
}

TEST_F(IngestTest, ManyHostsKeepTheirOwnSequences) {
  ok(host_def(1, "g1"));
  ok(host_def(2, "g2"));
  ok(chart_def(1, 10, 1));
  ok(chart_def(2, 20, 1));
  ok(batch(1, 9, 10, 1));
  ok(batch(2, 1, 20, 1));
  ok(batch(1, 10, 10, 1));
  EXPECT_EQ(sink.stored.size(), 3U);
  EXPECT_NE(violation(batch(2, 1, 20, 1)).find("seq 1 for g2 after seq 1"), std::string::npos);
}

TEST_F(IngestTest, RejectsWhatBreaksTheSlots) {
  EXPECT_NE(violation(host_def(1, "")).find("no machine GUID"), std::string::npos);
  ok(host_def(1, "g1"));
  EXPECT_NE(violation(host_def(1, "g2")).find("which holds g1"), std::string::npos);
  EXPECT_NE(violation(host_def(2, "g1")).find("defined on host slot 1"), std::string::npos);
  EXPECT_NE(violation(chart_def(9, 10, 1)).find("undefined host slot 9"), std::string::npos);
  ChartDefMsg no_id = chart_def(1, 10, 1);
  no_id.def.id.clear();
  EXPECT_NE(violation(no_id).find("no chart id"), std::string::npos);
  ok(chart_def(1, 10, 2));
  ok(host_def(2, "g2"));
  EXPECT_NE(violation(chart_def(2, 10, 2)).find("reuses chart slot 10 of host slot 1"),
            std::string::npos);
  EXPECT_NE(violation(batch(9, 1, 10, 2)).find("undefined host slot 9"), std::string::npos);
  EXPECT_NE(violation(batch(1, 0, 10, 2)).find("seq 0"), std::string::npos);
  EXPECT_NE(violation(batch(1, 1, 11, 2)).find("undefined chart slot 11"), std::string::npos);
  EXPECT_NE(violation(batch(2, 1, 10, 2)).find("chart slot 10 of host slot 1"), std::string::npos);
  EXPECT_NE(violation(batch(1, 1, 10, 3)).find("has 3 values, the chart has 2 dimensions"),
            std::string::npos);
  EXPECT_NE(violation(AckMsg{1, 1}).find("Ack frames go from the receiver"), std::string::npos);
  EXPECT_NE(violation(HostResumeMsg{1, 1}).find("HostResume frames"), std::string::npos);
  EXPECT_NE(violation(GoodbyeMsg{7, "bye"}).find("undefined host slot 7"), std::string::npos);
  EXPECT_TRUE(sink.stored.empty());
}

TEST_F(IngestTest, RejectedBatchesDoNotAdvanceTheSequence) {
  ok(host_def(1, "g1"));
  ok(chart_def(1, 10, 1));
  violation(batch(1, 1, 10, 2));
  EXPECT_EQ(ok(batch(1, 1, 10, 1)), Message(AckMsg{1, 1}));
}

TEST_F(IngestTest, SinkErrorsPassThroughWithoutAnAck) {
  ok(host_def(1, "g1"));
  ok(chart_def(1, 10, 1));
  sink.fail_next = true;
  auto reply = dispatcher.dispatch(batch(1, 1, 10, 1));
  ASSERT_FALSE(reply.ok());
  EXPECT_TRUE(reply.error().is(Errc::io_error));
  auto host = dispatcher.dispatch(host_def(2, "g2"));
  ASSERT_FALSE(host.ok());
  EXPECT_EQ(host.error().message, "store is gone");
}

TEST_F(IngestTest, GoodbyeReleasesTheHostAndItsCharts) {
  ok(host_def(1, "g1"));
  ok(chart_def(1, 10, 1));
  ok(GoodbyeMsg{1, "agent stopped"});
  ASSERT_EQ(sink.goodbyes.size(), 1U);
  EXPECT_EQ(sink.goodbyes[0], std::make_pair(uint32_t{1}, std::string("agent stopped")));
  violation(batch(1, 1, 10, 1));
  // The slots and the GUID are free again.
  ok(host_def(2, "g1"));
  ok(chart_def(2, 10, 1));
  ok(GoodbyeMsg{kAllHosts, "shutdown"});
  EXPECT_EQ(sink.goodbyes.back().first, kAllHosts);
  violation(chart_def(2, 11, 1));
}

TEST_F(IngestTest, LimitsBoundTheState) {
  ok(host_def(1, "g1"));
  ok(host_def(2, "g2"));
  ok(host_def(3, "g3"));
  auto host = dispatcher.dispatch(host_def(4, "g4"));
  ASSERT_FALSE(host.ok());
  EXPECT_TRUE(host.error().is(Errc::limit_exceeded));
  ok(host_def(3, "g3"));  // redefining is not a new host
  for (uint32_t slot = 0; slot < 4; ++slot) ok(chart_def(1, slot, 1));
  auto chart = dispatcher.dispatch(chart_def(1, 4, 1));
  ASSERT_FALSE(chart.ok());
  EXPECT_TRUE(chart.error().is(Errc::limit_exceeded));
}

}  // namespace
}  // namespace trib::stream
