#include "common/net/tcp.h"

#include <array>
#include <charconv>

#include "common/event/timer.h"
#include "common/net/tls.h"

namespace trib::net {
namespace {

constexpr size_t kReadBufferSize = 64 * 1024;

void fill_peer(uv_tcp_t* tcp, std::string& address, uint16_t& port) {
  sockaddr_storage ss{};
  int len = sizeof(ss);
  if (uv_tcp_getpeername(tcp, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return;
  std::array<char, 64> buf{};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    uv_ip4_name(in, buf.data(), buf.size());
    port = ntohs(in->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    uv_ip6_name(in6, buf.data(), buf.size());
    port = ntohs(in6->sin6_port);
  }
  address = buf.data();
  // An IPv4 client on a dual-stack socket shows as ::ffff:a.b.c.d; patterns expect a.b.c.d.
  if (address.rfind("::ffff:", 0) == 0 && address.find('.') != std::string::npos) {
    address = address.substr(7);
  }
}

Result<sockaddr_storage> numeric_address(const std::string& host, uint16_t port) {
  sockaddr_storage ss{};
  if (uv_ip4_addr(host.c_str(), port, reinterpret_cast<sockaddr_in*>(&ss)) == 0) return ss;
  if (uv_ip6_addr(host.c_str(), port, reinterpret_cast<sockaddr_in6*>(&ss)) == 0) return ss;
  return Error(Errc::invalid_argument, "'" + host + "' is not a numeric address");
}

}  // namespace

// Per-connection state kept beside the uv handle; outlives the owner until the close callback.
struct TcpConnection::State {
  DataCallback on_data;
  EndCallback on_end;
  bool alive = true;
  bool reading = false;
  uint64_t bytes_received = 0;
  uint64_t bytes_sent = 0;
  std::unique_ptr<TlsEngine> tls;  // set by start_tls; reads and writes then go through it
  TlsDone tls_done;                // set while the TLS handshake runs
  std::array<char, kReadBufferSize> buffer{};
};

namespace {
struct WriteRequest {
  uv_write_t req{};
  std::string bytes;
  TcpConnection::WriteDone done;
};
}  // namespace

TcpConnection::TcpConnection(uv_tcp_t* tcp) : tcp_(tcp) {
  tcp_->data = new State;
  fill_peer(tcp_, peer_address_, peer_port_);
  opened_ms_ = uv_now(tcp_->loop);
  uv_tcp_nodelay(tcp_, 1);
}

std::unique_ptr<TcpConnection> TcpConnection::adopt(uv_tcp_t* tcp) {
  return std::unique_ptr<TcpConnection>(new TcpConnection(tcp));
}

TcpConnection::~TcpConnection() {
  if (counted_in_) --*counted_in_;
  auto* state = static_cast<State*>(tcp_->data);
  state->alive = false;
  state->on_data = nullptr;
  state->on_end = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(tcp_), [](uv_handle_t* h) {
    delete static_cast<State*>(h->data);
    delete reinterpret_cast<uv_tcp_t*>(h);
  });
}

std::string TcpConnection::peer() const {
  if (peer_address_.find(':') != std::string::npos) {
    return "[" + peer_address_ + "]:" + std::to_string(peer_port_);
  }
  return peer_address_ + ":" + std::to_string(peer_port_);
}

void TcpConnection::on_alloc(uv_handle_t* h, size_t, uv_buf_t* buf) {
  auto* state = static_cast<State*>(h->data);
  *buf = uv_buf_init(state->buffer.data(), static_cast<unsigned>(state->buffer.size()));
}

void TcpConnection::on_read(uv_stream_t* s, ssize_t n, const uv_buf_t* buf) {
  auto* state = static_cast<State*>(s->data);
  if (!state->alive) return;
  if (n > 0) {
    state->bytes_received += static_cast<uint64_t>(n);
    const std::string_view bytes(buf->base, static_cast<size_t>(n));
    if (state->tls) {
      on_ciphertext(reinterpret_cast<uv_tcp_t*>(s), bytes);
      return;
    }
    // Copy the callback: it may destroy the connection (and so reset state->on_data).
    auto cb = state->on_data;
    if (cb) cb(bytes);
    return;
  }
  if (n == 0) return;  // EAGAIN
  if (n == UV_EOF) {
    end_stream(reinterpret_cast<uv_tcp_t*>(s), Error(Errc::closed, "connection closed by peer"));
  } else {
    end_stream(reinterpret_cast<uv_tcp_t*>(s), Error(uv_error(static_cast<int>(n)), "read failed"));
  }
}

// The stream is over (EOF, a socket error, a broken TLS session): tells whoever waits, once.
void TcpConnection::end_stream(uv_tcp_t* tcp, const Error& why) {
  auto* state = static_cast<State*>(tcp->data);
  uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp));
  state->reading = false;
  auto end = std::move(state->on_end);
  auto tls_done = std::move(state->tls_done);
  state->on_end = nullptr;
  state->on_data = nullptr;
  state->tls_done = nullptr;
  if (tls_done) {
    tls_done(why.is(Errc::closed)
                 ? Error(TlsErrc::handshake_failed,
                         "TLS handshake: the peer closed the connection (" + why.message + ")")
                 : why);
  } else if (end) {
    end(why);
  }
}

