// Proxies as users run them: agent -> proxy -> central parent, real binaries on loopback. The
// central parent sees the agent two hops away with its GUID and path, and holds every sample and
// every log line once after the proxy is killed -9 or the central parent is stopped for a while.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "integration/cluster.h"
#include "tests/support/samples.h"

namespace trib::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

int64_t now_s() { return static_cast<int64_t>(::time(nullptr)); }

// How long each outage of the fault tests lasts: TRIB_PROXY_OUTAGE_S seconds, 6 by default so CI
// stays fast (the acceptance run uses 60: docs/benchmarks.md).
std::chrono::seconds outage_length() {
  const char* text = std::getenv("TRIB_PROXY_OUTAGE_S");
  const int seconds = text != nullptr ? std::atoi(text) : 0;
  return std::chrono::seconds(seconds > 0 ? seconds : 6);
}

// VmRSS of a process in KiB (0 when it cannot be read).
uint64_t rss_kib(pid_t pid) {
  const std::string status = read_file("/proc/" + std::to_string(pid) + "/status");
  const size_t at = status.find("VmRSS:");
  return at == std::string::npos ? 0 : std::strtoull(status.c_str() + at + 6, nullptr, 10);
}

size_t occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Where a process runs: a network namespace (empty: this one, on loopback) and the address
// the previous hop of the chain reaches it at.
struct Zone {
  std::string ns;
  std::string address = "127.0.0.1";
};

// `ip`, for the namespace test; empty when it is not installed.
std::string ip_binary() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"}) {
    if (::access(path, X_OK) == 0) return path;
  }
  return "";
}

// GET http://127.0.0.1:<port><path> from inside network namespace `ns` (a thread of its own
// joins it, so the test process stays where it is).
HttpResult http_in(const std::string& ns, uint16_t port, const std::string& path) {
  if (ns.empty()) return http_get(port, path);
  HttpResult result;
  std::thread([&] {
    const int fd = ::open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    const bool joined = ::setns(fd, CLONE_NEWNET) == 0;
    ::close(fd);
    if (joined) result = http_get(port, path);
  }).join();
  return result;
}

// A binary and its arguments, run inside `zone` (through `ip netns exec`, which execs it: the
// pid is the binary's, so a kill -9 reaches it).
std::unique_ptr<Process> run_in(const Zone& zone, const std::string& binary,
                                std::vector<std::string> args, const std::string& log) {
  if (zone.ns.empty()) return std::make_unique<Process>(binary, args, log);
  args.insert(args.begin(), {"netns", "exec", zone.ns, binary});
  return std::make_unique<Process>(ip_binary(), args, log);
}

// One tributary-parent with its own directories and ports under the test's TempDir.
class ParentNode {
 public:
  ParentNode(const TempDir& dir, std::string name, Zone zone = {})
      : dir_(dir / name), name_(std::move(name)), zone_(std::move(zone)), port_(free_port()) {}

  uint16_t port() const { return port_; }
  const std::string& name() const { return name_; }
  const std::string& address() const { return zone_.address; }

  // `extra_yaml`: more top-level parent.yaml sections.
  void configure(const std::string& stream_conf, const std::string& memory_mode = "ram",
                 const std::string& extra_yaml = "") {
    write_file(dir_ + "/etc/stream.conf", stream_conf);
    write_file(dir_ + "/etc/parent.yaml", "hostname: " + name_ +
                                              "\nfleet:\n  enabled: false\nstorage:\n  "
                                              "memory_mode: " +
                                              memory_mode + "\n" + extra_yaml);
  }
  void signal(int signum) { process_->signal(signum); }
  pid_t pid() const { return process_->pid(); }
  // A new stream.conf, read at once (SIGHUP).
  void reload_stream_conf(const std::string& stream_conf) {
    write_file_atomically(dir_ + "/etc/stream.conf", stream_conf);
    process_->signal(SIGHUP);
  }
  void start() {
    process_ = run_in(zone_, parent_binary(),
                      {"--config-dir", dir_ + "/etc", "--data-dir", dir_ + "/data", "--port",
                       std::to_string(port_)},
                      log_path());
    ASSERT_TRUE(eventually([&] { return http_in(zone_.ns, port_, "/api/v1/info").status == 200; }))
        << log();
  }
  void kill_hard() {
    process_->kill_hard();
    process_.reset();
  }
  void stop() {
    EXPECT_EQ(process_->stop(), 0) << log();
    process_.reset();
  }

  HttpResult get(const std::string& path) { return http_in(zone_.ns, port_, path); }
  std::optional<json> get_json(const std::string& path) {
    const auto r = get(path);
    if (r.status != 200) return std::nullopt;
    auto parsed = json::parse(r.body, nullptr, false);
    if (parsed.is_discarded()) return std::nullopt;
    return parsed;
  }
  // This parent's /api/v1/hosts entry for `guid`.
  std::optional<json> host(const std::string& guid) {
    auto hosts = get_json("/api/v1/hosts");
    if (!hosts) return std::nullopt;
    for (const auto& h : (*hosts)["hosts"]) {
      if (h.value("guid", "") == guid) return h;
    }
    return std::nullopt;
  }
  std::string guid() {
    auto info = get_json("/api/v1/info");
    return info ? info->value("uid", "") : "";
  }
  std::string log() const { return read_file(log_path()); }

 private:
  std::string log_path() const { return dir_ + ".log"; }

  std::string dir_;
  std::string name_;
  Zone zone_;
  uint16_t port_;
  std::unique_ptr<Process> process_;
};

std::string key_section(const std::string& memory_mode) {
  return std::string("[") + kApiKey + "]\n  enabled = yes\n  allow from = *\n" +
         "  default memory mode = " + memory_mode + "\n";
}

// `destinations`: Netdata's space-separated list, host:port each.
std::string stream_section_to(const std::string& destinations, const std::string& key = kApiKey) {
  return "[stream]\n  enabled = yes\n  destination = " + destinations + "\n  api key = " + key +
         "\n  reconnect delay seconds = 1\n  timeout seconds = 10\n";
}
std::string stream_section(const std::string& address, uint16_t port,
                           const std::string& key = kApiKey) {
  return stream_section_to(address + ":" + std::to_string(port), key);
}
std::string stream_section(const ParentNode& to, const std::string& key = kApiKey) {
  return stream_section(to.address(), to.port(), key);
}

