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
  }
  TRIB_TRY(erase_prefix(txn, dbis.charts, prefix));
  TRIB_TRY(lmdb::erase(txn, dbis.hosts, guid));
  TRIB_TRY(lmdb::erase(txn, dbis.progress, guid));
  return ok_status();
}

}  // namespace

size_t WriteBatch::bytes() const {
  size_t n = journal_rows.size();
  for (const auto& [k, v] : blocks) n += k.size() + v.size();
  for (const auto* m : {&hosts, &charts, &series, &progress}) {
    for (const auto& [k, v] : *m) n += k.size() + v.size();
  }
  for (const auto& guid : deleted_hosts) n += guid.size();
  return n;
}

StoreWriter::StoreWriter(lmdb::Env& env, Dbis dbis, WriterOptions options,
                         std::function<void(const WriterEvent&)> notify)
    : env_(env), dbis_(dbis), options_(options), notify_(std::move(notify)) {
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
  if (options_.max_size != 0 || options_.max_age.count() != 0) {
    const auto every =
        std::chrono::duration_cast<std::chrono::milliseconds>(options_.retention_interval);
    retention_->start(every, every, [this] { retention_pass(); });
  }
  loop_.run();
  retry_.reset();
  retention_.reset();
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

Status StoreWriter::apply(lmdb::Txn& txn, const WriteBatch& batch) {
  if (!batch.journal_rows.empty()) {
    TRIB_ASSIGN_OR_RETURN(const std::string packed, layout::pack_journal(batch.journal_rows));
    TRIB_TRY(lmdb::put(txn, dbis_.journal, ticket_key(batch.ticket), packed, MDB_APPEND));
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
    for (const WriteBatch& batch : queue_) TRIB_TRY(apply(txn, batch));
    return txn.commit();
  }();
  if (!status.ok()) {
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

void StoreWriter::retention_pass() {
  auto removed = enforce_retention(env_, dbis_, options_, static_cast<int64_t>(std::time(nullptr)));
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
  notify_(event);
  if (full_ && *removed > 0) drain();  // room was made: retry now
}

Result<uint64_t> StoreWriter::enforce_retention(lmdb::Env& env, const Dbis& dbis,
                                                const WriterOptions& options, int64_t now_s) {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env));
  uint64_t removed = 0;
  {
    TRIB_ASSIGN_OR_RETURN(const size_t live, lmdb::live_bytes(txn, dbis.blocks));
    const bool over_size = options.max_size != 0 && live > options.max_size;
    const int64_t age_cutoff =
        options.max_age.count() != 0 ? now_s - options.max_age.count() : INT64_MIN;
    int64_t size_cutoff = INT64_MIN;
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis.blocks));
    if (over_size) {
      // Oldest blocks first across all series: find the start time below which dropping blocks
      // frees the excess (plus 5 %, so a pass is not needed after every commit).
      std::vector<std::pair<int64_t, size_t>> blocks;
      TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
      for (; more; more = cursor.next().value_or(false)) {
        auto key = layout::parse_block_key(cursor.key());
        if (key.ok())
          blocks.emplace_back(key->first_s, cursor.key().size() + cursor.value().size() + 16);
      }
      std::sort(blocks.begin(), blocks.end());
      const size_t excess = live - options.max_size + options.max_size / 20;
      size_t freed = 0;
      for (const auto& [first_s, bytes] : blocks) {
        size_cutoff = first_s;
        freed += bytes;
        if (freed >= excess) break;
      }
    }
    if (age_cutoff != INT64_MIN || size_cutoff != INT64_MIN) {
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
    }
  }
  TRIB_TRY(txn.commit());
  return removed;
}

}  // namespace trib::parent::storage
