// TLS against plaintext on the parent's connection path: bulk throughput through
// TcpConnection (what the sender writes and the receiver reads) and new connections per second
// through the parent's TlsAcceptor (TCP accept, first-byte sort, server handshake). The server
// runs on a loop in its own thread, the client on the benchmark thread, both on 127.0.0.1.
// Certificates are generated at start-up (EC P-256, the test CA).
#include <benchmark/benchmark.h>

#include <atomic>
#include <map>
#include <thread>

#include "common/event/loop.h"
#include "common/net/tcp.h"
#include "common/net/tls.h"
#include "common/net/tls_acceptor.h"
#include "support/process.h"
#include "support/test_certs.h"

namespace trib {
namespace {

using namespace std::chrono_literals;

const test::TestCerts& certs() {
  static test::TempDir dir;
  static test::TestCerts made(dir.path());
  return made;
}

// A parent-like port in optional mode: every connection reads until it has `expected_bytes`,
// then writes one byte back. A fresh connection with expected 0 is answered at once.
class Server {
 public:
  Server() {
    ready_.store(false);
    thread_ = std::thread([this] { run(); });
    while (!ready_.load()) std::this_thread::sleep_for(1ms);
  }
  ~Server() {
    loop_.post([this] {
      acceptor_.reset();
      connections_.clear();
      listener_.reset();
      loop_.stop();
    });
    thread_.join();
    (void)loop_.close();
  }
  uint16_t port() const { return port_; }
  std::atomic<size_t> expected_bytes{0};

 private:
  void run() {
    auto context = net::TlsContext::server({certs().server.cert, certs().server.key, {}});
    net::TlsAcceptor::Handlers handlers;
    handlers.ready = [this](std::unique_ptr<net::TcpConnection> c, std::string read) {
      serve(std::move(c), read.size());
    };
    handlers.plaintext_refused = [](auto, std::string) {};
    acceptor_ = std::make_unique<net::TlsAcceptor>(loop_, net::TlsMode::optional, *context, 10s,
                                                   1024, std::move(handlers));
    auto listener = net::TcpListener::listen(loop_, "127.0.0.1", 0, [this](auto connection) {
      acceptor_->adopt(std::move(connection));
    });
    listener_ = std::move(listener).value();
    port_ = listener_->port();
    ready_.store(true);
    loop_.run();
  }

  void serve(std::unique_ptr<net::TcpConnection> connection, size_t already) {
    auto* raw = connection.get();
    const uint64_t id = next_id_++;
    connections_.emplace(id, std::move(connection));
    auto received = std::make_shared<size_t>(already);
    const size_t expected = expected_bytes.load();
    if (*received >= expected) raw->write("k");
    raw->start_reading(
        [raw, received, expected](std::string_view bytes) {
          const bool before = *received >= expected;
          *received += bytes.size();
          if (!before && *received >= expected) raw->write("k");
        },
        [this, id](const Error&) { loop_.post([this, id] { connections_.erase(id); }); });
  }

  event::Loop loop_;
  std::thread thread_;
  std::atomic<bool> ready_;
  uint16_t port_ = 0;
  std::unique_ptr<net::TlsAcceptor> acceptor_;
  std::unique_ptr<net::TcpListener> listener_;
  std::map<uint64_t, std::unique_ptr<net::TcpConnection>> connections_;  // by id
  uint64_t next_id_ = 0;
};

// One client connection on the benchmark thread's loop, plaintext or verified TLS. Once
// connected (and handshaken) it sends one byte, so a plaintext connection gets past the
// server's first-byte sort as a real client's request does.
class Client {
 public:
  Client(event::Loop& loop, uint16_t port, std::shared_ptr<const net::TlsContext> tls)
      : loop_(loop) {
    attempt_ = net::TcpConnect::start(loop, "127.0.0.1", port, 5s, [this, tls](auto result) {
      if (!result.ok()) std::abort();
      connection_ = std::move(result).value();
      if (!tls) {
        on_secure();
        return;
      }
      connection_->start_tls(net::TlsEngine::create(tls, "127.0.0.1").value(), {},
                             [this](Result<std::string> early) {
                               if (!early.ok()) std::abort();
                               on_secure();
                             });
    });
  }

