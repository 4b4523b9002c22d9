#include "common/net/tls_acceptor.h"

#include <algorithm>

namespace trib::net {

Result<TlsMode> parse_tls_mode(std::string_view text) {
  if (text == "off") return TlsMode::off;
  if (text == "optional") return TlsMode::optional;
  if (text == "force") return TlsMode::force;
  return Error(Errc::config_error,
               "'" + std::string(text) + "' is not a TLS mode (force, optional, off)");
}

std::string_view to_string(TlsMode mode) {
  switch (mode) {
    case TlsMode::off:
      return "off";
    case TlsMode::optional:
      return "optional";
    case TlsMode::force:
      return "force";
  }
  return "off";
}

TlsAcceptor::TlsAcceptor(event::Loop& loop, TlsMode mode, std::shared_ptr<const TlsContext> context,
                         std::chrono::milliseconds deadline, size_t max_waiting, Handlers handlers)
    : loop_(loop),
      mode_(mode),
      context_(std::move(context)),
      deadline_(deadline),
      max_waiting_(std::max<size_t>(1, max_waiting)),
      handlers_(std::move(handlers)) {}

TlsAcceptor::~TlsAcceptor() = default;

void TlsAcceptor::adopt(std::unique_ptr<TcpConnection> connection) {
  if (pending_.size() >= max_waiting_) {
    // The oldest silent connection goes: a real client speaks at once, a flood does not.
    ++evicted_;
    uint64_t suppressed = 0;
    if (eviction_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(stream, warn,
               "[tls] {} connections have sent nothing yet; closing the oldest, from {} ({} "
               "closed so far)",
               pending_.size(), pending_.front().connection->peer(), evicted_);
    }
    pending_.pop_front();
  }
  auto it = pending_.insert(pending_.end(), Pending{std::move(connection), nullptr});
  it->deadline = std::make_unique<event::Timer>(loop_);
  it->deadline->start(deadline_, std::chrono::milliseconds(0), [this, it] {
    ++handshakes_failed_;
    log_failure(it->connection->peer(),
                Error(Errc::timeout, "no request or TLS handshake within " +
                                         std::to_string(deadline_.count()) + " ms"));
    pending_.erase(it);
  });
  it->connection->start_reading([this, it](std::string_view bytes) { on_first_bytes(it, bytes); },
                                [this, it](const Error&) { pending_.erase(it); });
}

void TlsAcceptor::on_first_bytes(PendingList::iterator it, std::string_view bytes) {
  it->connection->pause_reading();
  std::string first(bytes);
  if (mode_ != TlsMode::off && context_ &&
      looks_like_tls(static_cast<unsigned char>(first.front()))) {
    start_handshake(it, std::move(first));
    return;
  }
  hand_off(it, mode_ == TlsMode::force ? handlers_.plaintext_refused : handlers_.ready,
           std::move(first));
}

void TlsAcceptor::start_handshake(PendingList::iterator it, std::string first_bytes) {
  auto engine = TlsEngine::create(context_);
  if (!engine.ok()) {
    log_failure(it->connection->peer(), engine.error());
    pending_.erase(it);
    return;
  }
  it->connection->start_tls(std::move(engine).value(), std::move(first_bytes),
                            [this, it](Result<std::string> early) {
                              if (!early.ok()) {
                                ++handshakes_failed_;
                                log_failure(it->connection->peer(), early.error());
                                pending_.erase(it);
                                return;
                              }
                              hand_off(it, handlers_.ready, std::move(early).value());
                            });
}

void TlsAcceptor::hand_off(PendingList::iterator it, const Handoff& to, std::string already_read) {
  auto connection = std::move(it->connection);
  pending_.erase(it);
  to(std::move(connection), std::move(already_read));
}

void TlsAcceptor::log_failure(const std::string& peer, const Error& why) {
  constexpr size_t kMaxReasons = 64;
  uint64_t suppressed = 0;
  // A port scanner or a storm of bad clients must not flood the log.
  if (failure_logs_.size() >= kMaxReasons && !failure_logs_.contains(why.message)) {
    failure_logs_.clear();
  }
  auto& limiter = failure_logs_.try_emplace(why.message, std::chrono::seconds(10)).first->second;
  if (!limiter.should_log(std::chrono::steady_clock::now(), suppressed)) return;
  TRIB_LOG(stream, warn, "[tls] {}: {}{}", peer, why.describe(),
           suppressed > 0 ? " (" + std::to_string(suppressed) + " similar failures not logged)"
                          : std::string());
}

}  // namespace trib::net
