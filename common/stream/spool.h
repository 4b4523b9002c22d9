#pragma once
// The sender's durable queue: every batch (samples, log records, gap records) is written here,
// under its sequence number, before it is sent, and removed when the receiver acknowledges it. A
// restarted sender (agent or proxy) loads what is left and sends it again with its original
// sequence numbers and timestamps, so an outage or a kill -9 loses nothing within max_size.
// When max_size is reached the oldest batches go; the sender then sends gap records for the log
// bytes they held.
//
// LMDB (<data dir>/spool), one environment per sender. Used on the sender's loop only.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/lmdb/lmdb.h"
#include "common/stream/messages.h"

namespace trib::stream {

// One spooled batch with the chart definitions its rows refer to (chart slots are per
// connection and per process: a restarted sender defines the charts again and maps the rows).
struct SpooledBatch {
  std::vector<ChartDefMsg> charts;
  Message batch;  // SamplesMsg, LogsMsg or GapsMsg
};

class Spool {
 public:
  static Result<std::unique_ptr<Spool>> open(const std::string& directory, uint64_t max_size);

  // Every batch held, oldest first (decoded; an entry that does not decode is dropped and logged).
  Result<std::vector<SpooledBatch>> load();
  // Writes the batch durably. Returns the batches pushed out to stay within max_size, oldest
  // first (never the one just written).
  Result<std::vector<Message>> append(uint64_t seq, const SpooledBatch& batch);
  // Removes every batch with a sequence number <= seq.
  Status acknowledge(uint64_t seq);

  uint64_t stored_bytes() const { return stored_bytes_; }
  uint64_t max_size() const { return max_size_; }

 private:
  Spool(lmdb::Env env, lmdb::Dbi batches, uint64_t max_size)
      : env_(std::move(env)), batches_(batches), max_size_(max_size) {}
  Result<std::vector<Message>> drop_oldest_until(lmdb::Txn& txn, uint64_t keep_seq, uint64_t room);

  lmdb::Env env_;
  lmdb::Dbi batches_;
  uint64_t max_size_;
  uint64_t stored_bytes_ = 0;
};

// The gap records that replace log batches a full spool pushed out: for each source generation
// of each batch, the byte range its records covered.
GapsMsg gaps_for_dropped(const std::vector<Message>& dropped, int64_t now_ms);

}  // namespace trib::stream
