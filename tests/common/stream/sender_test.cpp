#include "common/stream/sender.h"
#include "common/stream/spool_chart.h"

#include "support/process.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>

#include "common/stream/ingest.h"
#include "common/time/clock.h"
#include "support/fake_stream_receiver.h"
#include "support/log_capture.h"
#include "support/loop_fixture.h"
#include "tests/support/samples.h"

namespace trib::stream {
namespace {

using namespace std::chrono_literals;

constexpr const char* kApiKey = "11111111-2222-3333-4444-555555555555";
constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";

using test::FakeLink;
using test::FakeReceiver;

model::ChartDef chart(const std::string& id, std::vector<std::string> dimensions) {
  model::ChartDef def;
  def.id = id;
  def.name = id;
  def.title = id;
  def.units = "things";
  def.context = id;
  for (auto& d : dimensions) def.dimensions.push_back({d, d});
  return def;
}

model::HostInfo origin(int32_t hops = 0) {
  model::HostInfo host;
  host.hostname = "child";
  host.machine_guid = kGuid;
  host.program_version = "test";
  host.hops = hops;
  return host;
}

std::vector<config::Destination> destinations(const std::string& text) {
  auto parsed = config::parse_destinations(text, 19999);
  EXPECT_TRUE(parsed.ok());
  return parsed.ok() ? *parsed : std::vector<config::Destination>{};
}

SenderOptions options_for(const std::string& destination_text) {
  SenderOptions options;
  options.destinations = destinations(destination_text);
  options.api_key = kApiKey;
  options.timeout = 5s;
  options.reconnect_delay = 1s;
  return options;
}

// A port nobody listens on: bound, then released.
std::string refusing_destination(event::Loop& loop) {
  auto listener = net::TcpListener::listen(loop, "127.0.0.1", 0, [](auto) {});
  EXPECT_TRUE(listener.ok());
  return "127.0.0.1:" + std::to_string((*listener)->port());
}

class SenderTest : public test::LoopTest {
 protected:
  // Lets the loop run for `duration` (to show that something does not happen).
  void run_for(std::chrono::milliseconds duration) {
    bool over = false;
    event::Timer timer(loop_);
    timer.start(duration, 0ms, [&] { over = true; });
    run_until([&] { return over; }, duration + 5s);
  }
  void stop(Sender& sender) {
    bool stopped = false;
    sender.stop([&] { stopped = true; });
    run_until([&] { return stopped; });
  }
};

TEST_F(SenderTest, HandshakeCarriesHostKeyHopsAndOfferedCaps) {
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin(2));
  sender.start();
  run_until([&] { return sender.stats().connected; });
  const HandshakeRequest& request = *receiver.last().request;
  EXPECT_EQ(request.api_key, kApiKey);
  EXPECT_EQ(request.host.machine_guid, kGuid);
  EXPECT_EQ(request.host.hostname, "child");
  EXPECT_EQ(request.host.hops, 3);  // one more hop than the origin has behind it
  EXPECT_TRUE(request.tributary);
  EXPECT_EQ(request.tributary_version, kTributaryProtocolVersion);
  EXPECT_EQ(request.tributary_caps, (std::vector<std::string>{"ack", "zstd", "logs"}));
  EXPECT_EQ(sender.stats().connects, 1u);
  EXPECT_EQ(sender.stats().destination, receiver.destination());
  stop(sender);
}

TEST_F(SenderTest, WithoutCompressionOnlyAckIsOffered) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.compression = false;
  Sender sender(loop_, options, origin());
  sender.start();
  run_until([&] { return sender.stats().connected; });
  EXPECT_EQ(receiver.last().request->tributary_caps, (std::vector<std::string>{"ack", "logs"}));
  stop(sender);
}

TEST_F(SenderTest, DefinitionsGoFirstAndRowsQueuedTogetherShareOneSeq) {
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("system.cpu", {"user", "system"}));
  sender.define_chart(chart("system.load", {"load1"}));
  sender.submit("system.cpu", {100, {1, 2}});
  sender.submit("system.load", {100, {0.5}});
  sender.submit("system.cpu", {101, {3, 4}});
  sender.start();
  run_until([&] { return sender.stats().batches_acked == 1; });

  const FakeLink& link = receiver.last();
  EXPECT_FALSE(link.protocol_error) << *link.protocol_error;
  ASSERT_EQ(link.received.size(), 4u);
  EXPECT_TRUE(std::holds_alternative<HostDefMsg>(link.received[0]));
  EXPECT_EQ(std::get<HostDefMsg>(link.received[0]).info.hops, 1);
  EXPECT_TRUE(std::holds_alternative<ChartDefMsg>(link.received[1]));
  EXPECT_TRUE(std::holds_alternative<ChartDefMsg>(link.received[2]));
  const auto batches = link.all<SamplesMsg>();
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(batches[0].rows.size(), 3u);
  EXPECT_EQ(batches[0].rows[2].timestamp, 101);
  EXPECT_EQ(test::row_values(batches[0], 2), (std::vector<double>{3, 4}));
  EXPECT_EQ(sender.stats().batches_queued, 1u);
  EXPECT_EQ(sender.stats().buffered_bytes, 0u);  // acked, so released

  // A chart defined while streaming is sent before its first rows.
  sender.define_chart(chart("system.ram", {"used"}));
  sender.submit("system.ram", {102, {7}});
  run_until([&] { return sender.stats().batches_acked == 2; });
  ASSERT_EQ(link.received.size(), 6u);
  EXPECT_EQ(std::get<ChartDefMsg>(link.received[4]).def.id, "system.ram");
  EXPECT_GT(std::get<SamplesMsg>(link.received[5]).seq, batches[0].seq);
  stop(sender);
}

