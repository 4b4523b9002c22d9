#include "parent/store/log_store.h"

#include <re2/re2.h>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>

#include "common/log/log.h"
#include "common/stream/wire.h"

namespace trib::parent::store {
namespace {

using lmdb::append_u32_be;
using lmdb::append_u64_be;
using lmdb::read_u32_be;
using lmdb::read_u64_be;
using Attributes = std::vector<std::pair<std::string, std::string>>;

constexpr size_t kNoLimit = std::numeric_limits<size_t>::max();
// Records per block: big enough for zstd to find the repetition between lines, small enough that
// a query decompresses little it does not need.
constexpr size_t kRecordsPerBlock = 512;
// Blocks dropped per write transaction while making room.
constexpr int kDropsPerRound = 64;

// What a block says about itself, kept in host_blocks too so queries skip blocks unread.
struct BlockHeader {
  uint32_t host_id = 0;
  uint32_t source_id = 0;
  int64_t min_time_ms = 0;
  int64_t max_time_ms = 0;
  uint64_t count = 0;
  uint64_t raw_size = 0;
};

std::string encode_header(const BlockHeader& h) {
  std::string out;
  stream::wire::put_varint(out, h.host_id);
  stream::wire::put_varint(out, h.source_id);
  stream::wire::put_zigzag(out, h.min_time_ms);
  stream::wire::put_zigzag(out, h.max_time_ms);
  stream::wire::put_varint(out, h.count);
  stream::wire::put_varint(out, h.raw_size);
  return out;
}

// Reads a header and leaves `in` at the block's data.
BlockHeader read_header(stream::wire::Reader& in) {
  BlockHeader h;
  h.host_id = in.varint_u32("host");
  h.source_id = in.varint_u32("source");
  h.min_time_ms = in.zigzag("min time");
  h.max_time_ms = in.zigzag("max time");
  h.count = in.varint("count");
  h.raw_size = in.varint("raw size");
  return h;
}

Attributes read_attributes(stream::wire::Reader& in) {
  Attributes out;
  const size_t n = in.count("attributes", kNoLimit, 2);
  for (size_t i = 0; i < n && in.ok(); ++i) {
    std::string name = in.string("name");
    out.emplace_back(std::move(name), in.string("value"));
  }
  return out;
}

// Bytes put_attributes() writes at most for `attributes` (their count aside).
size_t attributes_bound(const Attributes& attributes) {
  size_t bytes = 0;
  for (const auto& [name, value] : attributes) {
    bytes += stream::wire::string_bound(name) + stream::wire::string_bound(value);
  }
  return bytes;
}

// The source's attributes, then the line's, as one list (without building it per record).
char* put_attributes(char* out, const Attributes& of_source, const Attributes& of_line) {
  out = stream::wire::put_varint(out, of_source.size() + of_line.size());
  for (const Attributes* list : {&of_source, &of_line}) {
    for (const auto& [name, value] : *list) {
      out = stream::wire::put_string(out, name);
      out = stream::wire::put_string(out, value);
    }
  }
  return out;
}

// The body of a block of records [start, end) into `raw`, sized once for all of them rather than
// checked field by field (a block is 512 records); the time range into `header`.
void encode_block(const std::vector<const stream::LogRecord*>& records, size_t start, size_t end,
                  const Attributes& source_attributes, BlockHeader& header, std::string& raw) {
  using stream::wire::kMaxVarintBytes;
  const size_t per_record = 4 * kMaxVarintBytes + 1 + attributes_bound(source_attributes);
  size_t bound = 0;
  for (size_t i = start; i < end; ++i) {
    bound += per_record + stream::wire::string_bound(records[i]->line) +
             attributes_bound(records[i]->attributes);
  }
  raw.resize(bound);
  char* p = raw.data();
  for (size_t i = start; i < end; ++i) {
    const stream::LogRecord& r = *records[i];
    header.min_time_ms = std::min(header.min_time_ms, r.time_ms);
    header.max_time_ms = std::max(header.max_time_ms, r.time_ms);
    p = stream::wire::put_varint(p, r.generation);
    p = stream::wire::put_varint(p, r.offset);
    p = stream::wire::put_zigzag(p, r.time_ms);
    *p++ = static_cast<char>(r.flags);
    p = stream::wire::put_string(p, r.line);
    p = put_attributes(p, source_attributes, r.attributes);
  }
  raw.resize(static_cast<size_t>(p - raw.data()));
  header.raw_size = raw.size();
}

void skip_attributes(stream::wire::Reader& in) {
  const size_t n = in.count("attributes", kNoLimit, 2);
  for (size_t i = 0; i < 2 * n && in.ok(); ++i) in.view_up_to("attribute", kNoLimit);
}

std::string u32_key(uint32_t a) {
  std::string key;
  append_u32_be(key, a);
  return key;
}

std::string u64_key(uint64_t a) {
  std::string key;
  append_u64_be(key, a);
  return key;
}

Error corrupt(std::string what) {
  return Error(Errc::parse_error, "log store: corrupt " + std::move(what));
}

// Next value of a counter in `meta` (1 for the first).
Result<uint64_t> next_id(lmdb::Txn& txn, lmdb::Dbi meta, std::string_view name) {
  TRIB_ASSIGN_OR_RETURN(auto current, lmdb::get(txn, meta, name));
  const uint64_t next = current && current->size() == 8 ? read_u64_be(*current) + 1 : 1;
  TRIB_TRY(lmdb::put(txn, meta, name, u64_key(next)));
  return next;
}

// Bytes of block values stored: the measure of max_size (LMDB's file never shrinks, and its
// high-water page count does not fall when blocks are deleted).
constexpr std::string_view kDataBytes = "data_bytes";

Result<uint64_t> data_bytes(lmdb::Txn& txn, lmdb::Dbi meta) {
  TRIB_ASSIGN_OR_RETURN(auto current, lmdb::get(txn, meta, kDataBytes));
  return current && current->size() == 8 ? read_u64_be(*current) : 0;
}

Status add_data_bytes(lmdb::Txn& txn, lmdb::Dbi meta, int64_t delta) {
  TRIB_ASSIGN_OR_RETURN(const uint64_t current, data_bytes(txn, meta));
  const uint64_t next = delta < 0 && static_cast<uint64_t>(-delta) > current
                            ? 0
                            : current + static_cast<uint64_t>(delta);
  return lmdb::put(txn, meta, kDataBytes, u64_key(next));
}

Result<std::optional<uint32_t>> find_host(lmdb::Txn& txn, lmdb::Dbi hosts, std::string_view guid) {
  TRIB_ASSIGN_OR_RETURN(auto found, lmdb::get(txn, hosts, guid));
  if (!found) return std::optional<uint32_t>{};
  if (found->size() != 4) return corrupt("host entry");
  return std::optional<uint32_t>(read_u32_be(*found));
}

std::string source_key(uint32_t host_id, std::string_view path) {
  std::string key = u32_key(host_id);
  key += path;
  return key;
}

std::string high_water_key(uint32_t source_id, uint64_t generation) {
  std::string key = u32_key(source_id);
  append_u64_be(key, generation);
  return key;
}

struct DecodedGap {
  uint32_t source_id = 0;
  stream::LogGap gap;
};

std::string encode_gap(uint32_t source_id, const stream::LogGap& gap) {
  std::string out;
  stream::wire::put_varint(out, source_id);
  stream::wire::put_varint(out, gap.generation);
  stream::wire::put_varint(out, gap.from);
  stream::wire::put_varint(out, gap.to);
  stream::wire::put_zigzag(out, gap.time_ms);
  stream::wire::put_string(out, gap.reason);
  return out;
}

Result<DecodedGap> decode_gap(std::string_view bytes) {
  stream::wire::Reader in(bytes, kNoLimit);
  DecodedGap d;
  d.source_id = in.varint_u32("source");
  d.gap.generation = in.varint("generation");
  d.gap.from = in.varint("from");
  d.gap.to = in.varint("to");
  d.gap.time_ms = in.zigzag("time");
  d.gap.reason = in.string("reason");
  if (!in.ok()) return corrupt("gap: " + in.error()->message);
  return d;
}

// Host, then the start with its sign bit flipped, so that keys sort by time.
std::string metric_gap_key(uint32_t host_id, int64_t from_s) {
  std::string key = u32_key(host_id);
  append_u64_be(key, static_cast<uint64_t>(from_s) ^ (uint64_t{1} << 63));
  return key;
}

std::string encode_metric_gap(const stream::MetricGap& gap) {
  std::string out;
  stream::wire::put_zigzag(out, gap.to_s);
  stream::wire::put_zigzag(out, gap.time_ms);
  stream::wire::put_string(out, gap.reason);
  return out;
}

Result<stream::MetricGap> decode_metric_gap(std::string_view key, std::string_view bytes) {
  if (key.size() != 12) return corrupt("metric gap key");
  stream::wire::Reader in(bytes, kNoLimit);
  stream::MetricGap gap;
  gap.from_s = static_cast<int64_t>(read_u64_be(key.substr(4)) ^ (uint64_t{1} << 63));
  gap.to_s = in.zigzag("to");
  gap.time_ms = in.zigzag("time");
  gap.reason = in.string("reason");
  if (!in.ok()) return corrupt("metric gap: " + in.error()->message);
  return gap;
}

// "block.index.gap": the next record to look at and the next gap number.
struct Cursor {
  uint64_t block = 0;
  uint64_t index = 0;
  uint64_t gap = 0;
};

Result<Cursor> parse_cursor(std::string_view text) {
  Cursor c;
  if (text.empty()) return c;
  uint64_t* fields[] = {&c.block, &c.index, &c.gap};
  const char* p = text.data();
  const char* end = text.data() + text.size();
  for (size_t i = 0; i < 3; ++i) {
    auto [next, ec] = std::from_chars(p, end, *fields[i]);
    if (ec != std::errc() || (i < 2 && (next == end || *next != '.')) || (i == 2 && next != end)) {
      return Error(Errc::invalid_argument,
                   "cursor '" + std::string(text) + "' is not one this API returned");
    }
    p = next + 1;
  }
  return c;
}

std::string format_cursor(const Cursor& c) {
  return std::to_string(c.block) + "." + std::to_string(c.index) + "." + std::to_string(c.gap);
}

// Metric gaps whose samples would be past max_age by now (to_s before the cutoff).
Status expire_metric_gaps(lmdb::Txn& txn, lmdb::Dbi metric_gaps, int64_t cutoff_ms) {
  std::vector<std::string> expired;
  {
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, metric_gaps));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    while (more) {
      TRIB_ASSIGN_OR_RETURN(const stream::MetricGap gap,
                            decode_metric_gap(cursor.key(), cursor.value()));
      if (gap.to_s < cutoff_ms / 1000) expired.emplace_back(cursor.key());
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  for (const std::string& key : expired) {
    TRIB_ASSIGN_OR_RETURN(const bool erased, lmdb::erase(txn, metric_gaps, key));
    (void)erased;
  }
  return {};
}

}  // namespace

Result<std::unique_ptr<LogStore>> LogStore::open(const LogStoreOptions& options) {
  lmdb::EnvOptions env_options;
  env_options.path = options.path;
  // Room for max_size plus what retention frees lazily; LMDB maps are sparse.
  env_options.map_size =
      std::max<uint64_t>(uint64_t{1} << 30, options.max_size + options.max_size / 2);
  env_options.no_sync = options.no_sync;
  TRIB_ASSIGN_OR_RETURN(lmdb::Env env, lmdb::Env::open(env_options));
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env));
  Dbs dbs;
  const std::pair<lmdb::Dbi*, const char*> named[] = {{&dbs.meta, "meta"},
                                                      {&dbs.hosts, "hosts"},
                                                      {&dbs.sources, "sources"},
                                                      {&dbs.source_names, "source_names"},
                                                      {&dbs.high_water, "high_water"},
                                                      {&dbs.blocks, "blocks"},
                                                      {&dbs.host_blocks, "host_blocks"},
                                                      {&dbs.gaps, "gaps"},
                                                      {&dbs.metric_gaps, "metric_gaps"}};
  for (const auto& [dbi, name] : named) {
    TRIB_ASSIGN_OR_RETURN(*dbi, lmdb::Dbi::open(txn, name, MDB_CREATE));
  }
  TRIB_TRY(txn.commit());
  return std::unique_ptr<LogStore>(new LogStore(options, std::move(env), dbs));
}

