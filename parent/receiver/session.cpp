#include "parent/receiver/session.h"

#include <algorithm>
#include <type_traits>

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
      spool_check_(loop),
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
    auto reply = dispatcher_.dispatch(std::move(**next));
    if (!reply.ok()) {
      end(reply.error().describe(), spdlog::level::warn);
      return;
    }
    if (!reply->has_value()) continue;
    if (const auto* ack = std::get_if<stream::AckMsg>(&**reply)) {
      // Kept even for a sender that does not take acks: releasing them moves the resume point.
      auto& due = acks_due_[ack->host_slot];
      due = std::max(due, ack->seq);  // cumulative: one ack per host per read is enough
    } else if (features_.acks) {      // resume points go only to a sender that asked for them
      send(**reply);
    }
  }
  if (ended_) return;
  queue_acks_of_this_read();
  pause_while_spool_full();
}

void Session::queue_acks_of_this_read() {
  WaitingAcks waiting{std::move(acks_due_), 0, log_ticket_};
  acks_due_.clear();
  log_ticket_ = 0;
  if (wrote_to_disk_) {
    wrote_to_disk_ = false;
    waiting.disk_ticket = context_.disk->flush_soon();
  }
  if (waiting.acks.empty() && waiting.disk_ticket == 0 && waiting.log_ticket == 0) return;
  waiting_acks_.push_back(std::move(waiting));
  const WaitingAcks& queued = waiting_acks_.back();
  std::weak_ptr<int> alive = alive_;
  const auto send_when_alive = [this, alive] {
    if (!alive.expired() && !ended_) send_committed_acks();
  };
  if (queued.disk_ticket != 0) context_.disk->when_committed(queued.disk_ticket, send_when_alive);
  if (queued.log_ticket != 0) {
    context_.log_writer->when_committed(queued.log_ticket, send_when_alive);
  }
  send_committed_acks();
  pause_while_congested();
}

void Session::send_committed_acks() {
  while (!waiting_acks_.empty()) {
    const WaitingAcks& front = waiting_acks_.front();
    if (front.disk_ticket > (context_.disk ? context_.disk->stats().committed_ticket : 0)) return;
    if (front.log_ticket > (context_.log_writer ? context_.log_writer->committed_ticket() : 0)) {
      return;
    }
    for (const auto& [slot, seq] : front.acks) {
      advance_resume_point(slot, seq);
      if (features_.acks) send(stream::AckMsg{slot, seq});
    }
    waiting_acks_.pop_front();
  }
}

void Session::pause_while_spool_full() {
  if (context_.forwarder == nullptr || paused_for_spool_ ||
      !context_.forwarder->spool_full(machine_guid())) {
    return;
  }
  paused_for_spool_ = true;
  paused_since_ms_ = loop_.now_ms();
  connection_->pause_reading();
  // Often enough that a small spool still passes a few of its sizes per second upstream.
  spool_check_.start(std::chrono::milliseconds(100), std::chrono::milliseconds(100),
                     [this] { resume_when_spool_has_room(); });
  uint64_t suppressed = 0;
  if (spool_full_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
    TRIB_LOG(stream, warn,
             "{} this proxy's spool for the host is full: not reading from it until the parent "
             "upstream acknowledges what the spool holds (the host keeps its data meanwhile){}",
             instance_, suppressed ? fmt::format("; {} more pauses since", suppressed) : "");
  }
}

void Session::resume_when_spool_has_room() {
  if (context_.forwarder->spool_full(machine_guid())) return;
  spool_check_.stop();
  paused_for_spool_ = false;
  // The pause was this side's doing, not the sender's silence.
  last_receive_ms_ = loop_.now_ms();
  connection_->resume_reading();
  TRIB_LOG(stream, debug, "{} the spool has room again: reading from the host after {} s",
           instance_, (loop_.now_ms() - paused_since_ms_) / 1000);
}

// Backpressure: a writer that falls behind (or cannot commit) stops this connection's reads; the
// sender's own buffers and spool then hold what comes.
void Session::pause_while_congested() {
  const bool disk_congested = context_.disk != nullptr && context_.disk->congested();
  const bool logs_congested = context_.log_writer != nullptr && context_.log_writer->congested();
  if (!disk_congested && !logs_congested) return;
  connection_->pause_reading();
  std::weak_ptr<int> alive = alive_;
  const auto resume = [this, alive] {
    if (alive.expired() || ended_ || paused_for_spool_) return;
    connection_->resume_reading();
    pause_while_congested();  // the other writer may still be congested
  };
  if (disk_congested) {
    context_.disk->when_uncongested(resume);
  } else {
    context_.log_writer->when_uncongested(resume);
  }
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
  // A forwarded batch is done when both the local store and the spool have it: resume from the
  // lower of the two (each side skips what it already holds). A host kept nowhere here only
  // needs the spool.
  const auto spooled_through =
      context_.forwarder->connect(host, request_.api_key, request_.path, request_.path_guids);
  if (!spooled_through) return stored_through;  // not forwarded
  if (storage_.mode == store::MemoryMode::none) return *spooled_through;
  return std::min(stored_through, *spooled_through);
}

Status Session::chart(uint32_t host_slot, uint32_t chart_slot, const model::ChartDef& def) {
  store::Host* host = host_of(host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "chart for an unknown host slot");
  if (Status ids = store::check_chart_ids(def); !ids.ok()) {
    refuse_chart(chart_slot, ids.error());
    return {};
  }
  TRIB_TRY(host->define_chart(def));
  charts_[chart_slot] = host->defined_chart(def.id);
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->chart(host->machine_guid(), chart_slot, def));
  }
  return {};
}