void TcpConnection::flush_tls(uv_tcp_t* tcp) {
  auto* state = static_cast<State*>(tcp->data);
  std::string out = state->tls->take_output();
  if (!out.empty()) write_raw(tcp, std::move(out), {});
}

void TcpConnection::on_ciphertext(uv_tcp_t* tcp, std::string_view bytes) {
  auto* state = static_cast<State*>(tcp->data);
  const bool was_handshaking = !state->tls->handshake_done();
  const Status fed = state->tls->feed(bytes);
  // Decrypted in the engine's buffer, valid until its next feed: handed on without a copy.
  const std::string_view plaintext = state->tls->plaintext();
  // Handshake answers, session tickets, key updates, or the alert telling the peer why.
  flush_tls(tcp);
  if (!fed.ok()) {
    // Data before a close_notify still belongs to the stream.
    if (!was_handshaking && !plaintext.empty() && state->on_data) {
      auto cb = state->on_data;
      cb(plaintext);
      if (!state->alive || !state->on_end) return;
    }
    end_stream(tcp, fed.error());
    return;
  }
  if (was_handshaking) {
    if (!state->tls->handshake_done()) return;
    uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp));
    state->reading = false;
    auto done = std::move(state->tls_done);
    state->tls_done = nullptr;
    if (done) done(std::string(plaintext));
    return;
  }
  if (plaintext.empty()) return;
  auto cb = state->on_data;
  if (cb) cb(plaintext);
}

uint64_t TcpConnection::bytes_received() const {
  return static_cast<State*>(tcp_->data)->bytes_received;
}

uint64_t TcpConnection::bytes_sent() const { return static_cast<State*>(tcp_->data)->bytes_sent; }

const TlsEngine* TcpConnection::tls() const { return static_cast<State*>(tcp_->data)->tls.get(); }

void TcpConnection::start_tls(std::unique_ptr<TlsEngine> engine, std::string initial,
                              TlsDone done) {
  auto* state = static_cast<State*>(tcp_->data);
  uv_tcp_t* tcp = tcp_;
  state->on_data = nullptr;
  state->on_end = nullptr;
  state->tls = std::move(engine);
  state->tls_done = std::move(done);
  const Status begun = state->tls->begin();
  flush_tls(tcp);
  if (!begun.ok()) {
    end_stream(tcp, begun.error());
    return;
  }
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(tcp), &on_alloc, &on_read);
  if (rc != 0) {
    end_stream(tcp, Error(uv_error(rc), "cannot start reading"));
    return;
  }
  state->reading = true;
  // Last: the callback may destroy this object.
  if (!initial.empty()) on_ciphertext(tcp, initial);
}

void TcpConnection::start_reading(DataCallback on_data, EndCallback on_end) {
  auto* state = static_cast<State*>(tcp_->data);
  state->on_data = std::move(on_data);
  state->on_end = std::move(on_end);
  resume_reading();
}