// An agent in `zone` streaming to `to`, tailing <log_dir>/*.log.
std::unique_ptr<Process> start_agent(const TempDir& dir, const std::string& name,
                                     const ParentNode& to, const std::string& log_dir,
                                     const Zone& zone = {}, const std::string& key = kApiKey) {
  const std::string home = dir / name;
  write_file(home + "/etc/stream.conf", stream_section(to, key));
  write_file(home + "/etc/agent.yaml",
             "hostname: " + name + "\nlogs:\n  scan_interval: 1s\n  sources:\n    - paths: [\"" +
                 log_dir + "/*.log\"]\n      start_at: beginning\n");
  return run_in(zone, agent_binary(), {"--config-dir", home + "/etc", "--data-dir", home + "/data"},
                dir / (name + ".log"));
}

// Three network namespaces, as the acceptance test wants them: zone A (the agent) reaches only
// the DMZ (the proxy), which reaches the central parent; veth pairs, no routing. Removed when
// destroyed. made() is false when they cannot be made (no root, no `ip`, no netns support).
class NetworkZones {
 public:
  NetworkZones() : tag_(std::to_string(::getpid())) {
    if (ip_binary().empty()) {
      why_ = "no ip binary";
      return;
    }
    made_ = ip({"netns", "add", ns("a")}) && ip({"netns", "add", ns("d")}) &&
            ip({"netns", "add", ns("c")}) && link("a", "d", "10.231.1") &&
            link("d", "c", "10.231.2");
  }
  ~NetworkZones() {
    for (const char* zone : {"a", "d", "c"})
      (void)run_to_exit(ip_binary(), {"netns", "del", ns(zone)});
  }
  bool made() const { return made_; }
  const std::string& why() const { return why_; }
  Zone agent() const { return {ns("a"), "10.231.1.1"}; }
  Zone dmz() const { return {ns("d"), "10.231.1.2"}; }      // as zone A reaches it
  Zone central() const { return {ns("c"), "10.231.2.2"}; }  // as the DMZ reaches it

 private:
  std::string ns(const std::string& zone) const { return "trib-" + zone + "-" + tag_; }
  bool ip(const std::vector<std::string>& args) {
    const auto run = run_to_exit(ip_binary(), args);
    if (run.exit_code != 0 && why_.empty())
      why_ = "ip " + args[0] + " " + args[1] + ": " + run.output;
    return run.exit_code == 0;
  }
  // A veth pair from zone `left` (<prefix>.1) to zone `right` (<prefix>.2), loopback up in both.
  bool link(const std::string& left, const std::string& right, const std::string& prefix) {
    const std::string l = "tv" + left + right + tag_;
    const std::string r = "tv" + right + left + tag_;
    return ip({"link", "add", l, "type", "veth", "peer", "name", r}) &&
           ip({"link", "set", l, "netns", ns(left)}) &&
           ip({"link", "set", r, "netns", ns(right)}) &&
           ip({"-n", ns(left), "addr", "add", prefix + ".1/24", "dev", l}) &&
           ip({"-n", ns(right), "addr", "add", prefix + ".2/24", "dev", r}) &&
           ip({"-n", ns(left), "link", "set", l, "up"}) &&
           ip({"-n", ns(right), "link", "set", r, "up"}) &&
           ip({"-n", ns(left), "link", "set", "lo", "up"}) &&
           ip({"-n", ns(right), "link", "set", "lo", "up"});
  }

  std::string tag_;
  bool made_ = false;
  std::string why_;
};

std::string agent_guid(const TempDir& dir, const std::string& name) {
  std::string guid = read_file(dir / (name + "/data/machine.guid"));
  while (!guid.empty() && (guid.back() == '\n' || guid.back() == ' ')) guid.pop_back();
  return guid;
}

// Appends a numbered line to a log file every 100 ms until stopped; remembers every line.
class LogWriter {
 public:
  explicit LogWriter(std::string path) : path_(std::move(path)) {
    thread_ = std::thread([this] {
      for (int i = 0; !stop_; ++i) {
        const std::string line = "proxy test line " + std::to_string(i);
        {
          std::ofstream out(path_, std::ios::app);
          out << line << "\n";
        }
        {
          std::lock_guard lock(mutex_);
          lines_.push_back(line);
        }
        std::this_thread::sleep_for(100ms);
      }
    });
  }
  ~LogWriter() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 private:
  std::string path_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<std::string> lines_;
  std::thread thread_;
};

// agent -> proxy (headless: memory mode none, forwards everything) -> central (dbengine), on
// loopback, or in network namespaces for ProxyZones.
class ProxyChain : public ::testing::Test {
 protected:
  void SetUp() override { start_chain({}, {}, {}); }

  // `proxy_yaml`: more parent.yaml sections for the proxy.
  void start_chain(const Zone& agent_zone, const Zone& dmz, const Zone& central_zone,
                   const std::string& proxy_yaml = "") {
    std::filesystem::create_directories(log_dir_);
    central_ = std::make_unique<ParentNode>(dir_, "central", central_zone);
    proxy_ = std::make_unique<ParentNode>(dir_, "proxy", dmz);
    central_->configure(key_section("dbengine"));
    central_->start();
    proxy_->configure(stream_section(*central_) + key_section("none"), "none", proxy_yaml);
    proxy_->start();
    agent_ = start_agent(dir_, "agent-a", *proxy_, log_dir_, agent_zone);
    ASSERT_TRUE(eventually([&] { return !agent_guid(dir_, "agent-a").empty(); }, 5s));
    guid_ = agent_guid(dir_, "agent-a");
  }

  std::string logs() {
    return "--- central\n" + central_->log() + "--- proxy\n" + proxy_->log() + "--- agent\n" +
           read_file(dir_ / "agent-a.log");
  }

  // The agent at the central parent: two hops away, through the proxy, with data.
  bool agent_arrived() {
    auto h = central_->host(guid_);
    return h && (*h)["reachable"] == true && (*h)["hops"] == 2 && (*h)["last_data"].is_number();
  }

  // The seconds in [from, to] for which the central parent lacks a value of one of the agent's
  // 1 s charts (system.uptime changes every second; the others come from other collectors), as
  // "chart@second".
  std::vector<std::string> missing_seconds(int64_t from, int64_t to) {
    std::vector<std::string> missing;
    for (const char* chart : {"system.uptime", "system.cpu", "system.ram"}) {
      const int64_t points = to - from + 1;
      auto data =
          central_->get_json("/host/" + guid_ + "/api/v1/data?chart=" + chart +
                             "&after=" + std::to_string(from) + "&before=" + std::to_string(to) +
                             "&points=" + std::to_string(points) + "&group=average&format=json");
      std::set<int64_t> present;
      if (data) {
        for (const auto& row : (*data)["data"]) {
          if (row.size() >= 2 && row[1].is_number()) present.insert(row[0].get<int64_t>());
        }
      }
      for (int64_t t = from; t <= to; ++t) {
        if (!present.contains(t)) missing.push_back(chart + ("@+" + std::to_string(t - from)));
      }
    }
    return missing;
  }

