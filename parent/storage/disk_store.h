#pragma once
// memory mode = dbengine: one LMDB environment in the parent's data directory holding a series
// index, host and chart definitions, compressed sample blocks and a journal (layout.h,
// docs/storage.md).
//
// Threads. The DiskStore lives on the parent's I/O loop: DbChartSeries append rows and sealed
// blocks to a pending WriteBatch here, and read blocks through short LMDB read transactions.
// flush() hands the pending batch to the one writer thread (StoreWriter), which commits queued
// batches in one transaction and reports the committed ticket back by posting to the I/O loop.
// Nothing is acknowledged to a sender before the ticket of the batch holding its samples has
// committed (when_committed()).
//
// Durability. Samples of a block still filling (in RAM) are journaled in the same commit, so a
// kill -9 loses nothing that committed: at open, the journal is replayed into sealed blocks.
// Backpressure. While the map is full, or too many bytes wait for the writer, congested() is
// true; receivers stop reading until when_uncongested() calls them back. Never a crash.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "common/base/result.h"
#include "common/event/commit_waiters.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/lmdb/lmdb.h"
#include "common/model/metrics.h"
#include "parent/storage/block_codec.h"
#include "parent/storage/store_writer.h"

namespace trib::parent::storage {

struct DiskStoreOptions {
  std::string path;                          // the LMDB directory (data dir + "/dbengine")
  uint64_t max_size = 20ull << 30;           // retention by size; the map is a little larger
  std::chrono::seconds max_age{30 * 86400};  // retention by age; 0: keep forever
  size_t block_samples = 512;                // a block is sealed at this many samples...
  size_t block_bytes = 1536;                 // ...or this many encoded bytes
  std::chrono::seconds seal_after{600};   // ...or when its first sample is this old (journal bound)
  size_t max_inflight_bytes = 64u << 20;  // batches waiting for the writer before backpressure
  uint64_t map_headroom = 256u << 20;     // map beyond max_size * 1.25: journal, index, a commit
  bool no_sync = false;                   // benchmarks of something else only: acks stay honest
  std::vector<TierSpec> tiers;            // downsampled tiers 1..n, finest first (tier_rollup.h)
  const time::Clock* clock = &time::SystemClock::instance();  // "now" of retention by age
  std::chrono::milliseconds retention_interval{60'000};
  // Tests: skip the flush timer (flush() only when asked).
  std::chrono::milliseconds flush_interval{200};
};

struct SeriesExtent {
  int64_t first_s = 0;  // 0 and 0: nothing stored
  int64_t last_s = 0;
};

// What the store held at open: hosts (with their charts) to register again.
struct RestoredHost {
  model::HostInfo info;
  uint64_t last_seq = 0;
  std::vector<model::ChartDef> charts;
};

struct DiskStoreStats {
  uint64_t samples_journaled = 0;
  uint64_t blocks_sealed = 0;
  uint64_t commits = 0;
  uint64_t committed_ticket = 0;
  uint64_t last_commit_us = 0;
  uint64_t disk_bytes = 0;  // live bytes of the blocks database at the last retention pass
  uint64_t retention_passes = 0;
  uint64_t block_bytes_sealed = 0;
  uint64_t samples_sealed = 0;
  size_t series = 0;
  bool full = false;
  bool commit_failing = false;  // the last commit failed for another reason than a full map
};

class DiskStore {
 public:
  // Opens (or creates) the environment, refuses a foreign or corrupt one with a message naming
  // the path, replays the journal, and starts the writer thread.
  static Result<std::unique_ptr<DiskStore>> open(event::Loop& io_loop, DiskStoreOptions options);
  ~DiskStore();  // flushes, commits what is pending and stops the writer

  std::vector<RestoredHost> take_restored() { return std::move(restored_); }

  // --- the series index
  uint32_t series_id(std::string_view guid, std::string_view chart_id, std::string_view dim_id);
  SeriesExtent extent(uint32_t series_id);

  // --- writes (into the pending batch)
  void save_host(const model::HostInfo& info);
  void save_chart(std::string_view guid, const model::ChartDef& def);
  void save_progress(std::string_view guid, uint64_t seq);
  void journal(int64_t timestamp_s, std::span<const uint32_t> series_ids,
               std::span<const double> values);
  void write_block(uint32_t series_id, const BlockEncoder& block);
  // Deletes every record of a host (definitions, series, blocks, resume point) in a batch of its
  // own, after what is pending. The host's charts must be gone (their series sealed
  // what was open); a host with this GUID connecting later starts afresh with new series ids.
  // Journal rows of the host still waiting for a trim are skipped by a replay after a crash: the
  // index no longer names their series.
  void delete_host(std::string_view guid);

