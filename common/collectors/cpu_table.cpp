#include "common/collectors/cpu_table.h"

#include <algorithm>

#include "common/collectors/proc_text.h"

namespace trib::collectors {
namespace {
bool is_digit(char c) { return c >= '0' && c <= '9'; }

void reset_values(EmittedChart& chart) {
  chart.sample.values.assign(chart.def.dimensions.size(), model::kNoValue);
}

// Defines (if it has dimensions) and submits from the second read on.
void emit(EmittedChart& chart, double elapsed, int64_t timestamp, MetricSink& sink) {
  if (chart.def.dimensions.empty()) return;
  chart.ensure_defined(sink);
  if (elapsed > 0) chart.submit_current(sink, timestamp);
}
}  // namespace

CpuTable::CpuTable(CpuTableSpec spec, int32_t update_every)
    : spec_(std::move(spec)), update_every_(update_every) {
  system_.def = make_chart(spec_.system, update_every_, {});
}

bool CpuTable::parse_header(std::string_view header) {
  if (header == header_) return !column_cpu_.empty();
  header_ = std::string(header);
  column_cpu_.clear();
  Tokenizer words(header);
  for (std::string_view word = words.next_word(); !word.empty(); word = words.next_word()) {
    uint64_t cpu = 0;
    if (word.starts_with("CPU") && parse_u64(word.substr(3), cpu)) {
      column_cpu_.push_back(static_cast<int>(cpu));
    }
  }
  return !column_cpu_.empty();
}

CpuTable::Line& CpuTable::line_at(size_t position, std::string_view id, std::string_view rest) {
  if (position < order_.size() && order_[position]->id == id) return *order_[position];
  Line* line = nullptr;
  if (auto it = by_id_.find(std::string(id)); it != by_id_.end()) {
    line = it->second;
  } else {
    auto created = std::make_unique<Line>();
    created->id = std::string(id);
    if (spec_.name_with_device && is_digit(id.front())) {
      // Netdata names a numbered line after its device (the last word) when the line has a
      // description of two words or more after the counts.
      Tokenizer words(rest);
      for (size_t i = 0; i < column_cpu_.size(); ++i) words.next_word();
      std::string_view last;
      size_t description_words = 0;
      for (std::string_view w = words.next_word(); !w.empty(); w = words.next_word()) {
        last = w;
        ++description_words;
      }
      if (description_words >= 2) created->name = std::string(last) + "_" + created->id;
    }
    line = created.get();
    by_id_.emplace(created->id, line);
    lines_.push_back(std::move(created));
  }
  if (position >= order_.size()) order_.resize(position + 1);
  order_[position] = line;
  return *line;
}

void CpuTable::add_dimension(EmittedChart& chart, const Line& line, int& index) {
  chart.def.dimensions.push_back(dimension(line.id, line.name));
  chart.sample.values.push_back(model::kNoValue);
  chart.defined = false;  // redefined with the appended dimension
  index = static_cast<int>(chart.def.dimensions.size()) - 1;
}

CpuTable::Core& CpuTable::core(int cpu) {
  if (static_cast<size_t>(cpu) >= cores_.size()) cores_.resize(cpu + 1);
  auto& slot = cores_[cpu];
  if (!slot) {
    slot = std::make_unique<Core>();
    slot->chart.def = make_chart({.id = "cpu.cpu" + std::to_string(cpu) + spec_.core_id_suffix,
                                  .title = spec_.core_title,
                                  .units = spec_.system.units,
                                  .family = spec_.core_family,
                                  .context = spec_.core_context,
                                  .type = spec_.system.type,
                                  .priority = spec_.core_priority + cpu,
                                  .plugin = spec_.system.plugin,
                                  .module = spec_.system.module},
                                 update_every_, {});
  }
  return *slot;
}

void CpuTable::update_line(Line& line, std::string_view values, double elapsed) {
  int max_cpu = 0;
  for (int cpu : column_cpu_) max_cpu = std::max(max_cpu, cpu);
  if (line.cpu_rates.size() <= static_cast<size_t>(max_cpu)) {
    line.cpu_rates.resize(max_cpu + 1);
    line.core_dim.resize(max_cpu + 1, -1);
  }
  Tokenizer words(values);
  bool more = true;  // lines such as "ERR:" have fewer counts than CPUs: the rest count as 0
  uint64_t total = 0;
  for (int cpu : column_cpu_) {
    uint64_t count = 0;
    if (more) more = parse_u64(words.next_word(), count);
    if (!more) count = 0;
    total += count;
    double per_second = line.cpu_rates[cpu].update(count, elapsed);
    int& dim = line.core_dim[cpu];
    if (dim < 0 && count == 0) continue;
    EmittedChart& chart = core(cpu).chart;
    if (dim < 0) add_dimension(chart, line, dim);
    chart.sample.values[dim] = per_second;
  }
  line.total_per_second = line.total_rate.update(total, elapsed);
  if (line.system_dim < 0 && total != 0) add_dimension(system_, line, line.system_dim);
}

bool CpuTable::collect(std::string_view text, double elapsed, int64_t timestamp, MetricSink& sink) {
  Tokenizer lines(text);
  if (!parse_header(lines.next_line())) return false;
  reset_values(system_);
  for (auto& slot : cores_) {
    if (slot) reset_values(slot->chart);
  }
  for (auto& line : lines_) line->seen = false;

  size_t position = 0;
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view id = words.next_word();
    if (id.ends_with(':')) id.remove_suffix(1);
    if (id.empty()) continue;
    Line& line = line_at(position++, id, words.rest());
    if (line.seen) continue;  // a duplicated id: the first line counts
    line.seen = true;
    update_line(line, words.rest(), elapsed);
  }
  order_.resize(position);

  for (const auto& line : lines_) {
    if (line->seen && line->system_dim >= 0) {
      system_.sample.values[line->system_dim] = line->total_per_second;
    }
  }
  emit(system_, elapsed, timestamp, sink);
  for (auto& slot : cores_) {
    if (slot) emit(slot->chart, elapsed, timestamp, sink);
  }
  return true;
}

CpuTableCollector::CpuTableCollector(std::string path, CpuTableSpec spec, int32_t update_every,
                                     size_t read_capacity)
    : path_(std::move(path)), reader_(read_capacity), table_(std::move(spec), update_every) {}

Status CpuTableCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  const double elapsed = elapsed_.advance(now_us);
  if (!table_.collect(text, elapsed, timestamp_of(now_us), sink)) {
    return Error(Errc::parse_error, path_ + ": no CPU columns in the first line");
  }
  return ok_status();
}

}  // namespace trib::collectors
