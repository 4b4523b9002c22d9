#include "parent/storage/layout.h"

#include <bit>
#include <cmath>
#include <cstring>
#include <limits>

#include "common/lmdb/lmdb.h"
#include "common/stream/frame.h"
#include "common/stream/wire.h"
#include "common/stream/zstd_codec.h"

namespace trib::parent::storage::layout {
namespace {

Error corrupt(const std::string& what) { return Error(Errc::parse_error, what); }

// Journals and definitions are written by this process; generous bounds still keep a corrupt
// value from asking for a huge allocation.
constexpr size_t kMaxJournalRaw = 512u << 20;

}  // namespace

std::string chart_key(std::string_view guid, std::string_view chart_id) {
  std::string key(guid);
  key.push_back('\0');
  key += chart_id;
  return key;
}

std::string series_key(std::string_view guid, std::string_view chart_id, std::string_view dim_id) {
  std::string key = chart_key(guid, chart_id);
  key.push_back('\0');
  key += dim_id;
  return key;
}

std::string_view guid_of(std::string_view key) { return key.substr(0, key.find('\0')); }

std::string block_key(uint32_t series_id, int64_t first_s) {
  std::string key;
  key.reserve(12);
  lmdb::append_u32_be(key, series_id);
  lmdb::append_u64_be(key, static_cast<uint64_t>(first_s));
  return key;
}

Result<BlockKey> parse_block_key(std::string_view key) {
  if (key.size() != 12) return corrupt("block key of " + std::to_string(key.size()) + " bytes");
  return BlockKey{lmdb::read_u32_be(key), static_cast<int64_t>(lmdb::read_u64_be(key.substr(4)))};
}

std::string block_value(int64_t first_s, int64_t last_s, std::string_view block) {
  std::string value;
  stream::wire::put_varint(value, static_cast<uint64_t>(last_s - first_s));
  value += block;
  return value;
}

Result<BlockValue> parse_block_value(int64_t first_s, std::string_view value) {
  stream::wire::Reader in(value, 0);
  const uint64_t span = in.varint("block span");
  if (!in.ok() || span > (uint64_t{1} << 40)) return corrupt("bad block span");
  return BlockValue{first_s + static_cast<int64_t>(span),
                    value.substr(value.size() - in.remaining())};
}

namespace {

// LEB128 into `at`, which has room for 10 bytes; returns the byte after it.
char* write_varint(char* at, uint64_t value) {
  while (value >= 0x80) {
    *at++ = static_cast<char>((value & 0x7f) | 0x80);
    value >>= 7;
  }
  *at++ = static_cast<char>(value);
  return at;
}

}  // namespace

void append_journal_row(std::string& rows, int64_t timestamp_s,
                        std::span<const uint32_t> series_ids, std::span<const double> values) {
  size_t present = 0;
  for (double v : values) present += std::isnan(v) ? 0 : 1;
  if (present == 0) return;
  // Written in place: at most 10 + 10 bytes of header, 5 + 4 per sample; trimmed after.
  const size_t start = rows.size();
  rows.resize(start + 20 + present * 9);
  char* at = rows.data() + start;
  const auto t = static_cast<uint64_t>(timestamp_s);
  at = write_varint(at, (t << 1) ^ (timestamp_s < 0 ? ~uint64_t{0} : 0));
  at = write_varint(at, present);
  for (size_t i = 0; i < values.size(); ++i) {
    if (std::isnan(values[i])) continue;
    at = write_varint(at, series_ids[i]);
    const auto bits = std::bit_cast<uint32_t>(static_cast<float>(values[i]));
    for (int b = 0; b < 4; ++b) *at++ = static_cast<char>((bits >> (8 * b)) & 0xff);  // LE
  }
  rows.resize(static_cast<size_t>(at - rows.data()));
}

Result<std::vector<JournalSample>> parse_journal_rows(std::string_view rows) {
  std::vector<JournalSample> samples;
  stream::wire::Reader in(rows, 0);
  while (in.ok() && !in.at_end()) {
    const int64_t t = in.zigzag("row timestamp");
    const size_t n = in.count("row values", 1u << 20, 5);
    for (size_t i = 0; i < n && in.ok(); ++i) {
      JournalSample s;
      s.timestamp_s = t;
      s.series_id = in.varint_u32("series id");
      uint32_t bits = 0;
      for (int b = 0; b < 4; ++b) bits |= static_cast<uint32_t>(in.u8("value")) << (8 * b);
      s.value = static_cast<double>(std::bit_cast<float>(bits));
      samples.push_back(s);
    }
  }
  if (!in.ok()) return corrupt("journal: " + in.error()->message);
  return samples;
}

namespace detail {

Error corrupt_journal(const char* what) { return corrupt(std::string("journal: ") + what); }

}  // namespace detail

std::string pack_journal(std::string_view rows) {
  // Stored as they are: zstd gained only about 1.5x on these rows (f32 values, varint ids) for
  // about a fifth of the writer's CPU per sample, and the journal is short-lived.
  std::string out;
  out.reserve(1 + rows.size());
  stream::wire::put_varint(out, 0);
  out += rows;
  return out;
}

Result<std::string> unpack_journal(std::string_view value) {
  stream::wire::Reader in(value, 0);
  const uint64_t raw = in.varint("journal size");
  if (!in.ok() || raw > kMaxJournalRaw) return corrupt("journal: bad size");
  const std::string_view rest = value.substr(value.size() - in.remaining());
  if (raw == 0) return std::string(rest);  // stored rows (pack_journal)
  // Compressed rows, as versions before the stored form wrote them.
  thread_local stream::ZstdDecompressor decompressor;
  auto rows = decompressor.decompress(rest, raw);
  if (!rows.ok()) return corrupt("journal: " + rows.error().message);
  return rows;
}

namespace {

template <class Msg>
Result<Msg> decode_frame(std::string_view bytes, const char* what) {
  stream::FrameDecoder decoder;
  decoder.feed(bytes);
  auto next = decoder.next();
  if (!next.ok()) return corrupt(std::string(what) + ": " + next.error().message);
  if (!next->has_value() || !std::holds_alternative<Msg>(**next)) {
    return corrupt(std::string(what) + ": not a definition frame");
  }
  return std::get<Msg>(std::move(**next));
}

}  // namespace

std::string encode_host(const model::HostInfo& info) {
  return stream::FrameEncoder().encode(stream::HostDefMsg{0, info});
}

Result<model::HostInfo> decode_host(std::string_view bytes) {
  TRIB_ASSIGN_OR_RETURN(auto msg, decode_frame<stream::HostDefMsg>(bytes, "stored host"));
  return std::move(msg.info);
}

std::string encode_chart(const model::ChartDef& def) {
  return stream::FrameEncoder().encode(stream::ChartDefMsg{0, 0, def});
}

Result<model::ChartDef> decode_chart(std::string_view bytes) {
  TRIB_ASSIGN_OR_RETURN(auto msg, decode_frame<stream::ChartDefMsg>(bytes, "stored chart"));
  return std::move(msg.def);
}

}  // namespace trib::parent::storage::layout