TEST_F(SenderTest, AcksReleaseBatchesOnlyUpToTheAckedSeq) {
  FakeReceiver receiver(loop_);
  receiver.acks = false;
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x"}));
  sender.start();
  for (int i = 0; i < 3; ++i) {
    sender.submit("c.a", {100 + i, {double(i)}});
    run_until([&] { return receiver.samples_on_last() == size_t(i + 1); });
  }
  const auto seqs = receiver.last().seqs();
  EXPECT_TRUE(seqs[0] < seqs[1] && seqs[1] < seqs[2]);
  const size_t all_bytes = sender.stats().buffered_bytes;
  receiver.send(receiver.last(), AckMsg{0, seqs[1]});
  run_until([&] { return sender.stats().batches_acked == 2; });
  EXPECT_GT(sender.stats().buffered_bytes, 0u);
  EXPECT_LT(sender.stats().buffered_bytes, all_bytes);
  receiver.send(receiver.last(), AckMsg{0, seqs[2]});
  run_until([&] { return sender.stats().batches_acked == 3; });
  EXPECT_EQ(sender.stats().buffered_bytes, 0u);
  stop(sender);
}

TEST_F(SenderTest, ReconnectResendsExactlyTheBatchesAfterTheResumePoint) {
  FakeReceiver receiver(loop_);
  receiver.acks = false;
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x"}));
  sender.start();
  for (int i = 0; i < 4; ++i) {
    sender.submit("c.a", {100 + i, {double(i)}});
    run_until([&] { return receiver.samples_on_last() == size_t(i + 1); });
  }
  const auto seqs = receiver.last().seqs();
  // Batch 1 is acked on the link; batch 2 is stored but its ack is lost with the link: the
  // resume point of the next handshake says so.
  receiver.send(receiver.last(), AckMsg{0, seqs[0]});
  run_until([&] { return sender.stats().batches_acked == 1; });
  receiver.resume = seqs[1];
  receiver.acks = true;
  receiver.close(receiver.last());
  run_until([&] { return receiver.links.size() == 2 && sender.stats().batches_acked == 4; });

  const FakeLink& second = receiver.last();
  EXPECT_FALSE(second.protocol_error) << *second.protocol_error;
  EXPECT_EQ(second.seqs(), (std::vector<uint64_t>{seqs[2], seqs[3]}));
  ASSERT_FALSE(second.received.empty());
  EXPECT_TRUE(std::holds_alternative<HostDefMsg>(second.received[0]));  // definitions again
  EXPECT_TRUE(std::holds_alternative<ChartDefMsg>(second.received[1]));
  EXPECT_EQ(sender.stats().batches_resent, 2u);
  EXPECT_EQ(sender.stats().batches_sent, 6u);
  EXPECT_EQ(sender.stats().connects, 2u);
  stop(sender);
}

TEST_F(SenderTest, FailsOverToTheNextDestinationWhenTheFirstRefusesConnections) {
  FakeReceiver receiver(loop_);
  const std::string dead = refusing_destination(loop_);
  Sender sender(loop_, options_for(dead + " " + receiver.destination()), origin());
  test::LogCapture log(log::Channel::stream);
  sender.start();
  run_until([&] { return sender.stats().connected; });
  EXPECT_EQ(sender.stats().destination, receiver.destination());
  EXPECT_EQ(sender.stats().connect_failures, 1u);
  EXPECT_TRUE(log.contains("cannot use '" + dead + "'")) << log.dump();
  stop(sender);
}

TEST_F(SenderTest, AnAddressThatFailsAtOnceDoesNotStallFailover) {
  // Connecting to the broadcast address fails inside connect() itself, so the failure is
  // reported before TcpConnect::start() returns.
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for("255.255.255.255:9 " + receiver.destination()), origin());
  sender.start();
  run_until([&] { return sender.stats().connected; });
  EXPECT_EQ(sender.stats().destination, receiver.destination());
  EXPECT_EQ(sender.stats().connect_failures, 1u);
  stop(sender);
}

TEST_F(SenderTest, AfterASuccessTheNextDestinationIsTriedFirst) {
  FakeReceiver a(loop_);
  FakeReceiver b(loop_);
  Sender sender(loop_, options_for(a.destination() + " " + b.destination()), origin());
  sender.start();
  run_until([&] { return a.links.size() == 1 && sender.stats().connected; });
  a.close(a.last());
  run_until([&] { return b.links.size() == 1 && sender.stats().connected; });
  EXPECT_EQ(sender.stats().destination, b.destination());
  b.close(b.last());
  run_until([&] { return a.links.size() == 2 && sender.stats().connected; });
  EXPECT_EQ(b.links.size(), 1u);
  EXPECT_EQ(sender.stats().connects, 3u);
  EXPECT_EQ(sender.stats().connect_failures, 0u);
  stop(sender);
}

class SenderRefusalTest : public SenderTest, public ::testing::WithParamInterface<Refusal> {};

TEST_P(SenderRefusalTest, PostponesTheDestinationForTheRefusalsBackoffAndLogsWhy) {
  const Refusal refusal = GetParam();
  FakeReceiver receiver(loop_);
  receiver.reply = [&](const HandshakeRequest&) {
    return tributary_reply(refusal, "the detail of this refusal");
  };
  Sender sender(loop_, options_for(receiver.destination()), origin());
  test::LogCapture log(log::Channel::stream);
  sender.start();
  run_until([&] { return sender.stats().connect_failures == 1; });
  run_for(300ms);
  EXPECT_EQ(receiver.links.size(), 1u);  // not retried at once
  EXPECT_FALSE(sender.stats().connected);
  EXPECT_TRUE(log.contains("refused the stream: the detail of this refusal (" +
                           std::string(refusal_code(refusal)) + ")"))
      << log.dump();
  // The first retry comes after the reconnect delay (1 s here); later ones double up to the
  // refusal's Netdata back-off (RetryDelayTest).
  EXPECT_TRUE(log.contains("retrying in 1 s")) << log.dump();
  stop(sender);
}

