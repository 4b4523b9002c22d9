#pragma once
// The metric data model shared by agent, protocol and parent (ARCHITECTURE.md §3). Netdata's
// model, so its users feel at home: hosts hold charts ("type.name"), charts hold dimensions.
// Values are final values: rates are computed where the data is collected.

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace trib::model {

enum class ChartType : uint8_t { line = 0, area = 1, stacked = 2 };
std::string_view to_string(ChartType type);
bool parse_chart_type(std::string_view text, ChartType& out);

// How a Netdata collector's raw value becomes the stored value. Tributary collectors send
// final values (always `absolute`); the field exists for the Netdata receiver and for display.
enum class Algorithm : uint8_t {
  absolute = 0,
  incremental = 1,
  percentage_of_absolute_row = 2,
  percentage_of_incremental_row = 3,
};
std::string_view to_string(Algorithm algorithm);
bool parse_algorithm(std::string_view text, Algorithm& out);

struct DimensionDef {
  std::string id;    // unique within its chart
  std::string name;  // display name; defaults to id
  Algorithm algorithm = Algorithm::absolute;
  int64_t multiplier = 1;
  int64_t divisor = 1;
  bool hidden = false;

  bool operator==(const DimensionDef&) const = default;
};

struct ChartDef {
  std::string id;    // "type.name", e.g. "system.cpu"
  std::string name;  // display name; defaults to id
  std::string title;
  std::string units;
  std::string family;
  std::string context;  // e.g. "system.cpu", "disk.io" for every disk chart
  ChartType chart_type = ChartType::line;
  int32_t priority = 1000;
  int32_t update_every = 1;  // seconds
  std::string plugin;        // e.g. "proc"
  std::string module;        // e.g. "/proc/stat"
  std::vector<DimensionDef> dimensions;

  bool operator==(const ChartDef&) const = default;
  // "system" of "system.cpu".
  std::string_view type() const;
};

using Label = std::pair<std::string, std::string>;

struct HostInfo {
  std::string machine_guid;
  std::string hostname;
  std::string os = "linux";
  std::string timezone = "UTC";
  std::string program_name = "tributary";  // from the User-Agent or the native handshake
  std::string program_version;
  int32_t update_every = 1;
  int32_t hops = 0;  // 0 for the host itself, +1 per streaming hop
  std::vector<Label> labels;

  bool operator==(const HostInfo&) const = default;
};

// A missing value (the collector could not read it this time): stored as a gap.
inline constexpr double kNoValue = std::numeric_limits<double>::quiet_NaN();

// One collection of one chart: a value per dimension, in the chart's dimension order, at one
// timestamp (seconds since the epoch).
struct ChartSample {
  int64_t timestamp = 0;
  std::vector<double> values;
};

}  // namespace trib::model
