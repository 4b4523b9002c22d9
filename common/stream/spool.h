#pragma once
// The sender's durable queue: every batch (samples, log records, gap records) is written here,
// under its sequence number, before it is sent, and removed when the receiver acknowledges it. A
// restarted sender (agent or proxy) loads what is left and sends it again with its original
// sequence numbers and timestamps, so an outage or a kill -9 loses nothing within max_size.
// When max_size is reached the oldest batches go (gap records excepted); the sender then sends
// gap records for the log bytes they held. Entries are zstd-compressed frames: log lines shrink
// about tenfold, so max_size holds that much more and a busy tail writes that much less.
// A proxy's spool either keeps them (WhenFull::keep: the proxy stops reading from the host
// instead, so the host's own spool holds them) or replaces each by its gap record under the same
// sequence number (WhenFull::replace_oldest_with_gaps: the proxy keeps the newest data, and the
// receiver learns exactly what is missing).
//
// LMDB (<data dir>/spool), one environment per sender. Used on the sender's loop only.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/result.h"
#include "common/lmdb/lmdb.h"
#include "common/stream/frame.h"
#include "common/stream/messages.h"

namespace trib::stream {

// What a relaying sender (a proxy) keeps beside its batches, so that a restarted proxy can
// forward them before the host's own sender reconnects: the origin host and the proxies its
// stream passed through, nearest to the receiver first.
struct SpoolOrigin {
  model::HostInfo host;
  std::vector<std::string> path;
  std::vector<std::string> path_guids;

  bool operator==(const SpoolOrigin&) const = default;
};

// One spooled batch with the chart definitions its rows refer to (chart slots are per
// connection and per process: a restarted sender defines the charts again and maps the rows).
// Definitions are kept once per sender run in the spool's chart table, not in every entry: the
// rows of a second's batch are a few hundred bytes, its definitions tens of kilobytes.
struct SpooledBatch {
  std::vector<ChartDefMsg> charts;
  Message batch;  // SamplesMsg, LogsMsg or GapsMsg
};

class Spool {
 public:
  enum class Durability {
    // Every commit is on disk when append() returns: for batches acknowledged downstream on
    // the strength of it (a proxy's relayed batches).
    every_commit,
    // An OS crash or power loss may undo the last commit (LMDB's MDB_NOMETASYNC: half the disk
    // flushes); a process crash or kill -9 loses nothing. For an origin's own batches, which
    // nobody was told are stored: at most one round of metrics is lost with the host, and log
    // bytes are read again, since checkpoints advance only on the parent's ack.
    all_but_last_commit,
  };
  static Result<std::unique_ptr<Spool>> open(const std::string& directory, uint64_t max_size,
                                             Durability durability = Durability::every_commit);

  // Every batch held, oldest first (decoded; an entry that does not decode is dropped and logged),
  // each with the definitions of the charts its rows refer to. Definitions of earlier runs that
  // no batch refers to any more are erased.
  Result<std::vector<SpooledBatch>> load();
  enum class WhenFull {
    drop_oldest,  // an origin's spool: the oldest batches go (gap records excepted)
    keep,         // a proxy's, backpressure: what it acknowledged downstream stays; it stops
                  // taking more
    // A proxy's, drop_oldest: the oldest batches (gap records excepted) are replaced, in the
    // same commit and under their own sequence numbers, by their gap records
    // (gap_for_dropped(), reason kProxyGapReason).
    replace_oldest_with_gaps,
  };
  // Writes the batch durably. `batch.charts`: the definitions its rows refer to that this Spool
  // object was not given yet (new or redefined charts), stored in the chart table in the same
  // commit. Returns the batches pushed out to stay within max_size, oldest first (never the one
  // just written; none with WhenFull::keep, which lets the spool grow past max_size: its caller
  // stops feeding it). With replace_oldest_with_gaps, returns the GapsMsg that took their places
  // instead (each with the seq of the batch it replaced). Sequence numbers only grow from one
  // append to the next.
  Result<std::vector<Message>> append(uint64_t seq, const SpooledBatch& batch,
                                      WhenFull when_full = WhenFull::drop_oldest);
  // The same with the entry encoded already: frames as FrameEncoder writes them (a sender that
  // compressed a batch once keeps those bytes for the spool and for the wire). `charts` as
  // SpooledBatch::charts.
  Result<std::vector<Message>> append_encoded(uint64_t seq, std::string_view frames,
                                              const std::vector<ChartDefMsg>& charts = {},
                                              WhenFull when_full = WhenFull::drop_oldest);
  // The batch stored under seq (decoded), e.g. one its sender no longer keeps in memory.
  Result<SpooledBatch> read(uint64_t seq);
  // Every batch with a sequence number <= seq is acknowledged: it no longer counts in
  // stored_bytes() and is erased with the next append's commit or by flush_acknowledged(). One
  // synchronous commit per ack would double the disk syncs of a busy sender; a batch that was
  // acknowledged but not erased when the process died is only sent again, and the receiver's
  // resume point skips it.
  void acknowledge(uint64_t seq);
  // Erases the acknowledged batches now, in one commit (the sender calls it when idle).
  Status flush_acknowledged();
  // The highest sequence number ever appended (kept when the batch is acknowledged), 0 for none:
  // what a proxy holds of its origin host, so the resume point it offers downstream.
  uint64_t last_appended_seq() const { return last_appended_seq_; }