INSTANTIATE_TEST_SUITE_P(EveryRefusal, SenderRefusalTest,
                         ::testing::Values(Refusal::denied, Refusal::already_streaming,
                                           Refusal::localhost, Refusal::busy, Refusal::forbidden,
                                           Refusal::bad_request),
                         [](const auto& param_info) {
                           std::string name(refusal_code(param_info.param));
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST_F(SenderTest, NetdataRefusalStringIsARefusalToo) {
  FakeReceiver receiver(loop_);
  receiver.reply = [](const HandshakeRequest&) {
    return std::string(netdata_reply(Refusal::localhost));
  };
  Sender sender(loop_, options_for(receiver.destination()), origin());
  test::LogCapture log(log::Channel::stream);
  sender.start();
  run_until([&] { return sender.stats().connect_failures == 1; });
  EXPECT_TRUE(log.contains("refused the stream: ")) << log.dump();
  EXPECT_TRUE(log.contains("(localhost)")) << log.dump();
  stop(sender);
}

TEST(RetryDelayTest, DoublesFromTheReconnectDelayUpToTheCap) {
  const auto cap = std::chrono::duration_cast<std::chrono::milliseconds>(
      refusal_backoff(Refusal::denied));  // 1 min
  EXPECT_EQ(retry_delay(1s, 0, cap), 1s);
  EXPECT_EQ(retry_delay(1s, 1, cap), 2s);
  EXPECT_EQ(retry_delay(1s, 5, cap), 32s);
  EXPECT_EQ(retry_delay(1s, 6, cap), 60s);
  EXPECT_EQ(retry_delay(1s, 1000, cap), 60s);
  // The already-streaming refusal waits up to 2 min, "my own GUID" up to 1 h.
  EXPECT_EQ(retry_delay(5s, 30,
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            refusal_backoff(Refusal::already_streaming))),
            120s);
  EXPECT_EQ(retry_delay(5s, 30,
                        std::chrono::duration_cast<std::chrono::milliseconds>(
                            refusal_backoff(Refusal::localhost))),
            3600s);
  // Never below the configured reconnect delay, whatever the cap.
  EXPECT_EQ(retry_delay(90s, 0, 60s), 90s);
}

TEST_F(SenderTest, StockNetdataOkIsIncompatible) {
  FakeReceiver receiver(loop_);
  receiver.reply = [](const HandshakeRequest& request) {
    return netdata_ok_reply(netdata_reply_caps(request.netdata_caps, request.has_ver));
  };
  Sender sender(loop_, options_for(receiver.destination()), origin());
  test::LogCapture log(log::Channel::stream);
  sender.start();
  run_until([&] { return sender.stats().connect_failures == 1; });
  run_until([&] { return !receiver.links.empty() && receiver.last().ended; });
  EXPECT_FALSE(sender.stats().connected);
  EXPECT_EQ(sender.stats().connects, 0u);
  EXPECT_TRUE(log.contains("is a Netdata parent")) << log.dump();
  EXPECT_TRUE(log.contains("retrying in 60 s")) << log.dump();
  stop(sender);
}

TEST_F(SenderTest, BufferBoundDropsTheOldestBatchesAndCountsThem) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  std::vector<double> values(100, 1.0);
  options.buffer_size_bytes = 2 * values.size() * sizeof(double) + 400;  // about two batches
  Sender sender(loop_, options, origin());
  std::vector<std::string> dims;
  for (size_t i = 0; i < values.size(); ++i) dims.push_back("d" + std::to_string(i));
  sender.define_chart(chart("c.big", dims));
  for (int i = 0; i < 4; ++i) {
    sender.submit("c.big", {100 + i, values});
    run_until([&] { return sender.stats().batches_queued == size_t(i + 1); });
  }
  EXPECT_EQ(sender.stats().batches_dropped, 2u);
  EXPECT_EQ(sender.stats().values_dropped, 200u);
  EXPECT_LE(sender.stats().buffered_bytes, options.buffer_size_bytes);

  sender.start();
  run_until([&] { return sender.stats().batches_acked == 2; });
  const auto batches = receiver.last().all<SamplesMsg>();
  ASSERT_EQ(batches.size(), 2u);  // the two newest
  EXPECT_EQ(batches[0].rows[0].timestamp, 102);
  EXPECT_EQ(batches[1].rows[0].timestamp, 103);
  stop(sender);
}

LogsMsg one_log(const std::string& line) {
  return LogsMsg{0, 0, {{"/var/log/a.log", {}}}, {{0, 1, 0, 5, 0, line, {}}}};
}

