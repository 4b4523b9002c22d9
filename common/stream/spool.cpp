#include "common/stream/spool.h"

#include <algorithm>
#include <map>

#include "common/log/log.h"
#include "common/stream/frame.h"
#include "common/time/clock.h"

namespace trib::stream {
namespace {

// Sequence-number keys and 64-bit values alike: big-endian, so keys sort in numeric order.
std::string u64_be(uint64_t value) {
  std::string out;
  lmdb::append_u64_be(out, value);
  return out;
}

// Spool entries were written by this process's own encoder: no wire limit applies to them.
FrameLimits entry_limits() {
  FrameLimits limits;
  limits.max_frame_payload = UINT32_MAX;
  limits.max_string = limits.max_log_line;
  return limits;
}

// Entries are frames of the native protocol (one codec, already fuzzed), compressed when that
// makes them smaller: the ChartDefs, then the batch. Entries of older versions are uncompressed.
Result<SpooledBatch> decode(std::string_view frames) {
  FrameDecoder decoder(entry_limits(), true);
  decoder.feed(frames);
  SpooledBatch out;
  for (;;) {
    TRIB_ASSIGN_OR_RETURN(auto message, decoder.next());
    if (!message) return Error(Errc::parse_error, "truncated spool entry");
    if (auto* chart = std::get_if<ChartDefMsg>(&*message)) {
      out.charts.push_back(std::move(*chart));
      continue;
    }
    out.batch = std::move(*message);
    if (decoder.buffered_bytes() != 0) return Error(Errc::parse_error, "bytes after the batch");
    return out;
  }
}

constexpr std::string_view kLastSeqKey = "last_seq";
constexpr std::string_view kOriginKey = "origin";
constexpr std::string_view kRunKey = "run";

std::string chart_key(uint64_t run, uint32_t slot) {
  std::string key;
  lmdb::append_u64_be(key, run);
  lmdb::append_u32_be(key, slot);
  return key;
}

Result<ChartDefMsg> decode_chart(std::string_view frame) {
  FrameDecoder decoder(entry_limits(), true);
  decoder.feed(frame);
  TRIB_ASSIGN_OR_RETURN(auto message, decoder.next());
  if (!message || !std::holds_alternative<ChartDefMsg>(*message)) {
    return Error(Errc::parse_error, "a chart table row is not a chart definition");
  }
  return std::get<ChartDefMsg>(std::move(*message));
}

// The keys of the rows `wanted` picks, collected before any is erased (an erase moves a
// cursor); the cursor is closed on return, before the caller commits.
template <typename Wanted>
Result<std::vector<std::string>> keys_where(lmdb::Txn& txn, lmdb::Dbi dbi, Wanted wanted) {
  std::vector<std::string> keys;
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, dbi));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more) {
    if (wanted(cursor.key(), cursor.value())) keys.emplace_back(cursor.key());
    TRIB_ASSIGN_OR_RETURN(more, cursor.next());
  }
  return keys;
}

// Adds to a loaded batch the definitions of its run that its rows refer to.
void attach_charts(SpooledBatch& batch, uint64_t run,
                   const std::map<std::pair<uint64_t, uint32_t>, ChartDefMsg>& charts) {
  const auto* samples = std::get_if<SamplesMsg>(&batch.batch);
  if (samples == nullptr) return;
  std::set<uint32_t> known;
  for (const ChartDefMsg& chart : batch.charts) known.insert(chart.chart_slot);
  for (const SamplesMsg::Row& row : samples->rows) {
    if (!known.insert(row.chart_slot).second) continue;
    const auto it = charts.find({run, row.chart_slot});
    if (it != charts.end()) batch.charts.push_back(it->second);
  }
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out.push_back(',');
    out += item;
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    out.emplace_back(text.substr(0, comma));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

}  // namespace

