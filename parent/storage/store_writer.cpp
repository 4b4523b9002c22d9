#include "parent/storage/store_writer.h"

#include <algorithm>
#include <ctime>
#include <functional>

#include "common/log/log.h"
#include "parent/storage/layout.h"

namespace trib::parent::storage {
namespace {

using Clock = std::chrono::steady_clock;

std::string ticket_key(uint64_t ticket) {
  std::string key;
  lmdb::append_u64_be(key, ticket);
  return key;
}

Status put_all(lmdb::Txn& txn, lmdb::Dbi dbi, const std::map<std::string, std::string>& entries) {
  for (const auto& [key, value] : entries) TRIB_TRY(lmdb::put(txn, dbi, key, value));
  return ok_status();
}

// Journal entries below `keep_from` hold only samples that are in sealed blocks by now.
Status trim_journal(lmdb::Txn& txn, lmdb::Dbi journal, uint64_t keep_from) {
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, journal));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more && lmdb::read_u64_be(cursor.key()) < keep_from) {
    TRIB_TRY(cursor.erase_current());
    // After a delete the cursor already sits on the next entry; re-reading it is LMDB's idiom.
    TRIB_ASSIGN_OR_RETURN(more, cursor.seek(ticket_key(0)));
  }
  return ok_status();
}

// Erases every entry of `dbi` whose key starts with `prefix`, showing each value to `each` first.
Status erase_prefix(lmdb::Txn& txn, lmdb::Dbi dbi, std::string_view prefix,
                    const std::function<void(std::string_view)>& each = {}) {
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbi));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.seek(prefix));
  while (more && cursor.key().substr(0, prefix.size()) == prefix) {
    if (each) each(cursor.value());
    TRIB_TRY(cursor.erase_current());
    TRIB_ASSIGN_OR_RETURN(more, cursor.seek(prefix));
  }
  return ok_status();
}

// A host's series index entries and their blocks, its chart and host definitions and its
// resume point.
Status delete_host_records(lmdb::Txn& txn, const Dbis& dbis, const std::string& guid) {
  std::string prefix = guid;
  prefix.push_back('\0');
  std::vector<uint32_t> series;
  TRIB_TRY(erase_prefix(txn, dbis.series, prefix, [&](std::string_view value) {
    if (value.size() == 4) series.push_back(lmdb::read_u32_be(value));
  }));
  for (const uint32_t id : series) {
    std::string block_prefix;
    lmdb::append_u32_be(block_prefix, id);  // blocks are keyed series id | first time
    TRIB_TRY(erase_prefix(txn, dbis.blocks, block_prefix));
    for (const lmdb::Dbi tier : dbis.tiers) TRIB_TRY(erase_prefix(txn, tier, block_prefix));
  }
  TRIB_TRY(erase_prefix(txn, dbis.charts, prefix));
  TRIB_TRY(lmdb::erase(txn, dbis.hosts, guid));
  TRIB_TRY(lmdb::erase(txn, dbis.progress, guid));
  return ok_status();
}

// Retention of one block database (tier 0 or a tier): blocks whose last timestamp is older
// than max_age go, then, while the live pages exceed max_size, the oldest blocks across all
// series (5 % below the limit, so a pass is not needed after every commit).
Result<uint64_t> enforce_block_retention(lmdb::Txn& txn, lmdb::Dbi dbi,
                                         std::chrono::seconds max_age, uint64_t max_size,
                                         int64_t now_s) {
  uint64_t removed = 0;
  TRIB_ASSIGN_OR_RETURN(const size_t live, lmdb::live_bytes(txn, dbi));
  const bool over_size = max_size != 0 && live > max_size;
  const int64_t age_cutoff = max_age.count() != 0 ? now_s - max_age.count() : INT64_MIN;
  int64_t size_cutoff = INT64_MIN;
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbi));
  if (over_size) {
    // Oldest blocks first across all series: find the start time below which dropping blocks
    // frees the excess.
    std::vector<std::pair<int64_t, size_t>> blocks;
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more; more = cursor.next().value_or(false)) {
      auto key = layout::parse_block_key(cursor.key());
      if (key.ok())
        blocks.emplace_back(key->first_s, cursor.key().size() + cursor.value().size() + 16);
    }
    std::sort(blocks.begin(), blocks.end());
    const size_t excess = live - max_size + max_size / 20;
    size_t freed = 0;
    for (const auto& [first_s, bytes] : blocks) {
      size_cutoff = first_s;
      freed += bytes;
      if (freed >= excess) break;
    }
  }
  if (age_cutoff == INT64_MIN && size_cutoff == INT64_MIN) return removed;
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more) {
    auto key = layout::parse_block_key(cursor.key());
    bool drop = !key.ok();  // a malformed key can never be read: it goes too
    if (key.ok()) {
      auto value = layout::parse_block_value(key->first_s, cursor.value());
      drop = !value.ok() || value->last_s < age_cutoff || key->first_s <= size_cutoff;
    }
    if (drop) {
      const std::string at(cursor.key());
      TRIB_TRY(cursor.erase_current());
      ++removed;
      TRIB_ASSIGN_OR_RETURN(more, cursor.seek(at));
    } else {
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  return removed;
}

}  // namespace