void TcpConnection::pause_reading() {
  auto* state = static_cast<State*>(tcp_->data);
  if (!state->reading) return;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(tcp_));
  state->reading = false;
}

void TcpConnection::resume_reading() {
  auto* state = static_cast<State*>(tcp_->data);
  if (state->reading || !state->on_end) return;
  const int rc = uv_read_start(reinterpret_cast<uv_stream_t*>(tcp_), &on_alloc, &on_read);
  if (rc == 0) {
    state->reading = true;
    return;
  }
  auto end = std::move(state->on_end);
  state->on_end = nullptr;
  if (end) end(Error(uv_error(rc), "cannot start reading"));
}

void TcpConnection::write(std::string bytes, WriteDone done) {
  auto* state = static_cast<State*>(tcp_->data);
  if (!state->tls) {
    write_raw(tcp_, std::move(bytes), std::move(done));
    return;
  }
  const Status encrypted = state->tls->encrypt(bytes);
  if (!encrypted.ok()) {
    if (done) done(encrypted.error());
    return;
  }
  write_raw(tcp_, state->tls->take_output(), std::move(done));
}

bool TcpConnection::write_now(std::string_view bytes, const WriteDone& done) {
  auto* state = static_cast<State*>(tcp_->data);
  if (!state->tls) return write_raw_now(tcp_, bytes, done);
  if (const Status encrypted = state->tls->encrypt(bytes); !encrypted.ok()) {
    if (done) done(encrypted.error());
    return false;
  }
  return write_raw_now(tcp_, state->tls->take_output(), done);
}

// uv_write() of a request that the kernel takes at once still completes on a later loop turn,
// and libuv 1.44 then re-arms the socket in epoll (an epoll_ctl per write); uv_try_write()
// does neither.
bool TcpConnection::write_raw_now(uv_tcp_t* tcp, std::string_view bytes, const WriteDone& done) {
  auto* stream = reinterpret_cast<uv_stream_t*>(tcp);
  size_t written = 0;
  if (uv_stream_get_write_queue_size(stream) == 0) {  // else it would overtake queued bytes
    const uv_buf_t buf =
        uv_buf_init(const_cast<char*>(bytes.data()), static_cast<unsigned>(bytes.size()));
    const int rc = uv_try_write(stream, &buf, 1);
    // An error other than EAGAIN is reported by the queued write below, the usual way.
    if (rc > 0) written = static_cast<size_t>(rc);
  }
  static_cast<State*>(tcp->data)->bytes_sent += written;
  if (written == bytes.size()) return true;
  write_raw(tcp, std::string(bytes.substr(written)), done);
  return false;
}

void TcpConnection::write_raw(uv_tcp_t* tcp, std::string bytes, WriteDone done) {
  static_cast<State*>(tcp->data)->bytes_sent += bytes.size();
  auto* request = new WriteRequest;
  request->bytes = std::move(bytes);
  request->done = std::move(done);
  request->req.data = request;
  uv_buf_t buf = uv_buf_init(request->bytes.data(), static_cast<unsigned>(request->bytes.size()));
  const int rc = uv_write(&request->req, reinterpret_cast<uv_stream_t*>(tcp), &buf, 1,
                          [](uv_write_t* req, int status) {
                            auto* r = static_cast<WriteRequest*>(req->data);
                            auto* state = static_cast<State*>(req->handle->data);
                            if (state->alive && r->done) {
                              if (status == 0) {
                                r->done({});
                              } else {
                                r->done(Error(uv_error(status), "write failed"));
                              }
                            }
                            delete r;
                          });
  if (rc != 0) {
    auto cb = std::move(request->done);
    delete request;
    if (cb) cb(Error(uv_error(rc), "write failed"));
  }
}

size_t TcpConnection::queued_bytes() {
  return uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(tcp_));
}