Result<std::unique_ptr<Spool>> Spool::open(const std::string& directory, uint64_t max_size,
                                           Durability durability) {
  lmdb::EnvOptions options;
  options.path = directory;
  options.no_meta_sync = durability == Durability::all_but_last_commit;
  // Room for max_size plus LMDB's own pages and the copy-on-write of a commit.
  options.map_size = static_cast<size_t>(max_size * 2 + (uint64_t{64} << 20));
  TRIB_ASSIGN_OR_RETURN(lmdb::Env env, lmdb::Env::open(options));
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi batches, lmdb::Dbi::open(txn, "batches", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi meta, lmdb::Dbi::open(txn, "meta", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi charts, lmdb::Dbi::open(txn, "charts", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi runs, lmdb::Dbi::open(txn, "runs", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(const auto last_seq, lmdb::get(txn, meta, kLastSeqKey));
  const uint64_t last_appended =
      last_seq && last_seq->size() == 8 ? lmdb::read_u64_be(*last_seq) : 0;
  TRIB_ASSIGN_OR_RETURN(const auto last_run, lmdb::get(txn, meta, kRunKey));
  const uint64_t run = (last_run && last_run->size() == 8 ? lmdb::read_u64_be(*last_run) : 0) + 1;
  TRIB_TRY(lmdb::put(txn, meta, kRunKey, u64_be(run)));
  TRIB_TRY(txn.commit());
  auto spool = std::unique_ptr<Spool>(
      new Spool(std::move(env), Tables{batches, meta, charts, runs}, max_size));
  spool->last_appended_seq_ = last_appended;
  spool->run_ = run;
  return spool;
}

Result<std::vector<SpooledBatch>> Spool::load() {
  std::vector<SpooledBatch> out;
  std::vector<std::string> broken;
  std::set<uint64_t> used_runs;
  stored_bytes_ = 0;
  entry_bytes_.clear();
  {
    TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
    std::map<uint64_t, uint64_t> run_by_first_seq;
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor runs, lmdb::Cursor::open(txn, runs_));
    TRIB_ASSIGN_OR_RETURN(bool more, runs.first());
    while (more) {
      if (runs.key().size() == 8 && runs.value().size() == 8) {
        run_by_first_seq[lmdb::read_u64_be(runs.key())] = lmdb::read_u64_be(runs.value());
      }
      TRIB_ASSIGN_OR_RETURN(more, runs.next());
    }
    std::map<std::pair<uint64_t, uint32_t>, ChartDefMsg> charts;  // by run and slot
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor rows, lmdb::Cursor::open(txn, charts_));
    TRIB_ASSIGN_OR_RETURN(more, rows.first());
    while (more) {
      // A row that does not decode leaves its chart's rows unmapped: the sender drops them.
      auto chart = decode_chart(rows.value());
      if (rows.key().size() == 12 && chart.ok()) {
        charts.emplace(
            std::pair{lmdb::read_u64_be(rows.key()), lmdb::read_u32_be(rows.key().substr(8))},
            std::move(chart).value());
      }
      TRIB_ASSIGN_OR_RETURN(more, rows.next());
    }
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, batches_));
    TRIB_ASSIGN_OR_RETURN(more, cursor.first());
    while (more) {
      const uint64_t seq = lmdb::read_u64_be(cursor.key());
      if (seq <= acknowledged_through_) {  // not erased yet
        TRIB_ASSIGN_OR_RETURN(more, cursor.next());
        continue;
      }
      auto message = decode(cursor.value());
      if (message.ok()) {
        // Entries written before the chart table existed carry their definitions inline.
        auto run_it = run_by_first_seq.upper_bound(seq);
        if (run_it != run_by_first_seq.begin()) {
          const uint64_t run = std::prev(run_it)->second;
          used_runs.insert(run);
          attach_charts(*message, run, charts);
        }
        out.push_back(std::move(message).value());
        stored_bytes_ += cursor.value().size();
        entry_bytes_[lmdb::read_u64_be(cursor.key())] = cursor.value().size();
      } else {
        TRIB_LOG(stream, error, "[spool] entry {} of {} does not decode ({}); dropped",
                 lmdb::read_u64_be(cursor.key()), env_.path(), message.error().describe());
        broken.emplace_back(cursor.key());
      }
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  if (!broken.empty()) {
    TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
    for (const auto& key : broken) TRIB_TRY(lmdb::erase(txn, batches_, key));
    TRIB_TRY(txn.commit());
  }
  TRIB_TRY(erase_unused_runs(used_runs));
  return out;
}

Status Spool::erase_unused_runs(const std::set<uint64_t>& used) {
  const auto unused = [&](uint64_t run) { return run != run_ && !used.contains(run); };
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  TRIB_ASSIGN_OR_RETURN(const auto chart_rows,
                        keys_where(txn, charts_, [&](std::string_view key, std::string_view) {
                          return key.size() < 8 || unused(lmdb::read_u64_be(key));
                        }));
  TRIB_ASSIGN_OR_RETURN(const auto run_rows,
                        keys_where(txn, runs_, [&](std::string_view, std::string_view value) {
                          return value.size() != 8 || unused(lmdb::read_u64_be(value));
                        }));
  if (chart_rows.empty() && run_rows.empty()) return {};
  for (const auto& key : chart_rows) TRIB_TRY(lmdb::erase(txn, charts_, key));
  for (const auto& key : run_rows) TRIB_TRY(lmdb::erase(txn, runs_, key));
  return txn.commit();
}

Result<std::vector<Message>> Spool::drop_oldest_until(lmdb::Txn& txn, uint64_t keep_seq,
                                                      uint64_t room, WhenFull when_full) {
  std::vector<Message> out;
  std::vector<std::pair<std::string, std::string>> replaced;  // key -> the gap's entry ("": none)
  const int64_t now_ms = time::SystemClock::instance().now_us() / 1000;
  {
    TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, batches_));
    TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
    while (more && stored_bytes_ + room > max_size_ && lmdb::read_u64_be(cursor.key()) < keep_seq) {
      const uint64_t seq = lmdb::read_u64_be(cursor.key());
      auto message = decode(cursor.value());
      // Gap records are how the receiver learns what will never come (often of batches dropped
      // here): they stay, and they are small.
      if (!message.ok() || !std::holds_alternative<GapsMsg>(message->batch)) {
        stored_bytes_ -= std::min<uint64_t>(stored_bytes_, cursor.value().size());
        entry_bytes_.erase(seq);
        std::string gap_entry;
        if (when_full == WhenFull::replace_oldest_with_gaps && message.ok()) {
          GapsMsg gap = gap_for_dropped(message->batch, now_ms, kProxyGapReason);
          encoder_.append(gap, gap_entry);
          stored_bytes_ += gap_entry.size();
          entry_bytes_[seq] = gap_entry.size();
          out.emplace_back(std::move(gap));
        } else if (message.ok()) {
          out.push_back(std::move(message->batch));
        }
        replaced.emplace_back(std::string(cursor.key()), std::move(gap_entry));
      }
      TRIB_ASSIGN_OR_RETURN(more, cursor.next());
    }
  }
  for (const auto& [key, gap_entry] : replaced) {
    if (gap_entry.empty()) {
      TRIB_TRY(lmdb::erase(txn, batches_, key));
    } else {
      TRIB_TRY(lmdb::put(txn, batches_, key, gap_entry));
    }
  }
  return out;
}

