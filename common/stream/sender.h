#pragma once
// The stream sender: keeps one connection to the first reachable destination, streams chart
// definitions and sample batches over the native protocol, and holds every batch until the
// receiver acknowledges it, so a reconnect loses nothing within `buffer_size_bytes`.
// Agents use it for their own host (SenderMode::origin: the sender numbers the batches);
// proxies use one per forwarded host (SenderMode::relay: batches keep the numbers their origin
// gave them, docs/protocol.md §5.2, and are spooled before the proxy acknowledges them).
//
// Lives on one event::Loop (the network loop); every method must be called on that loop.

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "common/config/simple_pattern.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/log/log.h"
#include "common/model/metrics.h"
#include "common/net/tcp.h"
#include "common/net/tls.h"
#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "common/stream/messages.h"
#include "common/stream/spool.h"

namespace trib::stream {

struct SenderOptions {
  std::vector<config::Destination> destinations;
  std::string api_key;
  std::chrono::seconds timeout{60};         // connect, handshake, and link idle timeout
  std::chrono::seconds reconnect_delay{5};  // first back-off step; doubles up to kMaxBackoff
  // Unacknowledged data kept for resending. A relaying sender with a spool keeps this much in
  // memory and the rest in its spool only, read back when it is sent.
  size_t buffer_size_bytes = 10 * 1024 * 1024;
  bool compression = true;
  net::TlsClientOptions tls;  // for destinations marked :SSL
  // The durable spool (<dir>, LMDB): empty keeps unacknowledged batches in memory only.
  std::string spool_dir;
  uint64_t spool_max_size = uint64_t{256} << 20;
  // Relay mode: what a full spool does (parent.yaml spool.when_full). keep: the proxy stops
  // reading from the host (backpressure); replace_oldest_with_gaps: the oldest batches give way
  // to their gap records. An origin's spool always drops its oldest (WhenFull::drop_oldest).
  Spool::WhenFull relay_when_full = Spool::WhenFull::keep;
  // `send charts matching`: charts whose id or name the first matching pattern accepts are sent;
  // the others are never defined upstream and their rows are dropped here.
  std::string send_charts_matching = "*";

  bool operator==(const SenderOptions&) const = default;
};

// The options stream.conf's [stream] section gives (spool settings come from elsewhere).
SenderOptions options_from_stream_conf(const config::StreamSender& stream);

struct SenderStats {
  uint64_t connects = 0;          // successful handshakes
  uint64_t connect_failures = 0;  // TCP failures, refusals and broken handshakes
  uint64_t batches_queued = 0;
  uint64_t batches_sent = 0;    // Samples frames written, resends included
  uint64_t batches_resent = 0;  // batches written again on a later connection
  uint64_t batches_acked = 0;
  // Queued batches numbered again above a receiver's resume point (the wall clock, where
  // numbering starts, went back since an earlier run).
  uint64_t batches_renumbered = 0;
  uint64_t batches_dropped = 0;  // pushed out of the buffer before an ack (data lost)
  uint64_t log_batches_queued = 0;
  uint64_t log_batches_acked = 0;
  uint64_t batches_replayed = 0;   // loaded from the spool at start
  uint64_t spool_dropped = 0;      // pushed out of the full spool (gap records sent instead)
  uint64_t spool_errors = 0;       // writes that failed: those batches are in memory only
  uint64_t batches_evicted = 0;    // relay: kept in the spool only, past buffer_size_bytes
  uint64_t batches_read_back = 0;  // relay: read from the spool to be sent
  uint64_t spool_bytes = 0;
  size_t log_buffered_bytes = 0;
  uint64_t values_dropped = 0;
  // Rows sent with NaN (gaps) for dimensions appended to their chart after they were queued.
  uint64_t rows_padded = 0;
  // Values cut from rows longer than their chart's current definition (a collector bug: charts
  // only ever gain dimensions).
  uint64_t values_truncated = 0;
  uint64_t bytes_sent = 0;
  size_t buffered_bytes = 0;
  bool connected = false;
  std::string destination;  // current or last destination
};

// How long a sender waits before retrying a destination after `failures` consecutive failures
// (0 for the first): the reconnect delay, doubling with each failure, capped at `cap` (a
// refusal's Netdata back-off, or Sender::kMaxBackoff), but never below the reconnect delay.
std::chrono::milliseconds retry_delay(std::chrono::milliseconds reconnect_delay, int failures,
                                      std::chrono::milliseconds cap);

enum class SenderMode {
  origin,  // the sender's own data: it numbers the batches (agents, a proxy's own host)
  relay,   // a proxy forwarding a received host: batches arrive numbered (relay())
};

class Sender {
 public:
  // `origin` is the host this sender speaks for (the handshake host, slot 0); in relay mode its
  // `hops` is the hop count at this proxy (the receiver sees one more).
  Sender(event::Loop& loop, SenderOptions options, model::HostInfo origin,
         SenderMode mode = SenderMode::origin);
  ~Sender();
  Sender(const Sender&) = delete;
  Sender& operator=(const Sender&) = delete;

