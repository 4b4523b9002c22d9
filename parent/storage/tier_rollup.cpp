#include "parent/storage/tier_rollup.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "common/stream/wire.h"
#include "parent/storage/block_codec.h"
#include "parent/storage/block_scan.h"
#include "parent/storage/layout.h"

namespace trib::parent::storage {
namespace {

constexpr int64_t kNoSample = std::numeric_limits<int64_t>::min();

}  // namespace

Status put_tier_block(lmdb::Txn& txn, lmdb::Dbi tier_dbi, uint32_t series_id,
                      std::span<const TierPoint> points) {
  const int64_t first_s = points.front().start_s;
  const bool full = points.size() >= kTierBlockPoints;
  return lmdb::put(
      txn, tier_dbi, layout::block_key(series_id, first_s),
      layout::block_value(first_s, points.back().start_s, encode_tier_block(points, full)));
}

Status append_tier_point(lmdb::Txn& txn, lmdb::Dbi tier_dbi, uint32_t series_id,
                         const TierPoint& point) {
  TRIB_ASSIGN_OR_RETURN(const auto last, last_stored_block(txn, tier_dbi, series_id));
  if (last.has_value() && last->last_s < point.start_s &&
      point.start_s - last->last_s <= kMaxTierStep && is_open_tier_block(last->block)) {
    // Most appends: the open form takes the point as it is, no decoding.
    if ((last->block.size() - 1) / kOpenTierPointBytes + 1 < kTierBlockPoints) {
      // The new value (layout::block_value of the longer block) built in one buffer that the
      // writer thread keeps: a point is appended for every interval of every series.
      thread_local std::string value;
      value.clear();
      stream::wire::put_varint(value, static_cast<uint64_t>(point.start_s - last->first_s));
      value += last->block;
      append_open_tier_point(value, point);
      return lmdb::put(txn, tier_dbi, layout::block_key(series_id, last->first_s), value);
    }
    auto points = decode_tier_block(last->block);
    // A corrupt newest block is left to the readers (they skip it); the point starts a new one.
    if (points.ok() && points->size() < kTierBlockPoints) {
      points->push_back(point);
      return put_tier_block(txn, tier_dbi, series_id, *points);  // full: compressed
    }
  }
  return lmdb::put(
      txn, tier_dbi, layout::block_key(series_id, point.start_s),
      layout::block_value(point.start_s, point.start_s, encode_open_tier_block(point)));
}

TierRollup::TierRollup(std::vector<TierSpec> tiers, lmdb::Dbi blocks,
                       std::vector<lmdb::Dbi> tier_dbis, lmdb::Dbi journal)
    : tiers_(std::move(tiers)),
      blocks_(blocks),
      tier_dbis_(std::move(tier_dbis)),
      journal_(journal) {
  for (const TierSpec& tier : tiers_) every_s_.push_back(tier.every.count());
}

Status TierRollup::begin(lmdb::Txn& txn) {
  if (!replay_journal_ || !active()) return ok_status();
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, journal_));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  for (; more;) {
    TRIB_ASSIGN_OR_RETURN(const std::string rows, layout::unpack_journal(cursor.value()));
    TRIB_TRY(add_rows(txn, rows));
    TRIB_ASSIGN_OR_RETURN(more, cursor.next());
  }
  replay_journal_ = false;
  return ok_status();
}

void TierRollup::forget_all() {
  series_.clear();
  open_.clear();
  replay_journal_ = true;
}

void TierRollup::forget(uint32_t series_id) {
  if (series_id < series_.size()) series_[series_id].known = false;
}

size_t TierRollup::memory_bytes() const {
  return series_.capacity() * sizeof(Series) + open_.capacity() * sizeof(TierPoint);
}

Status TierRollup::add_rows(lmdb::Txn& txn, std::string_view journal_rows) {
  if (!active() || journal_rows.empty()) return ok_status();
  Status failed = ok_status();
  TRIB_TRY(layout::visit_journal_rows(journal_rows, [&](const layout::JournalSample& s) {
    if (!failed.ok() || add_to_open_intervals(s.series_id, s.timestamp_s, s.value)) return;
    failed = add(txn, s.series_id, s.timestamp_s, s.value);
  }));
  return failed;
}

