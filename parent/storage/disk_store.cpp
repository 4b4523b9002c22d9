#include "parent/storage/disk_store.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "common/log/log.h"
#include "parent/storage/block_scan.h"
#include "parent/storage/layout.h"

namespace trib::parent::storage {
namespace {

constexpr const char* kInstance = "[dbengine]";

std::string u32_value(uint32_t v) {
  std::string out;
  lmdb::append_u32_be(out, v);
  return out;
}

std::string u64_value(uint64_t v) {
  std::string out;
  lmdb::append_u64_be(out, v);
  return out;
}

Error store_error(const std::string& path, const std::string& what) {
  return Error(Errc::config_error, "dbengine store " + path + ": " + what);
}

// Each tier's database, "tier1".."tierN". A tier whose interval changed since its points were
// written is emptied (its points would not fit the new grid); meta "tierN.every" records it.
Status open_tier_databases(lmdb::Txn& txn, Dbis& dbis, const std::vector<TierSpec>& tiers) {
  for (size_t k = 0; k < tiers.size(); ++k) {
    const std::string name = "tier" + std::to_string(k + 1);
    TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi dbi, lmdb::Dbi::open(txn, name.c_str(), MDB_CREATE));
    const std::string every_key = name + ".every";
    const std::string every = std::to_string(tiers[k].every.count());
    TRIB_ASSIGN_OR_RETURN(const auto stored, lmdb::get(txn, dbis.meta, every_key));
    if (stored.has_value() && *stored != every) {
      TRIB_LOG(store, warn, "{} tier {} was every {}s, is now every {}s: its points are deleted",
               kInstance, k + 1, *stored, every);
      if (const int rc = mdb_drop(txn.get(), dbi.id, 0); rc != 0) {
        return lmdb::make_error(rc, "emptying " + name);
      }
    }
    if (!stored.has_value() || *stored != every) {
      TRIB_TRY(lmdb::put(txn, dbis.meta, every_key, every));
    }
    dbis.tiers.push_back(dbi);
  }
  return ok_status();
}

// A new environment gets every database and the format marker; an existing one must carry the
// marker, or it is someone else's LMDB and is left alone.
Result<Dbis> open_databases(lmdb::Env& env, const std::vector<TierSpec>& tiers) {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi main, lmdb::Dbi::open(txn, nullptr, 0));
  TRIB_ASSIGN_OR_RETURN(const size_t existing, lmdb::entries(txn, main));
  Dbis dbis;
  if (existing == 0) {
    TRIB_ASSIGN_OR_RETURN(dbis.meta, lmdb::Dbi::open(txn, "meta", MDB_CREATE));
    TRIB_TRY(lmdb::put(txn, dbis.meta, layout::kFormatKey, layout::kFormatValue));
  } else {
    auto meta = lmdb::Dbi::open(txn, "meta", 0);
    if (!meta.ok()) {
      return store_error(env.path(),
                         "this LMDB environment is not a Tributary dbengine store (it has no "
                         "'meta' database); point storage at an empty directory or move it away");
    }
    dbis.meta = *meta;
    TRIB_ASSIGN_OR_RETURN(const auto format, lmdb::get(txn, dbis.meta, layout::kFormatKey));
    if (!format.has_value() || *format != layout::kFormatValue) {
      return store_error(env.path(), "unknown store format '" + std::string(format.value_or("")) +
                                         "' (expected '" + std::string(layout::kFormatValue) +
                                         "')");
    }
  }
  TRIB_ASSIGN_OR_RETURN(dbis.hosts, lmdb::Dbi::open(txn, "hosts", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(dbis.charts, lmdb::Dbi::open(txn, "charts", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(dbis.series, lmdb::Dbi::open(txn, "series", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(dbis.blocks, lmdb::Dbi::open(txn, "blocks", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(dbis.journal, lmdb::Dbi::open(txn, "journal", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(dbis.progress, lmdb::Dbi::open(txn, "progress", MDB_CREATE));
  TRIB_TRY(open_tier_databases(txn, dbis, tiers));
  TRIB_TRY(txn.commit());
  return dbis;
}

// Replays the journal into sealed blocks: everything the last run committed but had not
// sealed yet. Samples already in a block (at or before its series' last block) are skipped, and
// so are samples of series the index no longer names (a deleted host's).
Result<uint64_t> replay_journal(lmdb::Txn& txn, const Dbis& dbis, size_t block_samples,
                                const std::unordered_map<std::string, uint32_t>& index,
                                uint64_t& replayed) {
  std::unordered_set<uint32_t> known;
  for (const auto& [key, id] : index) known.insert(id);
  struct Open {
    int64_t after_s = INT64_MIN;
    BlockEncoder encoder;
  };
  std::unordered_map<uint32_t, Open> open;
  uint64_t last_ticket = 0;
  auto seal = [&](uint32_t series_id, Open& o) -> Status {
    if (o.encoder.empty()) return ok_status();
    TRIB_TRY(lmdb::put(txn, dbis.blocks, layout::block_key(series_id, o.encoder.first_time_s()),
                       layout::block_value(o.encoder.first_time_s(), o.encoder.last_time_s(),
                                           o.encoder.serialize(true))));
    o.encoder.clear();
    return ok_status();
  };
  {
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis.journal));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more;) {
      last_ticket = lmdb::read_u64_be(cursor.key());
      TRIB_ASSIGN_OR_RETURN(const std::string rows, layout::unpack_journal(cursor.value()));
      TRIB_ASSIGN_OR_RETURN(const auto samples, layout::parse_journal_rows(rows));
      for (const auto& s : samples) {
        if (!known.contains(s.series_id)) continue;
        auto [it, fresh] = open.try_emplace(s.series_id);
        if (fresh) {
          TRIB_ASSIGN_OR_RETURN(const auto last, last_stored_block(txn, dbis.blocks, s.series_id));
          if (last.has_value()) it->second.after_s = last->last_s;
        }
        Open& o = it->second;
        if (s.timestamp_s <= o.after_s) continue;
        o.encoder.append(s.timestamp_s, s.value);
        o.after_s = s.timestamp_s;
        ++replayed;
        if (o.encoder.count() >= block_samples) TRIB_TRY(seal(s.series_id, o));
      }
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  for (auto& [series_id, o] : open) TRIB_TRY(seal(series_id, o));
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis.journal));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more) {
    TRIB_TRY(cursor.erase_current());
    TRIB_ASSIGN_OR_RETURN(more, cursor.first());
  }
  return last_ticket;
}

}  // namespace

Result<std::unique_ptr<DiskStore>> DiskStore::open(event::Loop& io_loop, DiskStoreOptions options) {
  lmdb::EnvOptions env_options;
  env_options.path = options.path;
  // Retention keeps the blocks under max_size; the rest is for the journal, the index and
  // LMDB's copy-on-write pages of a commit in progress.
  uint64_t sized = options.max_size;
  for (const TierSpec& tier : options.tiers) sized += tier.max_size;
  env_options.map_size = sized + sized / 4 + options.map_headroom;
  env_options.no_sync = options.no_sync;
  TRIB_ASSIGN_OR_RETURN(lmdb::Env env, lmdb::Env::open(env_options));
  auto dbis = open_databases(env, options.tiers);
  if (!dbis.ok()) {
    return Error(dbis.error().code,
                 "cannot open the dbengine store " + options.path + ": " + dbis.error().message);
  }
  std::unique_ptr<DiskStore> store(
      new DiskStore(io_loop, std::move(options), std::move(env), *dbis));
  if (auto loaded = store->load(); !loaded.ok()) {
    return Error(loaded.error().code, "cannot load the dbengine store " + store->options_.path +
                                          ": " + loaded.error().message);
  }
  WriterOptions writer_options;
  writer_options.max_size = store->options_.max_size;
  writer_options.max_age = store->options_.max_age;
  writer_options.tiers = store->options_.tiers;
  writer_options.clock = store->options_.clock;
  writer_options.retention_interval = store->options_.retention_interval;
  std::weak_ptr<int> alive = store->alive_;
  DiskStore* self = store.get();
  store->writer_ = std::make_unique<StoreWriter>(store->env_, store->dbis_, writer_options,
                                                 [self, alive, &io_loop](const WriterEvent& e) {
                                                   io_loop.post([self, alive, e] {
                                                     if (alive.lock()) self->on_writer_event(e);
                                                   });
                                                 });
  if (store->options_.flush_interval.count() > 0) {
    store->tick_.start(store->options_.flush_interval, store->options_.flush_interval,
                       [self] { self->on_tick(); });
  }
  return store;
}

DiskStore::DiskStore(event::Loop& io_loop, DiskStoreOptions options, lmdb::Env env, Dbis dbis)
    : io_loop_(io_loop),
      options_(std::move(options)),
      env_(std::move(env)),
      dbis_(dbis),
      tick_(io_loop) {}

DiskStore::~DiskStore() {
  tick_.stop();
  if (writer_) {
    flush();
    writer_.reset();  // commits what was submitted, then joins
  }
  if (stats_.samples_sealed != 0) {
    TRIB_LOG(store, info,
             "{} closed {}: this run sealed {} samples in {} blocks, {:.3f} bytes per sample",
             kInstance, options_.path, stats_.samples_sealed, stats_.blocks_sealed,
             static_cast<double>(stats_.block_bytes_sealed) /
                 static_cast<double>(stats_.samples_sealed));
  }
}

Status DiskStore::load() {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_write(env_));
  {
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis_.series));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more;) {
      const uint32_t id = lmdb::read_u32_be(cursor.value());
      series_ids_.emplace(std::string(cursor.key()), id);
      next_series_id_ = std::max(next_series_id_, id + 1);
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  uint64_t replayed = 0;
  TRIB_ASSIGN_OR_RETURN(const uint64_t last_ticket,
                        replay_journal(txn, dbis_, options_.block_samples, series_ids_, replayed));
  std::unordered_map<std::string, size_t> host_index;
  {
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis_.hosts));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more;) {
      TRIB_ASSIGN_OR_RETURN(auto info, layout::decode_host(cursor.value()));
      stored_defs_.emplace("h" + std::string(cursor.key()), std::string(cursor.value()));
      host_index.emplace(info.machine_guid, restored_.size());
      restored_.push_back(RestoredHost{std::move(info), 0, {}});
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  {
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis_.charts));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more;) {
      const auto it = host_index.find(std::string(layout::guid_of(cursor.key())));
      if (it != host_index.end()) {
        TRIB_ASSIGN_OR_RETURN(auto def, layout::decode_chart(cursor.value()));
        restored_[it->second].charts.push_back(std::move(def));
        stored_defs_.emplace("c" + std::string(cursor.key()), std::string(cursor.value()));
      }
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  {
    TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbis_.progress));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    for (; more;) {
      const auto it = host_index.find(std::string(cursor.key()));
      if (it != host_index.end() && cursor.value().size() == 8) {
        restored_[it->second].last_seq = lmdb::read_u64_be(cursor.value());
      }
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  TRIB_TRY(txn.commit());
  last_sent_ticket_ = last_ticket;
  waiters_.committed(last_ticket, false);
  pending_.ticket = last_ticket + 1;
  stats_.series = series_ids_.size();
  TRIB_LOG(store, info, "{} opened {}: {} hosts, {} series, {} journaled samples recovered",
           kInstance, options_.path, restored_.size(), series_ids_.size(), replayed);
  return ok_status();
}

uint32_t DiskStore::series_id(std::string_view guid, std::string_view chart_id,
                              std::string_view dim_id) {
  std::string key = layout::series_key(guid, chart_id, dim_id);
  const auto it = series_ids_.find(key);
  if (it != series_ids_.end()) return it->second;
  const uint32_t id = next_series_id_++;
  pending_.series[key] = u32_value(id);
  series_ids_.emplace(std::move(key), id);
  stats_.series = series_ids_.size();
  return id;
}

SeriesExtent DiskStore::extent(uint32_t series_id) {
  SeriesExtent extent;
  auto widen = [&](int64_t first_s, int64_t last_s) {
    if (extent.first_s == 0 || first_s < extent.first_s) extent.first_s = first_s;
    extent.last_s = std::max(extent.last_s, last_s);
  };
  auto read = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_read(env_));
    TRIB_ASSIGN_OR_RETURN(const auto first, first_stored_time(txn, dbis_.blocks, series_id));
    if (!first.has_value()) return ok_status();
    TRIB_ASSIGN_OR_RETURN(const auto last, last_stored_block(txn, dbis_.blocks, series_id));
    if (last.has_value()) widen(*first, last->last_s);
    return ok_status();
  };
  if (auto status = read(); !status.ok()) {
    TRIB_LOG(store, error, "{} series {}: {}", kInstance, series_id, status.error().describe());
  }
  const auto it = inflight_blocks_.find(series_id);
  if (it != inflight_blocks_.end()) {
    for (const auto& b : it->second) widen(b.first_s, b.last_s);
  }
  return extent;
}