  // Starts connecting. Without destinations or an API key, does nothing but log why.
  void start();
  // Applies new options; reconnects only when the destinations, key, compression or TLS
  // settings changed. A new `send charts matching` applies at once: charts it now accepts are
  // defined upstream, rows of charts it now leaves out are no longer sent (a relaying caller
  // learns the new slots by defining its charts again).
  void reconfigure(SenderOptions options);
  // Sends a goodbye (so the receiver knows this is a clean stop), waits briefly for the write
  // and closes; `done` runs once everything is closed.
  void stop(std::function<void()> done);

  // Declares or redefines a chart of the origin host. A redefinition may only append
  // dimensions: rows queued before it are sent with NaN (a gap) for the new ones, since the
  // receiver checks every row against the chart's current definition. Returns the chart's slot
  // on the upstream connection, 0 when `send charts matching` leaves the chart out.
  uint32_t define_chart(const model::ChartDef& def);
  // Queues one collection of a defined chart. Batched: rows queued close together travel in one
  // frame with one sequence number.
  void submit(const std::string& chart_id, model::ChartSample sample);
  // Seals the rows submitted so far into one numbered batch now, rather than when the batch
  // window closes: for a caller that submits a whole round at once (the agent's collectors),
  // which then costs one spool commit and one write, and no timer.
  void flush() { seal_open_batch(); }
  // Queues a batch of log records and the gap records that go with it (either may be empty),
  // numbered in the same sequence as sample batches. Log batches are never dropped by the buffer
  // bound (the tailer bounds them: it reads no further until acks come back); `ticket` is handed
  // to the acked callback once the parent has stored them. A parent that does not grant `logs`
  // cannot take them: the sender then says so and tries the next destination.
  void submit_logs(LogsMsg logs, GapsMsg gaps, uint64_t ticket);
  // Relay mode: queues a batch numbered by its origin (rows on this sender's chart slots, from
  // define_chart). OK means the batch is durable in the spool (or, without a spool, queued), so
  // the proxy may acknowledge it downstream. A seq at or below relayed_through() was taken before
  // (a downstream resend): OK without queueing it twice. An error leaves it unacknowledged.
  // With relay_when_full = keep, a relaying sender's spool never drops what it took: past its
  // bound it still takes the batch, and spool_full() tells the proxy to stop reading from the
  // host until acks make room. With replace_oldest_with_gaps, the oldest batches not yet
  // acknowledged upstream are replaced by their gap records (same seq), on disk and in memory.
  Status relay(SamplesMsg batch);
  Status relay(LogsMsg batch);
  Status relay(GapsMsg batch);
  // The highest seq taken by relay() or found in the spool: the resume point a proxy offers.
  uint64_t relayed_through() const { return relayed_through_; }
  // The spool holds its bound or more: a relaying proxy applies backpressure downstream.
  bool spool_full() const {
    return spool_ && when_full() == Spool::WhenFull::keep &&
           spool_->stored_bytes() >= spool_->max_size();
  }
  // Replaces the origin host's definition (labels, hostname), sent again on the next connection
  // or at once when streaming.
  void set_origin(model::HostInfo origin);
  // The proxies the stream passed through, nearest to the receiver first, sent in the handshake
  // (`path`, `path_guids`). Relay mode keeps them in the spool with the origin host.
  void set_path(std::vector<std::string> hostnames, std::vector<std::string> guids);
  // Nothing left to deliver: every batch is acknowledged.
  bool drained() const { return pending_.empty() && open_batch_.rows.empty(); }

