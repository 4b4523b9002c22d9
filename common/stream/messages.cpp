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

bool operator==(const SamplesMsg::Row& a, const SamplesMsg::Row& b) {
  return a.chart_slot == b.chart_slot && a.timestamp == b.timestamp &&
         std::equal(a.values.begin(), a.values.end(), b.values.begin(), b.values.end(),
                    [](double x, double y) {
                      return std::bit_cast<uint64_t>(x) == std::bit_cast<uint64_t>(y);
                    });
}

bool operator==(const SamplesMsg& a, const SamplesMsg& b) {
  return a.host_slot == b.host_slot && a.seq == b.seq && a.rows == b.rows;
}

}  // namespace trib::stream