void DiskStore::save_host(const model::HostInfo& info) {
  std::string encoded = layout::encode_host(info);
  std::string& stored = stored_defs_["h" + info.machine_guid];
  if (stored == encoded) return;
  stored = encoded;
  pending_.hosts[info.machine_guid] = std::move(encoded);
}

void DiskStore::save_chart(std::string_view guid, const model::ChartDef& def) {
  const std::string key = layout::chart_key(guid, def.id);
  std::string encoded = layout::encode_chart(def);
  std::string& stored = stored_defs_["c" + key];
  if (stored == encoded) return;
  stored = encoded;
  pending_.charts[key] = std::move(encoded);
}

void DiskStore::save_progress(std::string_view guid, uint64_t seq) {
  pending_.progress[std::string(guid)] = u64_value(seq);
}

void DiskStore::journal(int64_t timestamp_s, std::span<const uint32_t> series_ids,
                        std::span<const double> values) {
  layout::append_journal_row(pending_.journal_rows, timestamp_s, series_ids, values);
  stats_.samples_journaled += values.size();
}

void DiskStore::write_block(uint32_t series_id, const BlockEncoder& block) {
  std::string bytes = block.serialize(true);
  pending_.blocks.emplace_back(
      layout::block_key(series_id, block.first_time_s()),
      layout::block_value(block.first_time_s(), block.last_time_s(), bytes));
  ++stats_.blocks_sealed;
  stats_.samples_sealed += block.count();
  stats_.block_bytes_sealed += pending_.blocks.back().second.size() + 12;
  inflight_blocks_[series_id].push_back(
      InflightBlock{pending_.ticket, block.first_time_s(), block.last_time_s(), std::move(bytes)});
}