  // Called for every log batch the receiver acknowledged, in submission order.
  void set_on_logs_acked(std::function<void(uint64_t ticket)> callback) {
    on_logs_acked_ = std::move(callback);
  }

  const SenderStats& stats() const { return stats_; }
  void set_on_connected(std::function<void()> callback) { on_connected_ = std::move(callback); }

  static constexpr std::chrono::seconds kMaxBackoff{60};

 private:
  enum class Phase { idle, waiting, connecting, handshaking, streaming, stopping };

  struct DestinationState {
    config::Destination destination;
    int64_t postponed_until_ms = 0;  // loop time before which it is not tried
  };
  struct ChartEntry {
    uint32_t slot = 0;
    model::ChartDef def;
  };
  struct Pending {
    std::variant<SamplesMsg, LogsMsg, GapsMsg> batch;
    size_t bytes = 0;
    bool sent = false;    // written on some connection already (a later write is a resend)
    uint64_t ticket = 0;  // a log batch's, for the acked callback
    // A batch's frame (an origin's samples and log batches), encoded and compressed once when
    // queued: its spool entry and, on a link with zstd, the bytes sent as long as the batch
    // fits its charts' definitions. Empty: encoded for each link.
    std::string frame = {};
    // Relay mode: the batch's content is in the spool only (`batch` keeps its type and seq),
    // read back when it is sent. Its bytes no longer count in the buffered stats.
    bool evicted = false;
    uint64_t& seq() {
      return std::visit([](auto& b) -> uint64_t& { return b.seq; }, batch);
    }
    uint64_t seq() const {
      return std::visit([](const auto& b) { return b.seq; }, batch);
    }
    bool is_samples() const { return std::holds_alternative<SamplesMsg>(batch); }
  };

  void reset_destinations();
  void connect_next();
  void schedule_retry(std::chrono::milliseconds delay, const std::string& why);
  void on_connect_result(Result<std::unique_ptr<net::TcpConnection>> result,
                         size_t destination_index);
  void secure(std::unique_ptr<net::TcpConnection> connection, size_t destination_index);
  Result<std::shared_ptr<const net::TlsContext>> tls_context();
  // `early` holds reply bytes that came with the TLS handshake (none in practice).
  void on_connected(std::unique_ptr<net::TcpConnection> connection, size_t destination_index,
                    std::string_view early = {});
  void on_handshake_bytes(std::string_view bytes);
  void on_handshake_refused(const HandshakeReply& reply);
  void on_stream_bytes(std::string_view bytes);
  void on_message(const Message& message);
  // Closes the link and moves on. A failure before streaming postpones this destination by
  // the doubling back-off (capped at `cap`), and by at least `at_least`; a link that was
  // streaming is retried after the plain reconnect delay.
  void drop_connection(const std::string& why, bool count_failure,
                       std::chrono::milliseconds at_least = std::chrono::milliseconds(0),
                       std::chrono::milliseconds cap = kMaxBackoff);
  void close_link();
  void postpone_current(std::chrono::milliseconds at_least, std::chrono::milliseconds cap);
  void start_streaming(const HandshakeReply& reply);
  void number_above(uint64_t resume_seq);
  void send_definitions();
  bool chart_allowed(const model::ChartDef& def) const;
  // A chart `send charts matching` leaves out: never defined upstream (any more), its rows not
  // sent. It keeps the slot it had, for when a new pattern takes it again.
  void leave_out(const model::ChartDef& def);
  uint32_t take_slot(const std::string& chart_id);
  // After a new pattern: every known chart defined again, or left out.
  void apply_chart_filter();
  void send_pending();
  const SamplesMsg& conform_to_charts(const SamplesMsg& batch, SamplesMsg& scratch);
  void send_frame(const Message& message);
  void seal_open_batch();
  void queue(Pending pending);
  Status relay_pending(Pending pending);
  void open_spool();
  void save_origin();
  Status spool(const Pending& pending);
  // The definitions of the charts a samples batch uses that the spool does not hold yet.
  std::vector<ChartDefMsg> unspooled_definitions(const Pending& pending) const;
  // The spool pushed batches out (origin mode only): they leave the queue too; log bytes become
  // gap records.
  void on_spool_dropped(const std::vector<Message>& dropped, const Pending& kept);
  // Relay mode, replace_oldest_with_gaps: each queued batch the spool replaced becomes its gap
  // record, in its place in the queue.
  void on_spool_replaced(const std::vector<Message>& gaps);
  void enforce_buffer_bound();
  // Relay mode with a spool: past buffer_size_bytes in memory, the newest batches keep only their
  // seq (evicted); the spool has them. Memory stays bounded however long upstream is away.
  void evict_to_spool();
  // An evicted batch as it was, from the spool; nullopt (logged) when it cannot be read.
  std::optional<Pending> read_back(const Pending& evicted);
  // Frees the content of a queued batch (the evicted part of the queue).
  void release(Pending& pending);
  Status record_spooled(Result<std::vector<Message>> dropped, const Pending& pending);
  Spool::WhenFull when_full() const;
  void send_encoded(std::string frame);
  void flush_acknowledged();
  void on_tick();
  std::string destination_name() const;
  model::HostInfo relayed_host() const;