size_t WriteBatch::bytes() const {
  size_t n = journal_rows.size();
  for (const auto& [k, v] : blocks) n += k.size() + v.size();
  for (const auto* m : {&hosts, &charts, &series, &progress}) {
    for (const auto& [k, v] : *m) n += k.size() + v.size();
  }
  for (const auto& guid : deleted_hosts) n += guid.size();
  for (const TierImport& import : tier_imports) n += import.points.size() * sizeof(TierPoint);
  return n;
}

StoreWriter::StoreWriter(lmdb::Env& env, Dbis dbis, WriterOptions options,
                         std::function<void(const WriterEvent&)> notify)
    : env_(env),
      dbis_(dbis),
      options_(options),
      notify_(std::move(notify)),
      rollup_(options_.tiers, dbis_.blocks, dbis_.tiers, dbis_.journal) {
  thread_ = std::thread([this] { run(); });
}

StoreWriter::~StoreWriter() {
  // The timers live until run() returns: a drain posted by a submit may still run after this.
  loop_.post([this] {
    drain();
    loop_.stop();
  });
  thread_.join();
}

void StoreWriter::run() {
  retry_ = std::make_unique<event::Timer>(loop_);
  retention_ = std::make_unique<event::Timer>(loop_);
  retention_->start(options_.retention_interval, options_.retention_interval,
                    [this] { retention_pass(); });
  release_pages_ = std::make_unique<event::Timer>(loop_);
  release_pages_->start(options_.release_pages_interval, options_.release_pages_interval,
                        [this] { release_mapped_pages(); });
  loop_.run();
  retry_.reset();
  retention_.reset();
  release_pages_.reset();
  if (auto closed = loop_.close(); !closed.ok()) {
    TRIB_LOG(store, error, "[dbengine writer] {}", closed.error().describe());
  }
}

void StoreWriter::submit(WriteBatch batch) {
  loop_.post([this, b = std::move(batch)]() mutable {
    queue_.push_back(std::move(b));
    if (!drain_scheduled_) {
      drain_scheduled_ = true;
      // Posted behind the batches already waiting, so one transaction takes them all.
      loop_.post([this] { drain(); });
    }
  });
}

void StoreWriter::run_retention() {
  loop_.post([this] { retention_pass(); });
}

