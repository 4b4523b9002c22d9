// Fuzzes the parsers of the kernel-table collectors (cpu_table.h, counter_table.h) with
// arbitrary file contents: interrupt lines carry driver-chosen names, and a parser must never
// read past what it was given, whatever a kernel or a fake tree puts in the file. Each input is
// fed twice, so the layout caches (kept positions, slots) are exercised on a second read.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/collectors/counter_table.h"
#include "common/collectors/cpu_table.h"

namespace {
using namespace trib::collectors;

class NullSink final : public MetricSink {
 public:
  void define(const trib::model::ChartDef&) override {}
  void submit(const std::string&, const trib::model::ChartSample& sample) override {
    (void)sample.values.size();
  }
};

std::vector<TableChart> charts() {
  return {{{.id = "t.a", .title = "A", .units = "x"},
           {{.section = "Tcp", .key = "InSegs", .id = "InSegs"},
            {.section = "", .key = "pgfault", .id = "minor", .factor = -1},
            {.section = "TCP", .key = "inuse", .id = "inuse", .incremental = false}},
           1},
          {{.id = "t.b", .title = "B", .units = "x"},
           {{.section = "Ip", .key = "InReceives", .id = "InReceives"}},
           1,
           true}};
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  NullSink sink;
  CpuTable cpus({.system = {.id = "system.interrupts", .title = "I", .units = "x"},
                 .core_id_suffix = "_interrupts",
                 .name_with_device = true},
                1);
  CounterTable table(charts(), 1);
  HeaderValuePairs pairs;
  NameValueLines names;
  KeyValueLines keys;
  for (int round = 0; round < 2; ++round) {
    (void)cpus.collect(text, round, round, sink);
    table.begin_read();
    pairs.parse(text, table);
    names.parse(text, table);
    keys.parse(text, table);
    table.emit(round, round, sink);
  }
  return 0;
}