TEST_F(SenderTest, LogBatchesShareTheSequenceAndReportTheirTicketsWhenAcked) {
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin());
  std::vector<uint64_t> acked;
  sender.set_on_logs_acked([&](uint64_t ticket) { acked.push_back(ticket); });
  sender.define_chart(chart("c.a", {"x"}));
  sender.submit("c.a", {100, {1.0}});
  sender.submit_logs(one_log("first"), GapsMsg{0, 0, {{"/var/log/a.log", 1, 9, 20, 5, "test"}}, {}},
                     7);
  sender.submit_logs(one_log("second"), GapsMsg{}, 8);
  sender.start();
  run_until([&] { return acked.size() == 2; });
  EXPECT_EQ(acked, (std::vector<uint64_t>{7, 8}));
  const auto& link = receiver.last();
  ASSERT_EQ(link.stored_logs.size(), 2U);
  ASSERT_EQ(link.stored_gaps.size(), 1U);
  EXPECT_EQ(link.stored_logs[0].records[0].line, "first");
  // Samples, then the gaps, then the records they came with: one increasing sequence.
  EXPECT_LT(receiver.last().seqs()[0], link.stored_gaps[0].seq);
  EXPECT_LT(link.stored_gaps[0].seq, link.stored_logs[0].seq);
  EXPECT_LT(link.stored_logs[0].seq, link.stored_logs[1].seq);
  stop(sender);
}

TEST_F(SenderTest, TheBufferBoundNeverDropsLogBatches) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.buffer_size_bytes = 1000;
  Sender sender(loop_, options, origin());
  std::vector<uint64_t> acked;
  sender.set_on_logs_acked([&](uint64_t ticket) { acked.push_back(ticket); });
  sender.define_chart(chart("c.a", {"x"}));
  sender.submit_logs(one_log(std::string(5000, 'x')), GapsMsg{}, 1);
  for (int i = 0; i < 200; ++i) {
    sender.submit("c.a", {100 + i, {1.0}});
    run_until([&] { return sender.stats().batches_queued == size_t(i + 1); });
  }
  EXPECT_GT(sender.stats().batches_dropped, 0U);
  sender.start();
  run_until([&] { return acked.size() == 1; });
  EXPECT_EQ(receiver.last().stored_logs.size(), 1U);  // connected: acked means received
  stop(sender);
}

TEST_F(SenderTest, LogBatchesWaitForAParentThatTakesLogs) {
  FakeReceiver receiver(loop_);
  receiver.reply = [](const HandshakeRequest&) { return tributary_ok_reply({"ack"}, 0); };
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.submit_logs(one_log("held"), GapsMsg{}, 1);
  sender.start();
  run_until([&] { return sender.stats().connects >= 1 && !sender.stats().connected; });
  EXPECT_FALSE(receiver.last().protocol_error.has_value());  // nothing it cannot take was sent
  EXPECT_EQ(sender.stats().log_batches_acked, 0U);
  stop(sender);
}

TEST_F(SenderTest, ASpooledBatchIsReplayedByTheNextSenderWithItsTimestamp) {
  test::TempDir dir;
  {
    SenderOptions offline;  // no destination: nothing is sent, the batch stays in the spool
    offline.spool_dir = dir / "spool";
    Sender sender(loop_, offline, origin());
    sender.start();
    sender.define_chart(chart("c.a", {"x"}));
    sender.submit("c.a", {123, {4.5}});
    sender.submit_logs(one_log("spooled line"), GapsMsg{}, 1);
    run_until([&] { return sender.stats().log_batches_queued == 1; });
    EXPECT_GT(sender.stats().spool_bytes, 0U);
  }
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.spool_dir = dir / "spool";
  Sender sender(loop_, options, origin());
  sender.start();
  EXPECT_EQ(sender.stats().batches_replayed, 2U);
  run_until([&] { return !receiver.links.empty() && receiver.last().stored_logs.size() == 1; });
  const auto samples = receiver.last().all<SamplesMsg>();
  ASSERT_EQ(samples.size(), 1U);
  EXPECT_EQ(samples[0].rows[0].timestamp, 123);
  EXPECT_EQ(test::row_values(samples[0], 0), std::vector<double>{4.5});
  run_until([&] { return sender.stats().spool_bytes == 0; });
  stop(sender);
}

TEST_F(SenderTest, FillingTheSpoolMovesTheSpoolChart) {
  test::TempDir dir;
  constexpr uint64_t kMax = 1 << 20;
  SenderOptions offline;  // no destination: every batch stays in the spool
  offline.spool_dir = dir / "spool";
  offline.spool_max_size = kMax;
  Sender sender(loop_, offline, origin());
  sender.start();
  sender.define_chart(chart("c.a", {"x"}));
  const auto chart_now = [&](int64_t t) {
    return spool_sample(SpoolFill{sender.stats().spool_bytes, kMax}, t).values;
  };
  const auto max_bytes = static_cast<double>(kMax);
  EXPECT_EQ(chart_now(1), (std::vector<double>{0, max_bytes}));
  double before = 0;
  for (int64_t t = 1; t <= 3; ++t) {
    sender.submit_logs(one_log("line " + std::to_string(t)), GapsMsg{}, static_cast<uint64_t>(t));
    run_until([&] { return sender.stats().log_batches_queued == static_cast<uint64_t>(t); });
    const auto values = chart_now(t);
    EXPECT_GT(values[0], before) << "after batch " << t;
    EXPECT_EQ(values[1], max_bytes);
    before = values[0];
  }
  const model::ChartDef def = spool_chart("agent");
  EXPECT_EQ(def.id, "tributary.spool");
  EXPECT_EQ(def.dimensions.size(), 2u);
  EXPECT_EQ(def.dimensions[0].id, "used");
  EXPECT_EQ(def.dimensions[1].id, "max");
}

TEST_F(SenderTest, SendsKeepalivesWhenIdle) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.timeout = 2s;  // keepalive after a third of it
  Sender sender(loop_, options, origin());
  sender.start();
  run_until([&] { return !receiver.links.empty() && !receiver.last().all<KeepaliveMsg>().empty(); },
            5s);
  EXPECT_TRUE(sender.stats().connected);
  stop(sender);
}

