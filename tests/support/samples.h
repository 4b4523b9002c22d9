#pragma once
// Samples batches written out in tests: rows with their values inline, as
// samples_msg(host_slot, seq, {{chart_slot, timestamp, {values...}}, ...}), and a row's values
// back as a vector to compare.

#include <cstdint>
#include <vector>

#include "common/stream/messages.h"

namespace trib::test {

struct SampleRow {
  uint32_t chart_slot = 0;
  int64_t timestamp = 0;
  std::vector<double> values;
};

inline stream::SamplesMsg samples_msg(uint32_t host_slot, uint64_t seq,
                                      const std::vector<SampleRow>& rows) {
  stream::SamplesMsg msg{.host_slot = host_slot, .seq = seq};
  for (const SampleRow& row : rows) msg.add_row(row.chart_slot, row.timestamp, row.values);
  return msg;
}

inline std::vector<double> row_values(const stream::SamplesMsg& msg, size_t row) {
  const auto values = msg.values_of(msg.rows.at(row));
  return {values.begin(), values.end()};
}

}  // namespace trib::test
