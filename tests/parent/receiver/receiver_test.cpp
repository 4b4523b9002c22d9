#include "parent/receiver/receiver.h"

#include <gtest/gtest.h>

#include <optional>

#include "common/http/server.h"
#include "support/log_capture.h"
#include "support/loop_fixture.h"
#include "tests/support/samples.h"

namespace trib::parent::receiver {
namespace {

using namespace std::chrono_literals;
using stream::AckMsg;
using stream::ChartDefMsg;
using stream::GoodbyeMsg;
using stream::HostDefMsg;
using stream::HostResumeMsg;
using stream::Message;
using stream::SamplesMsg;

constexpr const char* kKey = "11111111-2222-3333-4444-555555555555";
constexpr const char* kGuid = "aaaaaaaa-0000-4000-8000-0000000000a1";
constexpr const char* kParentGuid = "bbbbbbbb-0000-4000-8000-0000000000b2";
constexpr int64_t kNow = 1'700'000'000;

model::HostInfo child_host() {
  model::HostInfo host;
  host.hostname = "child";
  host.machine_guid = kGuid;
  host.hops = 1;
  return host;
}

stream::HandshakeRequest tributary_request() {
  return stream::make_tributary_request(kKey, child_host(), {"ack"});
}

model::ChartDef chart() {
  model::ChartDef def;
  def.id = "system.load";
  def.name = def.id;
  def.context = def.id;
  def.dimensions = {{"load1", "load1"}, {"load5", "load5"}};
  return def;
}

SamplesMsg batch(uint64_t seq, int64_t timestamp, double value = 1.0) {
  return test::samples_msg(0, seq, {{1, timestamp, {value, value * 2}}});
}

// A sender on the wire: writes a handshake, reads the reply, then exchanges frames (no
// compression is offered, so frames are plain).
class StreamClient {
 public:
  StreamClient(event::Loop& loop, uint16_t port, const stream::HandshakeRequest& request)
      : StreamClient(loop, port, stream::build_handshake_request(request)) {}
  StreamClient(event::Loop& loop, uint16_t port, std::string first_bytes) {
    attempt_ = net::TcpConnect::start(
        loop, "127.0.0.1", port, 5s,
        [this, bytes = std::move(first_bytes)](Result<std::unique_ptr<net::TcpConnection>> r) {
          ASSERT_TRUE(r.ok()) << r.error().describe();
          connection_ = std::move(r).value();
          connection_->start_reading([this](std::string_view data) { on_bytes(data); },
                                     [this](const Error&) { ended = true; });
          connection_->write(bytes);
        });
  }

  void send(const Message& message) { connection_->write(encoder_.encode(message)); }
  void send_raw(std::string bytes) { connection_->write(std::move(bytes)); }
  std::string encode(const Message& message) { return encoder_.encode(message); }
  void close() {
    connection_.reset();
    ended = true;
  }

  template <class T>
  std::vector<T> all() const {
    std::vector<T> out;
    for (const auto& m : received) {
      if (const auto* t = std::get_if<T>(&m)) out.push_back(*t);
    }
    return out;
  }

  std::string reply_bytes;
  std::optional<stream::HandshakeReply> reply;
  std::vector<Message> received;
  bool ended = false;
  std::function<void(const Message&)> on_message;

 private:
  void on_bytes(std::string_view data) {
    if (!reply) {
      reply_bytes.append(data);
      auto parsed = stream::parse_handshake_reply(reply_bytes);
      if (!parsed.ok() || !parsed->has_value()) return;  // a refusal is read whole at EOF
      reply = **parsed;
      data = std::string_view(reply_bytes).substr(reply->consumed);
    }
    decoder_.feed(data);
    while (true) {
      auto next = decoder_.next();
      ASSERT_TRUE(next.ok()) << next.error().describe();
      if (!next->has_value()) return;
      received.push_back(**next);
      if (on_message) on_message(received.back());
    }
  }

  std::unique_ptr<net::TcpConnect> attempt_;
  std::unique_ptr<net::TcpConnection> connection_;
  stream::FrameEncoder encoder_;
  stream::FrameDecoder decoder_;
};

class ReceiverTest : public test::LoopTest {
 protected:
  void SetUp() override {
    model::HostInfo self;
    self.hostname = "parent";
    self.machine_guid = kParentGuid;
    registry_ = std::make_unique<store::HostRegistry>(self, store::StorageConfig{}, kNow);
    config::KeyPolicy key;
    key.enabled = true;
    conf_.keys[kKey] = key;
    options_.handshake_timeout = 1s;
    options_.duplicate_takeover_after = 1s;
    start_receiver();
  }
  void TearDown() override {
    http_.reset();
    receiver_.reset();
    listener_.reset();
    LoopTest::TearDown();
  }