  // The central parent's answer for system.uptime over [from, to], for a failure message.
  std::string uptime_rows(int64_t from, int64_t to) {
    const auto r = central_->get(
        "/host/" + guid_ + "/api/v1/data?chart=system.uptime&after=" + std::to_string(from) +
        "&before=" + std::to_string(to) + "&points=" + std::to_string(to - from + 1) +
        "&group=average&format=json");
    return std::to_string(r.status) + " " + r.body.substr(0, 3000);
  }

  // Every log line the central parent holds for the agent, with how often.
  std::map<std::string, int> central_lines() {
    std::map<std::string, int> seen;
    std::string cursor;
    for (;;) {
      auto page =
          central_->get_json("/host/" + guid_ + "/api/v1/logs?limit=10000&cursor=" + cursor);
      if (!page || (*page)["records"].empty()) return seen;
      for (const auto& r : (*page)["records"]) ++seen[r["line"].get<std::string>()];
      cursor = (*page)["next_cursor"];
    }
  }

  // Each written line exactly once; a description of what is wrong, empty when all is well.
  std::string check_lines(const std::vector<std::string>& written) {
    auto seen = central_lines();
    std::string problems;
    size_t missing = 0;
    for (const auto& line : written) {
      const int n = seen[line];
      if (n == 0 && ++missing <= 5) problems += "missing: " + line + "\n";
      if (n > 1) problems += "duplicated " + std::to_string(n) + "x: " + line + "\n";
    }
    if (missing > 0) problems += std::to_string(missing) + " missing in all\n";
    return problems;
  }

  // Runs `outage` while the agent collects and writes log lines, then checks that the central
  // parent holds every second of the run and every line once.
  void expect_no_loss_across(const std::function<void()>& outage) {
    ASSERT_TRUE(eventually([&] { return agent_arrived(); }, 20s)) << logs();
    LogWriter writer(log_dir_ + "/app.log");
    // A few seconds of normal streaming before and after the outage.
    ASSERT_TRUE(eventually([&] { return (*central_->host(guid_))["last_data"] > 0; }, 10s));
    std::this_thread::sleep_for(3s);
    const int64_t from = now_s() - 2;
    outage();
    // Caught up: the agent's data at the central parent is current again (replaying an outage
    // takes a fraction of it).
    const int64_t back = now_s();
    ASSERT_TRUE(eventually(
        [&] {
          auto h = central_->host(guid_);
          return h && (*h)["last_data"].is_number() && (*h)["last_data"] >= back + 2;
        },
        30s + outage_length()))
        << logs();
    writer.stop();
    const int64_t to = back;
    std::vector<std::string> missing;
    eventually(
        [&] {
          missing = missing_seconds(from, to);
          return missing.empty();
        },
        10s);
    EXPECT_TRUE(missing.empty()) << missing.size() << " chart-second(s) missing of "
                                 << to - from + 1 << " s, first " << missing.front()
                                 << " (seconds after the start)\nsystem.uptime at the central: "
                                 << uptime_rows(from, to) << "\n"
                                 << logs();
    const auto written = writer.lines();
    std::string problems;
    eventually(
        [&] {
          problems = check_lines(written);
          return problems.empty();
        },
        15s);
    EXPECT_EQ(problems, "") << written.size() << " lines written\n" << logs();
  }

  TempDir dir_;
  std::string log_dir_ = dir_ / "app-logs";
  std::unique_ptr<ParentNode> central_;
  std::unique_ptr<ParentNode> proxy_;
  std::unique_ptr<Process> agent_;
  std::string guid_;
};

TEST_F(ProxyChain, CentralSeesTheAgentTwoHopsAwayWithItsGuidAndPath) {
  ASSERT_TRUE(eventually([&] { return agent_arrived(); }, 20s)) << logs();
  const auto agent = *central_->host(guid_);
  EXPECT_EQ(agent["hostname"], "agent-a");
  EXPECT_EQ(agent["path"], json::array({"proxy"}));
  EXPECT_EQ(agent["memory_mode"], "dbengine");
  EXPECT_GE(agent["connected_since"].get<int64_t>(), now_s() - 60);
  EXPECT_LE(agent["lag_seconds"].get<int64_t>(), 10);

  // The proxy's own host is forwarded too, one hop away, and the proxy lists the agent directly.
  const std::string proxy_guid = proxy_->guid();
  ASSERT_TRUE(eventually([&] { return central_->host(proxy_guid).has_value(); }, 10s)) << logs();
  EXPECT_EQ((*central_->host(proxy_guid))["hops"], 1);
  EXPECT_EQ((*central_->host(proxy_guid))["path"], json::array());
  const auto at_proxy = proxy_->host(guid_);
  ASSERT_TRUE(at_proxy);
  EXPECT_EQ((*at_proxy)["hops"], 1);
  EXPECT_EQ((*at_proxy)["memory_mode"], "none");

  // The same fields in /api/v1/info's mirrored_hosts_status.
  auto info = central_->get_json("/api/v1/info");
  ASSERT_TRUE(info);
  bool listed = false;
  for (const auto& h : (*info)["mirrored_hosts_status"]) {
    if (h["guid"] != guid_) continue;
    listed = true;
    EXPECT_EQ(h["hops"], 2);
    EXPECT_EQ(h["path"], json::array({"proxy"}));
    EXPECT_TRUE(h["connected_since"].is_number());
    EXPECT_TRUE(h["last_data"].is_number());
    EXPECT_TRUE(h["lag_seconds"].is_number());
  }
  EXPECT_TRUE(listed);
  // Charts keep their ids and the data its timestamps: recent rows are there.
  EXPECT_TRUE(eventually(
      [&] {
        auto data = central_->get_json("/host/agent-a/api/v1/data?chart=system.cpu&after=-10");
        return data && (*data)["data"].size() >= 3;
      },
      10s))
      << logs();
}

TEST_F(ProxyChain, ProxyKilledNineThenRestartedLosesNoSampleAndNoLine) {
  expect_no_loss_across([&] {
    proxy_->kill_hard();
    std::this_thread::sleep_for(outage_length());
    proxy_->start();
  });
}

TEST_F(ProxyChain, CentralStoppedThenRestartedLosesNoSampleAndNoLine) {
  expect_no_loss_across([&] {
    central_->stop();
    std::this_thread::sleep_for(outage_length());
    central_->start();
  });
}

