#include "common/stream/messages.h"

#include <algorithm>
#include <bit>

namespace trib::stream {

FrameType frame_type(const Message& message) {
  // The variant's alternatives are in frame-type order, starting at 1.
  return static_cast<FrameType>(message.index() + 1);
}

std::string_view to_string(FrameType type) {
  switch (type) {
    case FrameType::host_def:
      return "HostDef";
    case FrameType::chart_def:
      return "ChartDef";
    case FrameType::samples:
      return "Samples";
    case FrameType::ack:
      return "Ack";
    case FrameType::host_resume:
      return "HostResume";
    case FrameType::keepalive:
      return "Keepalive";
    case FrameType::goodbye:
      return "Goodbye";
    case FrameType::logs:
      return "Logs";
    case FrameType::gaps:
      return "Gaps";
  }
  return "unknown";
}

void SamplesMsg::add_row(uint32_t chart_slot, int64_t timestamp,
                         std::span<const double> row_values) {
  rows.push_back(Row{chart_slot, timestamp, static_cast<uint32_t>(values.size()),
                     static_cast<uint32_t>(row_values.size())});
  values.insert(values.end(), row_values.begin(), row_values.end());
}

bool operator==(const SamplesMsg& a, const SamplesMsg& b) {
  const auto same_row = [&](const SamplesMsg::Row& x, const SamplesMsg::Row& y) {
    const auto xs = a.values_of(x);
    const auto ys = b.values_of(y);
    return x.chart_slot == y.chart_slot && x.timestamp == y.timestamp &&
           std::equal(xs.begin(), xs.end(), ys.begin(), ys.end(), [](double p, double q) {
             return std::bit_cast<uint64_t>(p) == std::bit_cast<uint64_t>(q);
           });
  };
  return a.host_slot == b.host_slot && a.seq == b.seq &&
         std::equal(a.rows.begin(), a.rows.end(), b.rows.begin(), b.rows.end(), same_row);
}

}  // namespace trib::stream