  event::Loop& loop_;
  SenderOptions options_;
  model::HostInfo origin_;
  SenderMode mode_;
  std::vector<std::string> path_;
  std::vector<std::string> path_guids_;
  config::SimplePattern send_charts_;
  Phase phase_ = Phase::idle;

  std::vector<DestinationState> destinations_;
  size_t next_destination_ = 0;
  size_t current_destination_ = 0;
  int failed_rounds_ = 0;

  std::unique_ptr<net::TcpConnect> connect_;
  std::unique_ptr<net::TcpConnection> connection_;
  std::shared_ptr<const net::TlsContext> tls_context_;  // built when a :SSL destination is tried
  std::string handshake_buffer_;
  std::unique_ptr<FrameEncoder> encoder_;
  bool link_compressed_ = false;  // the receiver granted zstd frames
  // Pending::frame of log batches. zstd level -3: a megabyte batch compresses in 20-30 % less
  // CPU on the network loop than at level 1, for frames 14 % bigger on dpkg.log (2.4x on the
  // benchmark's repetitive lines); the spool stores that frame.
  FrameEncoder batch_encoder_{EncoderOptions{.compress = true, .zstd_level = -3}};
  std::unique_ptr<FrameDecoder> decoder_;
  uint64_t last_receive_ms_ = 0;
  uint64_t last_send_ms_ = 0;
  uint64_t last_spool_append_ms_ = 0;  // loop time of the last batch written to the spool

  // Looked up for every row submitted: hashed.
  std::unordered_map<std::string, ChartEntry> charts_;
  std::map<std::string, ChartEntry> charts_left_out_;  // by `send charts matching`
  std::set<uint32_t> slots_left_out_;       // slots of charts left out after they were sent
  std::vector<size_t> dimensions_by_slot_;  // current dimension count of each chart slot
  uint32_t next_chart_slot_ = 1;
  // Slots whose current definition the spool holds: batches spool their rows only, and the
  // definitions of charts new or redefined since.
  // By slot (a row's check costs an index, not a tree walk).
  std::vector<bool> spooled_charts_;

  SamplesMsg open_batch_;        // rows not yet sealed into a numbered batch
  std::deque<Pending> pending_;  // sealed, not yet acknowledged, oldest first
  size_t next_to_send_ = 0;      // index into pending_ of the first batch not yet sent
  uint64_t next_seq_ = 1;
  uint64_t relayed_through_ = 0;

  event::Timer retry_timer_;
  event::Timer flush_timer_;
  event::Timer tick_timer_;
  std::function<void()> on_connected_;
  std::function<void(uint64_t)> on_logs_acked_;
  bool logs_granted_ = false;
  std::unique_ptr<Spool> spool_;
  std::function<void()> on_stopped_;
  log::RateLimitedLog truncation_log_{std::chrono::seconds(60)};
  log::RateLimitedLog spool_full_log_{std::chrono::seconds(10)};
  SenderStats stats_;
};

}  // namespace trib::stream