// A central parent that stalls without closing (SIGSTOP: its connections stay open, nothing is
// read or answered): the proxy's stream times out and reconnects, its spool holds what comes
// meanwhile, and once the central parent runs again everything arrives once.
//
// Memory: the proxy's RSS during the stall stays within its start-of-stall RSS plus 32 MiB. What
// the proxy may hold in memory for it: per forwarded host (the agent, and the proxy's own host)
// `buffer size bytes` of queued batches (10 MiB by default; the rest stays in the LMDB spool
// only) and at most 1 MiB of writes queued on the stalled link, so 22 MiB, plus slack for the
// LMDB pages a commit touches and allocator fragmentation. Data held in RAM instead of the spool
// would grow with the outage, without this bound.
TEST_F(ProxyChain, CentralStalledWithoutClosingThenResumedLosesNoSampleAndNoLine) {
  uint64_t before_kib = 0;
  uint64_t peak_kib = 0;
  expect_no_loss_across([&] {
    before_kib = rss_kib(proxy_->pid());
    central_->signal(SIGSTOP);
    const auto until =
        std::chrono::steady_clock::now() + std::max<std::chrono::seconds>(outage_length(), 15s);
    while (std::chrono::steady_clock::now() < until) {
      peak_kib = std::max(peak_kib, rss_kib(proxy_->pid()));
      std::this_thread::sleep_for(250ms);
    }
    central_->signal(SIGCONT);
  });
  ASSERT_GT(before_kib, 0U);
  EXPECT_LE(peak_kib, before_kib + 32 * 1024)
      << "proxy RSS " << before_kib << " KiB before the stall, " << peak_kib << " KiB at most";
  // timeout seconds = 10 on the proxy's [stream]
  EXPECT_NE(proxy_->log().find("nothing received for 10 s"), std::string::npos) << proxy_->log();
}

// A proxy restarted with a different stream.conf: its upstream destination list now starts with
// a parent that is down (it fails over to the central parent), and the API key of a second agent
// is gone. The first agent loses no second and no line across the restart; the second is refused
// and its log says so.
TEST_F(ProxyChain, ProxyRestartedWithADifferentStreamConfLosesNothingAndAppliesIt) {
  constexpr const char* kOtherKey = "22222222-3333-4444-5555-666666666666";
  proxy_->stop();
  proxy_->configure(stream_section(*central_) + key_section("none") + "[" + kOtherKey +
                        "]\n  enabled = yes\n  allow from = *\n  default memory mode = none\n",
                    "none");
  proxy_->start();
  const std::string other_logs = dir_ / "other-logs";
  std::filesystem::create_directories(other_logs);
  auto other = start_agent(dir_, "agent-b", *proxy_, other_logs, {}, kOtherKey);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir_, "agent-b").empty(); }, 5s));
  const std::string other_guid = agent_guid(dir_, "agent-b");
  ASSERT_TRUE(eventually([&] { return proxy_->host(other_guid).has_value(); }, 20s)) << logs();

  expect_no_loss_across([&] {
    proxy_->stop();
    std::this_thread::sleep_for(outage_length());
    const std::string down = "127.0.0.1:" + std::to_string(free_port());
    proxy_->configure(stream_section_to(down + " " + central_->address() + ":" +
                                        std::to_string(central_->port())) +
                          key_section("none"),
                      "none");
    proxy_->start();
  });
  EXPECT_TRUE(eventually(
      [&] {
        return read_file(dir_ / "agent-b.log").find("refused the stream") != std::string::npos;
      },
      20s))
      << read_file(dir_ / "agent-b.log");
  const auto at_proxy = proxy_->host(other_guid);
  EXPECT_TRUE(!at_proxy || (*at_proxy)["reachable"] == false) << at_proxy->dump();
}

// The proxy's spool at its smallest, so that the central parent's outage fills it in seconds;
// `when_full: backpressure`.
class ProxyChainSmallSpool : public ProxyChain {
 protected:
  void SetUp() override {
    start_chain({}, {}, {}, "spool:\n  max_size: 64KiB\n  when_full: backpressure\n");
  }
};

TEST_F(ProxyChainSmallSpool, AFullSpoolHoldsTheAgentBackAndLosesOrRepeatsNothing) {
  const std::string full = "this proxy's spool for the host is full";
  expect_no_loss_across([&] {
    central_->stop();
    // The proxy stops reading from the agent (no more acks), so the agent spools in turn.
    ASSERT_TRUE(eventually([&] { return proxy_->log().find(full) != std::string::npos; }, 90s))
        << logs();
    std::this_thread::sleep_for(3s);
    central_->start();
  });
  // Said once, not once per batch or per pause. (The proxy's own host, an origin, drops its
  // oldest batches meanwhile: its spool is as small.)
  EXPECT_EQ(occurrences(proxy_->log(), full), 1U) << proxy_->log();
}

// `when_full: drop_oldest` (the default) with the smallest spool: the central parent's outage
// makes the proxy replace its oldest batches by gap records, and the agent is never held back.
class ProxyChainDropOldest : public ProxyChain {
 protected:
  void SetUp() override {
    start_chain({}, {}, {}, "spool:\n  max_size: 64KiB\n  when_full: drop_oldest\n");
  }

  struct CentralLogs {
    std::map<uint64_t, std::pair<std::string, int>> by_offset;  // line and how often
    std::vector<std::pair<uint64_t, uint64_t>> gaps;            // byte ranges [from, to)
  };
  CentralLogs central_logs() {
    CentralLogs out;
    std::set<std::pair<uint64_t, uint64_t>> gaps;
    std::string cursor;
    for (;;) {
      auto page =
          central_->get_json("/host/" + guid_ + "/api/v1/logs?limit=10000&cursor=" + cursor);
      if (!page) break;
      for (const auto& g : (*page)["gaps"])
        gaps.insert({g["from"].get<uint64_t>(), g["to"].get<uint64_t>()});
      if ((*page)["records"].empty()) break;
      for (const auto& r : (*page)["records"]) {
        auto& [line, n] = out.by_offset[r["offset"].get<uint64_t>()];
        line = r["line"];
        ++n;
      }
      cursor = (*page)["next_cursor"];
    }
    out.gaps.assign(gaps.begin(), gaps.end());
    return out;
  }
  std::vector<std::pair<int64_t, int64_t>> metric_gaps() {
    std::vector<std::pair<int64_t, int64_t>> out;
    auto answer = central_->get_json("/host/" + guid_ + "/api/v1/gaps?limit=10000");
    if (!answer) return out;
    for (const auto& g : (*answer)["metric_gaps"]) {
      EXPECT_EQ(g["reason"], "proxy spool full");
      out.emplace_back(g["from"].get<int64_t>(), g["to"].get<int64_t>());
    }
    return out;
  }
};