void DiskStore::delete_host(std::string_view guid) {
  std::string prefix(guid);
  prefix.push_back('\0');
  auto starts_with_prefix = [&](const auto& entry, size_t skip) {
    return std::string_view(entry.first).substr(skip, prefix.size()) == prefix;
  };
  std::erase_if(series_ids_, [&](const auto& e) { return starts_with_prefix(e, 0); });
  std::erase_if(stored_defs_, [&](const auto& e) { return starts_with_prefix(e, 1); });
  stored_defs_.erase("h" + std::string(guid));
  stats_.series = series_ids_.size();
  flush();  // what the host's charts sealed is written first
  pending_.deleted_hosts.emplace_back(guid);
  flush();  // alone: a definition of the same GUID arriving next is not deleted with it
}

uint64_t DiskStore::flush() {
  if (pending_.empty() || !writer_) return last_sent_ticket_;
  // Journal entries before the oldest pin hold only samples that are in blocks by now.
  pending_.journal_keep_from = pins_.empty() ? pending_.ticket + 1 : pins_.begin()->first;
  const size_t bytes = pending_.bytes();
  inflight_bytes_ += bytes;
  inflight_batch_bytes_[pending_.ticket] = bytes;
  last_sent_ticket_ = pending_.ticket;
  writer_->submit(std::move(pending_));
  pending_ = WriteBatch{};
  pending_.ticket = last_sent_ticket_ + 1;
  return last_sent_ticket_;
}

