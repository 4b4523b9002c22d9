#pragma once
// The messages of the native stream protocol (docs/protocol.md §4). Slot ids are scoped to one
// connection and assigned by the sender: a host slot names an origin host (a proxy forwards many
// over one connection), a chart slot names one chart of one host, unique per connection.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/model/metrics.h"

namespace trib::stream {

// Defines (or redefines, e.g. new labels) the host behind `host_slot`.
struct HostDefMsg {
  uint32_t host_slot = 0;
  model::HostInfo info;

  bool operator==(const HostDefMsg&) const = default;
};

// Defines or redefines a chart; `chart_slot` stays bound to `host_slot` for the connection.
struct ChartDefMsg {
  uint32_t host_slot = 0;
  uint32_t chart_slot = 0;
  model::ChartDef def;

  bool operator==(const ChartDefMsg&) const = default;
};

// A batch of collected rows for one host, numbered by `seq`: per origin host, starting at 1,
// strictly increasing. Each row holds one value per dimension of its chart, in definition order.
// The values of all rows share one buffer (a receiver decodes millions of rows a second: one
// allocation per batch, not one per row); a row names its slice of it.
struct SamplesMsg {
  struct Row {
    uint32_t chart_slot = 0;
    int64_t timestamp = 0;     // seconds since the epoch
    uint32_t first_value = 0;  // values_of(row) is values[first_value, first_value + value_count)
    uint32_t value_count = 0;
  };
  uint32_t host_slot = 0;
  uint64_t seq = 0;
  // (`= {}`: designated initializers naming only host_slot and seq stay warning-free.)
  std::vector<Row> rows = {};  // erasing rows leaves the others' values where they are
  std::vector<double> values = {};

  void add_row(uint32_t chart_slot, int64_t timestamp, std::span<const double> row_values);
  std::span<const double> values_of(const Row& row) const {
    return std::span<const double>(values).subspan(row.first_value, row.value_count);
  }
};

// Receiver to sender, cumulative: every batch of this host with seq <= `seq` is stored.
struct AckMsg {
  uint32_t host_slot = 0;
  uint64_t seq = 0;

  bool operator==(const AckMsg&) const = default;
};

// Receiver to sender, the answer to a HostDef: batches up to `last_stored_seq` are stored
// already, so the sender skips them (0: nothing stored).
struct HostResumeMsg {
  uint32_t host_slot = 0;
  uint64_t last_stored_seq = 0;

  bool operator==(const HostResumeMsg&) const = default;
};

// Either direction: proof of life when there is nothing else to send.
struct KeepaliveMsg {
  bool operator==(const KeepaliveMsg&) const = default;
};

// Either direction: a clean stop of one host (`host_slot`), or of everything on the connection
// (kAllHosts), so the receiver can tell a stop from a lost host.
inline constexpr uint32_t kAllHosts = UINT32_MAX;
struct GoodbyeMsg {
  uint32_t host_slot = kAllHosts;
  std::string reason;

  bool operator==(const GoodbyeMsg&) const = default;
};

// A log file as the agent names it: the path it was first found at (a rotated file keeps the
// name of the file it was) and the attributes its source configures.
struct LogSource {
  std::string path;
  std::vector<std::pair<std::string, std::string>> attributes;

  bool operator==(const LogSource&) const = default;
};

// Flags of a log record.
inline constexpr uint8_t kLogLineContinues = 0x01;     // split at max_line_bytes: more follows
inline constexpr uint8_t kLogLineUnterminated = 0x02;  // no '\n': the file was rotated away
inline constexpr uint8_t kLogRecordFlags = kLogLineContinues | kLogLineUnterminated;

// One line (or one piece of a split line) of a log file. (source, generation, offset) names it
// uniquely: a receiver stores a record at most once, whatever is resent.
struct LogRecord {
  uint32_t source = 0;      // index into LogsMsg::sources
  uint64_t generation = 0;  // of the source: a new file at the path, or a truncation, is a new one
  uint64_t offset = 0;      // of the line's first byte in that generation
  int64_t time_ms = 0;      // when the agent read it, Unix milliseconds
  uint8_t flags = 0;
  std::string line;                                             // after redaction, without the '\n'
  std::vector<std::pair<std::string, std::string>> attributes;  // from the parser

  bool operator==(const LogRecord&) const = default;
};

// A batch of log records of one host, numbered in the same sequence as its Samples batches.
struct LogsMsg {
  uint32_t host_slot = 0;
  uint64_t seq = 0;
  std::vector<LogSource> sources;
  std::vector<LogRecord> records;

  bool operator==(const LogsMsg&) const = default;
};

// Bytes of a log file that will never arrive, and why (the spool was full, a rotated file was
// closed before its end to free disk space, ...). Nothing is skipped without one.
struct LogGap {
  std::string source;  // the LogSource path
  uint64_t generation = 0;
  uint64_t from = 0;  // byte range [from, to) of that generation
  uint64_t to = 0;
  int64_t time_ms = 0;  // when the agent gave the bytes up
  std::string reason;

  bool operator==(const LogGap&) const = default;
};

// Seconds of a host's samples that will never arrive, and why (a proxy's full spool dropped the
// batch that held them). Every chart of the host may lack rows in [from_s, to_s).
struct MetricGap {
  int64_t from_s = 0;  // [from_s, to_s): the rows of the dropped batch, to_s = its last row + 1
  int64_t to_s = 0;
  int64_t time_ms = 0;  // when the sender gave the rows up
  std::string reason;

  bool operator==(const MetricGap&) const = default;
};

struct GapsMsg {
  uint32_t host_slot = 0;
  uint64_t seq = 0;
  std::vector<LogGap> gaps;
  std::vector<MetricGap> metric_gaps;  // encoded only when not empty (docs/protocol.md §4.3)

  bool operator==(const GapsMsg&) const = default;
};

using Message = std::variant<HostDefMsg, ChartDefMsg, SamplesMsg, AckMsg, HostResumeMsg,
                             KeepaliveMsg, GoodbyeMsg, LogsMsg, GapsMsg>;

// The frame type byte of each message (docs/protocol.md §4.2). 0 is never valid.
enum class FrameType : uint8_t {
  host_def = 1,
  chart_def = 2,
  samples = 3,
  ack = 4,
  host_resume = 5,
  keepalive = 6,
  goodbye = 7,
  logs = 8,
  gaps = 9,
};

FrameType frame_type(const Message& message);
std::string_view to_string(FrameType type);

// Batches compare their rows' values bitwise, so NaN (kNoValue) equals NaN: what a round trip
// must preserve; where the values sit in the shared buffer does not matter.
bool operator==(const SamplesMsg& a, const SamplesMsg& b);

}  // namespace trib::stream