  // The ticket the pending batch will carry: data added now is durable once it commits.
  uint64_t pending_ticket() const { return pending_.ticket; }
  // Sends the pending batch to the writer (if it holds anything); returns the ticket to wait
  // for so that everything written so far is durable.
  uint64_t flush();
  // The same, at the end of this turn of the I/O loop: every session that read in this turn
  // shares one batch (one journal entry, one hand-over to the writer) instead of one each.
  // Returns the ticket to wait for.
  uint64_t flush_soon();
  // Runs `fn` on the I/O loop once `ticket` has committed (at once if it has).
  void when_committed(uint64_t ticket, std::function<void()> fn);
  bool congested() const { return full_ || inflight_bytes_ > options_.max_inflight_bytes; }
  void when_uncongested(std::function<void()> fn);

  // Journal pins: a block still filling keeps the journal from `ticket` on.
  void pin(uint64_t ticket) { ++pins_[ticket]; }
  void unpin(uint64_t ticket);

  // Open blocks register, so old ones are sealed on time (the journal stays short).
  class OpenBlocks {
   public:
    virtual ~OpenBlocks() = default;
    virtual void seal_started_before(uint64_t loop_ms) = 0;
  };
  void add_open_blocks(OpenBlocks* owner) { open_blocks_.insert(owner); }
  void remove_open_blocks(OpenBlocks* owner) { open_blocks_.erase(owner); }

  // Points of a tier as they are, in the next batch (an import of history; benchmarks). The
  // series' tier must hold no point at or after the first one; tier is 1..tiers().size().
  void import_tier_points(size_t tier, uint32_t series_id, std::vector<TierPoint> points);

  // --- reads: every block of the series overlapping [from_s, to_s], committed or in flight,
  // oldest first. A corrupt block is logged (rate-limited) and skipped.
  void visit_blocks(uint32_t series_id, int64_t from_s, int64_t to_s,
                    const std::function<void(const DecodedBlock&)>& visit);
  // The committed points of tier `tier` (1..n) whose interval starts in [from_s, to_s], oldest
  // first. Intervals still open (and not yet committed) are not there: see tier_extent().
  void visit_tier_points(uint32_t series_id, size_t tier, int64_t from_s, int64_t to_s,
                         const std::function<void(const TierPoint&)>& visit);
  // The first and last interval starts a tier holds for the series (0 and 0: none).
  SeriesExtent tier_extent(uint32_t series_id, size_t tier);
  const std::vector<TierSpec>& tiers() const { return options_.tiers; }

  // Runs a retention pass on the writer thread now; stats().retention_passes counts them.
  void run_retention();
  // Live bytes of tier 0's blocks, then of each tier's (a read transaction).
  Result<std::vector<uint64_t>> live_bytes();

  event::Loop& io_loop() { return io_loop_; }
  const DiskStoreOptions& options() const { return options_; }
  const DiskStoreStats& stats() const { return stats_; }

 private:
  struct InflightBlock {
    uint64_t ticket;
    int64_t first_s;
    int64_t last_s;
    std::string block;
  };

  DiskStore(event::Loop& io_loop, DiskStoreOptions options, lmdb::Env env, Dbis dbis);
  Status load();
  void on_writer_event(const WriterEvent& event);
  void on_tick();

  event::Loop& io_loop_;
  DiskStoreOptions options_;
  lmdb::Env env_;
  Dbis dbis_;
  std::unique_ptr<StoreWriter> writer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
  event::Timer tick_;

  std::unordered_map<std::string, uint32_t> series_ids_;
  uint32_t next_series_id_ = 1;
  std::unordered_map<std::string, std::string> stored_defs_;  // chart/host key -> encoding
  std::vector<RestoredHost> restored_;

  WriteBatch pending_;
  uint64_t last_sent_ticket_ = 0;
  size_t inflight_bytes_ = 0;
  std::map<uint64_t, size_t> inflight_batch_bytes_;
  std::unordered_map<uint32_t, std::vector<InflightBlock>> inflight_blocks_;
  event::CommitWaiters waiters_;  // acks and paused receivers waiting for the writer
  std::map<uint64_t, size_t> pins_;
  std::unordered_set<OpenBlocks*> open_blocks_;
  bool full_ = false;
  bool flush_posted_ = false;
  DiskStoreStats stats_;
};

}  // namespace trib::parent::storage