template <class Fn>
Status LogStore::with_room(Fn&& write) {
  Status status = write();
  if (status.ok() || !lmdb::is_map_full(status.error())) return status;
  TRIB_LOG(store, warn, "[logs] the log store's map is full: dropping the oldest blocks");
  for (int round = 0; round < 16; ++round) {
    TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
    bool dropped = false;
    for (int i = 0; i < kDropsPerRound; ++i) {
      TRIB_ASSIGN_OR_RETURN(const bool one, drop_oldest_block(txn));
      dropped = dropped || one;
      if (!one) break;
    }
    TRIB_TRY(txn.commit());
    status = write();
    if (status.ok() || !lmdb::is_map_full(status.error()) || !dropped) return status;
  }
  return status;
}

Result<uint32_t> LogStore::host_id(lmdb::Txn& txn, std::string_view machine_guid) {
  TRIB_ASSIGN_OR_RETURN(auto host, find_host(txn, dbs_.hosts, machine_guid));
  if (host) return *host;
  TRIB_ASSIGN_OR_RETURN(const uint64_t id, next_id(txn, dbs_.meta, "next_host"));
  TRIB_TRY(lmdb::put(txn, dbs_.hosts, machine_guid, u32_key(static_cast<uint32_t>(id))));
  return static_cast<uint32_t>(id);
}