  Status save_origin(const SpoolOrigin& origin);
  // nullopt when none was saved (an agent's spool).
  Result<std::optional<SpoolOrigin>> load_origin();

  uint64_t stored_bytes() const { return stored_bytes_; }
  uint64_t max_size() const { return max_size_; }

 private:
  struct Tables {
    lmdb::Dbi batches, meta, charts, runs;
  };
  Spool(lmdb::Env env, Tables tables, uint64_t max_size)
      : env_(std::move(env)),
        batches_(tables.batches),
        meta_(tables.meta),
        charts_(tables.charts),
        runs_(tables.runs),
        max_size_(max_size) {}
  Result<std::vector<Message>> write_entry(
      uint64_t seq, std::string_view frames,
      const std::vector<std::pair<uint32_t, std::string>>& charts, WhenFull when_full);
  Result<std::vector<Message>> drop_oldest_until(lmdb::Txn& txn, uint64_t keep_seq, uint64_t room,
                                                 WhenFull when_full);
  Status erase_acknowledged(lmdb::Txn& txn);
  // Erases the chart definitions and run records of runs other than this one that no entry
  // refers to.
  Status erase_unused_runs(const std::set<uint64_t>& used);

  lmdb::Env env_;
  lmdb::Dbi batches_;
  lmdb::Dbi meta_;  // "last_seq", "origin", "run"
  // Chart definitions: run (8 bytes) + slot (4 bytes, big-endian) -> one ChartDef frame. Slots
  // are per run (per Spool object), so the same slot may name other charts in other runs.
  lmdb::Dbi charts_;
  // Where each run's entries start: first seq (8 bytes) -> run. An entry belongs to the run
  // with the greatest first seq at or below its own.
  lmdb::Dbi runs_;
  uint64_t run_ = 0;           // this Spool object's run number, one more than the last
  bool run_recorded_ = false;  // its first seq is in runs_
  uint64_t max_size_;
  uint64_t stored_bytes_ = 0;
  uint64_t last_appended_seq_ = 0;
  std::map<uint64_t, uint64_t> entry_bytes_;  // seq -> stored size, of batches not acknowledged
  uint64_t acknowledged_through_ = 0;
  bool erase_due_ = false;  // acknowledged batches are still in the database
  FrameEncoder encoder_{EncoderOptions{.compress = true}};
};

inline constexpr std::string_view kProxyGapReason = "proxy spool full";

// The gap record of one batch a full spool pushed out, under its seq: for a Logs batch, per
// source generation, the byte range its records covered; for a Samples batch, the seconds
// [first row, last row + 1). Empty for anything else.
GapsMsg gap_for_dropped(const Message& dropped, int64_t now_ms, std::string_view reason);
// The gap records of batches an origin's full spool pushed out, in one batch (seq left 0).
GapsMsg gaps_for_dropped(const std::vector<Message>& dropped, int64_t now_ms);

}  // namespace trib::stream
