#pragma once
// One admitted Tributary stream: decodes frames, stores what arrives through the host
// registry, and acknowledges each batch once it is stored (cumulative acks, coalesced per read).
// Sends keepalives and drops a link that stays silent past the idle timeout.
//
// Owned by the Receiver; lives on the parent's I/O loop.

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/log/log.h"
#include "common/net/tcp.h"
#include "common/stream/frame.h"
#include "common/stream/handshake.h"
#include "common/stream/ingest.h"
#include "common/time/clock.h"
#include "parent/proxy/forwarder.h"
#include "parent/storage/disk_store.h"
#include "parent/store/host_registry.h"
#include "parent/store/log_writer.h"

namespace trib::parent::receiver {

// What the parent remembers of a host between its connections: the resume point.
struct HostProgress {
  uint64_t last_stored_seq = 0;
};

struct SessionContext {
  store::HostRegistry& registry;
  std::map<std::string, HostProgress>& progress;  // by machine GUID
  const time::Clock& clock;
  std::chrono::seconds idle_timeout{600};
  std::chrono::seconds keepalive_interval{20};
  // dbengine hosts: acks wait for the commit of the batch holding their samples, and reading
  // stops while the store is congested (backpressure).
  storage::DiskStore* disk = nullptr;
  // Log and gap batches are committed by its thread; acks wait for that too. Null: `logs` is
  // not granted.
  store::LogWriter* log_writer = nullptr;
  // Every host is announced to it; a host stream.conf forwards has each batch acknowledged only
  // once it is also durable in the host's spool. Null: nothing is forwarded.
  proxy::Forwarder* forwarder = nullptr;
};

// What the handshake granted.
struct SessionFeatures {
  bool compression = false;    // zstd frames
  bool acks = false;           // Ack and HostResume frames (without them the sender cannot resume)
  store::HealthPolicy health;  // from stream.conf, given to the host when it is defined
};

class Session final : public stream::IngestSink {
 public:
  // Called once when the session ends, with a one-line reason; the owner then destroys it.
  using EndCallback = std::function<void(Session&, const std::string& why)>;

  Session(event::Loop& loop, SessionContext context, std::unique_ptr<net::TcpConnection> connection,
          stream::HandshakeRequest request, store::StorageConfig storage, SessionFeatures features,
          EndCallback on_end);
  ~Session() override;

  // Starts reading; `leftover` is what arrived after the handshake request.
  void start(std::string_view leftover);
  // Ends the session from outside (a replacing connection, shutdown).
  void close(const std::string& why);

  const std::string& machine_guid() const { return request_.host.machine_guid; }
  const std::string& hostname() const { return request_.host.hostname; }
  const std::string& peer() const { return peer_; }
  // Loop time (ms) of the last bytes received: a session silent for long may be replaced.
  uint64_t last_receive_ms() const { return last_receive_ms_; }
  uint64_t bytes_received() const { return bytes_received_; }
  const stream::HandshakeRequest& request() const { return request_; }
  const net::TcpConnection& connection() const { return *connection_; }

  // stream::IngestSink
  Result<uint64_t> host(uint32_t host_slot, const model::HostInfo& info) override;
  Status chart(uint32_t host_slot, uint32_t chart_slot, const model::ChartDef& def) override;
  Status samples(const stream::SamplesMsg& batch) override;
  Status logs(stream::LogsMsg batch) override;  // in log_ingest.cpp's terms
  Status gaps(stream::GapsMsg batch) override;
  void goodbye(uint32_t host_slot_or_all, std::string_view reason) override;

 private:
  // A sender reported samples that will never arrive: one log line (rate-limited).
  void log_metric_gaps(const store::Host& host, const stream::GapsMsg& batch);
  // LogsMsg or GapsMsg: to the forwarder (a proxy) first, then to the log writer.
  template <typename Batch>
  Status forward_then_write(store::Host& host, Batch batch);
  void on_bytes(std::string_view bytes);
  void send(const stream::Message& message);
  // Acks of this read wait for the commits holding its batches; reading pauses while a writer
  // is congested.
  void queue_acks_of_this_read();
  // Sends, in order of arrival, the queued acks whose commits are done.
  void send_committed_acks();
  void pause_while_congested();
  // Backpressure from a proxy's full spool: reading stops (so nothing more is acknowledged and
  // the host's sender keeps its data), and resumes once upstream acks made room (checked every
  // 100 ms).
  void pause_while_spool_full();
  void resume_when_spool_has_room();
  void on_tick();
  // Ends once: a clean end (goodbye, EOF, close) logs at info, a broken stream at warn.
  void end(const std::string& why, spdlog::level::level_enum level = spdlog::level::info);
  store::Host* host_of(uint32_t host_slot);
  void note_written(const store::Host& host, uint32_t host_slot, uint64_t seq);
  bool log_commit_pending() const;
  void advance_resume_point(uint32_t host_slot, uint64_t seq);
  // A chart whose ids check_chart_ids() refuses: logged, its rows dropped, the stream goes on.
  void refuse_chart(uint32_t chart_slot, const Error& why);

  event::Loop& loop_;
  SessionContext context_;
  std::unique_ptr<net::TcpConnection> connection_;
  stream::HandshakeRequest request_;
  store::StorageConfig storage_;
  SessionFeatures features_;
  std::string peer_;
  std::string instance_;  // "[receiver:hostname guid]" for log lines
  stream::FrameEncoder encoder_;
  stream::FrameDecoder decoder_;
  stream::IngestDispatcher dispatcher_;
  std::map<uint32_t, store::Host*> hosts_;  // by host slot
  // By chart slot: the chart of the slot's host, nullptr when its definition was refused.
  std::unordered_map<uint32_t, store::Chart*> charts_;
  uint64_t rows_of_refused_charts_ = 0;
  log::RateLimitedLog refused_chart_log_{std::chrono::seconds(60)};
  log::RateLimitedLog metric_gap_log_{std::chrono::seconds(10)};  // a full proxy spool: many
  std::map<uint32_t, uint64_t> acks_due_;  // host slot -> highest stored seq of this read
  // Acks of earlier reads, oldest first, each with the commits it waits for (0: none). Acks are
  // cumulative, so one may not overtake another: a later read of a RAM host waits behind an
  // earlier read's log commit.
  struct WaitingAcks {
    std::map<uint32_t, uint64_t> acks;
    uint64_t disk_ticket = 0;
    uint64_t log_ticket = 0;
  };
  std::deque<WaitingAcks> waiting_acks_;
  uint64_t log_ticket_ = 0;  // this read submitted log or gap batches up to this ticket
  event::Timer tick_;
  event::Timer spool_check_;  // while paused for a full spool
  EndCallback on_end_;
  uint64_t last_receive_ms_ = 0;
  uint64_t last_send_ms_ = 0;
  uint64_t bytes_received_ = 0;
  bool said_goodbye_ = false;
  bool wrote_to_disk_ = false;  // this read stored samples of a dbengine host
  bool paused_for_spool_ = false;
  uint64_t paused_since_ms_ = 0;
  log::RateLimitedLog spool_full_log_{std::chrono::seconds(60)};  // a full spool pauses often
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  bool ended_ = false;
};

}  // namespace trib::parent::receiver