Status LogStore::append_all(const std::vector<LogWrite>& writes) {
  return with_room([&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
    LogStoreStats stored;
    for (const LogWrite& write : writes) {
      if (const auto* logs = std::get_if<stream::LogsMsg>(&write.batch)) {
        TRIB_TRY(write_logs(txn, write.machine_guid, *logs, stored));
      } else {
        TRIB_TRY(
            write_gaps(txn, write.machine_guid, std::get<stream::GapsMsg>(write.batch), stored));
      }
    }
    TRIB_TRY(txn.commit());
    stats_.records_stored += stored.records_stored;
    stats_.records_duplicate += stored.records_duplicate;
    stats_.gaps_stored += stored.gaps_stored;
    stats_.metric_gaps_stored += stored.metric_gaps_stored;
    return {};
  });
}

Status LogStore::append(std::string_view machine_guid, const stream::LogsMsg& batch) {
  return append_all({LogWrite{std::string(machine_guid), batch}});
}

Status LogStore::append_gaps(std::string_view machine_guid, const stream::GapsMsg& batch) {
  return append_all({LogWrite{std::string(machine_guid), batch}});
}

Status LogStore::write_logs(lmdb::Txn& txn, std::string_view machine_guid,
                            const stream::LogsMsg& batch, LogStoreStats& counted) {
  if (batch.records.empty()) return {};
  TRIB_ASSIGN_OR_RETURN(const uint32_t host, host_id(txn, machine_guid));
  // Source ids of this batch's sources, created on first sight.
  std::vector<uint32_t> source_ids;
  for (const stream::LogSource& source : batch.sources) {
    const std::string key = source_key(host, source.path);
    TRIB_ASSIGN_OR_RETURN(auto found, lmdb::get(txn, dbs_.sources, key));
    if (found && found->size() == 4) {
      source_ids.push_back(read_u32_be(*found));
      continue;
    }
    TRIB_ASSIGN_OR_RETURN(const uint64_t id, next_id(txn, dbs_.meta, "next_source"));
    const auto source_id = static_cast<uint32_t>(id);
    TRIB_TRY(lmdb::put(txn, dbs_.sources, key, u32_key(source_id)));
    TRIB_TRY(lmdb::put(txn, dbs_.source_names, u32_key(source_id), key));
    source_ids.push_back(source_id);
  }

  // Records per source, dropping what each generation's high-water mark says is stored.
  std::map<uint32_t, std::vector<const stream::LogRecord*>> fresh;
  // (source id, generation) -> next offset, written back at the end. A batch holds runs of
  // records of one generation: the mark of the previous record is looked up first.
  std::map<std::pair<uint32_t, uint64_t>, uint64_t> high_water;
  auto mark = high_water.end();
  for (const stream::LogRecord& record : batch.records) {
    const uint32_t source_id = source_ids[record.source];
    const std::pair<uint32_t, uint64_t> generation{source_id, record.generation};
    if (mark == high_water.end() || mark->first != generation) mark = high_water.find(generation);
    if (mark == high_water.end()) {
      TRIB_ASSIGN_OR_RETURN(auto stored, lmdb::get(txn, dbs_.high_water,
                                                   high_water_key(source_id, record.generation)));
      mark =
          high_water.emplace(generation, stored && stored->size() == 8 ? read_u64_be(*stored) : 0)
              .first;
    }
    if (record.offset < mark->second) {
      ++counted.records_duplicate;
      continue;
    }
    // The end of this record: a following record of the generation starts at or after it.
    mark->second = record.offset + 1;
    fresh[source_id].push_back(&record);
  }
  for (const auto& [generation, next] : high_water) {
    TRIB_TRY(lmdb::put(txn, dbs_.high_water, high_water_key(generation.first, generation.second),
                       u64_key(next)));
  }

  std::string raw;  // one block body at a time, its buffer reused
  for (const auto& [source_id, records] : fresh) {
    const Attributes& source_attributes = batch.sources[records.front()->source].attributes;
    for (size_t start = 0; start < records.size(); start += kRecordsPerBlock) {
      const size_t end = std::min(records.size(), start + kRecordsPerBlock);
      BlockHeader header{host, source_id, INT64_MAX, INT64_MIN, end - start, 0};
      encode_block(records, start, end, source_attributes, header, raw);
      std::string value = encode_header(header);
      const size_t header_size = value.size();
      TRIB_TRY(compressor_.compress(raw, value));
      TRIB_ASSIGN_OR_RETURN(const uint64_t block, next_id(txn, dbs_.meta, "next_block"));
      TRIB_TRY(lmdb::put(txn, dbs_.blocks, u64_key(block), value));
      TRIB_TRY(add_data_bytes(txn, dbs_.meta, static_cast<int64_t>(value.size())));
      std::string by_host = u32_key(host);
      append_u64_be(by_host, block);
      TRIB_TRY(lmdb::put(txn, dbs_.host_blocks, by_host,
                         std::string_view(value).substr(0, header_size)));
      counted.records_stored += end - start;
    }
  }
  return {};
}

