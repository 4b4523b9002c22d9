#include "agent/loadgen/loadgen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <nlohmann/json.hpp>
#include <span>
#include <thread>

#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "common/stream/wire.h"

namespace trib::agent::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kHighWater = 1u << 20;  // stop producing while this much is unsent

enum class Phase : uint8_t { connecting, handshake, streaming, draining, done };

struct Agent {
  uint32_t index = 0;
  int fd = -1;
  Phase phase = Phase::connecting;
  std::string out;
  size_t out_pos = 0;
  std::string in;
  stream::FrameEncoder encoder;
  stream::FrameDecoder decoder;
  uint64_t seq = 0;
  uint64_t acked_seq = 0;
  int64_t tick = 0;
  // Samples produced into `out` and not yet written: credited to samples_sent once written.
  std::vector<std::pair<size_t, uint64_t>> unsent;  // (end offset in out, samples)
  AgentReport report;
};

std::string agent_guid(const LoadgenOptions& o, uint32_t index) {
  return o.guid_prefix + fmt::format("{:012x}", index);
}

std::string hostname_of(uint32_t index) { return fmt::format("loadgen-{:04}", index); }

std::string netdata_request(const LoadgenOptions& o, uint32_t index) {
  return "STREAM key=" + o.api_key + "&hostname=" + hostname_of(index) +
         "&registry_hostname=" + hostname_of(index) + "&machine_guid=" + agent_guid(o, index) +
         "&update_every=1&os=linux&timezone=UTC&abbrev_timezone=UTC&utc_offset=0&hops=1"
         "&ml_capable=0&ml_enabled=0&mc_version=0&tags=&ver=4 HTTP/1.1\r\n"
         "User-Agent: netdata/v1.37.1\r\nAccept: */*\r\n\r\n";
}

std::string netdata_definitions(const LoadgenOptions& o) {
  std::string out;
  for (uint32_t c = 0; c < o.charts; ++c) {
    out += fmt::format(
        "CHART \"loadgen.c{}\" \"\" \"load chart {}\" \"units\" \"loadgen\" \"loadgen.c{}\" "
        "\"line\" {} 1 \"\" \"loadgen\" \"\"\n",
        c, c, c, 1000 + c);
    for (uint32_t d = 0; d < o.dimensions; ++d) {
      out += fmt::format("DIMENSION \"d{}\" \"d{}\" \"absolute\" 1 1 \"\"\n", d, d);
    }
  }
  return out;
}

void compute_netdata_tick(const LoadgenOptions& o, int64_t tick, std::string& out) {
  for (uint32_t c = 0; c < o.charts; ++c) {
    out += fmt::format("BEGIN \"loadgen.c{}\" 1000000\n", c);
    for (uint32_t d = 0; d < o.dimensions; ++d) {
      out += fmt::format("SET \"d{}\" = {}\n", d, static_cast<int64_t>(load_value(tick, c, d)));
    }
    out += "END\n";
  }
}

void start_native(const LoadgenOptions& o, Agent& a, std::string_view leftover) {
  a.decoder.feed(leftover);
  model::HostInfo host;
  host.machine_guid = agent_guid(o, a.index);
  host.hostname = hostname_of(a.index);
  host.os = "linux";
  host.update_every = 1;
  host.hops = 1;
  a.encoder.append(stream::HostDefMsg{1, host}, a.out);
  for (uint32_t c = 0; c < o.charts; ++c) {
    model::ChartDef chart;
    chart.id = fmt::format("loadgen.c{}", c);
    chart.update_every = 1;
    chart.family = "loadgen";
    for (uint32_t d = 0; d < o.dimensions; ++d) {
      model::DimensionDef dim;
      dim.id = fmt::format("d{}", d);
      chart.dimensions.push_back(dim);
    }
    a.encoder.append(stream::ChartDefMsg{1, c + 1, chart}, a.out);
  }
}

// One batch (native) or one tick of every chart (netdata) into the agent's buffer.
uint64_t produce(const LoadgenOptions& o, const LoadEncoder& encoder, int64_t start_s, Agent& a) {
  if (o.protocol == Protocol::netdata) {
    encoder.append_netdata_tick(a.tick++, a.out);
    return uint64_t{o.charts} * o.dimensions;
  }
  encoder.append_batch(start_s, a.tick, ++a.seq, a.out);
  a.tick += o.ticks_per_batch;
  return uint64_t{o.ticks_per_batch} * o.charts * o.dimensions;
}

