#include "common/collectors/proc_stat.h"

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/stat";

// Netdata adds the dimensions in this order (stacked charts draw them so).
std::vector<model::DimensionDef> cpu_dimensions() {
  return {dimension("guest_nice"), dimension("guest"),
          dimension("steal"),      dimension("softirq"),
          dimension("irq"),        dimension("user"),
          dimension("system"),     dimension("nice"),
          dimension("iowait"),     dimension("idle", {}, /*hidden=*/true)};
}

model::ChartDef cpu_chart_def(std::string_view label, int32_t update_every) {
  if (label == "cpu") {
    return make_chart({.id = "system.cpu",
                       .title = "Total CPU utilization",
                       .units = "percentage",
                       .family = "cpu",
                       .context = "system.cpu",
                       .type = model::ChartType::stacked,
                       .priority = 100,
                       .module = kModule},
                      update_every, cpu_dimensions());
  }
  uint64_t core = 0;
  parse_u64(label.substr(3), core);
  return make_chart({.id = "cpu." + std::string(label),
                     .title = "Core utilization",
                     .units = "percentage",
                     .family = "utilization",
                     .context = "cpu.cpu",
                     .type = model::ChartType::stacked,
                     .priority = 1000 + static_cast<int32_t>(core) + 1,
                     .module = kModule},
                    update_every, cpu_dimensions());
}

model::ChartDef single_rate_chart(std::string id, std::string title, std::string units,
                                  std::string family, int32_t priority, std::string dim,
                                  int32_t update_every) {
  return make_chart(proc_chart(kModule, std::move(id), std::move(title), std::move(units),
                               std::move(family), priority),
                    update_every, {dimension(std::move(dim))});
}
}  // namespace

ProcStatCollector::ProcStatCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/stat"), update_every_(context.update_every) {
  total_.chart.def = cpu_chart_def("cpu", update_every_);
  intr_.def = single_rate_chart("system.intr", "CPU Interrupts", "interrupts/s", "interrupts", 900,
                                "interrupts", update_every_);
  ctxt_.def = single_rate_chart("system.ctxt", "CPU Context Switches", "context switches/s",
                                "processes", 800, "switches", update_every_);
  forks_.def = single_rate_chart("system.forks", "Started Processes", "processes/s", "processes",
                                 700, "started", update_every_);
  processes_.def = make_chart({.id = "system.processes",
                               .title = "System Processes",
                               .units = "processes",
                               .family = "processes",
                               .context = "system.processes",
                               .priority = 600,
                               .module = kModule},
                              update_every_, {dimension("running"), dimension("blocked")});
}

ProcStatCollector::CpuChart& ProcStatCollector::cpu_chart(std::string_view label) {
  if (label == "cpu") return total_;
  uint64_t core = 0;
  parse_u64(label.substr(3), core);
  if (core >= cores_.size()) cores_.resize(core + 1);
  auto& slot = cores_[core];
  if (!slot) {
    slot = std::make_unique<CpuChart>();
    slot->chart.def = cpu_chart_def(label, update_every_);
  }
  return *slot;
}

void ProcStatCollector::collect_cpu(std::string_view label, Tokenizer& words, int64_t timestamp,
                                    MetricSink& sink) {
  // /proc/stat order: user nice system idle iowait irq softirq steal guest guest_nice.
  std::array<uint64_t, kStates> raw{};
  size_t fields = 0;
  for (; fields < kStates; ++fields) {
    std::string_view word = words.next_word();
    if (word.empty() || !parse_u64(word, raw[fields])) break;
  }
  if (fields < 8) return;  // older kernels lack guest fields; fewer than 8 is not a cpu line
  auto [user, nice, system, idle, iowait, irq, softirq, steal, guest, guest_nice] = raw;
  // As Netdata does: user includes guest and nice includes guest_nice.
  user = user >= guest ? user - guest : 0;
  nice = nice >= guest_nice ? nice - guest_nice : 0;
  std::array<uint64_t, kStates> now = {guest_nice, guest,  steal, softirq, irq,
                                       user,       system, nice,  iowait,  idle};

  CpuChart& cpu = cpu_chart(label);
  cpu.chart.ensure_defined(sink);
  bool emit = cpu.primed;
  uint64_t total = 0;
  for (size_t i = 0; i < kStates && emit; ++i) {
    if (now[i] < cpu.last[i]) emit = false;  // a counter went backwards: gap, re-prime
    total += now[i] - cpu.last[i];
  }
  if (cpu.primed) {
    auto& values = cpu.chart.sample.values;
    values.assign(kStates, model::kNoValue);
    for (size_t i = 0; i < kStates && emit; ++i) {
      values[i] = total == 0 ? 0.0
                             : static_cast<double>(now[i] - cpu.last[i]) * 100.0 /
                                   static_cast<double>(total);
    }
    cpu.chart.submit_current(sink, timestamp);
  }
  cpu.last = now;
  cpu.primed = true;
}

void ProcStatCollector::emit_counter(EmittedChart& chart, CounterRate& rate, uint64_t value,
                                     double elapsed, int64_t timestamp, MetricSink& sink) {
  chart.ensure_defined(sink);
  bool primed = rate.primed();
  double per_second = rate.update(value, elapsed);
  if (primed) chart.submit(sink, timestamp, {per_second});
}

Status ProcStatCollector::collect(int64_t now_us, MetricSink& sink) {
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  double elapsed = elapsed_.advance(now_us);
  int64_t timestamp = timestamp_of(now_us);
  uint64_t running = 0, blocked = 0;
  bool have_running = false;

  Tokenizer lines(text);
  while (!lines.done()) {
    Tokenizer words(lines.next_line());
    std::string_view key = words.next_word();
    uint64_t value = 0;
    if (key.starts_with("cpu")) {
      collect_cpu(key, words, timestamp, sink);
    } else if (key == "intr" && parse_u64(words.next_word(), value)) {
      emit_counter(intr_, intr_rate_, value, elapsed, timestamp, sink);
    } else if (key == "ctxt" && parse_u64(words.next_word(), value)) {
      emit_counter(ctxt_, ctxt_rate_, value, elapsed, timestamp, sink);
    } else if (key == "processes" && parse_u64(words.next_word(), value)) {
      emit_counter(forks_, forks_rate_, value, elapsed, timestamp, sink);
    } else if (key == "procs_running") {
      have_running = parse_u64(words.next_word(), running);
    } else if (key == "procs_blocked") {
      parse_u64(words.next_word(), blocked);
    }
  }
  if (have_running) {
    processes_.ensure_defined(sink);
    // Netdata draws blocked below the axis (multiplier -1); final values carry the sign.
    processes_.submit(sink, timestamp,
                      {static_cast<double>(running), -static_cast<double>(blocked)});
  }
  return ok_status();
}

std::unique_ptr<Collector> make_proc_stat(const CollectorContext& context) {
  return std::make_unique<ProcStatCollector>(context);
}

}  // namespace trib::collectors