Result<std::unique_ptr<TcpListener>> TcpListener::listen(event::Loop& loop, const std::string& host,
                                                         uint16_t port, AcceptCallback on_accept,
                                                         ListenerLimits limits) {
  auto address = numeric_address(host, port);
  if (!address) return address.take_error();
  std::unique_ptr<TcpListener> listener(new TcpListener);
  auto& box = listener->box_;
  uv_tcp_init(loop.raw(), box.handle());
  box.mark_initialized();
  box.state().on_accept = std::move(on_accept);
  box.state().limits = std::move(limits);
  int rc = uv_tcp_bind(box.handle(), reinterpret_cast<const sockaddr*>(&*address), 0);
  if (rc == 0) rc = uv_listen(reinterpret_cast<uv_stream_t*>(box.handle()), 511, &on_connection);
  if (rc != 0) {
    return Error(uv_error(rc), "cannot listen on " + host + ":" + std::to_string(port));
  }
  sockaddr_storage bound{};
  int len = sizeof(bound);
  uv_tcp_getsockname(box.handle(), reinterpret_cast<sockaddr*>(&bound), &len);
  listener->port_ =
      ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                        : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  box.state().address = host + ":" + std::to_string(listener->port_);
  return listener;
}

void TcpListener::on_connection(uv_stream_t* server, int status) {
  if (status < 0) return;
  auto* client = new uv_tcp_t{};
  uv_tcp_init(server->loop, client);
  if (uv_accept(server, reinterpret_cast<uv_stream_t*>(client)) != 0) {
    uv_close(reinterpret_cast<uv_handle_t*>(client),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    return;
  }
  auto connection = TcpConnection::adopt(client);
  State& state = event::HandleBox<uv_tcp_t, State>::state_of(reinterpret_cast<uv_tcp_t*>(server));
  if (state.limits.max_connections > 0) {
    if (*state.open >= state.limits.max_connections) {
      // Accepted and closed rather than left in the backlog: the client learns at once, and
      // the backlog stays free for when a connection ends.
      ++state.refused;
      uint64_t suppressed = 0;
      if (state.refusal_log.should_log(std::chrono::steady_clock::now(), suppressed)) {
        TRIB_LOG(main, warn,
                 "[listener {} {}] {} connections open, the cap (max_connections): closing new "
                 "ones, this one from {} ({} closed so far)",
                 state.limits.name, state.address, *state.open, connection->peer(), state.refused);
      }
      return;  // destroying the connection closes it
    }
    ++*state.open;
    connection->counted_in_ = state.open;
  }
  auto cb = state.on_accept;
  if (cb) cb(std::move(connection));
}

TcpListener::~TcpListener() = default;

// Lives until the last libuv callback of the attempt has run, whatever the owner does.
struct TcpConnect::Shared : std::enable_shared_from_this<TcpConnect::Shared> {
  event::Loop* loop = nullptr;
  std::string host;
  uint16_t port = 0;
  Callback done;
  bool finished = false;
  uv_tcp_t* tcp = nullptr;
  std::unique_ptr<event::Timer> timer;

  void finish(Result<std::unique_ptr<TcpConnection>> result) {
    if (finished) return;
    finished = true;
    timer.reset();
    auto cb = std::move(done);
    done = nullptr;
    if (cb) cb(std::move(result));
  }

  void fail(const Error& error) {
    close_socket();
    finish(error);
  }

  // For failures found before start() returns: the callback always comes from a later loop
  // turn, so a caller never sees it while it is still storing the attempt.
  void fail_later(Error error) {
    close_socket();
    loop->post([weak = weak_from_this(), error = std::move(error)] {
      if (auto self = weak.lock()) self->finish(error);
    });
  }

  void close_socket() {
    if (!tcp) return;
    uv_close(reinterpret_cast<uv_handle_t*>(tcp),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_tcp_t*>(h); });
    tcp = nullptr;
  }

  void connect_to(const sockaddr* address) {
    tcp = new uv_tcp_t{};
    uv_tcp_init(loop->raw(), tcp);
    auto* req = new uv_connect_t{};
    req->data = new std::shared_ptr<Shared>(shared_from_this());
    const int rc = uv_tcp_connect(req, tcp, address, [](uv_connect_t* r, int status) {
      auto self = *static_cast<std::shared_ptr<Shared>*>(r->data);
      delete static_cast<std::shared_ptr<Shared>*>(r->data);
      delete r;
      if (self->finished) return;  // cancelled or timed out; socket already closing
      if (status != 0) {
        self->fail(Error(uv_error(status), "cannot connect to " + self->target()));
        return;
      }
      uv_tcp_t* connected = self->tcp;
      self->tcp = nullptr;
      self->finish(TcpConnection::adopt(connected));
    });
    if (rc != 0) {
      delete static_cast<std::shared_ptr<Shared>*>(req->data);
      delete req;
      fail_later(Error(uv_error(rc), "cannot connect to " + target()));
    }
  }

  std::string target() const { return host + ":" + std::to_string(port); }
};