Result<std::vector<Message>> Spool::append(uint64_t seq, const SpooledBatch& batch,
                                           WhenFull when_full) {
  std::string frames;
  encoder_.append(batch.batch, frames);
  return append_encoded(seq, frames, batch.charts, when_full);
}

Result<std::vector<Message>> Spool::append_encoded(uint64_t seq, std::string_view frame,
                                                   const std::vector<ChartDefMsg>& charts,
                                                   WhenFull when_full) {
  std::vector<std::pair<uint32_t, std::string>> encoded_charts;
  for (const ChartDefMsg& chart : charts) {
    std::string chart_frame;
    encoder_.append(chart, chart_frame);
    encoded_charts.emplace_back(chart.chart_slot, std::move(chart_frame));
  }
  return write_entry(seq, frame, encoded_charts, when_full);
}

Result<std::vector<Message>> Spool::write_entry(
    uint64_t seq, std::string_view frame,
    const std::vector<std::pair<uint32_t, std::string>>& charts, WhenFull when_full) {
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  TRIB_TRY(erase_acknowledged(txn));
  std::vector<Message> dropped;
  if (when_full != WhenFull::keep) {
    TRIB_ASSIGN_OR_RETURN(dropped, drop_oldest_until(txn, seq, frame.size(), when_full));
  }
  if (!run_recorded_) TRIB_TRY(lmdb::put(txn, runs_, u64_be(seq), u64_be(run_)));
  for (const auto& [slot, chart] : charts) {
    TRIB_TRY(lmdb::put(txn, charts_, chart_key(run_, slot), chart));
  }
  TRIB_TRY(lmdb::put(txn, batches_, u64_be(seq), frame));
  if (seq > last_appended_seq_) TRIB_TRY(lmdb::put(txn, meta_, kLastSeqKey, u64_be(seq)));
  TRIB_TRY(txn.commit());
  run_recorded_ = true;
  erase_due_ = false;
  stored_bytes_ += frame.size();
  entry_bytes_[seq] = frame.size();
  last_appended_seq_ = std::max(last_appended_seq_, seq);
  return dropped;
}

Result<SpooledBatch> Spool::read(uint64_t seq) {
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(const auto stored, lmdb::get(txn, batches_, u64_be(seq)));
  if (!stored) {
    return Error(Errc::not_found, "no batch " + std::to_string(seq) + " in " + env_.path());
  }
  return decode(*stored);
}

void Spool::acknowledge(uint64_t seq) {
  acknowledged_through_ = std::max(acknowledged_through_, seq);
  while (!entry_bytes_.empty() && entry_bytes_.begin()->first <= seq) {
    stored_bytes_ -= std::min(stored_bytes_, entry_bytes_.begin()->second);
    entry_bytes_.erase(entry_bytes_.begin());
    erase_due_ = true;
  }
}