uint64_t DiskStore::flush_soon() {
  const uint64_t ticket = pending_.empty() ? last_sent_ticket_ : pending_.ticket;
  if (!flush_posted_ && !pending_.empty()) {
    flush_posted_ = true;
    io_loop_.post([this, alive = std::weak_ptr<int>(alive_)] {
      if (alive.expired()) return;
      flush_posted_ = false;
      flush();
    });
  }
  return ticket;
}

void DiskStore::unpin(uint64_t ticket) {
  const auto it = pins_.find(ticket);
  if (it != pins_.end() && --it->second == 0) pins_.erase(it);
}

void DiskStore::when_committed(uint64_t ticket, std::function<void()> fn) {
  waiters_.when_committed(ticket, std::move(fn));
}

void DiskStore::when_uncongested(std::function<void()> fn) {
  waiters_.when_uncongested(congested(), std::move(fn));
}

void DiskStore::on_writer_event(const WriterEvent& e) {
  if (e.committed_ticket != 0) stats_.commit_failing = false;
  if (!e.failure.empty()) stats_.commit_failing = true;
  if (e.committed_ticket != 0) {
    const uint64_t committed = std::max(waiters_.committed_ticket(), e.committed_ticket);
    ++stats_.commits;
    stats_.committed_ticket = committed;
    stats_.last_commit_us = e.commit_us;
    while (!inflight_batch_bytes_.empty() && inflight_batch_bytes_.begin()->first <= committed) {
      inflight_bytes_ -= inflight_batch_bytes_.begin()->second;
      inflight_batch_bytes_.erase(inflight_batch_bytes_.begin());
    }
    for (auto it = inflight_blocks_.begin(); it != inflight_blocks_.end();) {
      std::erase_if(it->second, [&](const InflightBlock& b) { return b.ticket <= committed; });
      it = it->second.empty() ? inflight_blocks_.erase(it) : std::next(it);
    }
  }
  if (e.blocks_live_bytes != 0) stats_.disk_bytes = e.blocks_live_bytes;
  if (e.retention_ran) ++stats_.retention_passes;
  if (e.full != full_) {
    full_ = e.full;
    stats_.full = full_;
    if (full_) {
      TRIB_LOG(store, error,
               "{} {} is full (map of {} bytes): receivers stop reading until retention or an "
               "operator makes room",
               kInstance, options_.path, env_.map_size());
    } else {
      TRIB_LOG(store, warn, "{} {} has room again: receivers resume", kInstance, options_.path);
    }
  }
  if (!e.failure.empty()) {
    static log::RateLimitedLog limiter(std::chrono::seconds(60));
    uint64_t suppressed = 0;
    if (limiter.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(store, error, "{} commit failed, retrying every second ({} more suppressed): {}",
               kInstance, suppressed, e.failure);
    }
  }
  waiters_.committed(e.committed_ticket, congested());
}