TEST_F(SenderTest, DropsALinkThatStaysSilentPastTheTimeout) {
  FakeReceiver receiver(loop_);
  receiver.acks = false;  // not even a HostResume: the receiver says nothing at all
  auto options = options_for(receiver.destination());
  options.timeout = 1s;
  Sender sender(loop_, options, origin());
  test::LogCapture log(log::Channel::stream);
  sender.start();
  run_until([&] { return !receiver.links.empty() && receiver.links[0]->ended; }, 5s);
  EXPECT_TRUE(log.contains("nothing received for 1 s")) << log.dump();
  EXPECT_EQ(sender.stats().connects, 1u);
  stop(sender);
}

TEST_F(SenderTest, StopSendsAGoodbyeThenCallsDone) {
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x"}));
  sender.start();
  run_until([&] { return sender.stats().connected; });
  sender.submit("c.a", {100, {1}});  // still in the batch window: stop() sends it first
  bool done = false;
  sender.stop([&] { done = true; });
  run_until([&] { return done && receiver.last().ended; });
  const FakeLink& link = receiver.last();
  ASSERT_GE(link.received.size(), 2u);
  EXPECT_EQ(link.all<SamplesMsg>().size(), 1u);
  ASSERT_TRUE(std::holds_alternative<GoodbyeMsg>(link.received.back()));
  EXPECT_EQ(std::get<GoodbyeMsg>(link.received.back()).host_slot, kAllHosts);
}

TEST_F(SenderTest, StopWhileNotConnectedCallsDoneAtOnce) {
  Sender sender(loop_, options_for(refusing_destination(loop_)), origin());
  sender.start();
  bool done = false;
  sender.stop([&] { done = true; });
  EXPECT_TRUE(done);
}

TEST_F(SenderTest, ReconfigureWithNewDestinationsMovesTheLink) {
  FakeReceiver a(loop_);
  FakeReceiver b(loop_);
  Sender sender(loop_, options_for(a.destination()), origin());
  sender.start();
  run_until([&] { return sender.stats().connected; });

  // Other settings alone keep the link.
  auto same_link = options_for(a.destination());
  same_link.buffer_size_bytes = 1024 * 1024;
  sender.reconfigure(same_link);
  EXPECT_TRUE(sender.stats().connected);

  sender.reconfigure(options_for(b.destination()));
  run_until([&] { return sender.stats().connected && b.links.size() == 1 && a.last().ended; });
  ASSERT_FALSE(a.last().received.empty());
  EXPECT_TRUE(std::holds_alternative<GoodbyeMsg>(a.last().received.back()));  // a clean stop
  EXPECT_EQ(a.links.size(), 1u);
  EXPECT_EQ(sender.stats().destination, b.destination());
  stop(sender);
}

TEST_F(SenderTest, QueuedRowsArePaddedToARedefinitionThatAppendedDimensions) {
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x", "y"}));
  sender.submit("c.a", {100, {1, 2}});
  sender.define_chart(chart("c.a", {"x", "y", "z"}));  // seals the 2-value row first
  sender.submit("c.a", {101, {4, 5, 6}});
  sender.start();
  run_until([&] { return sender.stats().batches_acked == 2; });

  const FakeLink& link = receiver.last();
  EXPECT_FALSE(link.protocol_error) << *link.protocol_error;
  const auto defs = link.all<ChartDefMsg>();
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(defs[0].def.dimensions.size(), 3u);
  const auto batches = link.all<SamplesMsg>();
  ASSERT_EQ(batches.size(), 2u);
  ASSERT_EQ(test::row_values(batches[0], 0).size(), 3u);
  EXPECT_EQ(test::row_values(batches[0], 0)[0], 1);
  EXPECT_EQ(test::row_values(batches[0], 0)[1], 2);
  EXPECT_TRUE(std::isnan(test::row_values(batches[0], 0)[2]));
  EXPECT_EQ(test::row_values(batches[1], 0), (std::vector<double>{4, 5, 6}));
  EXPECT_EQ(sender.stats().rows_padded, 1u);
  stop(sender);
}

TEST_F(SenderTest, ABatchResentAfterARedefinitionIsPaddedAndTheQueuedCopyKept) {
  FakeReceiver receiver(loop_);
  receiver.acks = false;
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x", "y"}));
  sender.start();
  sender.submit("c.a", {100, {1, 2}});
  run_until([&] { return receiver.samples_on_last() == 1; });
  EXPECT_EQ(test::row_values(receiver.last().all<SamplesMsg>()[0], 0).size(), 2u);
  sender.define_chart(chart("c.a", {"x", "y", "z"}));
  run_until([&] { return receiver.last().all<ChartDefMsg>().size() == 2; });
  receiver.acks = true;
  receiver.close(receiver.last());
  run_until([&] { return sender.stats().batches_acked == 1; });

  const FakeLink& second = receiver.last();
  EXPECT_FALSE(second.protocol_error) << *second.protocol_error;
  const auto batches = second.all<SamplesMsg>();
  ASSERT_EQ(batches.size(), 1u);
  ASSERT_EQ(test::row_values(batches[0], 0).size(), 3u);
  EXPECT_TRUE(std::isnan(test::row_values(batches[0], 0)[2]));
  EXPECT_EQ(sender.stats().batches_resent, 1u);
  stop(sender);
}

