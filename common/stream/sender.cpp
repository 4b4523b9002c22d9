#include "common/stream/sender.h"

#include <algorithm>
#include <set>

#include "common/log/log.h"
#include "common/time/clock.h"

namespace trib::stream {
namespace {

using std::chrono::milliseconds;

// Writes handed to libuv but not yet taken by the kernel, before the sender stops feeding more:
// a slow link then keeps data in the (bounded) pending queue rather than in socket buffers.
constexpr size_t kMaxQueuedWriteBytes = 1024 * 1024;
// Rows queued within this window travel in one batch.
constexpr milliseconds kBatchWindow{100};
// The tick checks the handshake and idle timeouts and the keepalive (a third of the timeout):
// a sixth of the timeout is precise enough, between 1 s and 5 s: with the default 60 s timeout
// the sender wakes for it every 5 s rather than every second.
milliseconds tick_period(std::chrono::seconds timeout) {
  return std::clamp<milliseconds>(std::chrono::duration_cast<milliseconds>(timeout) / 6,
                                  milliseconds(1000), milliseconds(5000));
}
// Acknowledged batches are erased by the next append's commit; only a sender that has appended
// nothing for this long erases them in a commit of their own (one disk flush a round saved).
constexpr uint64_t kSpoolIdleMs = 5000;

size_t estimate_bytes(const SamplesMsg& batch) {
  size_t bytes = sizeof(SamplesMsg);
  for (const auto& row : batch.rows) bytes += sizeof(row) + row.value_count * sizeof(double);
  return bytes;
}

size_t estimate_bytes(const LogsMsg& logs, const GapsMsg& gaps) {
  size_t bytes = sizeof(LogsMsg) + sizeof(GapsMsg) + gaps.gaps.size() * sizeof(LogGap) +
                 gaps.metric_gaps.size() * sizeof(MetricGap);
  for (const auto& record : logs.records) {
    bytes += sizeof(record) + record.line.size();
    for (const auto& [k, v] : record.attributes) bytes += k.size() + v.size() + 64;
  }
  return bytes;
}

}  // namespace

SenderOptions options_from_stream_conf(const config::StreamSender& stream) {
  SenderOptions options;
  options.destinations = stream.destinations;
  options.api_key = stream.api_key;
  options.timeout = stream.timeout;
  options.reconnect_delay = stream.reconnect_delay;
  options.buffer_size_bytes = stream.buffer_size_bytes;
  options.compression = stream.enable_compression;
  options.tls = stream.tls;
  options.send_charts_matching = stream.send_charts_matching;
  return options;
}

Sender::Sender(event::Loop& loop, SenderOptions options, model::HostInfo origin, SenderMode mode)
    : loop_(loop),
      options_(std::move(options)),
      origin_(std::move(origin)),
      mode_(mode),
      send_charts_(options_.send_charts_matching),
      retry_timer_(loop),
      flush_timer_(loop),
      tick_timer_(loop) {
  // Without a durable spool, numbering starts at the wall clock in microseconds, so a restarted
  // sender never reuses sequence numbers its receiver has already stored (and would skip).
  next_seq_ = static_cast<uint64_t>(time::SystemClock::instance().now_us());
}

Sender::~Sender() = default;

model::HostInfo Sender::relayed_host() const {
  model::HostInfo host = origin_;
  host.hops = origin_.hops + 1;  // one more hop to the receiver
  return host;
}

std::string Sender::destination_name() const {
  if (current_destination_ >= destinations_.size()) return "-";
  return destinations_[current_destination_].destination.text;
}

void Sender::reset_destinations() {
  destinations_.clear();
  for (const auto& d : options_.destinations) destinations_.push_back({d, 0});
  next_destination_ = 0;
  current_destination_ = 0;
}

void Sender::start() {
  open_spool();
  if (options_.destinations.empty() || options_.api_key.empty()) {
    TRIB_LOG(stream, warn, "[sender] streaming is enabled but {} is missing; not sending",
             options_.destinations.empty() ? "a destination" : "the api key");
    return;
  }
  reset_destinations();
  const milliseconds tick = tick_period(options_.timeout);
  tick_timer_.start(tick, tick, [this] { on_tick(); });
  phase_ = Phase::waiting;
  connect_next();
}

void Sender::reconfigure(SenderOptions options) {
  const bool link_changed =
      options.destinations != options_.destinations || options.api_key != options_.api_key ||
      options.compression != options_.compression || options.tls != options_.tls;
  const bool charts_changed = options.send_charts_matching != options_.send_charts_matching;
  if (options.tls != options_.tls) tls_context_.reset();
  options_ = std::move(options);
  if (charts_changed) {
    send_charts_ = config::SimplePattern(options_.send_charts_matching);
    apply_chart_filter();
  }
  enforce_buffer_bound();
  evict_to_spool();
  if (!link_changed || phase_ == Phase::stopping) return;
  TRIB_LOG(stream, info, "[sender] stream settings changed; reconnecting");
  // An intended stop of this link: the receiver must not count the host as lost.
  if (phase_ == Phase::streaming) {
    connection_->write(encoder_->encode(GoodbyeMsg{kAllHosts, "sender reconfigured"}));
  }
  close_link();
  retry_timer_.stop();
  phase_ = Phase::idle;
  start();
}

void Sender::connect_next() {
  if (phase_ == Phase::stopping || destinations_.empty()) return;
  const auto now = static_cast<int64_t>(loop_.now_ms());
  int64_t earliest = INT64_MAX;
  for (size_t k = 0; k < destinations_.size(); ++k) {
    const size_t index = (next_destination_ + k) % destinations_.size();
    auto& candidate = destinations_[index];
    if (candidate.postponed_until_ms > now) {
      earliest = std::min(earliest, candidate.postponed_until_ms);
      continue;
    }
    current_destination_ = index;
    stats_.destination = candidate.destination.text;
    phase_ = Phase::connecting;
    TRIB_LOG(stream, info, "[sender] connecting to '{}'", candidate.destination.text);
    connect_ =
        net::TcpConnect::start(loop_, candidate.destination.host, candidate.destination.port,
                               std::chrono::duration_cast<milliseconds>(options_.timeout),
                               [this, index](Result<std::unique_ptr<net::TcpConnection>> result) {
                                 on_connect_result(std::move(result), index);
                               });
    return;
  }
  if (earliest == INT64_MAX) {
    TRIB_LOG(stream, error, "[sender] no usable destination; not sending");
    phase_ = Phase::idle;
    return;
  }
  schedule_retry(milliseconds(earliest - now), "could not connect to a parent at this time");
}

void Sender::on_connect_result(Result<std::unique_ptr<net::TcpConnection>> result, size_t index) {
  connect_.reset();
  if (!result.ok()) {
    drop_connection(result.error().describe(), true);
    return;
  }
  if (destinations_[index].destination.ssl) {
    secure(std::move(result).value(), index);
    return;
  }
  on_connected(std::move(result).value(), index);
}

Result<std::shared_ptr<const net::TlsContext>> Sender::tls_context() {
  if (!tls_context_) {
    TRIB_ASSIGN_OR_RETURN(tls_context_, net::TlsContext::client(options_.tls));
    if (!options_.tls.verify) {
      TRIB_LOG(stream, warn,
               "[sender] 'ssl skip certificate verification = yes': TLS destinations are not "
               "authenticated");
    }
  }
  return tls_context_;
}

void Sender::secure(std::unique_ptr<net::TcpConnection> connection, size_t index) {
  // The handshake runs under the same deadline as the STREAM reply (on_tick).
  phase_ = Phase::handshaking;
  last_receive_ms_ = loop_.now_ms();
  auto context = tls_context();
  if (!context.ok()) {
    drop_connection("TLS set-up: " + context.error().describe(), true, Sender::kMaxBackoff);
    return;
  }
  auto engine = net::TlsEngine::create(*context, destinations_[index].destination.host);
  if (!engine.ok()) {
    drop_connection(engine.error().describe(), true, Sender::kMaxBackoff);
    return;
  }
  connection_ = std::move(connection);
  connection_->start_tls(std::move(engine).value(), {}, [this, index](Result<std::string> early) {
    if (!early.ok()) {
      drop_connection(early.error().describe(), true);
      return;
    }
    TRIB_LOG(stream, info, "[sender] TLS to '{}': {}{}", destination_name(),
             connection_->tls()->description(),
             options_.tls.verify ? ", certificate verified" : ", certificate NOT verified");
    auto secured = std::move(connection_);
    on_connected(std::move(secured), index, *early);
  });
}

void Sender::schedule_retry(milliseconds delay, const std::string& why) {
  phase_ = Phase::waiting;
  TRIB_LOG(stream, info, "[sender] {}; retrying in {} s", why,
           std::max<int64_t>(1, delay.count() / 1000));
  retry_timer_.start(delay, milliseconds(0), [this] { connect_next(); });
}

void Sender::on_connected(std::unique_ptr<net::TcpConnection> connection, size_t index,
                          std::string_view early) {
  connection_ = std::move(connection);
  next_destination_ = (index + 1) % destinations_.size();  // rotate, as Netdata's child does
  phase_ = Phase::handshaking;
  handshake_buffer_.clear();
  last_receive_ms_ = loop_.now_ms();

  std::vector<std::string> caps{std::string(tributary_cap::kAck)};
  if (options_.compression) caps.emplace_back(tributary_cap::kZstd);
  caps.emplace_back(tributary_cap::kLogs);
  HandshakeRequest request = make_tributary_request(options_.api_key, relayed_host(), caps);
  request.path = path_;
  request.path_guids = path_guids_;
  connection_->start_reading(
      [this](std::string_view bytes) { on_handshake_bytes(bytes); },
      [this](const Error& why) { drop_connection("handshake: " + why.describe(), true); });
  connection_->write(build_handshake_request(request));
  if (!early.empty()) on_handshake_bytes(early);
}

void Sender::on_handshake_bytes(std::string_view bytes) {
  last_receive_ms_ = loop_.now_ms();
  handshake_buffer_.append(bytes);
  auto parsed = parse_handshake_reply(handshake_buffer_);
  if (!parsed.ok()) {
    // Not a reply this sender knows: the doubling back-off, at most the minute Netdata's child
    // waits after a bad handshake.
    drop_connection("bad handshake reply: " + parsed.error().describe(), true, milliseconds(0),
                    milliseconds(60'000));
    return;
  }
  if (!parsed->has_value()) return;  // need more bytes
  const HandshakeReply& reply = **parsed;
  switch (reply.kind) {
    case ReplyKind::tributary_ok:
      start_streaming(reply);
      return;
    case ReplyKind::netdata_ok:
      TRIB_LOG(stream, error,
               "[sender] '{}' is a Netdata parent; it speaks only Netdata's text "
               "protocol, which this sender does not send yet",
               destination_name());
      drop_connection("incompatible parent", true, milliseconds(60'000));
      return;
    case ReplyKind::refused:
      on_handshake_refused(reply);
      return;
  }
}

void Sender::on_handshake_refused(const HandshakeReply& reply) {
  // Back off like any failure, from the reconnect delay, doubling, but never longer than
  // Netdata's child waits after that refusal (docs/protocol.md §2.2: 1 h for "that is my own
  // GUID", 2 min for "already streaming", 1 min otherwise): an operator who fixes the parent's
  // stream.conf sees the agent arrive within seconds.
  const auto cap = std::chrono::duration_cast<milliseconds>(refusal_backoff(reply.refusal));
  TRIB_LOG(stream, error, "[sender] '{}' refused the stream: {} ({})", destination_name(),
           reply.detail, refusal_code(reply.refusal));
  drop_connection(std::string("refused: ") + std::string(refusal_code(reply.refusal)), true,
                  milliseconds(0), cap);
}

void Sender::start_streaming(const HandshakeReply& reply) {
  const auto& granted = reply.tributary_caps;
  const bool compress =
      std::find(granted.begin(), granted.end(), tributary_cap::kZstd) != granted.end();
  logs_granted_ = std::find(granted.begin(), granted.end(), tributary_cap::kLogs) != granted.end();
  encoder_ = std::make_unique<FrameEncoder>(EncoderOptions{.compress = compress});
  link_compressed_ = compress;
  decoder_ = std::make_unique<FrameDecoder>(FrameLimits{}, compress);
  phase_ = Phase::streaming;
  failed_rounds_ = 0;
  destinations_[current_destination_].postponed_until_ms = 0;
  ++stats_.connects;
  stats_.connected = true;
  TRIB_LOG(stream, info, "[sender] streaming to '{}' (compression {}, resume after seq {})",
           destination_name(), compress ? "zstd" : "off", reply.resume_seq);

  // Leftover bytes after the reply line already belong to the framed stream.
  const std::string leftover = handshake_buffer_.substr(reply.consumed);
  handshake_buffer_.clear();
  connection_->start_reading([this](std::string_view bytes) { on_stream_bytes(bytes); },
                             [this](const Error& why) { drop_connection(why.describe(), true); });
  // Relayed batches keep their origin's numbers: those at or below the resume point are stored
  // upstream already, and go with this ack.
  if (mode_ == SenderMode::origin) number_above(reply.resume_seq);
  on_message(AckMsg{0, reply.resume_seq});
  send_definitions();
  send_pending();
  if (on_connected_) on_connected_();
  if (!leftover.empty()) on_stream_bytes(leftover);
}

void Sender::number_above(uint64_t resume_seq) {
  // The receiver holds this host's batches up to resume_seq. Of this sender's batches it can
  // hold only those already sent; one never sent but numbered at or below that point was
  // numbered from a wall clock that has gone back since an earlier run, and would be
  // acknowledged as a duplicate without being stored. It and every later batch are numbered
  // again above the resume point (order kept: unsent batches are the newest).
  const auto first_unsent = std::find_if(pending_.begin(), pending_.end(),
                                         [](const Pending& pending) { return !pending.sent; });
  uint64_t renumbered = 0;
  if (first_unsent != pending_.end() && first_unsent->seq() <= resume_seq) {
    uint64_t seq = resume_seq;
    for (auto it = first_unsent; it != pending_.end(); ++it, ++renumbered) {
      it->seq() = ++seq;
      it->frame.clear();  // it carried the old number
    }
    next_seq_ = seq + 1;
  }
  if (renumbered == 0 && next_seq_ > resume_seq) return;
  next_seq_ = std::max(next_seq_, resume_seq + 1);
  stats_.batches_renumbered += renumbered;
  TRIB_LOG(stream, warn,
           "[sender] '{}' has stored this host's batches up to seq {}, above this sender's "
           "numbering (the clock went back?); numbering from there, {} queued batch(es) renumbered",
           destination_name(), resume_seq, renumbered);
}

void Sender::send_definitions() {
  send_frame(HostDefMsg{0, relayed_host()});
  std::vector<const ChartEntry*> by_slot;
  by_slot.reserve(charts_.size());
  for (const auto& [id, chart] : charts_) by_slot.push_back(&chart);
  std::sort(by_slot.begin(), by_slot.end(),
            [](const ChartEntry* a, const ChartEntry* b) { return a->slot < b->slot; });
  for (const ChartEntry* chart : by_slot) send_frame(ChartDefMsg{0, chart->slot, chart->def});
}

void Sender::send_frame(const Message& message) { send_encoded(encoder_->encode(message)); }

void Sender::send_encoded(std::string frame) {
  stats_.bytes_sent += frame.size();
  last_send_ms_ = loop_.now_ms();
  connection_->write(std::move(frame), [this](const Status& status) {
    if (status.ok() && phase_ == Phase::streaming) send_pending();
  });
}

void Sender::send_pending() {
  if (phase_ != Phase::streaming || !connection_) return;
  SamplesMsg scratch;
  while (next_to_send_ < pending_.size() && connection_->queued_bytes() < kMaxQueuedWriteBytes) {
    std::optional<Pending> read =
        pending_[next_to_send_].evicted ? read_back(pending_[next_to_send_]) : std::nullopt;
    Pending& pending = read ? *read : pending_[next_to_send_];
    if (pending_[next_to_send_].evicted && !read) {  // logged: lost with the spool entry
      ++next_to_send_;
      continue;
    }
    if (!pending.is_samples() && !logs_granted_) {
      TRIB_LOG(stream, error,
               "[sender] '{}' does not accept log records (no `logs` capability: an older "
               "parent?); log batches wait for a parent that does",
               destination_name());
      drop_connection("parent without logs", true, milliseconds(60'000));
      return;
    }
    if (pending_[next_to_send_].sent) ++stats_.batches_resent;
    pending_[next_to_send_].sent = true;
    ++stats_.batches_sent;
    ++next_to_send_;
    if (const auto* samples = std::get_if<SamplesMsg>(&pending.batch)) {
      const SamplesMsg& conformed = conform_to_charts(*samples, scratch);
      if (link_compressed_ && !pending.frame.empty() && &conformed == samples) {
        send_encoded(pending.frame);
      } else {
        send_encoded(encoder_->encode(conformed));
      }
    } else if (const auto* logs = std::get_if<LogsMsg>(&pending.batch)) {
      if (link_compressed_ && !pending.frame.empty()) {
        send_encoded(pending.frame);
      } else {
        send_encoded(encoder_->encode(*logs));
      }
    } else {
      send_frame(std::get<GapsMsg>(pending.batch));
    }
  }
}

const SamplesMsg& Sender::conform_to_charts(const SamplesMsg& batch, SamplesMsg& scratch) {
  // The receiver checks each row against the chart's current definition, which may have gained
  // dimensions since the row was queued (the new definition is sent first, and definitions
  // always go first after a reconnect). The queued batch stays as it is, for a later resend.
  // Rows of a chart `send charts matching` left out since they were queued are not sent.
  const auto fits = [this](const SamplesMsg::Row& row) {
    return row.value_count == dimensions_by_slot_[row.chart_slot] &&
           !slots_left_out_.contains(row.chart_slot);
  };
  if (std::all_of(batch.rows.begin(), batch.rows.end(), fits)) return batch;
  scratch = SamplesMsg{.host_slot = batch.host_slot, .seq = batch.seq};
  uint64_t truncated = 0;
  std::vector<double> padded;
  for (const auto& row : batch.rows) {
    if (slots_left_out_.contains(row.chart_slot)) continue;
    const size_t dimensions = dimensions_by_slot_[row.chart_slot];
    std::span<const double> values = batch.values_of(row);
    if (values.size() < dimensions) {
      ++stats_.rows_padded;
      padded.assign(values.begin(), values.end());
      padded.resize(dimensions, model::kNoValue);
      values = padded;
    } else if (values.size() > dimensions) {
      truncated += values.size() - dimensions;
      values = values.first(dimensions);
    }
    scratch.add_row(row.chart_slot, row.timestamp, values);
  }
  if (truncated > 0) {
    stats_.values_truncated += truncated;
    uint64_t suppressed = 0;
    if (truncation_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(stream, warn,
               "[sender] batch seq {} has rows longer than their chart's definition (a chart lost "
               "dimensions, which collectors must not do): {} value(s) cut, {} in all{}",
               batch.seq, truncated, stats_.values_truncated,
               suppressed ? fmt::format(" ({} more reports suppressed)", suppressed) : "");
    }
  }
  return scratch;
}

void Sender::on_stream_bytes(std::string_view bytes) {
  last_receive_ms_ = loop_.now_ms();
  decoder_->feed(bytes);
  while (decoder_) {
    auto next = decoder_->next();
    if (!next.ok()) {
      drop_connection("bad frame from '" + destination_name() + "': " + next.error().describe(),
                      true);
      return;
    }
    if (!next->has_value()) return;
    on_message(**next);
  }
}

void Sender::on_message(const Message& message) {
  if (const auto* ack = std::get_if<AckMsg>(&message)) {
    if (spool_ && !pending_.empty() && pending_.front().seq() <= ack->seq) {
      spool_->acknowledge(ack->seq);
      stats_.spool_bytes = spool_->stored_bytes();
    }
    while (!pending_.empty() && pending_.front().seq() <= ack->seq) {
      Pending& front = pending_.front();
      if (front.evicted) {
        // counted in neither
      } else if (front.is_samples()) {
        stats_.buffered_bytes -= front.bytes;
      } else {
        stats_.log_buffered_bytes -= front.bytes;
      }
      const uint64_t ticket = front.ticket;
      pending_.pop_front();
      if (ticket != 0) {
        ++stats_.log_batches_acked;
        if (on_logs_acked_) on_logs_acked_(ticket);
      }
      ++stats_.batches_acked;
      if (next_to_send_ > 0) --next_to_send_;
    }
  } else if (const auto* resume = std::get_if<HostResumeMsg>(&message)) {
    on_message(AckMsg{resume->host_slot, resume->last_stored_seq});
  } else if (const auto* bye = std::get_if<GoodbyeMsg>(&message)) {
    drop_connection("parent closed the stream: " + bye->reason, false);
  }
  // Keepalives only refresh last_receive_ms_.
}

void Sender::drop_connection(const std::string& why, bool count_failure, milliseconds at_least,
                             milliseconds cap) {
  if (phase_ == Phase::stopping) return;
  const bool was_streaming = phase_ == Phase::streaming;
  TRIB_LOG(stream, warn, "[sender] {} '{}': {}", was_streaming ? "lost" : "cannot use",
           destination_name(), why);
  close_link();
  phase_ = Phase::waiting;
  if (was_streaming) {
    // A link that worked is retried after the plain reconnect delay, without a penalty.
    failed_rounds_ = 0;
    postpone_current(
        std::max(at_least, std::chrono::duration_cast<milliseconds>(options_.reconnect_delay)),
        cap);
  } else if (count_failure) {
    ++stats_.connect_failures;
    postpone_current(at_least, cap);
  }
  connect_next();
}

void Sender::close_link() {
  connection_.reset();
  connect_.reset();
  encoder_.reset();
  decoder_.reset();
  next_to_send_ = 0;
  stats_.connected = false;
}

milliseconds retry_delay(milliseconds reconnect_delay, int failures, milliseconds cap) {
  const auto doubled = reconnect_delay * (int64_t{1} << std::clamp(failures, 0, 20));
  return std::min<milliseconds>(doubled, std::max(cap, reconnect_delay));
}

void Sender::postpone_current(milliseconds at_least, milliseconds cap) {
  const auto backoff = retry_delay(
      std::chrono::duration_cast<milliseconds>(options_.reconnect_delay), failed_rounds_, cap);
  ++failed_rounds_;
  destinations_[current_destination_].postponed_until_ms =
      static_cast<int64_t>(loop_.now_ms()) + std::max(backoff, at_least).count();
}

bool Sender::chart_allowed(const model::ChartDef& def) const {
  return send_charts_.allows(def.id) || send_charts_.allows(def.name);
}

void Sender::leave_out(const model::ChartDef& def) {
  ChartEntry& left_out = charts_left_out_[def.id];
  left_out.def = def;
  const auto sent = charts_.find(def.id);
  if (sent == charts_.end()) return;
  left_out.slot = sent->second.slot;
  slots_left_out_.insert(sent->second.slot);
  charts_.erase(sent);
}

uint32_t Sender::take_slot(const std::string& chart_id) {
  // A chart left out by an earlier pattern and taken again keeps its slot: rows queued for it
  // before are valid again.
  uint32_t slot = 0;
  if (const auto left_out = charts_left_out_.find(chart_id); left_out != charts_left_out_.end()) {
    slot = left_out->second.slot;
    charts_left_out_.erase(left_out);
  }
  if (slot == 0) slot = next_chart_slot_++;
  slots_left_out_.erase(slot);
  return slot;
}

void Sender::apply_chart_filter() {
  std::vector<model::ChartDef> known;
  for (const auto& [id, chart] : charts_) known.push_back(chart.def);
  for (const auto& [id, chart] : charts_left_out_) known.push_back(chart.def);
  std::sort(known.begin(), known.end(),
            [](const model::ChartDef& a, const model::ChartDef& b) { return a.id < b.id; });
  for (const auto& def : known) define_chart(def);
}

uint32_t Sender::define_chart(const model::ChartDef& def) {
  if (!chart_allowed(def)) {
    leave_out(def);
    return 0;
  }
  auto [it, inserted] = charts_.try_emplace(def.id);
  if (!inserted && it->second.def == def) return it->second.slot;
  if (inserted) it->second.slot = take_slot(def.id);
  // Rows of the previous definition travel first.
  seal_open_batch();
  it->second.def = def;
  if (it->second.slot < spooled_charts_.size()) spooled_charts_[it->second.slot] = false;
  if (dimensions_by_slot_.size() <= it->second.slot)
    dimensions_by_slot_.resize(it->second.slot + 1);
  dimensions_by_slot_[it->second.slot] = def.dimensions.size();
  if (phase_ == Phase::streaming) send_frame(ChartDefMsg{0, it->second.slot, def});
  return it->second.slot;
}

void Sender::submit(const std::string& chart_id, model::ChartSample sample) {
  const auto it = charts_.find(chart_id);
  if (it == charts_.end()) {
    if (charts_left_out_.contains(chart_id)) return;
    TRIB_LOG(stream, error, "[sender] sample for undefined chart '{}' dropped (a bug)", chart_id);
    return;
  }
  if (open_batch_.rows.empty()) {
    flush_timer_.start(kBatchWindow, milliseconds(0), [this] { seal_open_batch(); });
  }
  open_batch_.add_row(it->second.slot, sample.timestamp, sample.values);
}

void Sender::seal_open_batch() {
  if (open_batch_.rows.empty()) return;
  flush_timer_.stop();
  open_batch_.host_slot = 0;
  open_batch_.seq = next_seq_++;
  Pending pending{std::move(open_batch_), 0};
  open_batch_ = SamplesMsg{};
  const auto& samples = std::get<SamplesMsg>(pending.batch);
  // Compressed once: the spool keeps these bytes and a link with zstd sends them.
  if (spool_ || options_.compression) pending.frame = batch_encoder_.encode(samples);
  pending.bytes = estimate_bytes(samples) + pending.frame.size();
  stats_.buffered_bytes += pending.bytes;
  ++stats_.batches_queued;
  queue(std::move(pending));
}

void Sender::open_spool() {
  if (options_.spool_dir.empty() || spool_) return;
  // A relaying sender acknowledges downstream what it spooled: every commit must be on disk.
  const auto durability = mode_ == SenderMode::relay ? Spool::Durability::every_commit
                                                     : Spool::Durability::all_but_last_commit;
  auto opened = Spool::open(options_.spool_dir, options_.spool_max_size, durability);
  if (!opened.ok()) {
    TRIB_LOG(stream, error, "[sender] no spool, unacknowledged batches stay in memory: {}",
             opened.error().describe());
    return;
  }
  spool_ = std::move(opened).value();
  auto loaded = spool_->load();
  if (!loaded.ok()) {
    TRIB_LOG(stream, error, "[sender] cannot read the spool: {}", loaded.error().describe());
    return;
  }
  // Replayed first, with their own numbers and timestamps; rows are mapped to this process's
  // chart slots through the definitions spooled with them.
  std::deque<Pending> replayed;
  for (SpooledBatch& spooled : *loaded) {
    std::map<uint32_t, uint32_t> slots;
    for (const ChartDefMsg& chart : spooled.charts) {
      if (const uint32_t slot = define_chart(chart.def); slot != 0) slots[chart.chart_slot] = slot;
    }
    Pending pending;
    // An earlier run may have sent it, and the receiver stored it without the ack coming back
    // before the stop: numbered already, so a resume point above it acknowledges it rather than
    // renumbering it as a batch never sent.
    pending.sent = true;
    if (auto* samples_msg = std::get_if<SamplesMsg>(&spooled.batch)) {
      pending.batch = std::move(*samples_msg);
    } else if (auto* logs_msg = std::get_if<LogsMsg>(&spooled.batch)) {
      pending.batch = std::move(*logs_msg);
    } else if (auto* gaps_msg = std::get_if<GapsMsg>(&spooled.batch)) {
      pending.batch = std::move(*gaps_msg);
    } else {
      continue;  // the spool holds only batches
    }
    if (auto* samples = std::get_if<SamplesMsg>(&pending.batch)) {
      std::erase_if(samples->rows,
                    [&](const SamplesMsg::Row& row) { return !slots.contains(row.chart_slot); });
      for (auto& row : samples->rows) row.chart_slot = slots[row.chart_slot];
      pending.bytes = estimate_bytes(*samples);
      stats_.buffered_bytes += pending.bytes;
    }
    next_seq_ = std::max(next_seq_, pending.seq() + 1);
    replayed.push_back(std::move(pending));
  }
  stats_.batches_replayed = replayed.size();
  stats_.spool_bytes = spool_->stored_bytes();
  relayed_through_ = spool_->last_appended_seq();
  for (auto& pending : replayed) relayed_through_ = std::max(relayed_through_, pending.seq());
  save_origin();
  if (!replayed.empty()) {
    TRIB_LOG(stream, info, "[sender] {} batch(es) from the spool will be sent first",
             replayed.size());
  }
  for (auto& pending : pending_) replayed.push_back(std::move(pending));
  pending_ = std::move(replayed);
  evict_to_spool();
}

Status Sender::spool(const Pending& pending) {
  if (!spool_) return {};
  last_spool_append_ms_ = loop_.now_ms();
  auto& seq = std::visit([](const auto& b) -> const uint64_t& { return b.seq; }, pending.batch);
  std::vector<ChartDefMsg> charts = unspooled_definitions(pending);
  Status status;
  if (!pending.frame.empty()) {
    status =
        record_spooled(spool_->append_encoded(seq, pending.frame, charts, when_full()), pending);
  } else {
    SpooledBatch spooled;
    std::visit([&](const auto& batch) { spooled.batch = batch; }, pending.batch);
    spooled.charts = std::move(charts);
    status = record_spooled(spool_->append(seq, spooled, when_full()), pending);
    charts = std::move(spooled.charts);
  }
  if (status.ok()) {
    for (const ChartDefMsg& chart : charts) {
      if (spooled_charts_.size() <= chart.chart_slot) spooled_charts_.resize(chart.chart_slot + 1);
      spooled_charts_[chart.chart_slot] = true;
    }
  }
  return status;
}

std::vector<ChartDefMsg> Sender::unspooled_definitions(const Pending& pending) const {
  std::vector<ChartDefMsg> charts;
  const auto* samples = std::get_if<SamplesMsg>(&pending.batch);
  if (samples == nullptr) return charts;
  std::set<uint32_t> unspooled;
  for (const auto& row : samples->rows) {
    const bool spooled = row.chart_slot < spooled_charts_.size() && spooled_charts_[row.chart_slot];
    if (!spooled) unspooled.insert(row.chart_slot);
  }
  if (unspooled.empty()) return charts;
  for (const auto& [id, chart] : charts_) {
    if (unspooled.contains(chart.slot)) charts.push_back(ChartDefMsg{0, chart.slot, chart.def});
  }
  return charts;
}

// What a relaying proxy took is acknowledged downstream: its spool either keeps it (the proxy
// stops reading instead, see spool_full()) or replaces it by a gap record the receiver gets.
Spool::WhenFull Sender::when_full() const {
  return mode_ == SenderMode::relay ? options_.relay_when_full : Spool::WhenFull::drop_oldest;
}

// The outcome of a spool append: an error is counted and logged (rate-limited), batches the
// bound pushed out become gaps.
Status Sender::record_spooled(Result<std::vector<Message>> dropped, const Pending& pending) {
  if (!dropped.ok()) {
    ++stats_.spool_errors;
    uint64_t suppressed = 0;
    if (truncation_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(stream, error, "[sender] spool write failed ({}): {}",
               mode_ == SenderMode::relay ? "batch not acknowledged downstream"
                                          : "batch kept in memory only",
               dropped.error().describe());
    }
    return dropped.take_error();
  }
  stats_.spool_bytes = spool_->stored_bytes();
  if (dropped->empty()) return {};
  if (when_full() == Spool::WhenFull::replace_oldest_with_gaps) {
    on_spool_replaced(*dropped);
  } else {
    on_spool_dropped(*dropped, pending);
  }
  return {};
}

void Sender::on_spool_replaced(const std::vector<Message>& gaps) {
  // Queue order is seq order, and the spool replaced the oldest: a forward walk finds them.
  auto it = pending_.begin();
  for (const Message& message : gaps) {
    const auto& gap = std::get<GapsMsg>(message);
    while (it != pending_.end() && it->seq() < gap.seq) ++it;
    if (it == pending_.end() || it->seq() != gap.seq) continue;
    if (it->evicted) {
      it->evicted = false;  // the gap record is small: it lives in memory
    } else if (it->is_samples()) {
      stats_.buffered_bytes -= it->bytes;
    } else {
      stats_.log_buffered_bytes -= it->bytes;
    }
    // Already written on this link, it may still arrive and be stored (then the gap record is
    // never needed); after a reconnect the gap record goes in its place.
    it->batch = gap;
    it->frame.clear();
    it->bytes = estimate_bytes(LogsMsg{}, gap);
    stats_.log_buffered_bytes += it->bytes;
  }
  stats_.spool_dropped += gaps.size();
  uint64_t suppressed = 0;
  if (spool_full_log_.should_log(std::chrono::steady_clock::now(), suppressed)) {
    TRIB_LOG(stream, warn,
             "[sender] spool of {} full ({} bytes) while '{}' has not acknowledged: the {} oldest "
             "batch(es) replaced by gap records, {} in all{}",
             origin_.hostname, spool_->max_size(), destination_name(), gaps.size(),
             stats_.spool_dropped,
             suppressed ? fmt::format(" ({} more reports suppressed)", suppressed) : "");
  }
}

void Sender::on_spool_dropped(const std::vector<Message>& dropped, const Pending& kept) {
  // The spool's bound: the oldest batches are gone from disk, and from memory with them; their
  // log bytes are reported as gaps, and their tickets released so the tailer moves on.
  std::set<uint64_t> gone;
  for (const Message& m : dropped) {
    gone.insert(std::visit(
        [](const auto& b) -> uint64_t {
          if constexpr (requires { b.seq; }) return b.seq;
          return 0;
        },
        m));
  }
  stats_.spool_dropped += dropped.size();
  TRIB_LOG(stream, warn, "[sender] spool full ({} bytes): dropped the {} oldest batch(es)",
           spool_->max_size(), dropped.size());
  std::vector<uint64_t> tickets;
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (!gone.contains(it->seq()) || &*it == &kept) {
      ++it;
      continue;
    }
    if (it->ticket != 0) tickets.push_back(it->ticket);
    if (it->is_samples()) {
      stats_.buffered_bytes -= it->bytes;
    } else {
      stats_.log_buffered_bytes -= it->bytes;
    }
    if (static_cast<size_t>(it - pending_.begin()) < next_to_send_) --next_to_send_;
    it = pending_.erase(it);
  }
  const auto now_ms = static_cast<int64_t>(
      std::chrono::duration_cast<milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  GapsMsg gaps = gaps_for_dropped(dropped, now_ms);
  if (!gaps.gaps.empty() || !gaps.metric_gaps.empty()) {
    gaps.seq = next_seq_++;
    Pending gap_batch{std::move(gaps), 0, false, 0};
    pending_.push_back(std::move(gap_batch));
    (void)spool(pending_.back());
  }
  for (const uint64_t ticket : tickets) {
    if (on_logs_acked_) on_logs_acked_(ticket);
  }
}

void Sender::queue(Pending pending) {
  (void)spool(pending);  // a failed write keeps the batch in memory (logged)
  pending_.push_back(std::move(pending));
  enforce_buffer_bound();
  send_pending();
}

Status Sender::relay(SamplesMsg batch) {
  const size_t bytes = estimate_bytes(batch);
  Pending pending{std::move(batch), bytes};
  return relay_pending(std::move(pending));
}

Status Sender::relay(LogsMsg batch) {
  const size_t bytes = estimate_bytes(batch, GapsMsg{});
  Pending pending{std::move(batch), bytes};
  return relay_pending(std::move(pending));
}

Status Sender::relay(GapsMsg batch) {
  const size_t bytes = estimate_bytes(LogsMsg{}, batch);
  Pending pending{std::move(batch), bytes};
  return relay_pending(std::move(pending));
}

Status Sender::relay_pending(Pending pending) {
  const uint64_t seq = pending.seq();
  if (seq <= relayed_through_) return {};  // spooled or forwarded already: a downstream resend
  std::visit([](auto& b) { b.host_slot = 0; }, pending.batch);
  TRIB_TRY(spool(pending));
  relayed_through_ = seq;
  if (pending.is_samples()) {
    stats_.buffered_bytes += pending.bytes;
    ++stats_.batches_queued;
  } else {
    stats_.log_buffered_bytes += pending.bytes;
    ++stats_.log_batches_queued;
  }
  pending_.push_back(std::move(pending));
  evict_to_spool();
  send_pending();
  return {};
}

void Sender::evict_to_spool() {
  if (mode_ != SenderMode::relay || !spool_) return;
  // The oldest stay in memory: they are sent (or resent) next. Gap records are small.
  for (auto it = pending_.rbegin(); it != pending_.rend(); ++it) {
    if (stats_.buffered_bytes + stats_.log_buffered_bytes <= options_.buffer_size_bytes) return;
    if (it->evicted || std::holds_alternative<GapsMsg>(it->batch)) continue;
    release(*it);
  }
}

void Sender::release(Pending& pending) {
  if (pending.is_samples()) {
    stats_.buffered_bytes -= pending.bytes;
    auto& samples = std::get<SamplesMsg>(pending.batch);
    samples.rows = {};
  } else {
    stats_.log_buffered_bytes -= pending.bytes;
    auto& logs = std::get<LogsMsg>(pending.batch);
    logs.sources = {};
    logs.records = {};
  }
  pending.frame = {};
  pending.evicted = true;
  ++stats_.batches_evicted;
}

std::optional<Sender::Pending> Sender::read_back(const Pending& evicted) {
  auto spooled = spool_->read(evicted.seq());
  Pending out;
  out.sent = evicted.sent;
  if (spooled.ok() && std::holds_alternative<SamplesMsg>(spooled->batch)) {
    out.batch = std::move(std::get<SamplesMsg>(spooled->batch));
  } else if (spooled.ok() && std::holds_alternative<LogsMsg>(spooled->batch)) {
    out.batch = std::move(std::get<LogsMsg>(spooled->batch));
  } else if (spooled.ok() && std::holds_alternative<GapsMsg>(spooled->batch)) {
    out.batch = std::move(std::get<GapsMsg>(spooled->batch));  // replaced since it was evicted
  } else {
    TRIB_LOG(stream, error,
             "[sender] batch seq {} of {} cannot be read back from the spool ({}); "
             "it is lost",
             evicted.seq(), origin_.hostname,
             spooled.ok() ? "not a batch" : spooled.error().describe());
    return std::nullopt;
  }
  ++stats_.batches_read_back;
  return out;
}

void Sender::set_origin(model::HostInfo origin) {
  if (origin == origin_) return;
  origin_ = std::move(origin);
  save_origin();
  if (phase_ == Phase::streaming) send_frame(HostDefMsg{0, relayed_host()});
}

void Sender::set_path(std::vector<std::string> hostnames, std::vector<std::string> guids) {
  // Hostnames travel comma-separated: a comma inside one would split it.
  for (auto& name : hostnames) std::replace(name.begin(), name.end(), ',', '_');
  if (hostnames == path_ && guids == path_guids_) return;
  path_ = std::move(hostnames);
  path_guids_ = std::move(guids);
  save_origin();
}

void Sender::save_origin() {
  if (!spool_ || mode_ != SenderMode::relay) return;
  const Status saved = spool_->save_origin(SpoolOrigin{origin_, path_, path_guids_});
  if (!saved.ok()) {
    TRIB_LOG(stream, error, "[sender] spool: cannot keep the origin of {}: {}", origin_.hostname,
             saved.error().describe());
  }
}

void Sender::submit_logs(LogsMsg logs, GapsMsg gaps, uint64_t ticket) {
  // Rows collected before these records travel first.
  seal_open_batch();
  const size_t bytes = estimate_bytes(logs, gaps);
  if (!gaps.gaps.empty()) {
    gaps.host_slot = 0;
    gaps.seq = next_seq_++;
    Pending gap_batch{std::move(gaps), 0, false, 0};
    (void)spool(gap_batch);
    pending_.push_back(std::move(gap_batch));
  }
  logs.host_slot = 0;
  logs.seq = next_seq_++;
  Pending log_batch{std::move(logs), bytes, false, ticket};
  log_batch.frame = batch_encoder_.encode(std::get<LogsMsg>(log_batch.batch));
  (void)spool(log_batch);
  pending_.push_back(std::move(log_batch));
  stats_.log_buffered_bytes += bytes;
  ++stats_.log_batches_queued;
  send_pending();
}

void Sender::enforce_buffer_bound() {
  // A relaying sender acknowledged every queued batch downstream: only its spool's bound (which
  // turns dropped log bytes into gap records) may drop them.
  if (mode_ == SenderMode::relay && spool_) return;
  uint64_t dropped = 0;
  // The oldest sample batch not yet sent... or sent and unacknowledged: log batches stay (the
  // tailer bounds them), so the oldest sample batch goes, wherever it is in the queue.
  while (stats_.buffered_bytes > options_.buffer_size_bytes && pending_.size() > 1) {
    const auto oldest = std::find_if(pending_.begin(), std::prev(pending_.end()),
                                     [](const Pending& p) { return p.is_samples(); });
    if (oldest == std::prev(pending_.end())) break;
    for (const auto& row : std::get<SamplesMsg>(oldest->batch).rows) {
      stats_.values_dropped += row.value_count;
    }
    stats_.buffered_bytes -= oldest->bytes;
    if (static_cast<size_t>(oldest - pending_.begin()) < next_to_send_) --next_to_send_;
    pending_.erase(oldest);
    ++stats_.batches_dropped;
    ++dropped;
  }
  if (dropped > 0) {
    TRIB_LOG(stream, warn,
             "[sender] buffer of {} bytes full while '{}' is unreachable: dropped "
             "the {} oldest unacknowledged batch(es), {} in all",
             options_.buffer_size_bytes, destination_name(), dropped, stats_.batches_dropped);
  }
}

void Sender::on_tick() {
  const uint64_t now = loop_.now_ms();
  if (now - last_spool_append_ms_ >= kSpoolIdleMs) flush_acknowledged();
  const auto timeout_ms =
      static_cast<uint64_t>(std::chrono::duration_cast<milliseconds>(options_.timeout).count());
  if (phase_ == Phase::handshaking && now - last_receive_ms_ > timeout_ms) {
    // docs/protocol.md §2.2: a failed attempt, retried after the doubling back-off.
    drop_connection("no handshake reply within " + std::to_string(options_.timeout.count()) + " s",
                    true);
    return;
  }
  if (phase_ != Phase::streaming) return;
  if (now - last_receive_ms_ > timeout_ms) {
    drop_connection("nothing received for " + std::to_string(options_.timeout.count()) + " s",
                    false);
    return;
  }
  // Keep the link visibly alive at a third of the timeout.
  if (now - last_send_ms_ > timeout_ms / 3) send_frame(KeepaliveMsg{});
}

// Acknowledged batches leave the spool with the next append, or here when the sender is idle or
// stopping.
void Sender::flush_acknowledged() {
  if (!spool_) return;
  if (const Status erased = spool_->flush_acknowledged(); !erased.ok()) {
    TRIB_LOG(stream, error, "[sender] spool: {}", erased.error().describe());
  }
}

void Sender::stop(std::function<void()> done) {
  seal_open_batch();
  flush_acknowledged();
  retry_timer_.stop();
  flush_timer_.stop();
  tick_timer_.stop();
  connect_.reset();
  const bool streaming = phase_ == Phase::streaming;
  phase_ = Phase::stopping;
  if (!streaming) {
    connection_.reset();
    if (done) done();
    return;
  }
  on_stopped_ = std::move(done);
  std::string frame = encoder_->encode(GoodbyeMsg{kAllHosts, "sender stopping"});
  // Close once the goodbye is written, or after a short grace if the link is stuck.
  auto finish = [this] {
    retry_timer_.stop();
    connection_.reset();
    if (auto cb = std::move(on_stopped_)) cb();
  };
  connection_->write(std::move(frame), [finish](const Status&) { finish(); });
  retry_timer_.start(milliseconds(2000), milliseconds(0), finish);
}

}  // namespace trib::stream