void DiskStore::on_tick() {
  const uint64_t now = io_loop_.now_ms();
  const uint64_t age_ms = static_cast<uint64_t>(options_.seal_after.count()) * 1000;
  if (now > age_ms) {
    for (OpenBlocks* owner : open_blocks_) owner->seal_started_before(now - age_ms);
  }
  flush();
}

void DiskStore::visit_blocks(uint32_t series_id, int64_t from_s, int64_t to_s,
                             const std::function<void(const DecodedBlock&)>& visit) {
  static log::RateLimitedLog limiter(std::chrono::seconds(60));
  auto decode = [&](int64_t first_s, std::string_view block) {
    auto decoded = decode_block(block);
    if (decoded.ok()) {
      visit(*decoded);
      return;
    }
    uint64_t suppressed = 0;
    if (limiter.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(store, error, "{} series {} block at {} skipped ({} more suppressed): {}", kInstance,
               series_id, first_s, suppressed, decoded.error().describe());
    }
  };
  auto read = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_read(env_));
    return scan_blocks(txn, dbis_.blocks, series_id, from_s, to_s,
                       [&](const StoredBlock& b) { decode(b.first_s, b.block); });
  };
  if (auto status = read(); !status.ok()) {
    uint64_t suppressed = 0;
    if (limiter.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(store, error, "{} reading series {}: {}", kInstance, series_id,
               status.error().describe());
    }
  }
  const auto it = inflight_blocks_.find(series_id);
  if (it == inflight_blocks_.end()) return;
  for (const auto& b : it->second) {
    if (b.last_s >= from_s && b.first_s <= to_s) decode(b.first_s, b.block);
  }
}