TEST_F(SenderTest, RowsLongerThanTheirChartAreCutAndCounted) {
  // Collectors must only append dimensions; should one drop one, the receiver still gets rows
  // that fit the definition it has.
  FakeReceiver receiver(loop_);
  Sender sender(loop_, options_for(receiver.destination()), origin());
  test::LogCapture log(log::Channel::stream);
  sender.define_chart(chart("c.a", {"x", "y", "z"}));
  sender.submit("c.a", {100, {1, 2, 3}});
  sender.define_chart(chart("c.a", {"x", "y"}));
  sender.start();
  run_until([&] { return sender.stats().batches_acked == 1; });
  const auto batches = receiver.last().all<SamplesMsg>();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(test::row_values(batches[0], 0), (std::vector<double>{1, 2}));
  EXPECT_EQ(sender.stats().values_truncated, 1u);
  EXPECT_TRUE(log.contains("1 value(s) cut")) << log.dump();
  stop(sender);
}

TEST_F(SenderTest, BatchesNumberedBelowTheResumePointOfAFirstHandshakeAreRenumbered) {
  // The receiver stored this host's batches up to a seq above this sender's clock-based
  // numbering (the clock went back since an earlier run): without renumbering, the new batches
  // would be acknowledged as duplicates and never stored.
  FakeReceiver receiver(loop_);
  const uint64_t ahead = static_cast<uint64_t>(time::SystemClock::instance().now_us()) * 2;
  receiver.resume = ahead;
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x"}));
  sender.submit("c.a", {100, {1}});
  sender.define_chart(chart("c.b", {"x"}));  // seals the first batch
  sender.submit("c.b", {100, {2}});
  sender.start();
  run_until([&] { return sender.stats().batches_acked == 2; });
  EXPECT_EQ(receiver.last().seqs(), (std::vector<uint64_t>{ahead + 1, ahead + 2}));
  EXPECT_EQ(receiver.last().stored, 2u);
  // The first was queued and is renumbered; the second was still open and gets its number
  // after the handshake, above the resume point already.
  EXPECT_EQ(sender.stats().batches_renumbered, 1u);

  sender.submit("c.a", {101, {3}});  // and later batches follow on
  run_until([&] { return sender.stats().batches_acked == 3; });
  EXPECT_EQ(receiver.last().seqs().back(), ahead + 3);
  EXPECT_EQ(receiver.last().stored, 3u);
  stop(sender);
}

TEST_F(SenderTest, SequenceNumbersKeepIncreasingAcrossSenderInstances) {
  FakeReceiver receiver(loop_);
  uint64_t first_seq = 0;
  {
    Sender sender(loop_, options_for(receiver.destination()), origin());
    sender.define_chart(chart("c.a", {"x"}));
    sender.submit("c.a", {100, {1}});
    sender.start();
    run_until([&] { return sender.stats().batches_acked == 1; });
    first_seq = receiver.last().seqs().at(0);
    stop(sender);
  }
  // The receiver stored that batch; a restarted sender must not number below it (it would be
  // acknowledged as a duplicate and never stored).
  receiver.resume = first_seq;
  Sender sender(loop_, options_for(receiver.destination()), origin());
  sender.define_chart(chart("c.a", {"x"}));
  sender.submit("c.a", {101, {2}});
  sender.start();
  run_until([&] { return sender.stats().batches_acked == 1; });
  ASSERT_EQ(receiver.links.size(), 2u);
  EXPECT_GT(receiver.last().seqs().at(0), first_seq);
  stop(sender);
}

TEST_F(SenderTest, ARelayKeepsTheOriginsNumbersSpoolsFirstAndTakesAResendOnce) {
  test::TempDir dir;
  {
    SenderOptions offline;  // no destination: the batches stay in the spool
    offline.spool_dir = dir / "spool";
    Sender relay(loop_, offline, origin(1), SenderMode::relay);
    relay.start();
    const uint32_t slot = relay.define_chart(chart("c.a", {"x"}));
    ASSERT_NE(slot, 0U);
    EXPECT_TRUE(relay.relay(test::samples_msg(5, 100, {{slot, 1000, {1.0}}})).ok());
    EXPECT_TRUE(relay.relay(test::samples_msg(5, 101, {{slot, 1001, {2.0}}})).ok());
    EXPECT_TRUE(relay.relay(test::samples_msg(5, 101, {{slot, 1001, {2.0}}})).ok());  // a resend
    EXPECT_TRUE(relay.relay(LogsMsg{5, 102, {{"/a.log", {}}}, {{0, 1, 0, 5, 0, "x", {}}}}).ok());
    EXPECT_EQ(relay.stats().batches_queued, 2U);
    EXPECT_EQ(relay.relayed_through(), 102U);
  }
  FakeReceiver receiver(loop_);
  receiver.resume = 100;  // the upstream parent has the first batch already
  auto options = options_for(receiver.destination());
  options.spool_dir = dir / "spool";
  Sender relay(loop_, options, origin(1), SenderMode::relay);
  relay.set_path({"proxy,1"}, {"bbbbbbbb-0000-4000-8000-0000000000b2"});
  relay.start();
  EXPECT_EQ(relay.relayed_through(), 102U);  // what it holds survives the restart
  run_until([&] { return !receiver.links.empty() && receiver.last().stored_logs.size() == 1; });
  EXPECT_EQ(receiver.last().seqs(), std::vector<uint64_t>{101});  // not renumbered
  EXPECT_EQ(receiver.last().stored_logs[0].seq, 102U);
  EXPECT_EQ(receiver.last().request->host.hops, 2);
  EXPECT_EQ(receiver.last().request->path, std::vector<std::string>{"proxy_1"});
  run_until([&] { return relay.drained(); });
  stop(relay);
}