  // Connections reach the receiver as in the parent: through the HTTP server's takeover.
  void start_receiver() {
    receiver_ = std::make_unique<Receiver>(loop_, *registry_, clock_, kParentGuid, options_, conf_);
    http_ = std::make_unique<http::HttpServer>(loop_);
    http_->set_takeover("STREAM ", [this](auto connection, std::string buffered) {
      receiver_->accept(std::move(connection), std::move(buffered));
    });
    auto listener = net::TcpListener::listen(
        loop_, "127.0.0.1", 0, [this](auto connection) { http_->adopt(std::move(connection)); });
    ASSERT_TRUE(listener.ok());
    listener_ = std::move(listener).value();
  }

  uint16_t port() const { return listener_->port(); }

  // Connects, completes the handshake and defines the host and the chart.
  std::unique_ptr<StreamClient> streaming_client() {
    auto client = std::make_unique<StreamClient>(loop_, port(), tributary_request());
    run_until([&] { return client->reply.has_value() || client->ended; });
    EXPECT_TRUE(client->reply && client->reply->kind == stream::ReplyKind::tributary_ok)
        << client->reply_bytes;
    client->send(HostDefMsg{0, child_host()});
    client->send(ChartDefMsg{0, 1, chart()});
    run_until([&] { return !client->all<HostResumeMsg>().empty(); });
    return client;
  }

  const store::Chart* stored_chart() {
    store::Host* host = registry_->find_by_guid(kGuid);
    return host ? host->find_chart("system.load") : nullptr;
  }