template <class Range, class T>
bool covered(const Range& ranges, T from, T to) {
  return std::any_of(ranges.begin(), ranges.end(),
                     [&](const auto& r) { return r.first <= from && to <= r.second; });
}

TEST_F(ProxyChainDropOldest, AFullSpoolDropsTheOldestAndGapRecordsSayExactlyWhatIsMissing) {
  ASSERT_TRUE(eventually([&] { return agent_arrived(); }, 20s)) << logs();
  LogWriter writer(log_dir_ + "/app.log");
  std::this_thread::sleep_for(3s);
  const int64_t from = now_s() - 2;
  const std::string replaced = "replaced by gap records";
  central_->stop();
  // Well past the first drop, so that the spool turns over more than once.
  ASSERT_TRUE(eventually([&] { return proxy_->log().find(replaced) != std::string::npos; }, 90s))
      << logs();
  std::this_thread::sleep_for(outage_length());
  central_->start();
  const int64_t back = now_s();
  ASSERT_TRUE(eventually(
      [&] {
        auto h = central_->host(guid_);
        return h && (*h)["last_data"].is_number() && (*h)["last_data"] >= back + 2;
      },
      60s))
      << logs();
  writer.stop();
  // The proxy never held the agent back.
  EXPECT_EQ(proxy_->log().find("this proxy's spool for the host is full"), std::string::npos);

  // Samples: every second missing at the central parent is inside a metric gap record, and
  // there are some.
  std::vector<std::pair<int64_t, int64_t>> gaps;
  std::vector<std::string> uncovered;
  eventually(
      [&] {
        gaps = metric_gaps();
        uncovered.clear();
        for (const std::string& missing : missing_seconds(from, back)) {  // "chart@+seconds"
          const int64_t t = from + std::stoll(missing.substr(missing.find("@+") + 2));
          if (!covered(gaps, t, t + 1)) uncovered.push_back(missing);
        }
        return !gaps.empty() && uncovered.empty();
      },
      15s);
  ASSERT_FALSE(gaps.empty()) << logs();
  EXPECT_TRUE(uncovered.empty()) << uncovered.size() << " chart-second(s) missing outside a gap, "
                                 << "first " << uncovered.front() << "\n"
                                 << uptime_rows(from, back) << "\n"
                                 << logs();
  // The gaps are of the outage (and of the seconds until the proxy reconnected), not of the
  // seconds before it.
  for (const auto& [gap_from, gap_to] : gaps) {
    EXPECT_GE(gap_from, from - 5);
    EXPECT_LE(gap_to, back + 15);
  }

  // Log lines: each line the central parent holds, once; each one it lacks, inside a log gap
  // record; no line it holds inside one (the gaps cover exactly what is missing).
  const auto written = writer.lines();
  std::string problems;
  size_t lines_in_gaps = 0;
  eventually(
      [&] {
        const CentralLogs central = central_logs();
        problems.clear();
        lines_in_gaps = 0;
        uint64_t offset = 0;
        for (const std::string& line : written) {
          const uint64_t end = offset + line.size() + 1;
          const auto held = central.by_offset.find(offset);
          const bool in_gap = covered(central.gaps, offset, end);
          if (held == central.by_offset.end()) {
            if (!in_gap) problems += "missing outside a gap: " + line + "\n";
            ++lines_in_gaps;
          } else if (held->second.first != line || held->second.second != 1) {
            problems += "held " + std::to_string(held->second.second) + "x as '" +
                        held->second.first + "': " + line + "\n";
          } else if (in_gap) {
            problems += "held, but inside a gap: " + line + "\n";
          }
          offset = end;
        }
        return problems.empty() && lines_in_gaps > 0;
      },
      15s);
  EXPECT_EQ(problems.substr(0, 2000), "") << logs();
  EXPECT_GT(lines_in_gaps, 0U) << "the outage dropped no log batch: no log gap was tested";
}

// A proxy with a db keeps the host's data and forwards it too.
TEST(ProxyWithDb, KeepsAndForwardsEveryHost) {
  TempDir dir;
  ParentNode central(dir, "central");
  ParentNode proxy(dir, "proxy-db");
  central.configure(key_section("ram"));
  proxy.configure(stream_section(central) + key_section("dbengine"), "dbengine");
  central.start();
  proxy.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto agent = start_agent(dir, "agent-d", proxy, log_dir);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir, "agent-d").empty(); }, 5s));
  const std::string guid = agent_guid(dir, "agent-d");
  const auto rows_at = [&](ParentNode& node) {
    auto data = node.get_json("/host/" + guid + "/api/v1/data?chart=system.uptime&after=-10");
    return data ? (*data)["data"].size() : 0u;
  };
  ASSERT_TRUE(eventually([&] { return rows_at(proxy) >= 3 && rows_at(central) >= 3; }, 20s))
      << proxy.log() << central.log();
  EXPECT_EQ((*proxy.host(guid))["memory_mode"], "dbengine");
  EXPECT_EQ((*proxy.host(guid))["hops"], 1);
  EXPECT_EQ((*central.host(guid))["hops"], 2);
  EXPECT_EQ((*central.host(guid))["path"], json::array({"proxy-db"}));
}

// The acceptance topology in network namespaces: zone A (the agent) reaches only the DMZ proxy,
// which reaches the central parent. Where namespaces cannot be made (not root, no `ip`), the
// test says so loudly and runs the same topology on loopback ports.
class ProxyZones : public ProxyChain {
 protected:
  void SetUp() override {
    zones_ = std::make_unique<NetworkZones>();
    if (zones_->made()) {
      start_chain(zones_->agent(), zones_->dmz(), zones_->central());
      return;
    }
    std::cerr << "\n*** ProxyZones: network namespaces cannot be made here (" << zones_->why()
              << "); running the same topology on loopback ports instead ***\n\n";
    RecordProperty("namespaces", "unavailable: " + zones_->why());
    start_chain({}, {}, {});
  }

  std::unique_ptr<NetworkZones> zones_;
};

TEST_F(ProxyZones, TwoHopsAcrossZonesAndNothingLostWhileTheProxyThenTheCentralAreDown) {
  ASSERT_TRUE(eventually([&] { return agent_arrived(); }, 20s)) << logs();
  EXPECT_EQ((*central_->host(guid_))["path"], json::array({"proxy"}));
  expect_no_loss_across([&] {
    proxy_->kill_hard();
    std::this_thread::sleep_for(outage_length());
    proxy_->start();
    // The central parent down while the agent and the proxy keep collecting.
    central_->stop();
    std::this_thread::sleep_for(outage_length());
    central_->start();
  });
}

