#include "parent/receiver/session.h"

#include <algorithm>

#include "common/log/log.h"
#include "parent/receiver/log_ingest.h"

namespace trib::parent::receiver {

Session::Session(event::Loop& loop, SessionContext context,
                 std::unique_ptr<net::TcpConnection> connection, stream::HandshakeRequest request,
                 store::StorageConfig storage, SessionFeatures features, EndCallback on_end)
    : loop_(loop),
      context_(context),
      connection_(std::move(connection)),
      request_(std::move(request)),
      storage_(storage),
      features_(features),
      peer_(connection_->peer()),
      instance_("[receiver:" + request_.host.hostname + " " + request_.host.machine_guid + "]"),
      encoder_(stream::EncoderOptions{.compress = features.compression}),
      decoder_(stream::FrameLimits{}, features.compression),
      dispatcher_(*this),
      tick_(loop),
      on_end_(std::move(on_end)) {}

Session::~Session() = default;

void Session::start(std::string_view leftover) {
  last_receive_ms_ = last_send_ms_ = loop_.now_ms();
  connection_->start_reading([this](std::string_view bytes) { on_bytes(bytes); },
                             [this](const Error& why) {
                               if (why.is(Errc::closed)) {
                                 end("connection closed by the sender");
                               } else {
                                 end(why.describe(), spdlog::level::warn);
                               }
                             });
  tick_.start(std::chrono::seconds(1), std::chrono::seconds(1), [this] { on_tick(); });
  if (!leftover.empty()) on_bytes(leftover);
}

void Session::on_bytes(std::string_view bytes) {
  last_receive_ms_ = loop_.now_ms();
  bytes_received_ += bytes.size();
  decoder_.feed(bytes);
  while (!ended_) {
    auto next = decoder_.next();
    if (!next.ok()) {
      end("bad frame: " + next.error().describe(), spdlog::level::warn);
      return;
    }
    if (!next->has_value()) break;
    // A keepalive is answered, so a sender with nothing to send still hears from us within its
    // own timeout, whatever that is.
    if (std::holds_alternative<stream::KeepaliveMsg>(**next)) send(stream::KeepaliveMsg{});
    auto reply = dispatcher_.dispatch(**next);
    if (!reply.ok()) {
      end(reply.error().describe(), spdlog::level::warn);
      return;
    }
    // Acks and resume points go only to a sender that asked for them.
    if (!reply->has_value() || !features_.acks) continue;
    if (const auto* ack = std::get_if<stream::AckMsg>(&**reply)) {
      auto& due = acks_due_[ack->host_slot];
      due = std::max(due, ack->seq);  // cumulative: one ack per host per read is enough
    } else {
      send(**reply);
    }
  }
  if (ended_) return;
  if (wrote_to_disk_) {
    defer_acks_to_commit();
  } else {
    flush_acks();
  }
}

void Session::defer_acks_to_commit() {
  wrote_to_disk_ = false;
  storage::DiskStore& disk = *context_.disk;
  const uint64_t ticket = disk.flush_soon();
  std::weak_ptr<int> alive = alive_;
  disk.when_committed(ticket, [this, alive, acks = std::move(acks_due_)] {
    if (alive.expired() || ended_ || !features_.acks) return;
    for (const auto& [slot, seq] : acks) send(stream::AckMsg{slot, seq});
  });
  acks_due_.clear();
  if (disk.congested()) {
    connection_->pause_reading();
    disk.when_uncongested([this, alive] {
      if (!alive.expired() && !ended_) connection_->resume_reading();
    });
  }
}

void Session::flush_acks() {
  for (const auto& [slot, seq] : acks_due_) send(stream::AckMsg{slot, seq});
  acks_due_.clear();
}

void Session::send(const stream::Message& message) {
  last_send_ms_ = loop_.now_ms();
  connection_->write(encoder_.encode(message));
}

store::Host* Session::host_of(uint32_t host_slot) {
  const auto it = hosts_.find(host_slot);
  return it == hosts_.end() ? nullptr : it->second;
}

Result<uint64_t> Session::host(uint32_t host_slot, const model::HostInfo& info) {
  // Only the host that was admitted may stream on this connection until proxies forward
  // others (they will be admitted per host).
  if (info.machine_guid != request_.host.machine_guid) {
    return Error(Errc::refused, "host definition for machine GUID '" + info.machine_guid +
                                    "' on a connection admitted for '" +
                                    request_.host.machine_guid + "'");
  }
  model::HostInfo host = info;
  host.hops = request_.host.hops;  // the handshake's hop count is authoritative
  if (host.hostname.empty()) host.hostname = request_.host.hostname;
  TRIB_ASSIGN_OR_RETURN(store::Host * stored,
                        context_.registry.connect(host, storage_, context_.clock.now_s()));
  stored->set_path(request_.path);
  stored->set_health_policy(features_.health);
  hosts_[host_slot] = stored;
  const uint64_t stored_through = context_.progress[info.machine_guid].last_stored_seq;
  if (context_.forwarder == nullptr) return stored_through;
  // A batch is done when both the local store and the spool have it: resume from the lower of
  // the two (each side skips what it already holds). A host kept nowhere here only needs the
  // spool.
  const uint64_t spooled_through =
      context_.forwarder->connect(host, request_.path, request_.path_guids);
  if (storage_.mode == store::MemoryMode::none) return spooled_through;
  return std::min(stored_through, spooled_through);
}

Status Session::chart(uint32_t host_slot, uint32_t chart_slot, const model::ChartDef& def) {
  store::Host* host = host_of(host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "chart for an unknown host slot");
  if (Status ids = store::check_chart_ids(def); !ids.ok()) {
    refuse_chart(chart_slot, ids.error());
    return {};
  }
  TRIB_TRY(host->define_chart(def));
  refused_charts_.erase(chart_slot);
  chart_ids_[chart_slot] = def.id;
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->chart(host->machine_guid(), chart_slot, def));
  }
  return {};
}