Status LogStore::write_gaps(lmdb::Txn& txn, std::string_view machine_guid,
                            const stream::GapsMsg& batch, LogStoreStats& counted) {
  if (batch.gaps.empty() && batch.metric_gaps.empty()) return {};
  TRIB_ASSIGN_OR_RETURN(const uint32_t host, host_id(txn, machine_guid));
  for (const stream::MetricGap& gap : batch.metric_gaps) {
    // Keyed by start: a resent gap overwrites itself.
    TRIB_TRY(
        lmdb::put(txn, dbs_.metric_gaps, metric_gap_key(host, gap.from_s), encode_metric_gap(gap)));
    ++counted.metric_gaps_stored;
  }
  for (const stream::LogGap& gap : batch.gaps) {
    const std::string key = source_key(host, gap.source);
    TRIB_ASSIGN_OR_RETURN(auto found, lmdb::get(txn, dbs_.sources, key));
    uint32_t source_id = 0;
    if (found && found->size() == 4) {
      source_id = read_u32_be(*found);
    } else {
      TRIB_ASSIGN_OR_RETURN(const uint64_t id, next_id(txn, dbs_.meta, "next_source"));
      source_id = static_cast<uint32_t>(id);
      TRIB_TRY(lmdb::put(txn, dbs_.sources, key, u32_key(source_id)));
      TRIB_TRY(lmdb::put(txn, dbs_.source_names, u32_key(source_id), key));
    }
    // Keyed by host, then the gap's own number; a resent gap is found by its range first.
    std::string dedupe = "gap";
    dedupe += high_water_key(source_id, gap.generation);
    append_u64_be(dedupe, gap.from);
    TRIB_ASSIGN_OR_RETURN(auto seen, lmdb::get(txn, dbs_.meta, dedupe));
    if (seen) continue;
    TRIB_ASSIGN_OR_RETURN(const uint64_t number, next_id(txn, dbs_.meta, "next_gap"));
    std::string gap_key = u32_key(host);
    append_u64_be(gap_key, number);
    TRIB_TRY(lmdb::put(txn, dbs_.gaps, gap_key, encode_gap(source_id, gap)));
    TRIB_TRY(lmdb::put(txn, dbs_.meta, dedupe, u64_key(number)));
    ++counted.gaps_stored;
  }
  return {};
}