Status StoreWriter::apply(lmdb::Txn& txn, const WriteBatch& batch) {
  // Imported points first: the roll-up of this batch's samples then continues after them.
  for (const TierImport& import : batch.tier_imports) {
    if (import.tier == 0 || import.tier > dbis_.tiers.size()) continue;
    const std::span<const TierPoint> points(import.points);
    for (size_t at = 0; at < points.size(); at += kTierBlockPoints) {
      TRIB_TRY(put_tier_block(txn, dbis_.tiers[import.tier - 1], import.series_id,
                              points.subspan(at, std::min(kTierBlockPoints, points.size() - at))));
    }
    rollup_.forget(import.series_id);
  }
  if (!batch.journal_rows.empty()) {
    const std::string packed = layout::pack_journal(batch.journal_rows);
    TRIB_TRY(lmdb::put(txn, dbis_.journal, ticket_key(batch.ticket), packed, MDB_APPEND));
    TRIB_TRY(rollup_.add_rows(txn, batch.journal_rows));
  }
  for (const auto& [key, value] : batch.blocks) TRIB_TRY(lmdb::put(txn, dbis_.blocks, key, value));
  TRIB_TRY(put_all(txn, dbis_.hosts, batch.hosts));
  TRIB_TRY(put_all(txn, dbis_.charts, batch.charts));
  TRIB_TRY(put_all(txn, dbis_.series, batch.series));
  TRIB_TRY(put_all(txn, dbis_.progress, batch.progress));
  if (batch.journal_keep_from != 0) {
    TRIB_TRY(trim_journal(txn, dbis_.journal, batch.journal_keep_from));
  }
  for (const auto& guid : batch.deleted_hosts) TRIB_TRY(delete_host_records(txn, dbis_, guid));
  return ok_status();
}

void StoreWriter::drain() {
  drain_scheduled_ = false;
  retry_->stop();
  if (queue_.empty()) return;
  const auto started = Clock::now();
  Status status = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env_));
    TRIB_TRY(rollup_.begin(txn));
    for (const WriteBatch& batch : queue_) TRIB_TRY(apply(txn, batch));
    return txn.commit();
  }();
  if (!status.ok()) {
    rollup_.forget_all();  // it may hold samples the aborted transaction did not keep
    WriterEvent event;
    if (lmdb::is_map_full(status.error())) {
      event.full = true;
    } else {
      event.failure = status.error().describe();
    }
    full_ = true;
    notify_(event);
    retry_->start(std::chrono::seconds(1), std::chrono::milliseconds(0), [this] { drain(); });
    return;
  }
  WriterEvent event;
  event.committed_ticket = queue_.back().ticket;
  event.commit_us = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started).count());
  queue_.clear();
  full_ = false;
  notify_(event);
}

void StoreWriter::release_mapped_pages() {
  if (Status released = env_.release_mapped_pages(); !released.ok()) {
    TRIB_LOG(store, warn, "[dbengine writer] {}", released.error().describe());
  }
}

void StoreWriter::retention_pass() {
  auto removed = enforce_retention(env_, dbis_, options_, options_.clock->now_s());
  if (!removed.ok()) {
    TRIB_LOG(store, warn, "[dbengine writer] retention pass failed: {}",
             removed.error().describe());
    return;
  }
  auto txn = lmdb::Txn::begin_read(env_);
  if (!txn.ok()) return;
  auto live = lmdb::live_bytes(*txn, dbis_.blocks);
  WriterEvent event;
  event.blocks_live_bytes = live.ok() ? *live : 0;
  event.full = full_;
  event.retention_ran = true;
  notify_(event);
  if (full_ && *removed > 0) {
    // Room was made, but LMDB reuses the pages a transaction freed only from the second commit
    // after it (the one before must stay whole), and the held batches' commit would be the
    // first: one small commit in between, then retry at once.
    if (Status noted = note_retention(options_.clock->now_s()); !noted.ok()) {
      TRIB_LOG(store, warn, "[dbengine writer] {}", noted.error().describe());
    }
    drain();
  }
}

Status StoreWriter::note_retention(int64_t now_s) {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env_));
  TRIB_TRY(lmdb::put(txn, dbis_.meta, layout::kRetentionKey, std::to_string(now_s)));
  return txn.commit();
}

Result<uint64_t> StoreWriter::enforce_retention(lmdb::Env& env, const Dbis& dbis,
                                                const WriterOptions& options, int64_t now_s) {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env));
  TRIB_ASSIGN_OR_RETURN(uint64_t removed, enforce_block_retention(txn, dbis.blocks, options.max_age,
                                                                  options.max_size, now_s));
  for (size_t k = 0; k < options.tiers.size() && k < dbis.tiers.size(); ++k) {
    TRIB_ASSIGN_OR_RETURN(const uint64_t n,
                          enforce_block_retention(txn, dbis.tiers[k], options.tiers[k].max_age,
                                                  options.tiers[k].max_size, now_s));
    removed += n;
  }
  TRIB_TRY(txn.commit());
  return removed;
}

}  // namespace trib::parent::storage