  time::ManualClock clock_{kNow};
  std::unique_ptr<store::HostRegistry> registry_;
  config::StreamConf conf_;
  ReceiverOptions options_;
  std::unique_ptr<Receiver> receiver_;
  std::unique_ptr<http::HttpServer> http_;
  std::unique_ptr<net::TcpListener> listener_;
};

TEST_F(ReceiverTest, FullSessionAcksOnlyWhatTheStoreHolds) {
  StreamClient client(loop_, port(), tributary_request());
  run_until([&] { return client.reply.has_value(); });
  EXPECT_EQ(client.reply->kind, stream::ReplyKind::tributary_ok);
  EXPECT_EQ(client.reply->tributary_caps, (std::vector<std::string>{"ack"}));
  EXPECT_EQ(client.reply->resume_seq, 0u);

  client.send(HostDefMsg{0, child_host()});
  run_until([&] { return !client.received.empty(); });
  EXPECT_EQ(std::get<HostResumeMsg>(client.received[0]), (HostResumeMsg{0, 0}));
  store::Host* host = registry_->find_by_guid(kGuid);
  ASSERT_NE(host, nullptr);
  EXPECT_TRUE(host->reachable());
  EXPECT_EQ(host->info().hops, 1);
  EXPECT_EQ(receiver_->streaming(), 1u);

  bool checked = false;
  client.on_message = [&](const Message& m) {
    if (!std::holds_alternative<AckMsg>(m)) return;
    // The moment the sender learns of the ack, the data is in the store.
    const store::Chart* c = stored_chart();
    ASSERT_NE(c, nullptr);
    EXPECT_EQ(c->last_collected_s(), kNow - 1);
    EXPECT_EQ(c->last_value(0), 3.0);
    EXPECT_EQ(c->last_value(1), 6.0);
    checked = true;
  };
  client.send(ChartDefMsg{0, 1, chart()});
  client.send(batch(7, kNow - 1, 3.0));
  run_until([&] { return checked; });
  EXPECT_EQ(client.all<AckMsg>(), (std::vector<AckMsg>{{0, 7}}));
}

TEST_F(ReceiverTest, AcksAreCoalescedPerRead) {
  auto client = streaming_client();
  std::string three;
  for (uint64_t seq = 1; seq <= 3; ++seq) {
    three += client->encode(batch(seq, kNow - 10 + static_cast<int64_t>(seq)));
  }
  client->send_raw(three);  // one write: read at once by the receiver
  run_until([&] { return !client->all<AckMsg>().empty(); });
  run_until([&] { return stored_chart() && stored_chart()->last_collected_s() == kNow - 7; });
  EXPECT_EQ(client->all<AckMsg>(), (std::vector<AckMsg>{{0, 3}}));
}

TEST_F(ReceiverTest, ResumePointAfterAReconnectIsTheLastStoredSeq) {
  auto first = streaming_client();
  first->send(batch(41, kNow - 2));
  first->send(batch(42, kNow - 1));
  run_until([&] { return !first->all<AckMsg>().empty() && first->all<AckMsg>().back().seq == 42; });
  first->close();
  run_until([&] { return receiver_->streaming() == 0; });

  auto second = streaming_client();
  EXPECT_EQ(second->reply->resume_seq, 42u);
  EXPECT_EQ(second->all<HostResumeMsg>().at(0).last_stored_seq, 42u);
  // A resend at the resume point is acknowledged but not stored twice.
  second->send(batch(42, kNow - 1, 99.0));
  run_until([&] { return !second->all<AckMsg>().empty(); });
  EXPECT_EQ(stored_chart()->last_value(0), 1.0);
}

TEST_F(ReceiverTest, ADuplicateIsRefusedWhileTheFirstIsLiveAndReplacesItOnceSilent) {
  test::LogCapture log(log::Channel::stream);
  auto first = streaming_client();
  StreamClient duplicate(loop_, port(), tributary_request());
  run_until([&] { return duplicate.ended; });
  auto refusal = stream::parse_handshake_reply(duplicate.reply_bytes);
  ASSERT_TRUE(refusal.ok() && refusal->has_value()) << duplicate.reply_bytes;
  EXPECT_EQ((*refusal)->kind, stream::ReplyKind::refused);
  EXPECT_EQ((*refusal)->refusal, stream::Refusal::already_streaming);
  EXPECT_TRUE(log.contains("REJECTED - ALREADY CONNECTED")) << log.dump();
  EXPECT_FALSE(first->ended);

  // Silent for longer than duplicate_takeover_after (1 s): the next one takes over.
  bool waited = false;
  event::Timer wait(loop_);
  wait.start(1100ms, 0ms, [&] { waited = true; });
  run_until([&] { return waited; });
  auto replacement = streaming_client();
  run_until([&] { return first->ended; });
  ASSERT_FALSE(first->all<GoodbyeMsg>().empty());
  EXPECT_NE(first->all<GoodbyeMsg>()[0].reason.find("replaced"), std::string::npos);
  EXPECT_FALSE(replacement->ended);
  run_until([&] { return receiver_->streaming() == 1; });
  EXPECT_TRUE(registry_->find_by_guid(kGuid)->reachable());
}

TEST_F(ReceiverTest, AnIncompleteHandshakeIsClosedAtTheDeadline) {
  test::LogCapture log(log::Channel::stream);
  StreamClient slowloris(loop_, port(), std::string("STREAM key=") + kKey + "&hostname=");
  run_until([&] { return slowloris.ended; }, 5s);
  EXPECT_TRUE(slowloris.reply_bytes.empty());
  EXPECT_TRUE(log.contains("handshake not completed within 1 s")) << log.dump();
  EXPECT_EQ(receiver_->streaming(), 0u);
}

TEST_F(ReceiverTest, AStockNetdataChildIsRefusedInNetdatasWords) {
  test::LogCapture log(log::Channel::stream);
  stream::HandshakeRequest request = tributary_request();
  request.tributary = false;  // what a Netdata 1.37 child sends
  StreamClient netdata(loop_, port(), request);
  run_until([&] { return netdata.ended; });
  EXPECT_EQ(netdata.reply_bytes, stream::netdata_reply(stream::Refusal::denied));
  EXPECT_TRUE(log.contains("REJECTED - NETDATA PROTOCOL")) << log.dump();
  EXPECT_EQ(registry_->find_by_guid(kGuid), nullptr);
}

TEST_F(ReceiverTest, ARefusedTributarySenderGetsATributaryRefusal) {
  conf_.keys.clear();
  start_receiver();
  StreamClient client(loop_, port(), tributary_request());
  run_until([&] { return client.ended; });
  auto refusal = stream::parse_handshake_reply(client.reply_bytes);
  ASSERT_TRUE(refusal.ok() && refusal->has_value()) << client.reply_bytes;
  EXPECT_EQ((*refusal)->refusal, stream::Refusal::denied);
  EXPECT_EQ(client.reply_bytes.find(kKey), std::string::npos);  // masked in the detail
}

TEST_F(ReceiverTest, AMachineGuidThatIsTheKeyIsNeverLoggedInFull) {
  test::LogCapture log(log::Channel::stream);
  stream::HandshakeRequest request = tributary_request();
  request.host.machine_guid = kKey;
  StreamClient client(loop_, port(), request);
  run_until([&] { return client.ended; });
  EXPECT_TRUE(log.contains("MACHINE GUID IS THE API KEY")) << log.dump();
  EXPECT_FALSE(log.contains(kKey)) << log.dump();
  EXPECT_EQ(client.reply_bytes.find(kKey), std::string::npos) << client.reply_bytes;
}

TEST_F(ReceiverTest, GoodbyeMarksTheHostStopped) {
  test::LogCapture log(log::Channel::stream);
  auto client = streaming_client();
  client->send(GoodbyeMsg{stream::kAllHosts, "agent stopping"});
  run_until([&] { return receiver_->streaming() == 0; });
  EXPECT_FALSE(registry_->find_by_guid(kGuid)->reachable());
  EXPECT_TRUE(log.contains("stopped from")) << log.dump();
  EXPECT_TRUE(log.contains("agent stopping")) << log.dump();
  EXPECT_FALSE(log.contains("disconnected from")) << log.dump();
}

TEST_F(ReceiverTest, EofWithoutGoodbyeIsALostHost) {
  test::LogCapture log(log::Channel::stream);
  auto client = streaming_client();
  client->close();
  run_until([&] { return receiver_->streaming() == 0; });
  EXPECT_FALSE(registry_->find_by_guid(kGuid)->reachable());
  EXPECT_TRUE(log.contains("disconnected from")) << log.dump();
  EXPECT_FALSE(log.contains("stopped from")) << log.dump();
}

TEST_F(ReceiverTest, ABrokenRowEndsTheSession) {
  auto client = streaming_client();
  client->send(test::samples_msg(0, 1, {{1, kNow, {1.0}}}));  // the chart has two dimensions
  run_until([&] { return client->ended; });
  EXPECT_TRUE(client->all<AckMsg>().empty());
  EXPECT_FALSE(registry_->find_by_guid(kGuid)->reachable());
}

TEST_F(ReceiverTest, ChartsWithBadIdsAreRefusedAndTheStreamGoesOn) {
  test::LogCapture log(log::Channel::stream);
  auto client = streaming_client();
  model::ChartDef too_long = chart();
  too_long.id = "system." + std::string(store::kMaxIdBytes, 'x');
  model::ChartDef control = chart();
  control.id = "system.bad";
  control.dimensions[1].id = "load\n5";
  client->send(ChartDefMsg{0, 2, too_long});
  client->send(ChartDefMsg{0, 3, control});
  // Rows of the refused charts are dropped; the good chart's row in the same batch is stored.
  client->send(test::samples_msg(
      0, 1, {{2, kNow - 1, {5.0, 5.0}}, {3, kNow - 1, {6.0, 6.0}}, {1, kNow - 1, {7.0, 14.0}}}));
  run_until([&] { return !client->all<AckMsg>().empty(); });
  EXPECT_FALSE(client->ended);
  EXPECT_EQ(stored_chart()->last_value(0), 7.0);
  const store::Host* host = registry_->find_by_guid(kGuid);
  EXPECT_EQ(host->charts().size(), 1u);
  EXPECT_EQ(host->find_chart("system.bad"), nullptr);
  EXPECT_TRUE(log.contains("chart refused, its samples are dropped: chart id 'system.xxx"))
      << log.dump();
  EXPECT_TRUE(log.contains("bytes long (at most 200)")) << log.dump();
  // The second refusal within a minute is counted, not logged; the session end reports both.
  EXPECT_FALSE(log.contains("control character")) << log.dump();
  client->close();
  run_until([&] { return receiver_->streaming() == 0; });
  EXPECT_TRUE(log.contains("2 rows of refused charts dropped")) << log.dump();
}

TEST_F(ReceiverTest, AQuietStreamGetsKeepalivesWellInsideTheSendersTimeout) {
  // The idle timeout stays long (600 s); keepalives follow their own interval, so a sender
  // with nothing to send (its timeout is 60 s by default) still hears from the parent.
  options_.keepalive_interval = 1s;
  start_receiver();
  auto client = streaming_client();
  run_until([&] { return !client->all<stream::KeepaliveMsg>().empty(); }, 5s);
  EXPECT_FALSE(client->ended);
}

TEST_F(ReceiverTest, CloseAllSaysGoodbyeToEveryStream) {
  auto client = streaming_client();
  receiver_->close_all();
  run_until([&] { return client->ended; });
  ASSERT_FALSE(client->all<GoodbyeMsg>().empty());
  EXPECT_EQ(client->all<GoodbyeMsg>()[0].host_slot, stream::kAllHosts);
  EXPECT_EQ(receiver_->streaming(), 0u);
  EXPECT_FALSE(registry_->find_by_guid(kGuid)->reachable());
  // TearDown proves the loop closes with nothing left open.
}

TEST_F(ReceiverTest, AcceptWorksWithoutTheHttpServerToo) {
  auto direct = net::TcpListener::listen(loop_, "127.0.0.1", 0, [this](auto connection) {
    receiver_->accept(std::move(connection), "");
  });
  ASSERT_TRUE(direct.ok());
  StreamClient client(loop_, (*direct)->port(), tributary_request());
  run_until([&] { return client.reply.has_value(); });
  EXPECT_EQ(client.reply->kind, stream::ReplyKind::tributary_ok);
  client.close();
  run_until([&] { return receiver_->streaming() == 0; });
}

}  // namespace
}  // namespace trib::parent::receiver
