#include "common/collectors/counter_table.h"

#include <algorithm>

#include "common/collectors/proc_text.h"

namespace trib::collectors {

CounterTable::CounterTable(std::vector<TableChart> charts, int32_t update_every) {
  charts_.reserve(charts.size());
  for (TableChart& table_chart : charts) {
    Chart chart;
    chart.group = table_chart.group;
    chart.show_zero = table_chart.show_zero;
    std::vector<model::DimensionDef> dimensions;
    for (const TableDim& d : table_chart.dims) {
      dimensions.push_back(dimension(std::string(d.id), std::string(d.name)));
      chart.dims.push_back(
          {.slot = add_slot(d.section, d.key), .factor = d.factor, .incremental = d.incremental});
      chart.has_rates = chart.has_rates || d.incremental;
    }
    chart.chart.def = make_chart(std::move(table_chart.spec), update_every, std::move(dimensions));
    charts_.push_back(std::move(chart));
  }
  values_.assign(slots_.size(), 0);
  present_.assign(slots_.size(), false);
}

int CounterTable::watch(std::string_view section, std::string_view key) {
  int index = add_slot(section, key);
  values_.resize(slots_.size(), 0);
  present_.resize(slots_.size(), false);
  return index;
}

int CounterTable::add_slot(std::string_view section, std::string_view key) {
  int existing = slot(section, key);
  if (existing >= 0) return existing;
  slots_.push_back({std::string(section), std::string(key)});
  return static_cast<int>(slots_.size()) - 1;
}

int CounterTable::slot(std::string_view section, std::string_view key) const {
  for (size_t i = 0; i < slots_.size(); ++i) {
    if (slots_[i].key == key && slots_[i].section == section) return static_cast<int>(i);
  }
  return -1;
}

void CounterTable::begin_read() { std::fill(present_.begin(), present_.end(), false); }

bool CounterTable::any_non_zero(const Chart& chart) const {
  for (const Dim& dim : chart.dims) {
    if (present_[dim.slot] && values_[dim.slot] != 0) return true;
  }
  return false;
}

bool CounterTable::any_present(const Chart& chart) const {
  for (const Dim& dim : chart.dims) {
    if (present_[dim.slot]) return true;
  }
  return false;
}

void CounterTable::emit(double elapsed, int64_t timestamp, MetricSink& sink) {
  enabled_groups_.clear();
  for (const Chart& chart : charts_) {
    if (chart.group != 0 && (chart.chart.defined || any_non_zero(chart))) {
      enabled_groups_.push_back(chart.group);
    }
  }
  for (Chart& chart : charts_) {
    auto& values = chart.chart.sample.values;
    values.resize(chart.dims.size());
    for (size_t i = 0; i < chart.dims.size(); ++i) {
      Dim& dim = chart.dims[i];
      if (!present_[dim.slot]) {
        dim.rate = CounterRate{};  // primed again when the counter comes back
        values[i] = model::kNoValue;
        continue;
      }
      double value = static_cast<double>(values_[dim.slot]);
      if (dim.incremental) value = dim.rate.update(values_[dim.slot], elapsed);
      values[i] = value * dim.factor;
    }
    bool enabled = chart.chart.defined || any_non_zero(chart) ||
                   (chart.show_zero && any_present(chart)) ||
                   (chart.group != 0 &&
                    std::ranges::find(enabled_groups_, chart.group) != enabled_groups_.end());
    if (!enabled) continue;
    chart.chart.ensure_defined(sink);
    if (!chart.has_rates || elapsed > 0) chart.chart.submit_current(sink, timestamp);
  }
}

size_t CounterTable::defined_dimensions() const {
  size_t count = 0;
  for (const Chart& chart : charts_) {
    if (chart.chart.defined) count += chart.dims.size();
  }
  return count;
}

void HeaderValuePairs::parse(std::string_view text, CounterTable& table) {
  Tokenizer lines(text);
  size_t pair = 0;
  while (!lines.done()) {
    std::string_view header = lines.next_line();
    std::string_view values = lines.next_line();
    size_t colon = header.find(':');
    if (colon == std::string_view::npos) continue;
    if (pair >= layouts_.size()) layouts_.resize(pair + 1);
    Layout& layout = layouts_[pair++];
    if (layout.header != header) {
      layout.header = std::string(header);
      layout.section_length = colon;
      layout.slots.clear();
      std::string_view section = header.substr(0, colon);
      Tokenizer names(header.substr(colon + 1));
      for (std::string_view name = names.next_word(); !name.empty(); name = names.next_word()) {
        layout.slots.push_back(table.slot(section, name));
      }
    }
    // The values line must belong to the same section ("Tcp: 1 200 ...").
    if (values.size() <= layout.section_length || values[layout.section_length] != ':' ||
        values.substr(0, layout.section_length) !=
            std::string_view(layout.header).substr(0, layout.section_length)) {
      continue;
    }
    Tokenizer words(values.substr(layout.section_length + 1));
    for (int slot : layout.slots) {
      std::string_view word = words.next_word();
      if (word.empty()) break;
      uint64_t value = 0;
      if (slot >= 0 && parse_u64(word, value)) table.set(slot, value);
    }
  }
}

void KeyValueLines::parse(std::string_view text, CounterTable& table) {
  Tokenizer lines(text);
  size_t index = 0;
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view key = words.next_word();
    if (key.ends_with(':')) key.remove_suffix(1);
    if (key.empty()) continue;
    if (index >= lines_.size()) lines_.resize(index + 1);
    Line& line = lines_[index++];
    if (line.key != key) {
      line.key = std::string(key);
      line.slot = table.slot("", key);
    }
    uint64_t value = 0;
    if (line.slot >= 0 && parse_u64(words.next_word(), value)) table.set(line.slot, value);
  }
}

void NameValueLines::parse(std::string_view text, CounterTable& table) {
  Tokenizer lines(text);
  size_t index = 0;
  while (!lines.done()) {
    std::string_view line = lines.next_line();
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view section = line.substr(0, colon);
    if (index >= lines_.size()) lines_.resize(index + 1);
    std::vector<Pair>& pairs = lines_[index++];
    Tokenizer words(line.substr(colon + 1));
    size_t position = 0;
    for (std::string_view name = words.next_word(); !name.empty(); name = words.next_word()) {
      std::string_view value_text = words.next_word();
      if (position >= pairs.size()) pairs.resize(position + 1);
      Pair& pair = pairs[position++];
      if (pair.name != name || pair.section != section) {
        pair.section = std::string(section);
        pair.name = std::string(name);
        pair.slot = table.slot(section, name);
      }
      uint64_t value = 0;
      if (pair.slot >= 0 && parse_u64(value_text, value)) table.set(pair.slot, value);
    }
  }
}

}  // namespace trib::collectors