Result<LogQueryResult> LogStore::query(std::string_view machine_guid, const LogQuery& query) {
  TRIB_ASSIGN_OR_RETURN(Cursor cursor, parse_cursor(query.cursor));
  LogQueryResult result;
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(auto host, find_host(txn, dbs_.hosts, machine_guid));
  if (!host) {
    result.next_cursor = format_cursor(cursor);
    return result;
  }
  std::optional<uint32_t> only_source;
  if (!query.source.empty()) {
    TRIB_ASSIGN_OR_RETURN(auto found,
                          lmdb::get(txn, dbs_.sources, source_key(*host, query.source)));
    only_source = found && found->size() == 4 ? read_u32_be(*found) : 0;  // 0: no such source
  }
  std::map<uint32_t, std::string> names;  // source id -> path
  const auto source_name = [&](uint32_t id) -> Result<std::string> {
    auto it = names.find(id);
    if (it != names.end()) return it->second;
    TRIB_ASSIGN_OR_RETURN(auto found, lmdb::get(txn, dbs_.source_names, u32_key(id)));
    if (!found || found->size() < 4) return corrupt("source name " + std::to_string(id));
    return names.emplace(id, std::string(found->substr(4))).first->second;
  };
  const auto line_matches = [&](std::string_view line) {
    if (!query.substring.empty() && line.find(query.substring) == std::string_view::npos) {
      return false;
    }
    return !query.regex || re2::RE2::PartialMatch(line, *query.regex);
  };

  {
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor blocks, lmdb::Cursor::open(txn, dbs_.host_blocks));
    std::string start = u32_key(*host);
    append_u64_be(start, cursor.block);
    TRIB_ASSIGN_OR_RETURN(bool more, blocks.seek(start));
    while (more && result.records.size() < query.limit) {
      const std::string_view key = blocks.key();
      if (key.size() != 12 || read_u32_be(key) != *host) break;
      const uint64_t block = read_u64_be(key.substr(4));
      const uint64_t first_index = block == cursor.block ? cursor.index : 0;
      stream::wire::Reader head(blocks.value(), kNoLimit);
      const BlockHeader header = read_header(head);
      if (!head.ok()) return corrupt("block header");
      const bool wanted = (!only_source || header.source_id == *only_source) &&
                          header.max_time_ms >= query.after_ms &&
                          header.min_time_ms <= query.before_ms && first_index < header.count;
      if (wanted) {
        TRIB_ASSIGN_OR_RETURN(auto value, lmdb::get(txn, dbs_.blocks, u64_key(block)));
        if (!value) return corrupt("block " + std::to_string(block) + " is missing");
        stream::wire::Reader in(*value, kNoLimit);
        read_header(in);
        const std::string_view data = value->substr(value->size() - in.remaining());
        TRIB_ASSIGN_OR_RETURN(const std::string raw,
                              decompressor_.decompress(data, header.raw_size));
        TRIB_ASSIGN_OR_RETURN(const std::string source, source_name(header.source_id));
        stream::wire::Reader records(raw, kNoLimit);
        for (uint64_t i = 0; i < header.count && records.ok(); ++i) {
          // Only the records answered are copied out: a filtered query or one that resumes
          // within a block looks at most records without keeping them.
          StoredLogRecord r;
          r.generation = records.varint("generation");
          r.offset = records.varint("offset");
          r.time_ms = records.zigzag("time");
          r.flags = records.u8("flags");
          const std::string_view line = records.view_up_to("line", kNoLimit);
          if (i < first_index) {
            skip_attributes(records);
            continue;
          }
          if (result.records.size() >= query.limit) {
            cursor = Cursor{block, i, cursor.gap};
            break;
          }
          cursor = Cursor{block, i + 1, cursor.gap};
          if (r.time_ms < query.after_ms || r.time_ms > query.before_ms || !line_matches(line)) {
            skip_attributes(records);
            continue;
          }
          r.line = line;
          r.attributes = read_attributes(records);
          r.source = source;
          result.records.push_back(std::move(r));
        }
        if (!records.ok()) return corrupt("block " + std::to_string(block));
      } else if (first_index < header.count) {
        cursor = Cursor{block, header.count, cursor.gap};
      }
      TRIB_ASSIGN_OR_RETURN(more, blocks.next());
    }
  }
  {
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor gaps, lmdb::Cursor::open(txn, dbs_.gaps));
    std::string start = u32_key(*host);
    append_u64_be(start, cursor.gap);
    TRIB_ASSIGN_OR_RETURN(bool more, gaps.seek(start));
    while (more && result.gaps.size() < query.limit) {
      const std::string_view key = gaps.key();
      if (key.size() != 12 || read_u32_be(key) != *host) break;
      cursor.gap = read_u64_be(key.substr(4)) + 1;
      TRIB_ASSIGN_OR_RETURN(DecodedGap d, decode_gap(gaps.value()));
      if ((!only_source || d.source_id == *only_source) && d.gap.time_ms >= query.after_ms &&
          d.gap.time_ms <= query.before_ms) {
        TRIB_ASSIGN_OR_RETURN(d.gap.source, source_name(d.source_id));
        result.gaps.push_back(std::move(d.gap));
      }
      TRIB_ASSIGN_OR_RETURN(more, gaps.next());
    }
  }
  result.next_cursor = format_cursor(cursor);
  return result;
}

