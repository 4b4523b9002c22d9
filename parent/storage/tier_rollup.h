#pragma once
// Tiers of downsampled data (docs/storage.md, "Tiers"): the writer thread rolls every tier-0
// sample up into one open interval per series and tier (min, max, sum, count, in RAM). The
// first sample of a later interval closes it: the point is appended to the series' newest block
// of that tier (or starts a new one) in the same transaction as the journal rows that closed
// it. So a point is on disk exactly when the sample that closed its interval is.
//
// Recovery. The open intervals are not on disk. When a series is first seen (after a start, or
// after an aborted commit threw the RAM state away), its open interval of each tier is rebuilt
// from tier-0 data: the samples after the tier's newest point, in the interval of the newest
// sample. Tier-0 blocks plus the journal hold every committed sample, so nothing is lost or
// counted twice across a kill -9. Samples at or before a series' newest one are ignored
// (a resent sample is stored once in tier 0 as well).
//
// Thread: the store writer's (StoreWriter), inside its write transactions.

#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/lmdb/lmdb.h"
#include "parent/storage/tier_block.h"

namespace trib::parent::storage {

inline constexpr size_t kMaxTiers = 4;

struct TierSpec {
  std::chrono::seconds every{60};
  std::chrono::seconds max_age{0};  // retention by age; 0: none
  uint64_t max_size = 0;            // retention by size (bytes of the tier's blocks); 0: none
};

// The interval of `every` seconds holding `t` starts at floor_to(t, every).
inline int64_t floor_to(int64_t t, int64_t every) {
  const int64_t r = t % every;
  return r < 0 ? t - r - every : t - r;
}

// Appends `point` to the newest block of `series_id` in `tier_dbi`, or starts a new block when
// that one is full. Points must come in increasing start order.
Status append_tier_point(lmdb::Txn& txn, lmdb::Dbi tier_dbi, uint32_t series_id,
                         const TierPoint& point);

// Writes `points` (1..kTierBlockPoints, increasing starts) as one block of the tier.
Status put_tier_block(lmdb::Txn& txn, lmdb::Dbi tier_dbi, uint32_t series_id,
                      std::span<const TierPoint> points);

class TierRollup {
 public:
  // `blocks`: tier 0; `tier_dbis[i]` holds tiers[i] (tier i + 1).
  TierRollup(std::vector<TierSpec> tiers, lmdb::Dbi blocks, std::vector<lmdb::Dbi> tier_dbis,
             lmdb::Dbi journal);

  bool active() const { return !tiers_.empty(); }

  // Rolls up journal rows (layout.h) written in `txn`.
  Status add_rows(lmdb::Txn& txn, std::string_view journal_rows);
  // Call at the start of every transaction: after forget_all(), replays the committed journal
  // (samples not yet in tier-0 blocks) so the open intervals are whole again.
  Status begin(lmdb::Txn& txn);
  // The transaction was aborted: the RAM state may hold samples that are not on disk.
  void forget_all();
  // Points were written to a tier of `series_id` from outside (an import): rebuild its state.
  void forget(uint32_t series_id);

  size_t memory_bytes() const;

 private:
  struct Series {
    int64_t last_s = 0;  // the newest sample rolled up
    bool known = false;  // recovered from disk since the last forget
  };
  // The usual sample: it falls into every tier's open interval (or is a gap, or a resend) and
  // only adds to RAM. False, with nothing changed, when add() has more to do.
  bool add_to_open_intervals(uint32_t series_id, int64_t t, double value);
  Status add(lmdb::Txn& txn, uint32_t series_id, int64_t t, double value);
  Status recover(lmdb::Txn& txn, uint32_t series_id);
  TierPoint& open(uint32_t series_id, size_t tier) {
    return open_[series_id * tiers_.size() + tier];
  }

  std::vector<TierSpec> tiers_;
  std::vector<int64_t> every_s_;  // tiers_[k].every in seconds
  lmdb::Dbi blocks_;
  std::vector<lmdb::Dbi> tier_dbis_;
  lmdb::Dbi journal_;
  std::vector<Series> series_;  // by series id
  // By series id x tier: the open interval; count 0: none open, and start_s is then the first
  // interval start still allowed (after the tier's newest point on disk).
  std::vector<TierPoint> open_;
  bool replay_journal_ = true;
};

}  // namespace trib::parent::storage
