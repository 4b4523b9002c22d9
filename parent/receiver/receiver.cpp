#include "parent/receiver/receiver.h"

#include <algorithm>

#include "common/config/machine_guid.h"
#include "common/log/log.h"
#include "parent/receiver/admission.h"

namespace trib::parent::receiver {

Receiver::Receiver(event::Loop& loop, store::HostRegistry& registry, const time::Clock& clock,
                   std::string own_guid, ReceiverOptions options, config::StreamConf conf)
    : loop_(loop),
      registry_(registry),
      clock_(clock),
      own_guid_(std::move(own_guid)),
      options_(options),
      conf_(std::move(conf)) {}

Receiver::~Receiver() { close_all(); }

void Receiver::accept(std::unique_ptr<net::TcpConnection> connection, std::string buffered) {
  auto it = pending_.insert(pending_.end(), Pending{std::move(connection), {}, nullptr});
  it->deadline = std::make_unique<event::Timer>(loop_);
  it->deadline->start(options_.handshake_timeout, std::chrono::milliseconds(0), [this, it] {
    TRIB_LOG(stream, warn, "[receiver] {}: handshake not completed within {} s; closing",
             it->connection->peer(), options_.handshake_timeout.count());
    log_access(*it->connection, {}, "DROPPED",
               "handshake not completed within " +
                   std::to_string(options_.handshake_timeout.count()) + " s");
    pending_.erase(it);
  });
  it->connection->start_reading(
      [this, it](std::string_view bytes) { on_handshake_bytes(it, bytes); },
      [this, it](const Error& why) {
        TRIB_LOG(stream, info, "[receiver] {}: closed during the handshake: {}",
                 it->connection->peer(), why.describe());
        log_access(*it->connection, {}, "DROPPED", "closed during the handshake");
        pending_.erase(it);
      });
  on_handshake_bytes(it, buffered);
}

void Receiver::on_handshake_bytes(PendingList::iterator pending, std::string_view bytes) {
  pending->buffer.append(bytes);
  auto end = stream::find_handshake_end(pending->buffer);
  if (!end.ok()) {
    TRIB_LOG(stream, warn, "[receiver] {}: {}; closing", pending->connection->peer(),
             end.error().describe());
    auto connection = std::move(pending->connection);
    pending_.erase(pending);
    refuse(std::move(connection), std::string(stream::netdata_reply(stream::Refusal::bad_request)),
           {}, end.error().message);
    return;
  }
  if (!end->has_value()) return;
  handle_request(pending, **end);
}

void Receiver::handle_request(PendingList::iterator pending, size_t request_end) {
  auto connection = std::move(pending->connection);
  const std::string buffer = std::move(pending->buffer);
  pending_.erase(pending);
  connection->pause_reading();
  const std::string peer = connection->peer() + (connection->tls() != nullptr ? " (TLS)" : "");

  auto parsed = stream::parse_handshake_request(std::string_view(buffer).substr(0, request_end));
  if (!parsed.ok()) {
    TRIB_LOG(stream, warn, "[receiver] {}: {}; closing", peer, parsed.error().describe());
    refuse(std::move(connection), std::string(stream::netdata_reply(stream::Refusal::bad_request)),
           {}, parsed.error().message);
    return;
  }
  stream::HandshakeRequest request = std::move(parsed).value();
  const auto reply_refusal = [&](stream::Refusal refusal, const std::string& detail) {
    return request.tributary ? stream::tributary_reply(refusal, detail)
                             : std::string(stream::netdata_reply(refusal));
  };
  // A machine GUID equal to the key (refused below) is the key: never shown in full.
  const std::string shown_guid = config::same_guid(request.host.machine_guid, request.api_key)
                                     ? log::mask_secret(request.host.machine_guid)
                                     : request.host.machine_guid;
  const AccessWho access{request.host.hostname, shown_guid, log::mask_secret(request.api_key)};
  const std::string who = "host '" + request.host.hostname + "' (machine GUID '" + shown_guid +
                          "', API key '" + log::mask_secret(request.api_key) + "') from " + peer;

  auto decision = admit(request, conf_, connection->peer_address(), own_guid_);
  if (const auto* refused = std::get_if<Refused>(&decision)) {
    TRIB_LOG(stream, error, "[receiver] STREAM {} '{}': {}", who, refused->access_tag,
             refused->reason);
    refuse(std::move(connection), reply_refusal(refused->refusal, refused->reason), access,
           refused->access_tag + ": " + refused->reason);
    return;
  }
  if (const auto hop =
          std::find_if(request.path_guids.begin(), request.path_guids.end(),
                       [&](const std::string& guid) { return config::same_guid(guid, own_guid_); });
      hop != request.path_guids.end()) {
    // This parent forwarded the host's stream already (a chain that loops back): taking it again
    // would feed the host's data back to where it came from, forever.
    std::string path;
    for (const auto& name : request.path) path += (path.empty() ? "" : " > ") + name;
    const std::string reason = "stream loop: it already passed through this parent (path " + path +
                               "); check the proxies' destinations";
    TRIB_LOG(stream, error, "[receiver] STREAM {} 'REJECTED - STREAM LOOP': {}", who, reason);
    refuse(std::move(connection), reply_refusal(stream::Refusal::localhost, reason), access,
           "REJECTED - STREAM LOOP: " + reason);
    return;
  }
  if (!request.tributary) {
    // A stock Netdata child speaks the text protocol, whose codec is not in this build.
    TRIB_LOG(stream, error,
             "[receiver] STREAM {} 'REJECTED - NETDATA PROTOCOL': this parent accepts Tributary "
             "agents only for now; the Netdata text protocol is not supported yet",
             who);
    refuse(std::move(connection), std::string(stream::netdata_reply(stream::Refusal::denied)),
           access, "REJECTED - NETDATA PROTOCOL");
    return;
  }
  const auto accept_every_ms = static_cast<uint64_t>(options_.accept_every.count()) * 1000;
  if (last_accepted_ms_.has_value() && loop_.now_ms() - *last_accepted_ms_ < accept_every_ms) {
    const std::string reason = "a stream was accepted less than " +
                               std::to_string(options_.accept_every.count()) +
                               " s ago (stream_accept_every); try later";
    TRIB_LOG(stream, error, "[receiver] STREAM {} 'RATE LIMIT TRY LATER': {}", who, reason);
    refuse(std::move(connection), reply_refusal(stream::Refusal::busy, reason), access,
           "RATE LIMIT TRY LATER: " + reason);
    return;
  }
  if (Session* existing = find_session(request.host.machine_guid)) {
    const uint64_t silent_ms = loop_.now_ms() - existing->last_receive_ms();
    const auto takeover_ms =
        static_cast<uint64_t>(options_.duplicate_takeover_after.count()) * 1000;
    if (silent_ms <= takeover_ms) {
      const std::string& first_address = existing->connection().peer_address();
      const bool two_addresses = first_address != connection->peer_address();
      TRIB_LOG(stream, error,
               "[receiver] STREAM {} 'REJECTED - ALREADY CONNECTED': this GUID is already "
               "streaming to this server from {}{}",
               who, existing->peer(),
               two_addresses ? "; one GUID from two addresses (" + first_address + " and " +
                                   connection->peer_address() +
                                   "): probably machines cloned from one image with its "
                                   "machine.guid; give each its own (docs/operations.md §10)"
                             : std::string());
      refuse(std::move(connection),
             reply_refusal(stream::Refusal::already_streaming,
                           "This GUID is already streaming to this server"),
             access, "REJECTED - ALREADY CONNECTED: streaming from " + existing->peer());
      return;
    }
    TRIB_LOG(stream, warn,
             "[receiver] multiple connections for {}: the existing one from {} is dead ({} s "
             "silent); accepting the new one",
             who, existing->peer(), silent_ms / 1000);
    existing->close("replaced by a new connection from " + peer);
  }
  const auto& admitted = std::get<Admitted>(decision);
  for (const auto& warning : admitted.warnings) {
    TRIB_LOG(stream, warn, "[receiver] {}: {}", who, warning);
  }
  std::vector<std::string> supported{std::string(stream::tributary_cap::kAck)};
  if (options_.compression) supported.emplace_back(stream::tributary_cap::kZstd);
  if (options_.log_writer != nullptr) supported.emplace_back(stream::tributary_cap::kLogs);
  const auto granted = stream::grant_tributary_caps(request.tributary_caps, supported);
  const bool compression =
      std::find(granted.begin(), granted.end(), stream::tributary_cap::kZstd) != granted.end();
  last_accepted_ms_ = loop_.now_ms();
  const uint64_t resume = progress_[request.host.machine_guid].last_stored_seq;
  connection->write(stream::tributary_ok_reply(granted, resume));
  TRIB_LOG(stream, info,
           "[receiver] STREAM {} 'CONNECTED': hops {}, memory mode {}, compression "
           "{}, resume after seq {}",
           who, request.host.hops, store::to_string(admitted.storage.mode),
           compression ? "zstd" : "off", resume);
  const bool acks =
      std::find(granted.begin(), granted.end(), stream::tributary_cap::kAck) != granted.end();
  store::StorageConfig storage = admitted.storage;
  if (storage.mode == store::MemoryMode::dbengine) storage.disk = options_.disk;
  start_session(
      std::move(connection), std::move(request), storage,
      SessionFeatures{.compression = compression, .acks = acks, .health = admitted.health},
      std::string_view(buffer).substr(request_end));
}

void Receiver::refuse_plaintext(std::unique_ptr<net::TcpConnection> connection,
                                std::string_view already_read) {
  if (already_read.starts_with("STREAM ")) {
    // The first read holds the request line in practice; a name cut short is only a log detail.
    std::string hostname = "unknown";
    if (const size_t at = already_read.find("hostname="); at != std::string_view::npos) {
      const auto value = already_read.substr(at + 9);
      hostname = std::string(value.substr(0, std::min<size_t>(value.find_first_of("& \r\n"), 100)));
    }
    TRIB_LOG(stream, error,
             "[receiver] {}: The server is configured to always use encrypted connections, "
             "please enable the SSL on child with hostname '{}'",
             connection->peer(), hostname);
  } else {
    TRIB_LOG(http, info, "[http] {}: plaintext request on a TLS-only port refused",
             connection->peer());
  }
  refuse(std::move(connection), std::string(stream::netdata_reply(stream::Refusal::bad_request)),
         {}, "plaintext on a TLS-only port");
}

void Receiver::start_session(std::unique_ptr<net::TcpConnection> connection,
                             stream::HandshakeRequest request, const store::StorageConfig& storage,
                             SessionFeatures features, std::string_view leftover) {
  SessionContext context{registry_,
                         progress_,
                         clock_,
                         options_.idle_timeout,
                         options_.keepalive_interval,
                         options_.disk,
                         options_.log_writer,
                         options_.forwarder};
  auto it = sessions_.insert(sessions_.end(), nullptr);
  *it = std::make_unique<Session>(
      loop_, context, std::move(connection), std::move(request), storage, features,
      [this, it](Session& s, const std::string& why) {
        const auto& r = s.request();
        log_access(s.connection(),
                   {r.host.hostname, r.host.machine_guid, log::mask_secret(r.api_key)}, "ACCEPTED",
                   "ended: " + why);
        // Deferred: the session is inside one of its callbacks.
        defer([this, it] { sessions_.erase(it); });
      });
  (*it)->start(leftover);
}

void Receiver::refuse(std::unique_ptr<net::TcpConnection> connection, const std::string& reply,
                      AccessWho who, std::string why) {
  auto it = closing_.insert(closing_.end(), std::move(connection));
  // Close once the reply is written (Netdata's child reads it, then sees the close).
  (*it)->write(reply, [this, it, who = std::move(who), why = std::move(why)](const Status&) {
    log_access(**it, who, "REFUSED", why);
    defer([this, it] { closing_.erase(it); });
  });
}

void Receiver::log_access(const net::TcpConnection& connection, const AccessWho& who,
                          std::string_view outcome, std::string_view why) const {
  const double seconds = static_cast<double>(loop_.now_ms() - connection.opened_ms()) / 1000.0;
  TRIB_LOG(stream, info,
           "[access] {} {} host '{}' machine GUID '{}' API key '{}' {}: {}; {:.3f} s, {} bytes in, "
           "{} bytes out",
           connection.peer(), connection.tls() != nullptr ? "TLS" : "plaintext", who.hostname,
           who.guid, who.key, outcome, why, seconds, connection.bytes_received(),
           connection.bytes_sent());
}

Session* Receiver::find_session(const std::string& guid) {
  for (auto& session : sessions_) {
    if (session && config::same_guid(session->machine_guid(), guid)) return session.get();
  }
  return nullptr;
}

void Receiver::restart_stream(const std::string& machine_guid, const std::string& why) {
  if (Session* session = find_session(machine_guid)) session->close(why);
}

void Receiver::close_all() {
  pending_.clear();
  closing_.clear();
  for (auto& session : sessions_) {
    if (session) session->close("parent shutting down");
  }
  sessions_.clear();
  alive_ = std::make_shared<int>(0);  // erasures deferred before now refer to cleared lists
}

void Receiver::defer(std::function<void()> fn) {
  loop_.post([weak = std::weak_ptr<int>(alive_), fn = std::move(fn)] {
    if (weak.lock()) fn();
  });
}

}  // namespace trib::parent::receiver