// stream.conf [stream] changes at a proxy apply on SIGHUP, without a restart: a new destination
// takes the agent's stream there, `enabled = no` ends forwarding with a goodbye and `yes` starts
// it again, each with a log line saying what changed.
TEST(ProxyReload, StreamChangesApplyOnSighup) {
  TempDir dir;
  ParentNode first(dir, "central-1");
  ParentNode second(dir, "central-2");
  ParentNode proxy(dir, "proxy");
  first.configure(key_section("ram"));
  second.configure(key_section("ram"));
  proxy.configure(stream_section(first) + key_section("none"), "none");
  first.start();
  second.start();
  proxy.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto agent = start_agent(dir, "agent-r", proxy, log_dir);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir, "agent-r").empty(); }, 5s));
  const std::string guid = agent_guid(dir, "agent-r");
  const auto receiving = [&](ParentNode& node) {
    auto h = node.host(guid);
    return h && (*h)["reachable"] == true && (*h)["hops"] == 2 && (*h)["last_data"].is_number() &&
           (*h)["last_data"] >= now_s() - 5;
  };
  const auto gone = [&](ParentNode& node) {
    auto h = node.host(guid);
    return h && (*h)["reachable"] == false;
  };
  const auto all_logs = [&] { return proxy.log() + first.log() + second.log(); };
  ASSERT_TRUE(eventually([&] { return receiving(first); }, 20s)) << all_logs();

  proxy.reload_stream_conf(stream_section(second) + key_section("none"));
  ASSERT_TRUE(eventually([&] { return receiving(second); }, 20s)) << all_logs();
  EXPECT_TRUE(eventually([&] { return gone(first); }, 10s)) << all_logs();
  EXPECT_NE(proxy.log().find("destination '127.0.0.1:" + std::to_string(first.port()) +
                             "' -> '127.0.0.1:" + std::to_string(second.port()) + "'"),
            std::string::npos)
      << proxy.log();

  std::string off = stream_section(second);
  off.replace(off.find("enabled = yes"), 13, "enabled = no");
  proxy.reload_stream_conf(off + key_section("none"));
  ASSERT_TRUE(eventually([&] { return gone(second); }, 10s)) << all_logs();
  EXPECT_NE(proxy.log().find("[stream] changed: enabled yes -> no"), std::string::npos)
      << proxy.log();
  EXPECT_EQ((*proxy.host(guid))["reachable"], true);  // the proxy still serves the agent

  proxy.reload_stream_conf(stream_section(second) + key_section("none"));
  EXPECT_TRUE(eventually([&] { return receiving(second); }, 20s)) << all_logs();
  EXPECT_EQ(proxy.log().find("next restart"), std::string::npos) << proxy.log();
}

// The agent does the same on SIGHUP: a new destination moves its stream there with a goodbye on
// the old link (a clean stop there), `enabled = no` stops streaming with a goodbye.
TEST(AgentReload, StreamChangesApplyOnSighup) {
  TempDir dir;
  ParentNode first(dir, "parent-1");
  ParentNode second(dir, "parent-2");
  first.configure(key_section("ram"));
  second.configure(key_section("ram"));
  first.start();
  second.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto agent = start_agent(dir, "agent-s", first, log_dir);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir, "agent-s").empty(); }, 5s));
  const std::string guid = agent_guid(dir, "agent-s");
  const auto agent_log = [&] { return read_file(dir / "agent-s.log"); };
  const auto receiving = [&](ParentNode& node) {
    auto h = node.host(guid);
    return h && (*h)["reachable"] == true && (*h)["last_data"].is_number() &&
           (*h)["last_data"] >= now_s() - 5;
  };
  const auto stopped = [&](ParentNode& node) {
    auto h = node.host(guid);
    return h && (*h)["reachable"] == false;
  };
  ASSERT_TRUE(eventually([&] { return receiving(first); }, 20s)) << agent_log();

  write_file_atomically(dir / "agent-s/etc/stream.conf", stream_section(second));
  agent->signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return receiving(second); }, 20s)) << agent_log();
  EXPECT_TRUE(eventually([&] { return stopped(first); }, 10s)) << agent_log();
  EXPECT_NE(first.log().find("the sender said goodbye"), std::string::npos) << first.log();
  EXPECT_NE(agent_log().find("destination '127.0.0.1:" + std::to_string(first.port()) +
                             "' -> '127.0.0.1:" + std::to_string(second.port()) + "'"),
            std::string::npos)
      << agent_log();

  std::string off = stream_section(second);
  off.replace(off.find("enabled = yes"), 13, "enabled = no");
  write_file_atomically(dir / "agent-s/etc/stream.conf", off);
  agent->signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return stopped(second); }, 10s)) << agent_log();
  EXPECT_NE(second.log().find("the sender said goodbye"), std::string::npos) << second.log();
  EXPECT_TRUE(agent->running());
}

// A key's `default proxy ...` options forward the hosts of that key only, while [stream] is off
// (the proxy's own host stays here).
TEST(ProxyKeys, AKeysProxyOptionsForwardItsHostsOnly) {
  const std::string other_key = "22222222-2222-3333-4444-555555555555";
  TempDir dir;
  ParentNode central(dir, "central");
  ParentNode proxy(dir, "proxy");
  central.configure(key_section("ram"));
  central.start();
  proxy.configure(std::string("[stream]\n  enabled = no\n[") + kApiKey +
                      "]\n  enabled = yes\n  default memory mode = none\n" +
                      "  default proxy enabled = yes\n  default proxy destination = 127.0.0.1:" +
                      std::to_string(central.port()) + "\n  default proxy api key = " + kApiKey +
                      "\n[" + other_key + "]\n  enabled = yes\n  default memory mode = ram\n",
                  "none");
  proxy.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto forwarded = start_agent(dir, "agent-k", proxy, log_dir);
  auto kept = start_agent(dir, "agent-o", proxy, log_dir, {}, other_key);
  ASSERT_TRUE(eventually(
      [&] { return !agent_guid(dir, "agent-k").empty() && !agent_guid(dir, "agent-o").empty(); },
      5s));
  const std::string forwarded_guid = agent_guid(dir, "agent-k");
  const std::string kept_guid = agent_guid(dir, "agent-o");
  ASSERT_TRUE(eventually(
      [&] {
        auto h = central.host(forwarded_guid);
        return h && (*h)["hops"] == 2 && (*h)["last_data"].is_number();
      },
      20s))
      << proxy.log() << central.log();
  ASSERT_TRUE(eventually([&] { return proxy.host(kept_guid).has_value(); }, 20s)) << proxy.log();
  std::this_thread::sleep_for(2s);
  EXPECT_FALSE(central.host(kept_guid).has_value());
  EXPECT_FALSE(central.host(proxy.guid()).has_value());
  EXPECT_EQ(proxy.log().find("does not implement yet"), std::string::npos) << proxy.log();
}

