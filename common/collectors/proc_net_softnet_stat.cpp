#include "common/collectors/proc_net_softnet_stat.h"

#include <charconv>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/softnet_stat";

struct Column {
  size_t index;
  const char* id;
};
// https://github.com/torvalds/linux/blob/master/net/core/net-procfs.c (softnet_seq_show)
constexpr Column kCharted[] = {{0, "processed"},
                               {1, "dropped"},
                               {2, "squeezed"},
                               {9, "received_rps"},
                               {10, "flow_limit_count"}};

bool parse_hex(std::string_view text, uint64_t& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return error == std::errc() && end == text.data() + text.size();
}

std::vector<model::DimensionDef> dimensions(size_t count) {
  std::vector<model::DimensionDef> dims;
  for (size_t i = 0; i < count; ++i) dims.push_back(dimension(kCharted[i].id));
  return dims;
}
}  // namespace

ProcNetSoftnetStatCollector::ProcNetSoftnetStatCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/net/softnet_stat"), update_every_(context.update_every) {}

ProcNetSoftnetStatCollector::Row& ProcNetSoftnetStatCollector::row(size_t index) {
  if (index >= rows_.size()) rows_.resize(index + 1);
  auto& slot = rows_[index];
  if (!slot) {
    slot = std::make_unique<Row>();
    slot->chart.def = make_chart({.id = "cpu.cpu" + std::to_string(index) + "_softnet_stat",
                                  .title = "CPU softnet_stat",
                                  .units = "events/s",
                                  .family = "softnet_stat",
                                  .context = "cpu.softnet_stat",
                                  .priority = 4101 + static_cast<int32_t>(index),
                                  .module = kModule},
                                 update_every_, dimensions(dimensions_));
  }
  return *slot;
}

Status ProcNetSoftnetStatCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  Tokenizer lines(text);

  if (dimensions_ == 0) {
    // The kernel's column count is fixed: the first row says which charted columns exist.
    Tokenizer words(Tokenizer(text).next_line());
    size_t columns = 0;
    while (!words.next_word().empty()) ++columns;
    for (const Column& column : kCharted) dimensions_ += column.index < columns ? 1 : 0;
    if (dimensions_ == 0) return Error(Errc::parse_error, path_ + ": no counters in the first row");
    system_.def = make_chart({.id = "system.softnet_stat",
                              .title = "System softnet_stat",
                              .units = "events/s",
                              .family = "softnet_stat",
                              .context = "system.softnet_stat",
                              .priority = 955,
                              .module = kModule},
                             update_every_, dimensions(dimensions_));
  }

  auto& total = system_.sample.values;
  total.assign(dimensions_, 0.0);
  size_t index = 0;
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    Row& r = row(index++);
    auto& values = r.chart.sample.values;
    values.assign(dimensions_, model::kNoValue);
    size_t column = 0, next = 0;
    for (std::string_view word = words.next_word(); !word.empty() && next < dimensions_;
         word = words.next_word(), ++column) {
      if (column != kCharted[next].index) continue;
      uint64_t counter = 0;
      bool primed = r.rates[next].primed();
      values[next] =
          parse_hex(word, counter) ? r.rates[next].update(counter, elapsed) : model::kNoValue;
      // A row seen for the first time adds nothing; a wrap (NaN) makes the total a gap too.
      if (primed) total[next] += values[next];
      ++next;
    }
    r.chart.ensure_defined(sink);
    if (r.primed) r.chart.submit_current(sink, timestamp);
    r.primed = true;
  }
  system_.ensure_defined(sink);
  if (elapsed > 0) system_.submit_current(sink, timestamp);
  return ok_status();
}

std::unique_ptr<Collector> make_proc_net_softnet_stat(const CollectorContext& context) {
  return std::make_unique<ProcNetSoftnetStatCollector>(context);
}

}  // namespace trib::collectors