Status Spool::flush_acknowledged() {
  if (!erase_due_) return {};
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  TRIB_TRY(erase_acknowledged(txn));
  TRIB_TRY(txn.commit());
  erase_due_ = false;
  return {};
}

// Within the caller's transaction; erase_due_ is cleared by the caller once it commits.
Status Spool::erase_acknowledged(lmdb::Txn& txn) {
  if (!erase_due_) return {};
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, batches_));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more && lmdb::read_u64_be(cursor.key()) <= acknowledged_through_) {
    TRIB_TRY(cursor.erase_current());
    TRIB_ASSIGN_OR_RETURN(more, cursor.first());
  }
  return {};
}

Status Spool::save_origin(const SpoolOrigin& origin) {
  // The host as a HostDef frame (one codec), then the path as two comma-separated lines.
  std::string value;
  FrameEncoder().append(HostDefMsg{0, origin.host}, value);
  std::string record;
  lmdb::append_u32_be(record, static_cast<uint32_t>(value.size()));
  record += value;
  record += join(origin.path);
  record.push_back('\n');
  record += join(origin.path_guids);
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  TRIB_TRY(lmdb::put(txn, meta_, kOriginKey, record));
  return txn.commit();
}

Result<std::optional<SpoolOrigin>> Spool::load_origin() {
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(const auto stored, lmdb::get(txn, meta_, kOriginKey));
  if (!stored) return std::optional<SpoolOrigin>();
  const std::string_view record = *stored;
  const auto broken = [&] {
    return Error(Errc::parse_error, "the origin record of the spool " + env_.path() + " is broken");
  };
  if (record.size() < 4) return broken();
  const uint32_t frame_size = lmdb::read_u32_be(record);
  if (record.size() - 4 < frame_size) return broken();
  FrameLimits limits;
  FrameDecoder decoder(limits, false);
  decoder.feed(record.substr(4, frame_size));
  auto message = decoder.next();
  if (!message.ok() || !message->has_value()) return broken();
  const auto* host = std::get_if<HostDefMsg>(&**message);
  if (host == nullptr) return broken();
  SpoolOrigin origin;
  origin.host = host->info;
  const std::string_view path = record.substr(4 + frame_size);
  const size_t newline = path.find('\n');
  if (newline == std::string_view::npos) return broken();
  origin.path = split(path.substr(0, newline));
  origin.path_guids = split(path.substr(newline + 1));
  return std::optional<SpoolOrigin>(std::move(origin));
}

GapsMsg gap_for_dropped(const Message& dropped, int64_t now_ms, std::string_view reason) {
  GapsMsg out;
  if (const auto* samples = std::get_if<SamplesMsg>(&dropped)) {
    out.seq = samples->seq;
    if (samples->rows.empty()) return out;
    const auto [first, last] =
        std::minmax_element(samples->rows.begin(), samples->rows.end(),
                            [](const SamplesMsg::Row& a, const SamplesMsg::Row& b) {
                              return a.timestamp < b.timestamp;
                            });
    out.metric_gaps.push_back({first->timestamp, last->timestamp + 1, now_ms, std::string(reason)});
    return out;
  }
  const auto* logs = std::get_if<LogsMsg>(&dropped);
  if (logs == nullptr) return out;
  out.seq = logs->seq;
  // [first offset, end of last record) per source generation.
  std::map<std::pair<uint32_t, uint64_t>, std::pair<uint64_t, uint64_t>> ranges;
  for (const LogRecord& r : logs->records) {
    const uint64_t end = r.offset + r.line.size() + ((r.flags & kLogLineContinues) ? 0 : 1);
    auto [it, inserted] = ranges.try_emplace({r.source, r.generation}, r.offset, end);
    if (!inserted) {
      it->second.first = std::min(it->second.first, r.offset);
      it->second.second = std::max(it->second.second, end);
    }
  }
  for (const auto& [key, range] : ranges) {
    out.gaps.push_back({logs->sources[key.first].path, key.second, range.first, range.second,
                        now_ms, std::string(reason)});
  }
  return out;
}

GapsMsg gaps_for_dropped(const std::vector<Message>& dropped, int64_t now_ms) {
  GapsMsg out;
  for (const Message& message : dropped) {
    GapsMsg one = gap_for_dropped(message, now_ms,
                                  "spool full: batch dropped before the parent acknowledged it");
    for (auto& gap : one.gaps) out.gaps.push_back(std::move(gap));
    for (auto& gap : one.metric_gaps) out.metric_gaps.push_back(std::move(gap));
  }
  return out;
}

}  // namespace trib::stream
