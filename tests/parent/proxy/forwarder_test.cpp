#include "parent/proxy/forwarder.h"

#include <gtest/gtest.h>
#include <algorithm>

#include <numeric>

#include "support/fake_stream_receiver.h"
#include "support/loop_fixture.h"
#include "support/process.h"
#include "tests/support/samples.h"

namespace trib::parent::proxy {
namespace {

using namespace std::chrono_literals;
using test::FakeLink;
using test::FakeReceiver;

constexpr const char* kKey = "11111111-2222-3333-4444-555555555555";
constexpr const char* kOtherKey = "22222222-2222-3333-4444-555555555555";
constexpr const char* kSelf = "cccccccc-0000-4000-8000-0000000000c1";
constexpr const char* kChild = "aaaaaaaa-0000-4000-8000-0000000000a1";
constexpr const char* kOtherChild = "aaaaaaaa-0000-4000-8000-0000000000a2";
constexpr const char* kQuietChild = "aaaaaaaa-0000-4000-8000-0000000000a3";

config::StreamConf conf(const std::string& text) {
  auto parsed = config::parse_stream_conf(text, "stream.conf");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().describe());
  return parsed.ok() ? std::move(parsed).value() : config::StreamConf{};
}

// [stream] towards `destination`, `extra` lines added.
std::string stream_to(const std::string& destination, const std::string& extra = "") {
  return "[stream]\nenabled = yes\ndestination = " + destination + "\napi key = " + kKey +
         "\nreconnect delay seconds = 1\n" + extra;
}

std::string key_sections() {
  return std::string("[") + kKey + "]\nenabled = yes\n[" + kOtherKey + "]\nenabled = yes\n";
}

model::HostInfo host(const std::string& guid, const std::string& name) {
  model::HostInfo info;
  info.hostname = name;
  info.machine_guid = guid;
  info.hops = 1;
  return info;
}

model::ChartDef chart(const std::string& id) {
  model::ChartDef def;
  def.id = id;
  def.name = id;
  def.title = id;
  def.units = "things";
  def.context = id;
  def.dimensions.push_back({"x", "x"});
  return def;
}

// The newest upstream link that streams `guid`, if any.
FakeLink* link_of(FakeReceiver& receiver, const std::string& guid) {
  for (auto it = receiver.links.rbegin(); it != receiver.links.rend(); ++it) {
    if ((*it)->request && (*it)->request->host.machine_guid == guid) return it->get();
  }
  return nullptr;
}

// The charts a link defined, sorted: a sender defines a host's charts in no particular order.
std::vector<std::string> chart_ids(const FakeLink& link) {
  std::vector<std::string> ids;
  for (const auto& def : link.all<stream::ChartDefMsg>()) ids.push_back(def.def.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

class ForwarderTest : public test::LoopTest {
 protected:
  std::unique_ptr<Forwarder> make(
      const std::string& stream_conf, uint64_t spool_max_size = 1 << 20,
      stream::Spool::WhenFull when_full = stream::Spool::WhenFull::replace_oldest_with_gaps) {
    ForwarderOptions options{conf(stream_conf), spool_max_size, dir_ / "spool", when_full};
    return std::make_unique<Forwarder>(loop_, std::move(options), host(kSelf, "proxy"));
  }
  void stop(Forwarder& forwarder) {
    bool stopped = false;
    forwarder.stop([&] { stopped = true; });
    run_until([&] { return stopped; });
  }
  // A host connects with `key` and defines two charts (downstream slots 1 and 2).
  std::optional<uint64_t> connect(Forwarder& forwarder, const std::string& guid,
                                  const std::string& key = kKey) {
    auto resume = forwarder.connect(host(guid, "child"), key, {}, {});
    EXPECT_TRUE(forwarder.chart(guid, 1, chart("system.cpu")).ok());
    EXPECT_TRUE(forwarder.chart(guid, 2, chart("apps.cpu")).ok());
    return resume;
  }
  // One batch of the host, numbered `seq`, with a row of each chart.
  Status send(Forwarder& forwarder, uint64_t seq, const std::string& guid = kChild) {
    const auto t = static_cast<int64_t>(1000 + seq);
    return forwarder.samples(guid, test::samples_msg(0, seq, {{1, t, {1.0}}, {2, t, {2.0}}}));
  }
  // Waits until `receiver`'s newest link for `guid` stored a batch numbered `seq`.
  FakeLink& wait_for(FakeReceiver& receiver, uint64_t seq, const std::string& guid = kChild) {
    run_until([&] {
      FakeLink* link = link_of(receiver, guid);
      if (link == nullptr) return false;
      const auto seqs = link->seqs();
      return std::find(seqs.begin(), seqs.end(), seq) != seqs.end();
    });
    return *link_of(receiver, guid);
  }

  test::TempDir dir_;
};

TEST_F(ForwarderTest, StreamEnabledNoStopsForwardingAndYesStartsItAgainWithoutReconnects) {
  FakeReceiver upstream(loop_);
  auto forwarder = make(stream_to(upstream.destination()) + key_sections());
  forwarder->start();
  ASSERT_TRUE(connect(*forwarder, kChild).has_value());
  ASSERT_TRUE(send(*forwarder, 1).ok());
  FakeLink& first = wait_for(upstream, 1);
  run_until([&] { return link_of(upstream, kSelf) != nullptr; });

  // yes -> no: both upstream streams end with a goodbye; the host's batches are still taken.
  forwarder->reconfigure(conf("[stream]\nenabled = no\n" + key_sections()));
  run_until([&] { return first.said_goodbye && link_of(upstream, kSelf)->said_goodbye; });
  EXPECT_EQ(forwarder->forwarded(), 0U);
  EXPECT_FALSE(forwarder->forwards_own_host());
  EXPECT_TRUE(send(*forwarder, 2).ok());

  // no -> yes: a new stream with the host's charts, without the host connecting again. The
  // upstream parent stored 1 (its ack may not have reached the stopped stream).
  upstream.resume = 1;
  forwarder->reconfigure(conf(stream_to(upstream.destination()) + key_sections()));
  ASSERT_TRUE(send(*forwarder, 3).ok());
  FakeLink& second = wait_for(upstream, 3);
  EXPECT_NE(&second, &first);
  EXPECT_EQ(second.seqs(), std::vector<uint64_t>{3});  // 2 came while nothing was forwarded
  EXPECT_EQ(chart_ids(second), (std::vector<std::string>{"apps.cpu", "system.cpu"}));
  EXPECT_TRUE(forwarder->forwards_own_host());
  stop(*forwarder);
}

TEST_F(ForwarderTest, ANewDestinationAndSendChartsMatchingApplyAtOnce) {
  FakeReceiver first(loop_);
  FakeReceiver second(loop_);
  auto forwarder = make(stream_to(first.destination()) + key_sections());
  forwarder->start();
  ASSERT_TRUE(connect(*forwarder, kChild).has_value());
  ASSERT_TRUE(send(*forwarder, 1).ok());
  FakeLink& before = wait_for(first, 1);

  second.resume = 1;  // the two central parents share what they stored (or 1 is sent again)
  forwarder->reconfigure(
      conf(stream_to(second.destination(), "send charts matching = apps.*\n") + key_sections()));
  ASSERT_TRUE(send(*forwarder, 2).ok());
  FakeLink& after = wait_for(second, 2);
  EXPECT_TRUE(before.said_goodbye);  // a clean move, not a lost host
  EXPECT_EQ(chart_ids(after), std::vector<std::string>{"apps.cpu"});
  const auto batches = after.all<stream::SamplesMsg>();
  ASSERT_EQ(batches.size(), 1U);
  EXPECT_EQ(batches[0].rows.size(), 1U);  // the system.cpu row stays here
  stop(*forwarder);
}

TEST_F(ForwarderTest, PerKeyAndPerMachineProxyOptionsChooseWhatIsForwardedAndWhere) {
  FakeReceiver upstream(loop_);
  // [stream] is off: only the hosts of kKey are forwarded, with that key's own destination,
  // except the one whose machine section says no.
  const std::string text = std::string("[stream]\nenabled = no\nreconnect delay seconds = 1\n[") +
                           kKey + "]\nenabled = yes\ndefault proxy enabled = yes\n" +
                           "default proxy destination = " + upstream.destination() +
                           "\ndefault proxy api key = " + kOtherKey + "\n[" + kOtherKey +
                           "]\nenabled = yes\n[" + kQuietChild + "]\nproxy enabled = no\n";
  auto forwarder = make(text);
  forwarder->start();
  EXPECT_FALSE(forwarder->forwards_own_host());
  EXPECT_TRUE(connect(*forwarder, kChild, kKey).has_value());
  EXPECT_FALSE(connect(*forwarder, kOtherChild, kOtherKey).has_value());
  EXPECT_FALSE(connect(*forwarder, kQuietChild, kKey).has_value());
  EXPECT_TRUE(send(*forwarder, 1, kOtherChild).ok());  // taken, not forwarded
  EXPECT_TRUE(send(*forwarder, 1, kQuietChild).ok());
  ASSERT_TRUE(send(*forwarder, 1).ok());
  FakeLink& link = wait_for(upstream, 1);
  EXPECT_EQ(link.request->api_key, kOtherKey);  // `default proxy api key`
  EXPECT_EQ(forwarder->forwarded(), 1U);
  EXPECT_EQ(upstream.links.size(), 1U);
  stop(*forwarder);
}

TEST_F(ForwarderTest, AHostFirstForwardedBySighupIsAskedToReconnectForItsCharts) {
  FakeReceiver upstream(loop_);
  auto forwarder = make("[stream]\nenabled = no\n" + key_sections());
  std::vector<std::string> restarted;
  forwarder->set_on_restart_needed([&](const std::string& guid) { restarted.push_back(guid); });
  forwarder->start();
  EXPECT_FALSE(connect(*forwarder, kChild).has_value());  // its charts are not kept here

  forwarder->reconfigure(conf(stream_to(upstream.destination()) + key_sections()));
  EXPECT_EQ(restarted, std::vector<std::string>{kChild});
  EXPECT_EQ(forwarder->forwarded(), 0U);
  forwarder->disconnect(kChild, true);
  ASSERT_TRUE(connect(*forwarder, kChild).has_value());  // the host's sender reconnected
  ASSERT_TRUE(send(*forwarder, 1).ok());
  FakeLink& link = wait_for(upstream, 1);
  EXPECT_EQ(chart_ids(link), (std::vector<std::string>{"apps.cpu", "system.cpu"}));
  stop(*forwarder);
}

TEST_F(ForwarderTest, AFullSpoolDropsNothingAndSaysSoUntilUpstreamAcknowledges) {
  // Nobody listens upstream at first.
  auto refusing = net::TcpListener::listen(loop_, "127.0.0.1", 0, [](auto) {});
  ASSERT_TRUE(refusing.ok());
  const std::string nowhere = "127.0.0.1:" + std::to_string((*refusing)->port());
  refusing->reset();
  // parent.yaml spool.when_full: backpressure.
  auto forwarder = make(stream_to(nowhere) + key_sections(), 4096, stream::Spool::WhenFull::keep);
  forwarder->start();
  ASSERT_TRUE(connect(*forwarder, kChild).has_value());
  uint64_t seq = 0;
  while (!forwarder->spool_full(kChild) && seq < 1000) ASSERT_TRUE(send(*forwarder, ++seq).ok());
  ASSERT_TRUE(forwarder->spool_full(kChild));
  ASSERT_TRUE(send(*forwarder, ++seq).ok());  // past the bound it still takes what it is given

  FakeReceiver upstream(loop_);
  forwarder->reconfigure(conf(stream_to(upstream.destination()) + key_sections()));
  FakeLink& link = wait_for(upstream, seq);
  std::vector<uint64_t> expected(seq);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(link.seqs(), expected);  // every batch, once, in order
  run_until([&] { return !forwarder->spool_full(kChild); });
  stop(*forwarder);
}

}  // namespace
}  // namespace trib::parent::proxy