Result<std::vector<stream::MetricGap>> LogStore::metric_gaps(std::string_view machine_guid,
                                                             int64_t after_s, int64_t before_s,
                                                             size_t limit) {
  std::vector<stream::MetricGap> out;
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(auto host, find_host(txn, dbs_.hosts, machine_guid));
  if (!host) return out;
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, dbs_.metric_gaps));
  // Gaps do not overlap each other much (one per dropped batch): those starting before after_s
  // are few, so the scan starts at the host's first.
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.seek(metric_gap_key(*host, INT64_MIN)));
  while (more && out.size() < limit) {
    const std::string_view key = cursor.key();
    if (key.size() != 12 || read_u32_be(key) != *host) break;
    TRIB_ASSIGN_OR_RETURN(stream::MetricGap gap, decode_metric_gap(key, cursor.value()));
    if (gap.from_s >= before_s) break;
    if (gap.to_s > after_s) out.push_back(std::move(gap));
    TRIB_ASSIGN_OR_RETURN(more, cursor.next());
  }
  return out;
}

Result<bool> LogStore::drop_oldest_block(lmdb::Txn& txn) {
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor blocks, lmdb::Cursor::open(txn, dbs_.blocks));
  TRIB_ASSIGN_OR_RETURN(const bool any, blocks.first());
  if (!any) return false;
  const std::string block_key(blocks.key());
  stream::wire::Reader head(blocks.value(), kNoLimit);
  const BlockHeader header = read_header(head);
  const auto size = static_cast<int64_t>(blocks.value().size());
  TRIB_TRY(blocks.erase_current());
  TRIB_TRY(add_data_bytes(txn, dbs_.meta, -size));
  std::string by_host = u32_key(header.host_id);
  by_host += block_key;
  TRIB_TRY(lmdb::erase(txn, dbs_.host_blocks, by_host));
  ++stats_.blocks_expired;
  return true;
}