void fail(Agent& a, std::string why) {
  if (a.report.error.empty()) a.report.error = std::move(why);
  if (a.fd >= 0) ::close(a.fd);
  a.fd = -1;
  a.phase = Phase::done;
}

void on_readable(const LoadgenOptions& o, Agent& a) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::recv(a.fd, buf, sizeof buf, 0);
    if (n == 0) return fail(a, "the parent closed the connection");
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(a, std::string("recv: ") + strerror(errno));
      return;
    }
    const std::string_view bytes(buf, static_cast<size_t>(n));
    if (a.phase == Phase::handshake) {
      a.in.append(bytes);
      auto reply = stream::parse_handshake_reply(a.in);
      if (!reply.ok()) return fail(a, "handshake: " + reply.error().message);
      if (!reply->has_value()) continue;
      const auto& r = **reply;
      if (r.kind == stream::ReplyKind::refused) return fail(a, "refused: " + r.detail);
      a.phase = Phase::streaming;
      if (o.protocol == Protocol::netdata) {
        a.out += netdata_definitions(o);
      } else {
        start_native(o, a, std::string_view(a.in).substr(r.consumed));
      }
      a.in.clear();
      continue;
    }
    if (o.protocol == Protocol::netdata) continue;  // a stock parent sends nothing we need
    a.decoder.feed(bytes);
    for (;;) {
      auto next = a.decoder.next();
      if (!next.ok()) return fail(a, "bad frame from the parent: " + next.error().message);
      if (!next->has_value()) break;
      if (const auto* ack = std::get_if<stream::AckMsg>(&**next)) {
        a.acked_seq = std::max(a.acked_seq, ack->seq);
      } else if (std::holds_alternative<stream::KeepaliveMsg>(**next)) {
        a.encoder.append(stream::KeepaliveMsg{}, a.out);
      }
    }
  }
}

void credit_written(Agent& a) {
  size_t done = 0;
  while (done < a.unsent.size() && a.unsent[done].first <= a.out_pos) {
    a.report.samples_sent += a.unsent[done].second;
    ++done;
  }
  a.unsent.erase(a.unsent.begin(), a.unsent.begin() + static_cast<std::ptrdiff_t>(done));
}

void on_writable(Agent& a) {
  if (a.phase == Phase::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(a, std::string("connect: ") + strerror(err));
    a.phase = Phase::handshake;
    return;
  }
  while (a.out_pos < a.out.size()) {
    const ssize_t n =
        ::send(a.fd, a.out.data() + a.out_pos, a.out.size() - a.out_pos, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) fail(a, std::string("send: ") + strerror(errno));
      return;
    }
    a.out_pos += static_cast<size_t>(n);
    a.report.bytes_sent += static_cast<uint64_t>(n);
    credit_written(a);
  }
  a.out.clear();
  a.out_pos = 0;
  a.unsent.clear();
}

