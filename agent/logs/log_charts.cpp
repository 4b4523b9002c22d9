#include "agent/logs/log_charts.h"

#include <utility>
#include <vector>

namespace trib::agent::logs {
namespace {

struct Dim {
  const char* id;
  double value;
  model::Algorithm algorithm;
};

void add_chart(collectors::CollectedBatch& out, std::map<std::string, bool>& defined,
               std::string id, std::string title, std::string units, std::string family,
               std::string context, int32_t priority, const std::vector<Dim>& dims, int64_t now_s) {
  if (!defined[id]) {
    model::ChartDef def;
    def.id = id;
    def.name = id;
    def.title = std::move(title);
    def.units = std::move(units);
    def.family = std::move(family);
    def.context = std::move(context);
    def.priority = priority;
    def.plugin = "tributary";
    def.module = "logs";
    for (const Dim& d : dims) {
      model::DimensionDef dim;
      dim.id = d.id;
      dim.name = d.id;
      dim.algorithm = d.algorithm;
      def.dimensions.push_back(std::move(dim));
    }
    out.definitions.push_back(std::move(def));
    defined[id] = true;
  }
  model::ChartSample sample;
  sample.timestamp = now_s;
  for (const Dim& d : dims) sample.values.push_back(d.value);
  out.samples.emplace_back(std::move(id), std::move(sample));
}

std::string chart_name(const std::string& source) {
  std::string name = source;  // "logs.sources.3" -> "logs_sources_3"
  for (char& c : name) {
    if (c == '.') c = '_';
  }
  return name;
}

}  // namespace

collectors::CollectedBatch log_charts(const TailerStats& stats, int64_t now_s,
                                      std::map<std::string, bool>& defined) {
  using model::Algorithm;
  const auto abs = Algorithm::absolute;
  const auto inc = Algorithm::incremental;
  collectors::CollectedBatch out;
  int32_t priority = 90000;
  for (const auto& [source, s] : stats.sources) {
    const std::string family = source;
    const std::string base = "tributary_logs." + chart_name(source);
    auto d = [](uint64_t v) { return static_cast<double>(v); };
    add_chart(out, defined, base + "_lag", "Log lag of " + source, "bytes", family,
              "tributary_logs.lag", priority++,
              {{"bytes", d(s.bytes_behind), abs},
               {"seconds", static_cast<double>(s.seconds_behind), abs}},
              now_s);
    add_chart(out, defined, base + "_lines", "Log lines of " + source, "lines/s", family,
              "tributary_logs.lines", priority++,
              {{"read", d(s.lines_read), inc},
               {"split", d(s.lines_split), inc},
               {"sampled_out", d(s.lines_sampled_out), inc},
               {"unparsed", d(s.lines_unparsed), inc}},
              now_s);
    add_chart(out, defined, base + "_bytes", "Log bytes read from " + source, "bytes/s", family,
              "tributary_logs.bytes", priority++,
              {{"read", d(s.bytes_read), inc}, {"nul_skipped", d(s.nul_bytes_skipped), inc}},
              now_s);
    add_chart(out, defined, base + "_events", "Log file events of " + source, "events/s", family,
              "tributary_logs.events", priority++,
              {{"rotations", d(s.rotations), inc},
               {"generations", d(s.generations), inc},
               {"gaps", d(s.gaps), inc},
               {"files", d(s.files), abs},
               {"unreadable", d(s.open_errors), inc},
               {"not_regular", d(s.not_regular_files), inc}},
              now_s);
  }
  add_chart(out, defined, "tributary_logs.pinned", "Bytes held for log delivery", "bytes", "logs",
            "tributary_logs.pinned", priority++,
            {{"pinned_deleted", static_cast<double>(stats.pinned_bytes), abs},
             {"unacknowledged", static_cast<double>(stats.inflight_bytes), abs}},
            now_s);
  add_chart(out, defined, "tributary_logs.checkpoints", "Checkpoint commits", "ms", "logs",
            "tributary_logs.checkpoints", priority++,
            {{"commit_latency", stats.last_commit_ms, abs},
             {"commits", static_cast<double>(stats.checkpoint_commits), inc},
             {"failed", static_cast<double>(stats.checkpoint_commit_errors), inc}},
            now_s);
  return out;
}

}  // namespace trib::agent::logs