bool TierRollup::add_to_open_intervals(uint32_t series_id, int64_t t, double value) {
  if (std::isnan(value)) return true;
  if (series_id >= series_.size() || !series_[series_id].known) return false;
  Series& series = series_[series_id];
  if (t <= series.last_s) return true;
  TierPoint* open = &open_[series_id * tiers_.size()];
  for (size_t k = 0; k < tiers_.size(); ++k) {
    if (open[k].count == 0 || t - open[k].start_s >= every_s_[k]) return false;
  }
  series.last_s = t;
  for (size_t k = 0; k < tiers_.size(); ++k) open[k].add(value);
  return true;
}

Status TierRollup::add(lmdb::Txn& txn, uint32_t series_id, int64_t t, double value) {
  if (std::isnan(value)) return ok_status();
  if (series_id >= series_.size()) {
    series_.resize(series_id + 1);
    open_.resize(series_.size() * tiers_.size());
  }
  if (!series_[series_id].known) TRIB_TRY(recover(txn, series_id));
  Series& series = series_[series_id];
  if (t <= series.last_s) return ok_status();
  series.last_s = t;
  for (size_t k = 0; k < tiers_.size(); ++k) {
    const int64_t every = tiers_[k].every.count();
    TierPoint& o = open(series_id, k);
    if (o.count != 0 && t - o.start_s < every) {  // the usual case: no division
      o.add(value);
      continue;
    }
    const int64_t start = floor_to(t, every);
    if (o.count != 0 && start > o.start_s) {
      TRIB_TRY(append_tier_point(txn, tier_dbis_[k], series_id, o));
      o = TierPoint{};
    }
    if (o.count == 0) {
      if (start < o.start_s) continue;  // an interval the tier already holds
      o.start_s = start;
    }
    o.add(value);
  }
  return ok_status();
}

Status TierRollup::recover(lmdb::Txn& txn, uint32_t series_id) {
  Series& series = series_[series_id];
  series = Series{kNoSample, true};
  // The first interval start each tier still takes: after its newest point.
  std::vector<int64_t> allowed(tiers_.size(), kNoSample);
  for (size_t k = 0; k < tiers_.size(); ++k) {
    open(series_id, k) = TierPoint{};
    TRIB_ASSIGN_OR_RETURN(const auto last, last_stored_block(txn, tier_dbis_[k], series_id));
    if (last.has_value()) allowed[k] = last->last_s + tiers_[k].every.count();
    open(series_id, k).start_s = allowed[k];
  }
  TRIB_ASSIGN_OR_RETURN(const auto newest, last_stored_block(txn, blocks_, series_id));
  if (!newest.has_value()) return ok_status();
  const int64_t last_s = newest->last_s;
  series.last_s = last_s;
  // The open interval of tier k: the one holding the newest sample, from `allowed` on.
  std::vector<int64_t> from(tiers_.size());
  int64_t scan_from = last_s;
  for (size_t k = 0; k < tiers_.size(); ++k) {
    from[k] = std::max(floor_to(last_s, tiers_[k].every.count()), allowed[k]);
    scan_from = std::min(scan_from, from[k]);
  }
  return scan_blocks(txn, blocks_, series_id, scan_from, last_s, [&](const StoredBlock& stored) {
    auto block = decode_block(stored.block);
    if (!block.ok()) return;  // readers skip (and log) a corrupt block as well
    for (size_t i = 0; i < block->timestamps.size(); ++i) {
      const int64_t t = block->timestamps[i];
      if (t > last_s || std::isnan(block->values[i])) continue;
      for (size_t k = 0; k < tiers_.size(); ++k) {
        if (t < from[k]) continue;
        TierPoint& o = open(series_id, k);
        if (o.count == 0) o.start_s = floor_to(last_s, tiers_[k].every.count());
        o.add(block->values[i]);
      }
    }
  });
}

}  // namespace trib::parent::storage