  void wait_until_secure() {
    while (!secure_) uv_run(loop_.raw(), UV_RUN_ONCE);
  }
  // Runs the loop until the server's one-byte answer came.
  void wait_for_answer() {
    while (!answered_) uv_run(loop_.raw(), UV_RUN_ONCE);
  }
  // Sends `total` bytes in 64 KiB writes, keeping at most 1 MiB queued (the sender's bound).
  void send(size_t total) {
    remaining_ = total;
    pump();
  }

 private:
  void on_secure() {
    secure_ = true;
    connection_->start_reading([this](std::string_view) { answered_ = true; }, [](const Error&) {});
    connection_->write("h");
  }

  void pump() {
    static const std::string chunk(64 * 1024, 'x');
    while (remaining_ > 0 && connection_->queued_bytes() < 1024 * 1024) {
      const size_t n = std::min(remaining_, chunk.size());
      remaining_ -= n;
      connection_->write(n == chunk.size() ? chunk : chunk.substr(0, n),
                         [this](const Status&) { pump(); });
    }
  }

  event::Loop& loop_;
  std::unique_ptr<net::TcpConnect> attempt_;
  std::unique_ptr<net::TcpConnection> connection_;
  size_t remaining_ = 0;
  bool secure_ = false;
  bool answered_ = false;
};

std::shared_ptr<const net::TlsContext> client_tls(bool tls) {
  if (!tls) return nullptr;
  net::TlsClientOptions options;
  options.ca_file = certs().ca_file;
  return net::TlsContext::client(options).value();
}

constexpr size_t kTransfer = 64 * 1024 * 1024;

// 64 MiB over a fresh connection per iteration (set-up not timed): compare bytes/s.
void BM_StreamThroughput(benchmark::State& state) {
  const bool tls = state.range(0) != 0;
  const auto context = client_tls(tls);
  Server server;
  server.expected_bytes.store(kTransfer + 1);  // + the client's first byte
  event::Loop loop;
  for (auto _ : state) {
    state.PauseTiming();
    {
      Client client(loop, server.port(), context);
      client.wait_until_secure();
      state.ResumeTiming();
      client.send(kTransfer);
      client.wait_for_answer();
      state.PauseTiming();
    }
    state.ResumeTiming();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * kTransfer));
  (void)loop.close();
}
BENCHMARK(BM_StreamThroughput)->ArgName("tls")->Arg(0)->Arg(1)->UseRealTime()->MinTime(3.0);

// A new connection per iteration until the server's first answer: TCP connect and accept,
// the first-byte sort and, with TLS, a verified TLS 1.3 handshake (ECDHE + ECDSA P-256).
void BM_NewConnections(benchmark::State& state) {
  const bool tls = state.range(0) != 0;
  const auto context = client_tls(tls);
  Server server;
  server.expected_bytes.store(0);
  event::Loop loop;
  for (auto _ : state) {
    Client client(loop, server.port(), context);
    client.wait_for_answer();
  }
  state.counters["connections_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
  (void)loop.close();
}
BENCHMARK(BM_NewConnections)->ArgName("tls")->Arg(0)->Arg(1)->UseRealTime()->MinTime(3.0);

// The TLS engines alone, in memory (no sockets, one thread): encrypt on the client engine,
// decrypt on the server engine. The ceiling the socket path can reach. Argument: the suite,
// 0 the default (AES-128-GCM first), 1 AES-256-GCM (OpenSSL's own first choice, what
// Tributary negotiated before it set its order).
void BM_EnginesInMemory(benchmark::State& state) {
  net::TlsServerOptions options{certs().server.cert, certs().server.key, {}};
  if (state.range(0) == 1) options.ciphersuites = "TLS_AES_256_GCM_SHA384";
  auto server = net::TlsEngine::create(net::TlsContext::server(options).value()).value();
  auto client = net::TlsEngine::create(client_tls(true), "127.0.0.1").value();
  (void)client->begin();
  while (!client->handshake_done() || !server->handshake_done()) {
    (void)server->feed(client->take_output());
    (void)client->feed(server->take_output());
  }
  state.SetLabel(server->description());
  const std::string chunk(64 * 1024, 'x');
  for (auto _ : state) {
    (void)client->encrypt(chunk);
    (void)server->feed(client->take_output());
    benchmark::DoNotOptimize(server->plaintext().data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * chunk.size()));
}
BENCHMARK(BM_EnginesInMemory)->ArgName("aes256")->Arg(0)->Arg(1);

}  // namespace
}  // namespace trib