// The rest of the stream is fine: only this chart's samples are dropped. The native protocol has
// no per-chart refusal to send back, and a Goodbye would stop every chart of the host.
void Session::refuse_chart(uint32_t chart_slot, const Error& why) {
  refused_charts_.insert(chart_slot);
  chart_ids_.erase(chart_slot);
  uint64_t suppressed = 0;
  if (refused_chart_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
    TRIB_LOG(stream, warn, "{} chart refused, its samples are dropped: {}{}", instance_,
             why.message,
             suppressed != 0 ? " (" + std::to_string(suppressed) + " more refused since)" : "");
  }
}

Status Session::samples(const stream::SamplesMsg& batch) {
  store::Host* host = host_of(batch.host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "samples for an unknown host slot");
  for (const auto& row : batch.rows) {
    if (refused_charts_.contains(row.chart_slot)) {
      ++rows_of_refused_charts_;
      continue;
    }
    TRIB_TRY(host->store(chart_ids_[row.chart_slot], row.timestamp, row.values));
  }
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->samples(host->machine_guid(), batch));
  }
  note_stored(*host, batch.seq);
  return {};
}

// A batch of any kind is stored: the resume point moves on. On a dbengine host it is committed
// with the samples, so after a restart it matches what is on disk, and the ack waits for that
// commit.
void Session::note_stored(const store::Host& host, uint64_t seq) {
  auto& progress = context_.progress[host.machine_guid()];
  progress.last_stored_seq = std::max(progress.last_stored_seq, seq);
  if (host.storage().mode == store::MemoryMode::dbengine && context_.disk != nullptr) {
    context_.disk->save_progress(host.machine_guid(), progress.last_stored_seq);
    wrote_to_disk_ = true;
  }
}

Status Session::logs(const stream::LogsMsg& batch) {
  store::Host* host = host_of(batch.host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "logs for an unknown host slot");
  TRIB_TRY(ingest_logs(context_.log_store, storage_, host->machine_guid(), batch));
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->logs(host->machine_guid(), batch));
  }
  note_stored(*host, batch.seq);
  return {};
}

Status Session::gaps(const stream::GapsMsg& batch) {
  store::Host* host = host_of(batch.host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "gaps for an unknown host slot");
  TRIB_TRY(ingest_gaps(context_.log_store, storage_, host->machine_guid(), batch));
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->gaps(host->machine_guid(), batch));
  }
  note_stored(*host, batch.seq);
  return {};
}

void Session::goodbye(uint32_t, std::string_view reason) {
  said_goodbye_ = true;
  flush_acks();  // batches stored in this read before the goodbye are acknowledged too
  end("the sender said goodbye (" + std::string(reason) + ")");
}

void Session::on_tick() {
  const uint64_t now = loop_.now_ms();
  const auto timeout_ms = static_cast<uint64_t>(context_.idle_timeout.count()) * 1000;
  if (now - last_receive_ms_ > timeout_ms) {
    end("nothing received for " + std::to_string(context_.idle_timeout.count()) + " s",
        spdlog::level::warn);
    return;
  }
  const auto keepalive_ms =
      std::min(timeout_ms / 3, static_cast<uint64_t>(context_.keepalive_interval.count()) * 1000);
  if (now - last_send_ms_ > keepalive_ms) send(stream::KeepaliveMsg{});
}

void Session::close(const std::string& why) {
  if (!ended_ && connection_) send(stream::GoodbyeMsg{stream::kAllHosts, why});
  end(why);
}

void Session::end(const std::string& why, spdlog::level::level_enum level) {
  if (ended_) return;
  ended_ = true;
  tick_.stop();
  const int64_t now = context_.clock.now_s();
  const auto how = said_goodbye_ ? store::Disconnect::stopped : store::Disconnect::lost;
  for (const auto& [slot, host] : hosts_) {
    context_.registry.disconnect(host->machine_guid(), now, how);
    if (context_.forwarder != nullptr) {
      context_.forwarder->disconnect(host->machine_guid(), said_goodbye_);
    }
  }
  log::get(log::Channel::stream)
      .log(level, "{} {} from {}: {} ({} bytes received{})", instance_,
           said_goodbye_ ? "stopped" : "disconnected", peer_, why, bytes_received_,
           rows_of_refused_charts_ != 0
               ? ", " + std::to_string(rows_of_refused_charts_) + " rows of refused charts dropped"
               : "");
  auto on_end = std::move(on_end_);
  if (on_end) on_end(*this, why);  // may destroy this
}

}  // namespace trib::parent::receiver