Status LogStore::enforce_retention(int64_t now_ms) {
  const int64_t cutoff =
      now_ms - std::chrono::duration_cast<std::chrono::milliseconds>(options_.max_age).count();
  for (;;) {
    TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
    int dropped = 0;
    for (; dropped < kDropsPerRound; ++dropped) {
      bool expired = false;
      {
        TRIB_ASSIGN_OR_RETURN(lmdb::Cursor blocks, lmdb::Cursor::open(txn, dbs_.blocks));
        TRIB_ASSIGN_OR_RETURN(const bool any, blocks.first());
        if (!any) break;
        stream::wire::Reader head(blocks.value(), kNoLimit);
        expired = read_header(head).max_time_ms < cutoff;
      }
      TRIB_ASSIGN_OR_RETURN(const uint64_t stored, data_bytes(txn, dbs_.meta));
      if (!expired && stored <= options_.max_size) break;
      TRIB_ASSIGN_OR_RETURN(const bool one, drop_oldest_block(txn));
      if (!one) break;
    }
    // Gaps are few: a scan for the expired ones.
    if (dropped < kDropsPerRound) {
      std::vector<std::string> expired;
      {
        TRIB_ASSIGN_OR_RETURN(lmdb::Cursor gaps, lmdb::Cursor::open(txn, dbs_.gaps));
        TRIB_ASSIGN_OR_RETURN(bool more, gaps.first());
        while (more) {
          TRIB_ASSIGN_OR_RETURN(const DecodedGap d, decode_gap(gaps.value()));
          if (d.gap.time_ms < cutoff) expired.emplace_back(gaps.key());
          TRIB_ASSIGN_OR_RETURN(more, gaps.next());
        }
      }
      for (const std::string& key : expired) {
        TRIB_ASSIGN_OR_RETURN(const bool erased, lmdb::erase(txn, dbs_.gaps, key));
        (void)erased;
      }
      TRIB_TRY(expire_metric_gaps(txn, dbs_.metric_gaps, cutoff));
    }
    TRIB_TRY(txn.commit());
    if (dropped < kDropsPerRound) return {};
  }
}

}  // namespace trib::parent::store