// Two parents forwarding to each other: the agent's stream, forwarded A -> B -> A, is refused
// when it comes back to A, and A's own host is refused when B forwards it back.
TEST(ProxyLoop, AChainThatLoopsBackIsRefusedWithALogLine) {
  TempDir dir;
  ParentNode a(dir, "loop-a");
  ParentNode b(dir, "loop-b");
  a.configure(stream_section(b) + key_section("none"), "none");
  b.configure(stream_section(a) + key_section("none"), "none");
  a.start();
  b.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto agent = start_agent(dir, "looper", a, log_dir);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir, "looper").empty(); }, 5s));
  const std::string guid = agent_guid(dir, "looper");
  // B has the agent through A...
  ASSERT_TRUE(eventually(
      [&] {
        auto h = b.host(guid);
        return h && (*h)["hops"] == 2 && (*h)["path"] == json::array({"loop-a"});
      },
      20s))
      << a.log() << b.log();
  // ...and A refuses it when B forwards it back, naming the loop.
  ASSERT_TRUE(eventually(
      [&] { return a.log().find("'REJECTED - STREAM LOOP'") != std::string::npos; }, 15s))
      << a.log();
  EXPECT_NE(a.log().find("path loop-b > loop-a"), std::string::npos) << a.log();
  // A's own host never comes back to it: refused as its own GUID.
  EXPECT_TRUE(
      eventually([&] { return a.log().find("IDENTICAL TO PARENT") != std::string::npos; }, 15s))
      << a.log();
  // The agent stays at A directly, one hop.
  const auto at_a = a.host(guid);
  ASSERT_TRUE(at_a);
  EXPECT_EQ((*at_a)["hops"], 1);
  EXPECT_EQ((*at_a)["reachable"], true);
}

// A proxy with two central parents as destinations fails over to the second when the first
// stops, and back when the second stops after the first returned.
TEST(ProxyFailover, MovesBetweenTwoCentralParents) {
  TempDir dir;
  ParentNode first(dir, "central-1");
  ParentNode second(dir, "central-2");
  ParentNode proxy(dir, "proxy");
  first.configure(key_section("ram"));
  second.configure(key_section("ram"));
  proxy.configure(stream_section_to("127.0.0.1:" + std::to_string(first.port()) +
                                    " 127.0.0.1:" + std::to_string(second.port())) +
                      key_section("none"),
                  "none");
  first.start();
  second.start();
  proxy.start();
  const std::string log_dir = dir / "logs";
  std::filesystem::create_directories(log_dir);
  auto agent = start_agent(dir, "agent-f", proxy, log_dir);
  ASSERT_TRUE(eventually([&] { return !agent_guid(dir, "agent-f").empty(); }, 5s));
  const std::string guid = agent_guid(dir, "agent-f");
  const auto streaming_at = [&](ParentNode& central) {
    auto h = central.host(guid);
    return h && (*h)["reachable"] == true && (*h)["hops"] == 2 && (*h)["lag_seconds"].is_number() &&
           (*h)["lag_seconds"] <= 5;
  };
  ASSERT_TRUE(eventually([&] { return streaming_at(first); }, 20s)) << proxy.log();
  first.stop();
  ASSERT_TRUE(eventually([&] { return streaming_at(second); }, 20s)) << proxy.log();
  first.start();
  second.stop();
  EXPECT_TRUE(eventually([&] { return streaming_at(first); }, 20s)) << proxy.log();
}

// ---- The chain benchmark: a raw sender -> N headless proxies -> an in-test receiver. ----

using Clock = std::chrono::steady_clock;
constexpr const char* kBenchGuid = "b0b0b0b0-1111-4222-8333-944444444444";
constexpr int kBenchDims = 8;

// Blocking writes of a whole buffer.
bool send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

int connect_loopback(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// The end of the chain: takes every stream (Tributary handshake, acks everything at once) and
// records when each Samples batch of the bench host arrived, by seq.
class BenchReceiver {
 public:
  BenchReceiver() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::listen(listen_fd_, 64);
    acceptor_ = std::thread([this] {
      for (;;) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd < 0) return;
        std::lock_guard lock(mutex_);
        fds_.push_back(fd);
        readers_.emplace_back([this, fd] { serve(fd); });
      }
    });
  }
  ~BenchReceiver() {
    ::shutdown(listen_fd_, SHUT_RDWR);
    ::close(listen_fd_);
    acceptor_.join();
    {
      std::lock_guard lock(mutex_);
      for (const int fd : fds_) ::shutdown(fd, SHUT_RDWR);
    }
    for (auto& t : readers_) t.join();
    for (const int fd : fds_) ::close(fd);
  }
  uint16_t port() const { return port_; }
  std::optional<Clock::time_point> arrival(uint64_t seq) {
    std::lock_guard lock(mutex_);
    const auto it = arrivals_.find(seq);
    if (it == arrivals_.end()) return std::nullopt;
    return it->second;
  }
  uint64_t rows() const { return rows_; }

 private:
  void serve(int fd) {
    std::string in;
    char buf[65536];
    std::optional<stream::FrameDecoder> decoder;
    stream::FrameEncoder encoder;
    bool bench_host = false;
    for (;;) {
      const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return;
      if (!decoder) {
        in.append(buf, static_cast<size_t>(n));
        const auto end = stream::find_handshake_end(in);
        if (!end.ok() || !end->has_value()) continue;
        auto request = stream::parse_handshake_request(std::string_view(in).substr(0, **end));
        if (!request.ok()) return;
        bench_host = request->host.machine_guid == kBenchGuid;
        if (!send_all(fd, stream::tributary_ok_reply({"ack", "logs"}, 0))) return;
        decoder.emplace();
        decoder->feed(std::string_view(in).substr(**end));
      } else {
        decoder->feed(std::string_view(buf, static_cast<size_t>(n)));
      }
      std::string acks;
      for (;;) {
        auto next = decoder->next();
        if (!next.ok()) return;
        if (!next->has_value()) break;
        if (const auto* samples = std::get_if<stream::SamplesMsg>(&**next)) {
          if (bench_host) {
            std::lock_guard lock(mutex_);
            arrivals_.emplace(samples->seq, Clock::now());
            rows_ += samples->rows.size();
          }
          acks += encoder.encode(stream::AckMsg{samples->host_slot, samples->seq});
        } else if (const auto* logs = std::get_if<stream::LogsMsg>(&**next)) {
          acks += encoder.encode(stream::AckMsg{logs->host_slot, logs->seq});
        } else if (const auto* host = std::get_if<stream::HostDefMsg>(&**next)) {
          acks += encoder.encode(stream::HostResumeMsg{host->host_slot, 0});
        }
      }
      if (!acks.empty() && !send_all(fd, acks)) return;
    }
  }

  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<int> fds_;
  std::vector<std::thread> readers_;
  std::map<uint64_t, Clock::time_point> arrivals_;
  std::atomic<uint64_t> rows_{0};
};

