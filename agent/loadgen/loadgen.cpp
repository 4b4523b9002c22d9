#include "agent/loadgen/loadgen.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstring>
#include <ctime>
#include <memory>
#include <nlohmann/json.hpp>
#include <span>
#include <thread>

#include "common/net/openssl/tls_openssl.h"
#include "common/net/tls.h"
#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"

namespace trib::agent::loadgen {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kHighWater = 1u << 20;  // stop producing while this much is unsent
// TLS: plaintext encrypted per send. The records go out in one send() (OpenSSL writing them to
// the socket itself makes a system call per 16 KiB record, which costs more than the cipher).
constexpr size_t kTlsChunk = 256u << 10;

enum class Phase : uint8_t {
  connecting,     // TCP connect in progress
  tls_handshake,  // --tls: OpenSSL's handshake over the socket
  handshake,      // the STREAM request is out; waiting for the parent's reply
  streaming,
  closing,   // --handshakes: goodbye sent, waiting for the parent to close
  draining,  // time is up: flushing and waiting for the last acks
  done
};

struct SslFree {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};

struct Agent {
  uint32_t index = 0;
  int fd = -1;
  std::unique_ptr<SSL, SslFree> tls;  // with --tls, from the TCP connection on
  std::string cipher;                 // TLS records not yet written to the socket
  size_t cipher_pos = 0;
  Phase phase = Phase::connecting;
  std::string out;
  size_t out_pos = 0;
  std::string in;
  stream::FrameEncoder encoder;
  // --compress: the next batch, uncompressed, and the compressor an agent's sender would use.
  std::string batch;
  stream::ZstdCompressor compressor{1};
  stream::FrameDecoder decoder;
  uint64_t seq = 0;
  uint64_t acked_seq = 0;
  int64_t tick = 0;
  // Samples produced into `out` and not yet written: credited to samples_sent once written.
  std::vector<std::pair<size_t, uint64_t>> unsent;  // (end offset in out, samples)
  AgentReport report;
};

// What every sending thread shares; immutable during the run.
struct Shared {
  const LoadgenOptions& options;
  const LoadEncoder& encoder;
  int64_t start_s;
  sockaddr_in address;
  std::shared_ptr<const net::TlsContext> tls;  // null without --tls
};

std::string agent_guid(const LoadgenOptions& o, uint32_t index) {
  return o.guid_prefix + fmt::format("{:012x}", index);
}

std::string hostname_of(uint32_t index) { return fmt::format("loadgen-{:04}", index); }

model::HostInfo agent_host(const LoadgenOptions& o, uint32_t index) {
  model::HostInfo h;
  h.machine_guid = agent_guid(o, index);
  h.hostname = hostname_of(index);
  h.os = "linux";
  h.update_every = 1;
  h.hops = 1;
  return h;
}

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

// `frame` (one uncompressed frame, header and payload) appended to `out` as a compressed frame:
// flags bit 0, then `varint payload size | zstd frame` (docs/protocol.md), as an agent's
// FrameEncoder writes batches on a link that was granted zstd.
void compress_frame(std::string_view frame, stream::ZstdCompressor& compressor, std::string& out) {
  const std::string_view payload = frame.substr(stream::kFrameHeaderSize);
  const size_t frame_start = out.size();
  out.append(frame.substr(0, stream::kFrameHeaderSize));
  stream::wire::put_varint(out, payload.size());
  if (!compressor.compress(payload, out).ok()) {  // cannot fail on a valid level: keep it plain
    out.resize(frame_start);
    out.append(frame);
    return;
  }
  const auto length = static_cast<uint32_t>(out.size() - frame_start - stream::kFrameHeaderSize);
  for (int i = 0; i < 4; ++i) out[frame_start + i] = static_cast<char>((length >> (8 * i)) & 0xff);
  out[frame_start + 5] = static_cast<char>(stream::kFlagZstd);
}

// One batch (native) or one tick of every chart (netdata) into the agent's buffer.
uint64_t produce(const LoadgenOptions& o, const LoadEncoder& encoder, int64_t start_s, Agent& a) {
  if (o.protocol == Protocol::netdata) {
    encoder.append_netdata_tick(a.tick++, a.out);
    return uint64_t{o.charts} * o.dimensions;
  }
  if (o.compress) {
    a.batch.clear();
    encoder.append_batch(start_s, a.tick, ++a.seq, a.batch);
    compress_frame(a.batch, a.compressor, a.out);
  } else {
    encoder.append_batch(start_s, a.tick, ++a.seq, a.out);
  }
  a.tick += o.ticks_per_batch;
  return uint64_t{o.ticks_per_batch} * o.charts * o.dimensions;
}

void close_connection(Agent& a) {
  a.tls.reset();
  a.cipher.clear();
  a.cipher_pos = 0;
  if (a.fd >= 0) ::close(a.fd);
  a.fd = -1;
}

void fail(Agent& a, std::string why) {
  if (a.report.error.empty()) a.report.error = std::move(why);
  close_connection(a);
  a.phase = Phase::done;
}

int clamp_to_int(size_t n) { return static_cast<int>(std::min<size_t>(n, 1u << 30)); }

// The transport, plaintext or TLS: bytes moved, nothing possible until poll() says so, the
// parent's clean close, or a failure (the agent is then done, with its error).
enum class Io : uint8_t { moved, blocked, closed, failed };

Io fail_tls(const Shared& s, Agent& a, int ssl_result, std::string_view doing) {
  fail(a, net::tls_failure(a.tls.get(), s.tls->verifies_peer(), ssl_result, doing).message);
  return Io::failed;
}

Io send_raw(Agent& a, std::string_view bytes, size_t& sent) {
  const ssize_t n = ::send(a.fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
  if (n >= 0) {
    sent = static_cast<size_t>(n);
    return Io::moved;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::blocked;
  fail(a, std::string("send: ") + strerror(errno));
  return Io::failed;
}

// Sends what the socket takes of the records OpenSSL appended to `cipher` (its write BIO).
// Io::moved: nothing is left unsent, and `cipher` is empty again (its memory kept).
Io flush_tls(Agent& a) {
  while (a.cipher_pos < a.cipher.size()) {
    size_t n = 0;
    const Io io = send_raw(a, std::string_view(a.cipher).substr(a.cipher_pos), n);
    if (io != Io::moved) return io;
    a.cipher_pos += n;
  }
  a.cipher.clear();
  a.cipher_pos = 0;
  return Io::moved;
}

// Plaintext in, `sent` bytes of it taken. With TLS, plaintext is taken only once the previous
// records are all on the socket, so at most one chunk of ciphertext waits in memory.
Io send_some(const Shared& s, Agent& a, std::string_view bytes, size_t& sent) {
  if (!a.tls) return send_raw(a, bytes, sent);
  if (const Io io = flush_tls(a); io != Io::moved) return io;
  ERR_clear_error();
  const int n =
      SSL_write(a.tls.get(), bytes.data(), clamp_to_int(std::min(bytes.size(), kTlsChunk)));
  if (n <= 0) return fail_tls(s, a, n, "TLS write");
  sent = static_cast<size_t>(n);
  return flush_tls(a) == Io::failed ? Io::failed : Io::moved;
}

Io receive_some(const Shared& s, Agent& a, char* buf, size_t size, size_t& got) {
  if (!a.tls) {
    const ssize_t n = ::recv(a.fd, buf, size, 0);
    if (n > 0) {
      got = static_cast<size_t>(n);
      return Io::moved;
    }
    if (n == 0) return Io::closed;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return Io::blocked;
    fail(a, std::string("recv: ") + strerror(errno));
    return Io::failed;
  }
  ERR_clear_error();
  const int n = SSL_read(a.tls.get(), buf, clamp_to_int(size));
  // Reading can make OpenSSL answer (a key update, an alert): those records go out too.
  if (flush_tls(a) == Io::failed) return Io::failed;
  if (n > 0) {
    got = static_cast<size_t>(n);
    return Io::moved;
  }
  const int code = SSL_get_error(a.tls.get(), n);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return Io::blocked;
  if (code == SSL_ERROR_ZERO_RETURN) return Io::closed;
  return fail_tls(s, a, n, "TLS read");
}

void begin_stream_handshake(const Shared& s, Agent& a) {
  const LoadgenOptions& o = s.options;
  a.phase = Phase::handshake;
  a.out = o.protocol == Protocol::netdata
              ? netdata_request(o, a.index)
              : stream::build_handshake_request(stream::make_tributary_request(
                    o.api_key, agent_host(o, a.index),
                    o.compress
                        ? std::vector<std::string>{"ack", std::string(stream::tributary_cap::kZstd)}
                        : std::vector<std::string>{"ack"}));
  a.out_pos = 0;
}

void advance_tls_handshake(const Shared& s, Agent& a) {
  ERR_clear_error();
  const int rc = SSL_do_handshake(a.tls.get());
  if (flush_tls(a) == Io::failed) return;
  if (rc == 1) {
    a.report.tls =
        std::string(SSL_get_version(a.tls.get())) + " " + SSL_get_cipher_name(a.tls.get());
    return begin_stream_handshake(s, a);
  }
  const int code = SSL_get_error(a.tls.get(), rc);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) return;
  fail_tls(s, a, rc, "TLS handshake");
}

void on_connected(const Shared& s, Agent& a) {
  if (!s.tls) return begin_stream_handshake(s, a);
  ERR_clear_error();
  a.tls.reset(SSL_new(net::openssl_context(*s.tls)));
  if (!a.tls) return fail(a, "cannot create a TLS connection");
  // The parent's close without close_notify ends the stream as a clean close would.
  SSL_set_options(a.tls.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  if (auto named = net::expect_peer_name(a.tls.get(), s.options.host); !named.ok()) {
    return fail(a, named.error().message);
  }
  // Reads straight from the socket; writes into `cipher`, sent in large pieces by flush_tls().
  BIO* socket = BIO_new_socket(a.fd, BIO_NOCLOSE);
  BIO* records = net::new_append_bio(&a.cipher);
  if (socket == nullptr || records == nullptr) {
    BIO_free(socket);
    BIO_free(records);
    return fail(a, "cannot create TLS buffers");
  }
  SSL_set_bio(a.tls.get(), socket, records);
  SSL_set_read_ahead(a.tls.get(), 1);
  SSL_set_connect_state(a.tls.get());
  a.phase = Phase::tls_handshake;
  advance_tls_handshake(s, a);
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
  a.phase = Phase::connecting;
  if (::connect(a.fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) != 0 &&
      errno != EINPROGRESS) {
    return Error(Errc::io_error, std::string("connect: ") + strerror(errno));
  }
  return ok_status();
}

// --handshakes: one connection is over; the next starts while there is time.
void next_connection(const Shared& s, Agent& a, bool time_left) {
  close_connection(a);
  a.in.clear();
  a.out.clear();
  a.out_pos = 0;
  a.decoder = stream::FrameDecoder();
  a.encoder = stream::FrameEncoder();
  if (!time_left) {
    a.phase = Phase::done;
    return;
  }
  if (auto status = connect_agent(s.address, a); !status.ok()) fail(a, status.error().message);
}

void on_reply(const Shared& s, Agent& a, const stream::HandshakeReply& reply) {
  const LoadgenOptions& o = s.options;
  if (reply.kind == stream::ReplyKind::refused) return fail(a, "refused: " + reply.detail);
  if (o.compress && o.protocol == Protocol::tributary &&
      std::find(reply.tributary_caps.begin(), reply.tributary_caps.end(),
                stream::tributary_cap::kZstd) == reply.tributary_caps.end()) {
    return fail(a, "the parent did not grant zstd (--compress)");
  }
  const std::string leftover = a.in.substr(reply.consumed);
  a.in.clear();
  if (o.handshakes_only) {
    ++a.report.handshakes;
    a.phase = Phase::closing;
    // Netdata's protocol has no goodbye: the parent sees our close instead.
    if (o.protocol == Protocol::netdata) return next_connection(s, a, true);
    a.encoder.append(stream::GoodbyeMsg{stream::kAllHosts, "handshake done"}, a.out);
    return;
  }
  a.phase = Phase::streaming;
  if (o.protocol == Protocol::netdata) {
    a.out += netdata_definitions(o);
  } else {
    start_native(o, a, leftover);
  }
}

void on_readable(const Shared& s, Agent& a, bool time_left) {
  if (a.phase == Phase::tls_handshake) advance_tls_handshake(s, a);
  if (a.phase == Phase::connecting || a.phase == Phase::tls_handshake || a.phase == Phase::done) {
    return;
  }
  const LoadgenOptions& o = s.options;
  char buf[65536];
  for (;;) {
    size_t n = 0;
    const Io io = receive_some(s, a, buf, sizeof buf, n);
    if (io == Io::closed && a.phase == Phase::closing) return next_connection(s, a, time_left);
    if (io == Io::closed) return fail(a, "the parent closed the connection");
    if (io != Io::moved) return;
    const std::string_view bytes(buf, n);
    if (a.phase == Phase::closing) continue;  // acks and the parent's goodbye: not needed
    if (a.phase == Phase::handshake) {
      a.in.append(bytes);
      auto reply = stream::parse_handshake_reply(a.in);
      if (!reply.ok()) return fail(a, "handshake: " + reply.error().message);
      if (!reply->has_value()) continue;
      on_reply(s, a, **reply);
      if (a.phase != Phase::streaming && a.phase != Phase::closing) return;
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

void on_writable(const Shared& s, Agent& a) {
  if (a.phase == Phase::connecting) {
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(a.fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) return fail(a, std::string("connect: ") + strerror(err));
    return on_connected(s, a);
  }
  if (a.phase == Phase::tls_handshake) return advance_tls_handshake(s, a);
  if (a.tls && flush_tls(a) != Io::moved) return;
  while (a.out_pos < a.out.size()) {
    size_t n = 0;
    const Io io = send_some(s, a, std::string_view(a.out).substr(a.out_pos), n);
    if (io != Io::moved) return;
    a.out_pos += n;
    a.report.bytes_sent += n;
    credit_written(a);
  }
  a.out.clear();
  a.out_pos = 0;
  a.unsent.clear();
}

// The end of a streaming agent: goodbye (best effort: the run is over), close_notify, close.
void say_goodbye(const Shared& s, Agent& a) {
  if (s.options.protocol == Protocol::tributary) {
    const std::string bye = a.encoder.encode(stream::GoodbyeMsg{stream::kAllHosts, "load done"});
    size_t ignored = 0;
    (void)send_some(s, a, bye, ignored);
  }
  if (a.tls) {
    (void)SSL_shutdown(a.tls.get());
    (void)flush_tls(a);
  }
  close_connection(a);
  a.phase = Phase::done;
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
         "         [--start-time EPOCH_S] [--threads N] [--json] [--handshakes] [--compress]\n"
         "         [--tls [--tls-ca FILE | --tls-insecure] [--tls-cert FILE --tls-key FILE]]\n"
         "Simulates N agents with C charts of D dimensions streaming to a parent and reports\n"
         "samples sent and (tributary protocol) acknowledged. --protocol netdata speaks Netdata\n"
         "1.37's uncompressed text protocol, for a stock netdata parent. --tls speaks TLS\n"
         "(certificate checked against HOST, against the system's CAs or --tls-ca FILE;\n"
         "--tls-insecure skips the check). --handshakes opens connections back to back instead\n"
         "of streaming (connect, TLS, STREAM line, reply, goodbye) and reports handshakes/s.\n"
         "--compress sends zstd frames (level 1), as agents stream by default.\n";
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
    if (flag == "--tls") {
      o.tls = true;
      continue;
    }
    if (flag == "--tls-insecure") {
      o.tls_verify = false;
      continue;
    }
    if (flag == "--handshakes") {
      o.handshakes_only = true;
      continue;
    }
    if (flag == "--compress") {
      o.compress = true;
      continue;
    }
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
    } else if (flag == "--tls-ca") {
      o.tls_ca = value;
    } else if (flag == "--tls-cert") {
      o.tls_cert = value;
    } else if (flag == "--tls-key") {
      o.tls_key = value;
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
  const bool tls_detail =
      !o.tls_verify || !o.tls_ca.empty() || !o.tls_cert.empty() || !o.tls_key.empty();
  if (tls_detail && !o.tls) {
    return Error(Errc::invalid_argument,
                 "--tls-ca, --tls-insecure, --tls-cert and --tls-key need --tls");
  }
  if (!o.tls_verify && !o.tls_ca.empty()) {
    return Error(Errc::invalid_argument, "--tls-ca and --tls-insecure contradict each other");
  }
  return o;
}

namespace {

// One sending thread: a poll() loop over `agents` until they are done or the time is up, at
// `rate` samples/s over these agents (0: flat out). Returns the seconds spent sending.
double run_share(const Shared& s, Clock::time_point started, uint64_t rate,
                 std::span<Agent> agents) {
  const LoadgenOptions& o = s.options;
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
          const uint64_t n = produce(o, s.encoder, s.start_s, a);
          produced += n;
          a.unsent.emplace_back(a.out.size(), n);
          if (rate != 0) break;  // spread the budget over the agents
        }
      }
      if (a.phase == Phase::streaming && !sending) a.phase = Phase::draining;
      // --handshakes: a connection still on its way when the time is up is not counted.
      if (o.handshakes_only && !sending && a.phase != Phase::closing && a.phase != Phase::done) {
        close_connection(a);
        a.phase = Phase::done;
      }
      const bool waiting_acks = o.protocol == Protocol::tributary && a.acked_seq < a.seq;
      const bool unsent = a.out_pos < a.out.size() || a.cipher_pos < a.cipher.size();
      if (a.phase == Phase::draining && !unsent && !waiting_acks) {
        say_goodbye(s, a);
      }
      busy = busy || a.phase != Phase::done;
      fds[i].fd = a.fd;
      fds[i].events = POLLIN;
      if (a.phase == Phase::connecting || a.out_pos < a.out.size() ||
          a.cipher_pos < a.cipher.size()) {
        fds[i].events |= POLLOUT;
      }
    }
    if (!busy || now >= give_up) break;
    ::poll(fds.data(), fds.size(), rate != 0 || !sending ? 5 : 50);
    for (size_t i = 0; i < agents.size(); ++i) {
      Agent& a = agents[i];
      if (a.fd < 0 || fds[i].fd != a.fd) continue;
      if (fds[i].revents & (POLLERR | POLLHUP) && a.phase == Phase::connecting) {
        fail(a, "connection refused");
        continue;
      }
      if (fds[i].revents & POLLOUT) on_writable(s, a);
      if (a.fd >= 0 && (fds[i].revents & (POLLIN | POLLHUP))) on_readable(s, a, sending);
    }
  }
  if (seconds == 0) seconds = std::chrono::duration<double>(Clock::now() - started).count();
  return seconds;
}

Result<std::shared_ptr<const net::TlsContext>> client_tls(const LoadgenOptions& o) {
  if (!o.tls) return std::shared_ptr<const net::TlsContext>();
  auto context = net::TlsContext::client({.verify = o.tls_verify,
                                          .ca_file = o.tls_ca,
                                          .ca_path = {},
                                          .cert_file = o.tls_cert,
                                          .key_file = o.tls_key});
  if (!context.ok()) return Error(context.error().code, "--tls: " + context.error().message);
  return std::shared_ptr<const net::TlsContext>(std::move(*context));
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
  TRIB_ASSIGN_OR_RETURN(auto tls, client_tls(o));
  const LoadEncoder encoder(o);
  const Shared shared{o, encoder, start_s, addr, std::move(tls)};
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
        [&, t, rate, share] { seconds[t] = run_share(shared, started, rate, share); });
  }
  for (std::thread& worker : workers) worker.join();

  LoadgenReport report;
  report.handshakes_only = o.handshakes_only;
  report.seconds = *std::max_element(seconds.begin(), seconds.end());
  const uint64_t per_batch = uint64_t{o.ticks_per_batch} * o.charts * o.dimensions;
  for (Agent& a : agents) {
    if (a.fd >= 0) {
      if (a.report.error.empty() && a.phase != Phase::done) {
        a.report.error = o.handshakes_only ? "timed out waiting for the parent to close"
                                           : "timed out waiting for acks";
      }
      close_connection(a);
    }
    if (o.protocol == Protocol::tributary) a.report.samples_acked = a.acked_seq * per_batch;
    report.handshakes += a.report.handshakes;
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
  if (report.handshakes_only) {
    j["handshakes"] = report.handshakes;
    j["handshakes_per_second"] =
        report.seconds > 0 ? static_cast<double>(report.handshakes) / report.seconds : 0;
  }
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
  // What the parent chose (its preference decides), as the first agent saw it.
  if (!report.agents.empty() && !report.agents.front().tls.empty()) {
    j["tls"] = report.agents.front().tls;
  }
  return j.dump();
}

bool did_work(const LoadgenReport& report) {
  return report.handshakes_only ? report.handshakes != 0 : report.samples_sent != 0;
}

}  // namespace trib::agent::loadgen