Status connect_agent(const sockaddr_in& addr, Agent& a) {
  a.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (a.fd < 0) return Error(Errc::io_error, std::string("socket: ") + strerror(errno));
  const int one = 1;
  ::setsockopt(a.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  // A small send buffer: what the kernel holds for the parent is counted as sent, so keep it
  // from padding the figures.
  const int sndbuf = 256 * 1024;
  ::setsockopt(a.fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (::connect(a.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return Error(Errc::io_error, std::string("connect: ") + strerror(errno));
  }
  return ok_status();
}

bool parse_u64(const std::string& text, uint64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

double load_value(int64_t tick, uint32_t chart, uint32_t dim) {
  return static_cast<double>((tick * (dim + 1) + chart * 7) % kValuePeriod);
}

LoadEncoder::LoadEncoder(const LoadgenOptions& options) : options_(options) {
  const size_t row_bytes = size_t{options.dimensions} * 8;
  const size_t native_bytes = static_cast<size_t>(kValuePeriod) * options.charts * row_bytes;
  if (options.protocol == Protocol::tributary && native_bytes <= kMaxTableBytes) {
    native_values_.reserve(native_bytes);
    for (int64_t phase = 0; phase < kValuePeriod; ++phase) {
      for (uint32_t c = 0; c < options.charts; ++c) {
        for (uint32_t d = 0; d < options.dimensions; ++d) {
          stream::wire::put_double(native_values_, load_value(phase, c, d));
        }
      }
    }
  }
  // A tick's text is about 16 bytes per value.
  if (options.protocol == Protocol::netdata &&
      static_cast<size_t>(kValuePeriod) * options.charts * options.dimensions * 16 <=
          kMaxTableBytes) {
    netdata_ticks_.resize(kValuePeriod);
    for (int64_t phase = 0; phase < kValuePeriod; ++phase) {
      compute_netdata_tick(options, phase, netdata_ticks_[static_cast<size_t>(phase)]);
    }
  }
}

void LoadEncoder::append_values(int64_t tick, uint32_t chart, std::string& out) const {
  if (native_values_.empty()) {
    for (uint32_t d = 0; d < options_.dimensions; ++d) {
      stream::wire::put_double(out, load_value(tick, chart, d));
    }
    return;
  }
  const size_t row_bytes = size_t{options_.dimensions} * 8;
  const auto phase = static_cast<size_t>(tick % kValuePeriod);
  out.append(native_values_, (phase * options_.charts + chart) * row_bytes, row_bytes);
}

void LoadEncoder::append_batch(int64_t start_s, int64_t first_tick, uint64_t seq,
                               std::string& out) const {
  const size_t frame_start = out.size();
  out.append(stream::kFrameHeaderSize, '\0');
  stream::wire::put_varint(out, 1);  // host slot
  stream::wire::put_varint(out, seq);
  stream::wire::put_varint(out, uint64_t{options_.ticks_per_batch} * options_.charts);
  for (uint32_t t = 0; t < options_.ticks_per_batch; ++t) {
    const int64_t tick = first_tick + t;
    for (uint32_t c = 0; c < options_.charts; ++c) {
      stream::wire::put_varint(out, c + 1);
      stream::wire::put_zigzag(out, start_s + tick);
      stream::wire::put_varint(out, options_.dimensions);
      append_values(tick, c, out);
    }
  }
  const auto length = static_cast<uint32_t>(out.size() - frame_start - stream::kFrameHeaderSize);
  for (int i = 0; i < 4; ++i) out[frame_start + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  out[frame_start + 4] = static_cast<char>(stream::FrameType::samples);
  out[frame_start + 5] = 0;  // flags: uncompressed
}

void LoadEncoder::append_netdata_tick(int64_t tick, std::string& out) const {
  if (netdata_ticks_.empty()) {
    compute_netdata_tick(options_, tick, out);
    return;
  }
  out += netdata_ticks_[static_cast<size_t>(tick % kValuePeriod)];
}

std::string usage() {
  return "usage: tributary-loadgen --api-key KEY [--destination HOST:PORT] [--agents N]\n"
         "         [--charts C] [--dimensions D] [--rate SAMPLES_PER_S | --flat-out]\n"
         "         [--duration SECONDS] [--ticks-per-batch T] [--protocol tributary|netdata]\n"
         "         [--start-time EPOCH_S] [--threads N] [--json]\n"
         "Simulates N agents with C charts of D dimensions streaming to a parent and reports\n"
         "samples sent and (tributary protocol) acknowledged. --protocol netdata speaks Netdata\n"
         "1.37's uncompressed text protocol, for a stock netdata parent.\n";
}

Result<LoadgenOptions> parse_args(const std::vector<std::string>& args) {
  LoadgenOptions o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& flag = args[i];
    if (flag == "--help" || flag == "-h") return Error(Errc::invalid_argument, usage());
    if (flag == "--flat-out") {
      o.rate = 0;
      continue;
    }
    if (flag == "--json") continue;  // the main's business
    if (i + 1 >= args.size()) return Error(Errc::invalid_argument, flag + " needs a value");
    const std::string& value = args[++i];
    uint64_t n = 0;
    auto number = [&](uint64_t min, uint64_t max) -> Status {
      if (!parse_u64(value, n) || n < min || n > max) {
        return Error(Errc::invalid_argument,
                     fmt::format("{} {}: expected an integer in {}..{}", flag, value, min, max));
      }
      return ok_status();
    };
    if (flag == "--api-key") {
      o.api_key = value;
    } else if (flag == "--destination") {
      const auto colon = value.rfind(':');
      uint64_t port = 0;
      if (colon == std::string::npos || !parse_u64(value.substr(colon + 1), port) || port == 0 ||
          port > 65535) {
        return Error(Errc::invalid_argument, "--destination " + value + ": expected HOST:PORT");
      }
      o.host = value.substr(0, colon);
      o.port = static_cast<uint16_t>(port);
    } else if (flag == "--agents") {
      TRIB_TRY(number(1, 10000));
      o.agents = static_cast<uint32_t>(n);
    } else if (flag == "--charts") {
      TRIB_TRY(number(1, 100000));
      o.charts = static_cast<uint32_t>(n);
    } else if (flag == "--dimensions") {
      TRIB_TRY(number(1, 10000));
      o.dimensions = static_cast<uint32_t>(n);
    } else if (flag == "--rate") {
      TRIB_TRY(number(1, uint64_t{1} << 40));
      o.rate = n;
    } else if (flag == "--duration") {
      TRIB_TRY(number(1, 86400));
      o.duration_s = static_cast<double>(n);
    } else if (flag == "--ticks-per-batch") {
      TRIB_TRY(number(1, 10000));
      o.ticks_per_batch = static_cast<uint32_t>(n);
    } else if (flag == "--threads") {
      TRIB_TRY(number(1, 64));
      o.threads = static_cast<uint32_t>(n);
    } else if (flag == "--start-time") {
      TRIB_TRY(number(1, uint64_t{1} << 40));
      o.start_time_s = static_cast<int64_t>(n);
    } else if (flag == "--protocol") {
      if (value == "tributary") {
        o.protocol = Protocol::tributary;
      } else if (value == "netdata") {
        o.protocol = Protocol::netdata;
      } else {
        return Error(Errc::invalid_argument, "--protocol " + value + ": tributary or netdata");
      }
    } else {
      return Error(Errc::invalid_argument, "unknown option " + flag + "\n" + usage());
    }
  }
  if (o.api_key.empty()) return Error(Errc::invalid_argument, "--api-key is required\n" + usage());
  return o;
}

namespace {

model::HostInfo agent_host(const LoadgenOptions& o, uint32_t index) {
  model::HostInfo h;
  h.machine_guid = agent_guid(o, index);
  h.hostname = hostname_of(index);
  h.os = "linux";
  h.update_every = 1;
  h.hops = 1;
  return h;
}

// One sending thread: a poll() loop over `agents` until they are done or the time is up, at
// `rate` samples/s over these agents (0: flat out). Returns the seconds spent sending.
double run_share(const LoadgenOptions& o, const LoadEncoder& encoder, int64_t start_s,
                 Clock::time_point started, uint64_t rate, std::span<Agent> agents) {
  const auto send_until = started + std::chrono::duration_cast<Clock::duration>(
                                        std::chrono::duration<double>(o.duration_s));
  // Kernel buffers of many connections can hold seconds of load: wait as long as we sent.
  const auto give_up =
      send_until + std::chrono::seconds(10) +
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.duration_s));
  uint64_t produced = 0;
  std::vector<pollfd> fds(agents.size());
  bool sending = true;
  double seconds = 0;
  for (;;) {
    const auto now = Clock::now();
    if (sending && now >= send_until) {
      sending = false;
      seconds = std::chrono::duration<double>(now - started).count();
    }
    const double elapsed = std::chrono::duration<double>(now - started).count();
    bool busy = false;
    for (size_t i = 0; i < agents.size(); ++i) {
      Agent& a = agents[i];
      if (a.phase == Phase::streaming && sending) {
        while (a.out.size() - a.out_pos < kHighWater &&
               (rate == 0 || static_cast<double>(produced) < elapsed * static_cast<double>(rate))) {
          const uint64_t n = produce(o, encoder, start_s, a);
          produced += n;
          a.unsent.emplace_back(a.out.size(), n);
          if (rate != 0) break;  // spread the budget over the agents
        }
      }
      if (a.phase == Phase::streaming && !sending) a.phase = Phase::draining;
      const bool waiting_acks = o.protocol == Protocol::tributary && a.acked_seq < a.seq;
      if (a.phase == Phase::draining && a.out_pos == a.out.size() && !waiting_acks) {
        if (o.protocol == Protocol::tributary) {
          std::string bye = a.encoder.encode(stream::GoodbyeMsg{stream::kAllHosts, "load done"});
          (void)::send(a.fd, bye.data(), bye.size(), MSG_NOSIGNAL);
        }
        ::close(a.fd);
        a.fd = -1;
        a.phase = Phase::done;
      }
      busy = busy || a.phase != Phase::done;
      fds[i].fd = a.fd;
      fds[i].events = POLLIN;
      if (a.phase == Phase::connecting || a.out_pos < a.out.size()) fds[i].events |= POLLOUT;
      if (a.phase == Phase::handshake && a.in.empty() && a.out.empty() &&
          a.report.bytes_sent == 0) {
        a.out = o.protocol == Protocol::netdata
                    ? netdata_request(o, a.index)
                    : stream::build_handshake_request(stream::make_tributary_request(
                          o.api_key, agent_host(o, a.index), {"ack"}));
        fds[i].events |= POLLOUT;
      }
    }
    if (!busy || now >= give_up) break;
    ::poll(fds.data(), fds.size(), rate != 0 || !sending ? 5 : 50);
    for (size_t i = 0; i < agents.size(); ++i) {
      Agent& a = agents[i];
      if (a.fd < 0) continue;
      if (fds[i].revents & (POLLERR | POLLHUP) && a.phase == Phase::connecting) {
        fail(a, "connection refused");
        continue;
      }
      if (fds[i].revents & POLLOUT) on_writable(a);
      if (a.fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) on_readable(o, a);
    }
  }
  if (seconds == 0) seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return seconds;
}

}  // namespace

Result<LoadgenReport> run(const LoadgenOptions& o) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(o.port);
  if (::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1) {
    return Error(Errc::invalid_argument,
                 "destination host '" + o.host + "' is not an IPv4 address");
  }
  const int64_t start_s =
      o.start_time_s != 0 ? o.start_time_s : static_cast<int64_t>(std::time(nullptr)) - 7 * 86400;
  const LoadEncoder encoder(o);
  std::vector<Agent> agents(o.agents);
  for (uint32_t i = 0; i < o.agents; ++i) {
    Agent& a = agents[i];
    a.index = i;
    a.report.machine_guid = agent_guid(o, i);
    if (auto status = connect_agent(addr, a); !status.ok()) fail(a, status.error().message);
  }

  // Contiguous shares of the agents, one per thread; each thread gets its share of the rate.
  const uint32_t threads = std::min(o.threads, o.agents);
  std::vector<double> seconds(threads, 0);
  std::vector<std::thread> workers;
  const auto started = Clock::now();
  for (uint32_t t = 0; t < threads; ++t) {
    const size_t begin = size_t{o.agents} * t / threads;
    const size_t end = size_t{o.agents} * (t + 1) / threads;
    const uint64_t rate = o.rate * (end - begin) / o.agents;
    const std::span<Agent> share(agents.data() + begin, end - begin);
    workers.emplace_back(
        [&, t, rate, share] { seconds[t] = run_share(o, encoder, start_s, started, rate, share); });
  }
  for (std::thread& worker : workers) worker.join();

  LoadgenReport report;
  report.seconds = *std::max_element(seconds.begin(), seconds.end());
  const uint64_t per_batch = uint64_t{o.ticks_per_batch} * o.charts * o.dimensions;
  for (Agent& a : agents) {
    if (a.fd >= 0) {
      if (a.report.error.empty() && a.phase != Phase::done)
        a.report.error = "timed out waiting for acks";
      ::close(a.fd);
    }
    if (o.protocol == Protocol::tributary) a.report.samples_acked = a.acked_seq * per_batch;
    report.samples_sent += a.report.samples_sent;
    report.samples_acked += a.report.samples_acked;
    report.bytes_sent += a.report.bytes_sent;
    report.agents.push_back(std::move(a.report));
  }
  return report;
}

std::string to_json(const LoadgenReport& report) {
  nlohmann::json j;
  j["seconds"] = report.seconds;
  j["samples_sent"] = report.samples_sent;
  j["samples_acked"] = report.samples_acked;
  j["bytes_sent"] = report.bytes_sent;
  j["samples_per_second_sent"] =
      report.seconds > 0 ? static_cast<double>(report.samples_sent) / report.seconds : 0;
  size_t failed = 0;
  for (const auto& a : report.agents) failed += a.error.empty() ? 0 : 1;
  j["agents"] = report.agents.size();
  j["agents_failed"] = failed;
  for (const auto& a : report.agents) {
    if (!a.error.empty()) {
      j["first_error"] = a.machine_guid + ": " + a.error;
      break;
    }
  }
  return j.dump();
}

}  // namespace trib::agent::loadgen