// The head of the chain: one host, one chart of kBenchDims dimensions, numbered batches. A
// thread drains the acks.
class BenchSender {
 public:
  explicit BenchSender(uint16_t port) : fd_(connect_loopback(port)) {}
  ~BenchSender() {
    if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
    if (drain_.joinable()) drain_.join();
    if (fd_ >= 0) ::close(fd_);
  }
  bool start() {
    if (fd_ < 0 || !send_all(fd_, tributary_stream_request(kApiKey, kBenchGuid, "ack", "bench")))
      return false;
    std::string in;
    char buf[4096];
    for (;;) {
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      auto reply = stream::parse_handshake_reply(in);
      if (!reply.ok()) return false;
      if (reply->has_value()) break;
    }
    drain_ = std::thread([this] {
      char sink[65536];
      while (::recv(fd_, sink, sizeof sink, 0) > 0) {
      }
    });
    model::HostInfo host;
    host.machine_guid = kBenchGuid;
    host.hostname = "bench";
    model::ChartDef chart;
    chart.id = "bench.values";
    for (int d = 0; d < kBenchDims; ++d) {
      const std::string id = "d" + std::to_string(d);
      chart.dimensions.push_back({id, id});
    }
    return send_all(fd_, encoder_.encode(stream::HostDefMsg{1, host})) &&
           send_all(fd_, encoder_.encode(stream::ChartDefMsg{1, 1, chart}));
  }
  bool send(uint64_t seq, int rows, int64_t first_timestamp) {
    stream::SamplesMsg batch{.host_slot = 1, .seq = seq};
    for (int r = 0; r < rows; ++r) {
      batch.add_row(1, first_timestamp + r, std::vector<double>(kBenchDims, 1.0 * r));
    }
    return send_all(fd_, encoder_.encode(batch));
  }

 private:
  int fd_;
  stream::FrameEncoder encoder_;
  std::thread drain_;
};

struct ChainResult {
  double p50_ms = 0;
  double p99_ms = 0;
  size_t measured = 0;
  double rows_per_s = 0;
};

// A chain of `proxies` headless proxies; latency of single-row batches sent every 20 ms, then
// the rows per second that get through when 100-row batches are sent flat out for 5 s.
ChainResult run_chain(int proxies) {
  TempDir dir;
  BenchReceiver end;
  std::vector<std::unique_ptr<ParentNode>> chain;
  for (int i = 0; i < proxies; ++i) {
    chain.push_back(std::make_unique<ParentNode>(dir, "proxy-" + std::to_string(i)));
  }
  for (int i = proxies - 1; i >= 0; --i) {
    const std::string upstream =
        i + 1 < proxies ? stream_section(*chain[i + 1]) : stream_section("127.0.0.1", end.port());
    chain[i]->configure(upstream + key_section("none"), "none");
    chain[i]->start();
  }
  BenchSender sender(chain.front()->port());
  EXPECT_TRUE(sender.start());
  ChainResult result;
  std::vector<double> latencies;
  std::map<uint64_t, Clock::time_point> sent;
  const int64_t base = now_s() - 100'000;
  uint64_t seq = 0;
  // Warm-up: every hop connected upstream.
  for (int i = 0; i < 50; ++i) {
    ++seq;
    sender.send(seq, 1, base + static_cast<int64_t>(seq));
    std::this_thread::sleep_for(20ms);
  }
  eventually([&] { return end.arrival(seq).has_value(); }, 30s);
  const uint64_t first = seq + 1;
  for (int i = 0; i < 500; ++i) {
    sent[++seq] = Clock::now();
    sender.send(seq, 1, base + static_cast<int64_t>(seq));
    std::this_thread::sleep_for(20ms);
  }
  eventually([&] { return end.arrival(seq).has_value(); }, 30s);
  for (uint64_t s = first; s <= seq; ++s) {
    if (auto at = end.arrival(s)) {
      latencies.push_back(std::chrono::duration<double, std::milli>(*at - sent[s]).count());
    }
  }
  std::sort(latencies.begin(), latencies.end());
  result.measured = latencies.size();
  if (!latencies.empty()) {
    result.p50_ms = latencies[latencies.size() / 2];
    result.p99_ms = latencies[std::min(latencies.size() - 1, latencies.size() * 99 / 100)];
  }
  // Throughput.
  const uint64_t rows_before = end.rows();
  const auto t0 = Clock::now();
  int64_t timestamp = base + 10'000;
  while (Clock::now() - t0 < 5s) {
    sender.send(++seq, 100, timestamp);
    timestamp += 100;
  }
  eventually([&] { return end.arrival(seq).has_value(); }, 60s);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  result.rows_per_s = static_cast<double>(end.rows() - rows_before) / seconds;
  return result;
}

// Not run by default (minutes of wall time, numbers for docs/benchmarks.md):
//   integration_tests --gtest_also_run_disabled_tests --gtest_filter='*ChainBench*'
TEST(ProxyChainBench, DISABLED_LatencyPerHopAndThroughput) {
  const ChainResult one = run_chain(1);
  const ChainResult five = run_chain(5);
  std::cout
      << "| proxies | batches measured | latency p50 ms | latency p99 ms | rows/s (8 values) |\n"
      << "| ---: | ---: | ---: | ---: | ---: |\n";
  for (const auto& [n, r] : {std::pair{1, one}, std::pair{5, five}}) {
    std::cout << "| " << n << " | " << r.measured << " | " << r.p50_ms << " | " << r.p99_ms << " | "
              << static_cast<int64_t>(r.rows_per_s) << " |\n";
  }
  std::cout << "added per hop (5 vs 1, / 4): p50 " << (five.p50_ms - one.p50_ms) / 4 << " ms, p99 "
            << (five.p99_ms - one.p99_ms) / 4 << " ms\n";
  EXPECT_EQ(one.measured, 500u);
  EXPECT_EQ(five.measured, 500u);
}

}  // namespace
}  // namespace trib::test
