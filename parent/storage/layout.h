#pragma once
// Key and value formats of the dbengine LMDB environment (docs/storage.md, "Layout"). Every
// integer in a key is big-endian so LMDB's byte order is numeric order: a time-range scan of one
// series is one cursor seek and a walk forward.
//
//   meta      "format"                     -> kFormatValue
//   hosts     guid                         -> HostDef frame (stream protocol encoding)
//   charts    guid \0 chart id             -> ChartDef frame
//   series    guid \0 chart id \0 dim id   -> u32 series id
//   blocks    u32 series id | u64 first s  -> varint (last s - first s) | sample block
//   journal   u64 ticket                   -> varint 0 | journal rows (older: varint raw size |
//   zstd) progress  guid                         -> u64 last stored batch seq
//
// Pure functions, any thread.

#include <bit>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/model/metrics.h"

namespace trib::parent::storage::layout {

inline constexpr std::string_view kFormatKey = "format";
inline constexpr std::string_view kFormatValue = "tributary-dbengine/1";
// meta: the time (decimal seconds) of the last retention pass that made room in a full map.
inline constexpr std::string_view kRetentionKey = "retention";

std::string chart_key(std::string_view guid, std::string_view chart_id);
std::string series_key(std::string_view guid, std::string_view chart_id, std::string_view dim_id);
// The guid a chart_key or series_key begins with.
std::string_view guid_of(std::string_view key);

std::string block_key(uint32_t series_id, int64_t first_s);
struct BlockKey {
  uint32_t series_id = 0;
  int64_t first_s = 0;
};
// Keys of another length are corruption.
Result<BlockKey> parse_block_key(std::string_view key);
std::string block_value(int64_t first_s, int64_t last_s, std::string_view block);
struct BlockValue {
  int64_t last_s = 0;
  std::string_view block;  // points into the value
};
Result<BlockValue> parse_block_value(int64_t first_s, std::string_view value);

// Journal rows: zigzag timestamp | varint count | count x (varint series id | f32 LE bits).
// NaN values are not journaled (a gap is an absence on disk).
void append_journal_row(std::string& rows, int64_t timestamp_s,
                        std::span<const uint32_t> series_ids, std::span<const double> values);
struct JournalSample {
  uint32_t series_id = 0;
  int64_t timestamp_s = 0;
  double value = 0;
};
Result<std::vector<JournalSample>> parse_journal_rows(std::string_view rows);
// The same rows, sample by sample, without building a vector (the writer's hot path, hence a
// template: `visit(const JournalSample&)` is inlined).
template <class Visit>
Status visit_journal_rows(std::string_view rows, Visit&& visit);
// A journal value: varint 0, then the rows as they are. unpack_journal also reads the older
// form, varint raw size (> 0) then the rows zstd-compressed.
std::string pack_journal(std::string_view rows);
Result<std::string> unpack_journal(std::string_view value);

// Host and chart definitions, in the stream protocol's frame encoding (already fuzzed).
std::string encode_host(const model::HostInfo& info);
Result<model::HostInfo> decode_host(std::string_view bytes);
std::string encode_chart(const model::ChartDef& def);
Result<model::ChartDef> decode_chart(std::string_view bytes);

namespace detail {

// LEB128 without the generic reader's bookkeeping; false when truncated or too long.
inline bool read_varint(std::string_view rows, size_t& at, uint64_t& value) {
  value = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (at >= rows.size()) return false;
    const auto byte = static_cast<uint8_t>(rows[at++]);
    value |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return false;
}

Error corrupt_journal(const char* what);

}  // namespace detail

template <class Visit>
Status visit_journal_rows(std::string_view rows, Visit&& visit) {
  size_t at = 0;
  while (at < rows.size()) {
    uint64_t zigzag = 0;
    uint64_t n = 0;
    if (!detail::read_varint(rows, at, zigzag) || !detail::read_varint(rows, at, n) ||
        n > (1u << 20)) {
      return detail::corrupt_journal("a truncated row header");
    }
    JournalSample s;
    s.timestamp_s = static_cast<int64_t>(zigzag >> 1) ^ -static_cast<int64_t>(zigzag & 1);
    for (uint64_t i = 0; i < n; ++i) {
      uint64_t id = 0;
      if (!detail::read_varint(rows, at, id) || id > UINT32_MAX || rows.size() - at < 4) {
        return detail::corrupt_journal("a truncated row");
      }
      s.series_id = static_cast<uint32_t>(id);
      uint32_t bits = 0;
      for (int b = 0; b < 4; ++b) {  // little-endian, as append_journal_row wrote it
        bits |= static_cast<uint32_t>(static_cast<uint8_t>(rows[at + static_cast<size_t>(b)]))
                << (8 * b);
      }
      at += 4;
      s.value = static_cast<double>(std::bit_cast<float>(bits));
      visit(s);
    }
  }
  return Status{};
}

}  // namespace trib::parent::storage::layout