TEST_F(SenderTest, SendChartsMatchingLeavesTheOtherChartsAndTheirRowsOut) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.send_charts_matching = "!system.load system.*";
  Sender sender(loop_, options, origin());
  EXPECT_NE(sender.define_chart(chart("system.cpu", {"user"})), 0U);
  EXPECT_EQ(sender.define_chart(chart("system.load", {"load1"})), 0U);
  EXPECT_EQ(sender.define_chart(chart("apps.cpu", {"x"})), 0U);
  sender.submit("system.load", {100, {0.5}});  // dropped quietly
  sender.submit("system.cpu", {100, {1}});
  sender.start();
  run_until([&] { return receiver.samples_on_last() == 1; });
  const auto defs = receiver.last().all<ChartDefMsg>();
  ASSERT_EQ(defs.size(), 1U);
  EXPECT_EQ(defs[0].def.id, "system.cpu");
  EXPECT_EQ(receiver.last().all<SamplesMsg>()[0].rows.size(), 1U);
  stop(sender);
}

TEST_F(SenderTest, AFullRelaySpoolKeepsEveryBatchAndSaysItIsFullUntilAcksMakeRoom) {
  test::TempDir dir;
  FakeReceiver receiver(loop_);
  SenderOptions offline;  // the upstream parent appears only later
  offline.spool_dir = dir / "spool";
  offline.spool_max_size = 700;
  Sender relay(loop_, offline, origin(1), SenderMode::relay);
  relay.start();
  for (uint64_t seq = 1; seq <= 10; ++seq) {
    LogsMsg logs{5, seq, {{"/a.log", {}}}, {{0, 1, seq * 100, 5, 0, std::string(90, 'x'), {}}}};
    ASSERT_TRUE(relay.relay(std::move(logs)).ok());
  }
  // Acknowledged downstream already: past the bound they stay, and the proxy is told to stop
  // taking more.
  EXPECT_TRUE(relay.spool_full());
  EXPECT_EQ(relay.stats().spool_dropped, 0U);
  auto options = options_for(receiver.destination());
  options.spool_dir = offline.spool_dir;
  options.spool_max_size = offline.spool_max_size;
  relay.reconfigure(options);
  run_until([&] { return relay.drained(); });
  std::vector<uint64_t> seqs;
  for (const auto& logs : receiver.last().stored_logs) seqs.push_back(logs.seq);
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}));
  EXPECT_TRUE(receiver.last().stored_gaps.empty());
  EXPECT_FALSE(relay.spool_full());
  stop(relay);
}

// parent.yaml spool.when_full: drop_oldest. A relaying spool past its bound replaces its oldest
// batches by gap records under their own seqs: the receiver gets every seq once, as data or as
// the gap that covers it, and the proxy never stops reading from the host.
TEST_F(SenderTest, AFullRelaySpoolWithDropOldestSendsGapRecordsUnderTheDroppedSeqs) {
  test::TempDir dir;
  FakeReceiver receiver(loop_);
  SenderOptions offline;  // the upstream parent appears only later
  offline.spool_dir = dir / "spool";
  offline.spool_max_size = 1200;
  offline.relay_when_full = Spool::WhenFull::replace_oldest_with_gaps;
  Sender relay(loop_, offline, origin(1), SenderMode::relay);
  relay.start();
  const uint32_t slot = relay.define_chart(chart("system.cpu", {"user"}));
  uint32_t seed = 7;
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    if (seq % 2 == 0) {
      std::string line(90, 'x');
      for (char& c : line)
        c = static_cast<char>('!' + ((seed = seed * 1664525 + 1013904223) >> 24) % 90);
      ASSERT_TRUE(
          relay.relay(LogsMsg{5, seq, {{"/a.log", {}}}, {{0, 1, seq * 100, 5, 0, line, {}}}}).ok());
    } else {
      SamplesMsg samples{.host_slot = 5, .seq = seq};
      for (int64_t t = 0; t < 5; ++t) {
        const auto value = static_cast<double>((seed = seed * 1664525 + 1013904223) >> 8);
        samples.add_row(slot, 1000 + static_cast<int64_t>(seq) * 5 + t, {&value, 1});
      }
      ASSERT_TRUE(relay.relay(std::move(samples)).ok());
    }
    EXPECT_FALSE(relay.spool_full());  // never backpressure
  }
  EXPECT_GT(relay.stats().spool_dropped, 0U);
  EXPECT_LE(relay.stats().spool_bytes, 1200U);
  auto options = options_for(receiver.destination());
  options.spool_dir = offline.spool_dir;
  options.spool_max_size = offline.spool_max_size;
  options.relay_when_full = offline.relay_when_full;
  relay.reconfigure(options);
  run_until([&] { return relay.drained(); });
  const FakeLink& link = receiver.last();
  std::set<uint64_t> data_seqs;
  for (const auto& samples : link.all<SamplesMsg>()) data_seqs.insert(samples.seq);
  for (const auto& logs : link.stored_logs) data_seqs.insert(logs.seq);
  std::set<uint64_t> gap_seqs;
  for (const auto& gaps : link.stored_gaps) {
    gap_seqs.insert(gaps.seq);
    if (gaps.seq % 2 == 0) {
      ASSERT_EQ(gaps.gaps.size(), 1U);
      EXPECT_EQ(gaps.gaps[0].from, gaps.seq * 100);
      EXPECT_EQ(gaps.gaps[0].to, gaps.seq * 100 + 91);
    } else {
      ASSERT_EQ(gaps.metric_gaps.size(), 1U);
      EXPECT_EQ(gaps.metric_gaps[0].from_s, 1000 + static_cast<int64_t>(gaps.seq) * 5);
      EXPECT_EQ(gaps.metric_gaps[0].to_s, 1000 + static_cast<int64_t>(gaps.seq) * 5 + 5);
      EXPECT_EQ(gaps.metric_gaps[0].reason, kProxyGapReason);
    }
  }
  EXPECT_EQ(gap_seqs.size(), relay.stats().spool_dropped);
  // The oldest went; every seq arrived once, as data or as its gap.
  EXPECT_EQ(*gap_seqs.begin(), 1U);
  for (uint64_t seq = 1; seq <= 20; ++seq) {
    EXPECT_NE(data_seqs.contains(seq), gap_seqs.contains(seq)) << seq;
  }
  EXPECT_TRUE(data_seqs.contains(20));
  stop(relay);
}

