#pragma once
// The engine behind the collectors of named kernel counters (/proc/net/snmp, /proc/net/netstat,
// /proc/net/sockstat): a table of Netdata charts, each dimension naming the counter it shows
// ("Tcp" "InSegs") and how its value becomes final (rate or gauge, sign and unit factor).
//
// A parser hands it the counters of one read through slots: `slot(section, key)` once per layout
// (a changed header line), then `set(slot, value)` per value, so a round costs no lookups.
// `emit` then defines and submits:
//  - a chart appears once one of its counters is non-zero (Netdata's "auto"); charts with the
//    same `group` appear together, as Netdata enables them with one switch;
//  - rates come from CounterRate (first read primes, a counter going backwards is a gap);
//  - a counter missing from a read (older kernel) is a gap and is primed again.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/collectors/chart_util.h"
#include "common/collectors/collector.h"
#include "common/collectors/proc_text.h"

namespace trib::collectors {

struct TableDim {
  std::string_view section = {};  // "Tcp"; "" for files without sections
  std::string_view key = {};      // "InSegs"
  std::string_view id = {};       // Netdata's dimension id
  std::string_view name = {};     // Netdata's dimension name, when it differs from the id
  double factor = 1;              // Netdata's multiplier/divisor; negative draws below the axis
  bool incremental = true;        // a counter charted as a rate, or else a gauge
};

struct TableChart {
  ChartSpec spec = {};
  std::vector<TableDim> dims = {};
  int group = 0;           // charts of one non-zero group appear together
  bool show_zero = false;  // appears at the first read that has its counters, even when zero
};

class CounterTable {
 public:
  CounterTable(std::vector<TableChart> charts, int32_t update_every);

  // The slot of a counter, or -1 when no chart reads or watches it. For layout changes only.
  int slot(std::string_view section, std::string_view key) const;
  // Reads a counter no chart of the table shows (the collector charts it itself): its slot.
  int watch(std::string_view section, std::string_view key);
  bool present(int slot) const { return present_[slot]; }
  uint64_t value(int slot) const { return values_[slot]; }
  // Forgets the values of the previous read.
  void begin_read();
  void set(int slot, uint64_t value) {
    values_[slot] = value;
    present_[slot] = true;
  }
  // Defines and submits the charts from the values set since begin_read(). `elapsed`: seconds
  // since the previous read, 0 on the first (rate charts are submitted from the second read).
  void emit(double elapsed, int64_t timestamp, MetricSink& sink);

  // How many dimensions are defined so far (for tests and sizing).
  size_t defined_dimensions() const;

 private:
  struct Dim {
    int slot = -1;
    double factor = 1;
    bool incremental = true;
    CounterRate rate = {};
  };
  struct Chart {
    EmittedChart chart;
    std::vector<Dim> dims;
    int group = 0;
    bool show_zero = false;
    bool has_rates = false;
  };
  struct Slot {
    std::string section, key;
  };

  int add_slot(std::string_view section, std::string_view key);
  bool any_non_zero(const Chart& chart) const;
  bool any_present(const Chart& chart) const;

  std::vector<Chart> charts_;
  std::vector<Slot> slots_;
  std::vector<uint64_t> values_;
  std::vector<bool> present_;
  std::vector<int> enabled_groups_;
};

// Parses files made of line pairs, a header naming the counters and a line of their values:
//   Tcp: RtoAlgorithm RtoMin ... InSegs OutSegs
//   Tcp: 1 200 ... 1234 5678
// Each pair's layout (which column feeds which slot) is kept while its header stays the same.
class HeaderValuePairs {
 public:
  void parse(std::string_view text, CounterTable& table);

 private:
  struct Layout {
    std::string header;
    size_t section_length = 0;
    std::vector<int> slots;  // by column
  };
  std::vector<Layout> layouts_;
};

// Parses files of "Section: name value name value ..." lines (/proc/net/sockstat):
//   TCP: inuse 2 orphan 0 tw 446 alloc 2 mem 138
// The slot of each (line, pair) is kept while the name at that place stays the same.
class NameValueLines {
 public:
  void parse(std::string_view text, CounterTable& table);

 private:
  struct Pair {
    std::string section, name;
    int slot = -1;
  };
  std::vector<std::vector<Pair>> lines_;
};

// Parses files of "key value" lines (/proc/vmstat) or "Key: value kB" lines (/proc/meminfo,
// the colon dropped): section "". The slot of each line is kept while its key stays the same.
class KeyValueLines {
 public:
  void parse(std::string_view text, CounterTable& table);

 private:
  struct Line {
    std::string key;
    int slot = -1;
  };
  std::vector<Line> lines_;
};

// A collector that is one CounterTable over one file: read it, let Parser hand the counters to
// the table, emit. The collectors of named counters derive from it and only build their table.
template <class Parser>
class CounterTableCollector : public Collector {
 public:
  CounterTableCollector(std::string path, size_t buffer_bytes, std::vector<TableChart> charts,
                        int32_t update_every)
      : path_(std::move(path)), reader_(buffer_bytes), table_(std::move(charts), update_every) {}

  Status collect(int64_t now_us, MetricSink& sink) override {
    TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
    table_.begin_read();
    parser_.parse(text, table_);
    table_.emit(elapsed_.advance(now_us), timestamp_of(now_us), sink);
    return ok_status();
  }

 private:
  std::string path_;
  FileReader reader_;
  Elapsed elapsed_;
  CounterTable table_;
  Parser parser_;
};

}  // namespace trib::collectors