// The rest of the stream is fine: only this chart's samples are dropped. The native protocol has
// no per-chart refusal to send back, and a Goodbye would stop every chart of the host.
void Session::refuse_chart(uint32_t chart_slot, const Error& why) {
  charts_[chart_slot] = nullptr;
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
    const auto chart = charts_.find(row.chart_slot);
    if (chart == charts_.end()) return Error(Errc::protocol_error, "samples for an unknown chart");
    if (chart->second == nullptr) {
      ++rows_of_refused_charts_;
      continue;
    }
    TRIB_TRY(host->store(*chart->second, row.timestamp, batch.values_of(row)));
  }
  if (context_.forwarder != nullptr) {
    TRIB_TRY(context_.forwarder->samples(host->machine_guid(), batch));
  }
  note_written(*host, batch.host_slot, batch.seq);
  return {};
}

// A batch of a dbengine host went into the disk store's pending batch: the acks of this read wait
// for its commit.
void Session::note_written(const store::Host& host, uint32_t host_slot, uint64_t seq) {
  if (host.storage().mode != store::MemoryMode::dbengine || context_.disk == nullptr) return;
  wrote_to_disk_ = true;
  // With no log batch of this connection still to commit, every batch up to `seq` is in this
  // disk batch or committed before it: the resume point goes into the same transaction as the
  // samples, so after a crash it covers everything acknowledged.
  if (!log_commit_pending()) advance_resume_point(host_slot, seq);
}

bool Session::log_commit_pending() const {
  if (log_ticket_ != 0) return true;
  const uint64_t committed = context_.log_writer ? context_.log_writer->committed_ticket() : 0;
  return std::any_of(waiting_acks_.begin(), waiting_acks_.end(),
                     [&](const WaitingAcks& w) { return w.log_ticket > committed; });
}

// Called as the ack of `seq` is released, so every batch up to it is durable wherever it went
// (samples and logs are committed by different threads, in no fixed order between them), and for
// samples of a dbengine host as they are written (above). On a dbengine host the resume point is
// saved with the next disk commit: one that lags after a crash only makes the sender resend
// batches that storage then drops as stored already.
void Session::advance_resume_point(uint32_t host_slot, uint64_t seq) {
  const store::Host* host = host_of(host_slot);
  if (host == nullptr) return;
  auto& progress = context_.progress[host->machine_guid()];
  progress.last_stored_seq = std::max(progress.last_stored_seq, seq);
  if (host->storage().mode == store::MemoryMode::dbengine && context_.disk != nullptr) {
    context_.disk->save_progress(host->machine_guid(), progress.last_stored_seq);
  }
}

// The forwarder (a proxy) spools its copy first; the log writer then takes the batch itself.
template <typename Batch>
Status Session::forward_then_write(store::Host& host, Batch batch) {
  constexpr bool kLogs = std::is_same_v<Batch, stream::LogsMsg>;
  if (context_.forwarder != nullptr) {
    if constexpr (kLogs) {
      TRIB_TRY(context_.forwarder->logs(host.machine_guid(), batch));
    } else {
      TRIB_TRY(context_.forwarder->gaps(host.machine_guid(), batch));
    }
  }
  const uint32_t host_slot = batch.host_slot;
  const uint64_t seq = batch.seq;
  uint64_t ticket = 0;
  if constexpr (kLogs) {
    TRIB_ASSIGN_OR_RETURN(
        ticket, ingest_logs(context_.log_writer, storage_, host.machine_guid(), std::move(batch)));
  } else {
    TRIB_ASSIGN_OR_RETURN(
        ticket, ingest_gaps(context_.log_writer, storage_, host.machine_guid(), std::move(batch)));
  }
  log_ticket_ = std::max(log_ticket_, ticket);
  note_written(host, host_slot, seq);
  return {};
}

Status Session::logs(stream::LogsMsg batch) {
  store::Host* host = host_of(batch.host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "logs for an unknown host slot");
  return forward_then_write(*host, std::move(batch));
}

void Session::log_metric_gaps(const store::Host& host, const stream::GapsMsg& batch) {
  uint64_t suppressed = 0;
  if (!metric_gap_log_.should_log(std::chrono::steady_clock::now(), suppressed)) return;
  const stream::MetricGap& gap = batch.metric_gaps.front();
  TRIB_LOG(stream, warn,
           "[receiver] host '{}': samples of [{}, {}) will never arrive ({}){}; "
           "/host/{}/api/v1/gaps lists them all",
           host.hostname(), gap.from_s, gap.to_s, gap.reason,
           suppressed ? fmt::format(" ({} more reports suppressed)", suppressed) : "",
           host.hostname());
}

Status Session::gaps(stream::GapsMsg batch) {
  store::Host* host = host_of(batch.host_slot);
  if (host == nullptr) return Error(Errc::protocol_error, "gaps for an unknown host slot");
  if (!batch.metric_gaps.empty()) log_metric_gaps(*host, batch);
  return forward_then_write(*host, std::move(batch));
}

void Session::goodbye(uint32_t, std::string_view reason) {
  said_goodbye_ = true;
  // Batches of this read before the goodbye are acknowledged too, those already committed.
  queue_acks_of_this_read();
  end("the sender said goodbye (" + std::string(reason) + ")");
}

void Session::on_tick() {
  if (paused_for_spool_) {
    // Its keepalives are not read, so not answered: the sender hears from us every tick instead,
    // well inside whatever timeout it has, and keeps the link (and its data) while it waits.
    send(stream::KeepaliveMsg{});
    return;
  }
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
  spool_check_.stop();
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