void DiskStore::import_tier_points(size_t tier, uint32_t series_id, std::vector<TierPoint> points) {
  pending_.tier_imports.push_back(TierImport{tier, series_id, std::move(points)});
}

void DiskStore::visit_tier_points(uint32_t series_id, size_t tier, int64_t from_s, int64_t to_s,
                                  const std::function<void(const TierPoint&)>& visit) {
  if (tier == 0 || tier > dbis_.tiers.size()) return;
  static log::RateLimitedLog limiter(std::chrono::seconds(60));
  auto log_failure = [&](const Error& error) {
    uint64_t suppressed = 0;
    if (limiter.should_log(std::chrono::steady_clock::now(), suppressed)) {
      TRIB_LOG(store, error, "{} series {} tier {} ({} more suppressed): {}", kInstance, series_id,
               tier, suppressed, error.describe());
    }
  };
  auto read = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_read(env_));
    return scan_blocks(txn, dbis_.tiers[tier - 1], series_id, from_s, to_s,
                       [&](const StoredBlock& b) {
                         auto points = decode_tier_block(b.block);
                         if (!points.ok()) {
                           log_failure(points.error());
                           return;
                         }
                         for (const TierPoint& p : *points) {
                           if (p.start_s >= from_s && p.start_s <= to_s) visit(p);
                         }
                       });
  };
  if (auto status = read(); !status.ok()) log_failure(status.error());
}

SeriesExtent DiskStore::tier_extent(uint32_t series_id, size_t tier) {
  SeriesExtent extent;
  if (tier == 0 || tier > dbis_.tiers.size()) return extent;
  auto read = [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_read(env_));
    const lmdb::Dbi dbi = dbis_.tiers[tier - 1];
    TRIB_ASSIGN_OR_RETURN(const auto first, first_stored_time(txn, dbi, series_id));
    TRIB_ASSIGN_OR_RETURN(const auto last, last_stored_block(txn, dbi, series_id));
    if (first.has_value() && last.has_value()) extent = SeriesExtent{*first, last->last_s};
    return ok_status();
  };
  if (auto status = read(); !status.ok()) {
    TRIB_LOG(store, error, "{} series {} tier {}: {}", kInstance, series_id, tier,
             status.error().describe());
  }
  return extent;
}

void DiskStore::run_retention() {
  flush();
  if (writer_) writer_->run_retention();
}

Result<std::vector<uint64_t>> DiskStore::live_bytes() {
  TRIB_ASSIGN_OR_RETURN(auto txn, lmdb::Txn::begin_read(env_));
  std::vector<uint64_t> bytes;
  TRIB_ASSIGN_OR_RETURN(const size_t blocks, lmdb::live_bytes(txn, dbis_.blocks));
  bytes.push_back(blocks);
  for (const lmdb::Dbi dbi : dbis_.tiers) {
    TRIB_ASSIGN_OR_RETURN(const size_t tier, lmdb::live_bytes(txn, dbi));
    bytes.push_back(tier);
  }
  return bytes;
}

}  // namespace trib::parent::storage