std::unique_ptr<TcpConnect> TcpConnect::start(event::Loop& loop, const std::string& host,
                                              uint16_t port, std::chrono::milliseconds timeout,
                                              Callback done) {
  std::unique_ptr<TcpConnect> attempt(new TcpConnect);
  auto shared = std::make_shared<Shared>();
  attempt->shared_ = shared;
  shared->loop = &loop;
  shared->host = host;
  shared->port = port;
  shared->done = std::move(done);
  shared->timer = std::make_unique<event::Timer>(loop);
  std::weak_ptr<Shared> weak = shared;
  shared->timer->start(timeout, std::chrono::milliseconds(0), [weak] {
    if (auto self = weak.lock()) {
      self->fail(Error(Errc::timeout, "connecting to " + self->target() + " timed out"));
    }
  });

  if (auto numeric = numeric_address(host, port)) {
    shared->connect_to(reinterpret_cast<const sockaddr*>(&*numeric));
    return attempt;
  }
  auto* req = new uv_getaddrinfo_t{};
  req->data = new std::shared_ptr<Shared>(shared);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  const std::string service = std::to_string(port);
  const int rc = uv_getaddrinfo(
      loop.raw(), req,
      [](uv_getaddrinfo_t* r, int status, addrinfo* result) {
        auto self = *static_cast<std::shared_ptr<Shared>*>(r->data);
        delete static_cast<std::shared_ptr<Shared>*>(r->data);
        delete r;
        if (!self->finished) {
          if (status != 0 || result == nullptr) {
            self->fail(Error(uv_error(status == 0 ? UV_EAI_NONAME : status),
                             "cannot resolve " + self->host));
          } else {
            self->connect_to(result->ai_addr);
          }
        }
        uv_freeaddrinfo(result);
      },
      host.c_str(), service.c_str(), &hints);
  if (rc != 0) {
    delete static_cast<std::shared_ptr<Shared>*>(req->data);
    delete req;
    shared->fail_later(Error(uv_error(rc), "cannot resolve " + host));
  }
  return attempt;
}

TcpConnect::~TcpConnect() {
  if (!shared_) return;
  // Cancel: no callback after this point; pending libuv callbacks see `finished`.
  shared_->finished = true;
  shared_->done = nullptr;
  shared_->timer.reset();
  shared_->close_socket();
}

Result<HostPort> parse_host_port(std::string_view text, uint16_t default_port) {
  HostPort out;
  out.port = default_port;
  std::string_view rest;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string_view::npos) {
      return Error(Errc::parse_error, "missing ']' in '" + std::string(text) + "'");
    }
    out.host = std::string(text.substr(1, close - 1));
    rest = text.substr(close + 1);
  } else {
    const auto colon = text.find(':');
    out.host = std::string(text.substr(0, colon));
    rest = colon == std::string_view::npos ? std::string_view{} : text.substr(colon);
  }
  if (out.host.empty()) return Error(Errc::parse_error, "no host in '" + std::string(text) + "'");
  if (!rest.empty()) {
    if (rest.front() != ':' || rest.size() == 1) {
      return Error(Errc::parse_error, "bad port in '" + std::string(text) + "'");
    }
    unsigned value = 0;
    const auto digits = rest.substr(1);
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc() || ptr != digits.data() + digits.size() || value == 0 || value > 65535) {
      return Error(Errc::parse_error, "bad port in '" + std::string(text) + "'");
    }
    out.port = static_cast<uint16_t>(value);
  }
  return out;
}

}  // namespace trib::net