// A relaying sender keeps buffer_size_bytes of its queue in memory and the rest in its spool
// only: an upstream parent away for long costs disk, not memory. What it sends later is read
// back from the spool, unchanged and in order.
TEST_F(SenderTest, ARelayKeepsItsBufferInMemoryAndTheRestInTheSpoolOnly) {
  test::TempDir dir;
  FakeReceiver receiver(loop_);
  SenderOptions offline;
  offline.spool_dir = dir / "spool";
  offline.spool_max_size = 1 << 20;
  offline.buffer_size_bytes = 2000;
  Sender relay(loop_, offline, origin(1), SenderMode::relay);
  relay.start();
  const uint32_t slot = relay.define_chart(chart("system.cpu", {"user"}));
  std::vector<SamplesMsg> sent;
  for (uint64_t k = 1; k <= 40; ++k) {
    SamplesMsg samples{.host_slot = 0, .seq = 2 * k - 1};
    for (int64_t t = 0; t < 5; ++t) {
      const double value = static_cast<double>(k) * 1.5;
      samples.add_row(slot, 1000 + static_cast<int64_t>(k) * 5 + t, {&value, 1});
    }
    sent.push_back(samples);
    ASSERT_TRUE(relay.relay(std::move(samples)).ok());
    ASSERT_TRUE(relay
                    .relay(LogsMsg{0,
                                   2 * k,
                                   {{"/a.log", {}}},
                                   {{0, 1, k * 10, 5, 0, "line " + std::to_string(k), {}}}})
                    .ok());
    EXPECT_LE(relay.stats().buffered_bytes + relay.stats().log_buffered_bytes, 2000U);
  }
  EXPECT_GT(relay.stats().batches_evicted, 60U);
  auto options = options_for(receiver.destination());
  options.spool_dir = offline.spool_dir;
  options.spool_max_size = offline.spool_max_size;
  options.buffer_size_bytes = offline.buffer_size_bytes;
  relay.reconfigure(options);
  run_until([&] { return relay.drained(); });
  EXPECT_EQ(receiver.last().all<SamplesMsg>(), sent);
  ASSERT_EQ(receiver.last().stored_logs.size(), 40U);
  EXPECT_EQ(receiver.last().stored_logs[39].records[0].line, "line 40");
  EXPECT_GE(relay.stats().batches_read_back, relay.stats().batches_evicted);
  stop(relay);
}

TEST_F(SenderTest, ANewSendChartsMatchingAppliesAtOnceOnTheSameConnection) {
  FakeReceiver receiver(loop_);
  auto options = options_for(receiver.destination());
  options.send_charts_matching = "system.*";
  Sender sender(loop_, options, origin());
  const uint32_t system_slot = sender.define_chart(chart("system.cpu", {"user"}));
  EXPECT_EQ(sender.define_chart(chart("apps.cpu", {"x"})), 0U);
  sender.start();
  sender.submit("system.cpu", {100, {1}});
  run_until([&] { return receiver.samples_on_last() == 1; });

  options.send_charts_matching = "apps.*";
  sender.reconfigure(options);
  sender.submit("system.cpu", {101, {2}});  // left out now: dropped quietly
  sender.submit("apps.cpu", {101, {3}});
  run_until([&] { return receiver.samples_on_last() == 2; });
  EXPECT_EQ(receiver.links.size(), 1U);  // no reconnect
  const auto defs = receiver.last().all<ChartDefMsg>();
  ASSERT_EQ(defs.size(), 2U);
  EXPECT_EQ(defs[1].def.id, "apps.cpu");
  const auto rows = receiver.last().all<SamplesMsg>()[1].rows;
  ASSERT_EQ(rows.size(), 1U);
  EXPECT_EQ(rows[0].chart_slot, defs[1].chart_slot);

  // Taken again, system.cpu keeps its slot.
  options.send_charts_matching = "*";
  sender.reconfigure(options);
  EXPECT_EQ(sender.define_chart(chart("system.cpu", {"user"})), system_slot);
  stop(sender);
}

TEST_F(SenderTest, ASpooledBatchTheReceiverStoredAlreadyIsAcknowledgedNotRenumbered) {
  test::TempDir dir;
  uint64_t spooled_seq = 0;
  {
    SenderOptions offline;
    offline.spool_dir = dir / "spool";
    Sender sender(loop_, offline, origin());
    sender.start();
    sender.define_chart(chart("c.a", {"x"}));
    sender.submit("c.a", {123, {4.5}});
    run_until([&] { return sender.stats().batches_queued == 1; });
  }
  {
    auto spool = std::move(Spool::open(dir / "spool", 1 << 20)).value();
    spooled_seq = spool->last_appended_seq();
  }
  ASSERT_NE(spooled_seq, 0U);
  FakeReceiver receiver(loop_);
  receiver.resume = spooled_seq;  // it was stored before the sender stopped
  auto options = options_for(receiver.destination());
  options.spool_dir = dir / "spool";
  Sender sender(loop_, options, origin());
  sender.start();
  run_until([&] { return sender.stats().connected && sender.drained(); });
  EXPECT_EQ(sender.stats().batches_renumbered, 0U);
  EXPECT_TRUE(receiver.last().seqs().empty());
  stop(sender);
}

}  // namespace
}  // namespace trib::stream
