#pragma once
// The parent's log store: log records and gap records of every host, in one LMDB environment
// (<data_dir>/logs), as zstd-compressed blocks per host and source. Each append is one durable
// commit, so a batch is on disk before the receiver acknowledges it.
//
// Exactly once in storage: a record is named by (host, source, generation, offset) and records of
// one generation arrive in offset order, so the store keeps, per generation, the offset after the
// last record stored and drops any record below it (a batch resent after a lost ack, or lines an
// agent read again from an older checkpoint). Gaps are keyed by their range, so a resent gap
// overwrites itself; metric gaps (seconds of a host's samples a proxy dropped) live here too,
// keyed by host and start.
//
// Retention: blocks (and gaps) older than max_age go, and the oldest blocks go while the data
// file uses more than max_size. A full map (MDB_MAP_FULL) triggers retention and one retry.
//
// Threads: appends and retention on one thread at a time (the parent's LogWriter thread), queries
// on another (the I/O loop): LMDB readers do not wait for the writer. stats() belongs to the
// writing thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/base/result.h"
#include "common/lmdb/lmdb.h"
#include "common/stream/messages.h"
#include "common/stream/zstd_codec.h"

namespace re2 {
class RE2;
}

namespace trib::parent::store {

struct LogStoreOptions {
  std::string path;  // LMDB directory
  std::chrono::seconds max_age{30 * 24 * 3600};
  uint64_t max_size = uint64_t{10} << 30;
  bool no_sync = false;  // benchmarks only: acks would no longer mean durable
};

struct StoredLogRecord {
  int64_t time_ms = 0;
  std::string source;
  uint64_t generation = 0;
  uint64_t offset = 0;
  uint8_t flags = 0;
  std::string line;
  std::vector<std::pair<std::string, std::string>> attributes;  // the source's, then the line's
};

struct LogQuery {
  std::string source;  // empty: every source
  int64_t after_ms = 0;
  int64_t before_ms = INT64_MAX;
  std::string substring;            // `q`
  std::shared_ptr<re2::RE2> regex;  // `regex`, compiled by the caller
  size_t limit = 1000;
  std::string cursor;  // from a previous answer; empty: from the beginning
};

struct LogQueryResult {
  std::vector<StoredLogRecord> records;
  std::vector<stream::LogGap> gaps;
  std::string next_cursor;  // where the next query continues (also to follow new records)
};

// One batch of a host for append_all().
struct LogWrite {
  std::string machine_guid;
  std::variant<stream::LogsMsg, stream::GapsMsg> batch;
};

struct LogStoreStats {
  uint64_t records_stored = 0;
  uint64_t records_duplicate = 0;  // dropped: stored already
  uint64_t gaps_stored = 0;
  uint64_t metric_gaps_stored = 0;
  uint64_t blocks_expired = 0;  // removed by retention
};

class LogStore {
 public:
  static Result<std::unique_ptr<LogStore>> open(const LogStoreOptions& options);

  // Stores the records and gaps of every batch not stored yet, in one durable commit (the
  // writer thread's group commit). On failure nothing of them is stored.
  Status append_all(const std::vector<LogWrite>& writes);
  // One batch in its own commit.
  Status append(std::string_view machine_guid, const stream::LogsMsg& batch);
  Status append_gaps(std::string_view machine_guid, const stream::GapsMsg& batch);

  // Oldest first (in arrival order of blocks). Records and gaps of the host, filtered.
  Result<LogQueryResult> query(std::string_view machine_guid, const LogQuery& query);

  // The host's metric gaps that overlap [after_s, before_s), oldest first, at most `limit`.
  Result<std::vector<stream::MetricGap>> metric_gaps(std::string_view machine_guid, int64_t after_s,
                                                     int64_t before_s, size_t limit);

  // Drops what max_age and max_size no longer allow.
  Status enforce_retention(int64_t now_ms);

  const LogStoreStats& stats() const { return stats_; }
  size_t used_bytes() const { return env_.used_bytes(); }

 private:
  struct Dbs {
    lmdb::Dbi meta, hosts, sources, source_names, high_water, blocks, host_blocks, gaps,
        metric_gaps;
  };
  LogStore(LogStoreOptions options, lmdb::Env env, Dbs dbs)
      : options_(std::move(options)), env_(std::move(env)), dbs_(dbs) {}

  // The host's id in the store, created on first sight.
  Result<uint32_t> host_id(lmdb::Txn& txn, std::string_view machine_guid);
  // Within `txn`; counts what they store into `stored`.
  Status write_logs(lmdb::Txn& txn, std::string_view machine_guid, const stream::LogsMsg& batch,
                    LogStoreStats& stored);
  Status write_gaps(lmdb::Txn& txn, std::string_view machine_guid, const stream::GapsMsg& batch,
                    LogStoreStats& stored);
  // Runs `write` in a write transaction; on a full map, applies retention and tries once more.
  template <class Fn>
  Status with_room(Fn&& write);
  Result<bool> drop_oldest_block(lmdb::Txn& txn);

  LogStoreOptions options_;
  lmdb::Env env_;
  Dbs dbs_;
  // Level 1: on 512-line blocks of real logs it compresses within 2 % of level 3 (dpkg.log: 10.3x
  // against 10.5x) for much less CPU on the writer thread.
  stream::ZstdCompressor compressor_{1};
  stream::ZstdDecompressor decompressor_;
  LogStoreStats stats_;
};

}  // namespace trib::parent::store
