#pragma once
// The dbengine store's one writer thread: it owns the only LMDB write transaction. Batches
// submitted from the I/O loop queue up on the writer's own loop; every drain applies all queued
// batches in one transaction (group commit: batches that arrive during a commit share the next
// one) and reports the highest committed ticket. A full map aborts the transaction, keeps the
// batches, reports `full` and retries every second (retention may have made room); other LMDB
// errors are retried the same way. The tiers are rolled up here from the journal rows of each
// batch (tier_rollup.h), in the batch's transaction. Retention (oldest blocks first, by age and
// by size, for tier 0 and each tier) runs here too, between commits.
//
// Threads: submit() and the constructor/destructor are called from the I/O loop; everything
// else runs on the writer thread. Events go back through `notify`, called on the writer thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/lmdb/lmdb.h"
#include "common/time/clock.h"
#include "parent/storage/tier_rollup.h"

namespace trib::parent::storage {

struct Dbis {
  lmdb::Dbi meta, hosts, charts, series, blocks, journal, progress;
  std::vector<lmdb::Dbi> tiers;  // tiers[i]: tier i + 1
};

// Points of a tier written as they are, in blocks of kTierBlockPoints (a bulk import of
// history, benchmarks); the series' tier must not already hold points at or after the first.
struct TierImport {
  size_t tier = 1;  // 1..number of tiers
  uint32_t series_id = 0;
  std::vector<TierPoint> points;
};

// Everything one flush of the I/O loop writes; applied atomically.
struct WriteBatch {
  uint64_t ticket = 0;
  std::string journal_rows;                                 // packed by the writer
  std::vector<std::pair<std::string, std::string>> blocks;  // key, value
  std::map<std::string, std::string> hosts, charts, series, progress;
  std::vector<TierImport> tier_imports;
  uint64_t journal_keep_from = 0;  // journal entries below this ticket may go
  // Hosts whose every record goes (definitions, series, blocks, resume point), after the
  // writes above: a forgotten host's last sealed blocks are in the same batch.
  std::vector<std::string> deleted_hosts;

  bool empty() const {
    return journal_rows.empty() && blocks.empty() && hosts.empty() && charts.empty() &&
           series.empty() && progress.empty() && deleted_hosts.empty() && tier_imports.empty();
  }
  size_t bytes() const;
};

struct WriterEvent {
  uint64_t committed_ticket = 0;  // 0: no change
  uint64_t commit_us = 0;
  bool full = false;  // the map is full: batches wait
  uint64_t blocks_live_bytes = 0;
  bool retention_ran = false;
  std::string failure;  // an error other than a full map, for the log
};

struct WriterOptions {
  uint64_t max_size = 0;            // retention by size (bytes of blocks); 0: none
  std::chrono::seconds max_age{0};  // retention by age; 0: none
  std::chrono::milliseconds retention_interval{60'000};
  // How often the map's pages are unmapped from the process (lmdb::Env::release_mapped_pages):
  // the journal's pages, written once and read once when it is trimmed, and whatever the
  // kernel's fault-around mapped beside a read would otherwise count in the parent's RSS.
  std::chrono::milliseconds release_pages_interval{5'000};
  std::vector<TierSpec> tiers;  // tiers 1..n; their databases are Dbis::tiers
  const time::Clock* clock = &time::SystemClock::instance();  // "now" of retention by age
};

class StoreWriter {
 public:
  StoreWriter(lmdb::Env& env, Dbis dbis, WriterOptions options,
              std::function<void(const WriterEvent&)> notify);
  ~StoreWriter();  // commits what was submitted, then stops the thread

  void submit(WriteBatch batch);
  // Runs a retention pass on the writer thread soon (it also runs every retention_interval).
  void run_retention();

  // One retention pass in its own transaction: blocks of tier 0 and of each tier, by age and
  // size, oldest first. Returns the number of blocks deleted.
  static Result<uint64_t> enforce_retention(lmdb::Env& env, const Dbis& dbis,
                                            const WriterOptions& options, int64_t now_s);

 private:
  void run();
  void drain();
  Status apply(lmdb::Txn& txn, const WriteBatch& batch);
  void retention_pass();
  void release_mapped_pages();
  // A small commit (meta "retention", the time of the pass) after a retention pass that freed
  // pages while the map was full.
  Status note_retention(int64_t now_s);

  lmdb::Env& env_;
  Dbis dbis_;
  WriterOptions options_;
  std::function<void(const WriterEvent&)> notify_;
  event::Loop loop_;
  std::vector<WriteBatch> queue_;
  bool drain_scheduled_ = false;
  bool full_ = false;
  TierRollup rollup_;
  std::unique_ptr<event::Timer> retry_;
  std::unique_ptr<event::Timer> retention_;
  std::unique_ptr<event::Timer> release_pages_;
  std::thread thread_;
};

}  // namespace trib::parent::storage
