#include "parent/self/self_metrics.h"

namespace trib::parent::self {

namespace {

model::ChartDef chart(std::string id, std::string title, std::string units,
                      std::vector<std::string> dimensions, int32_t priority) {
  model::ChartDef def;
  def.name = id;
  def.context = id;
  def.id = std::move(id);
  def.title = std::move(title);
  def.units = std::move(units);
  def.family = "tributary";
  def.priority = priority;
  def.plugin = "tributary";
  def.module = "parent";
  for (auto& d : dimensions) def.dimensions.push_back(model::DimensionDef{d, d});
  return def;
}

double rate(uint64_t now, uint64_t before, double seconds) {
  if (seconds <= 0) return model::kNoValue;
  return now >= before ? static_cast<double>(now - before) / seconds : 0.0;
}

}  // namespace

std::vector<model::ChartDef> SelfMetrics::charts() {
  return {
      chart("tributary.ingest", "Samples received by the parent", "samples/s", {"stored", "late"},
            90000),
      chart("tributary.queries", "API requests answered", "queries/s", {"api"}, 90010),
      chart("tributary.commit_latency", "Duration of the last dbengine commit", "milliseconds",
            {"commit"}, 90020),
      chart("tributary.disk", "Bytes of sample blocks on disk", "bytes", {"blocks"}, 90030),
      chart("tributary.bytes_per_sample", "Bytes per sample in blocks sealed since start",
            "bytes/sample", {"sealed"}, 90040),
      chart("tributary.series", "Series held", "series", {"dbengine", "dimensions"}, 90050),
      chart("tributary.storage_full", "dbengine store full (senders are paused) or failing",
            "boolean", {"map_full", "commit_failing"}, 90060),
      chart("tributary.gaps", "Gap records received since start (data that will never arrive)",
            "gaps", {"metric", "log"}, 90070),
  };
}

std::vector<std::pair<std::string, model::ChartSample>> SelfMetrics::sample(const SelfCounters& c,
                                                                            int64_t now_s) {
  const double seconds = previous_.has_value() ? static_cast<double>(now_s - previous_s_) : 0.0;
  const SelfCounters before = previous_.value_or(c);
  const auto& disk = c.disk;
  auto from_disk = [&](double value) { return disk.has_value() ? value : model::kNoValue; };

  std::vector<std::pair<std::string, model::ChartSample>> out;
  auto add = [&](std::string id, std::vector<double> values) {
    out.emplace_back(std::move(id), model::ChartSample{now_s, std::move(values)});
  };
  add("tributary.ingest", {rate(c.samples_stored, before.samples_stored, seconds),
                           rate(c.samples_late, before.samples_late, seconds)});
  add("tributary.queries", {rate(c.queries, before.queries, seconds)});
  add("tributary.commit_latency",
      {from_disk(disk ? static_cast<double>(disk->last_commit_us) / 1000.0 : 0)});
  add("tributary.disk", {from_disk(disk ? static_cast<double>(disk->disk_bytes) : 0)});
  add("tributary.bytes_per_sample",
      {disk && disk->samples_sealed != 0 ? static_cast<double>(disk->block_bytes_sealed) /
                                               static_cast<double>(disk->samples_sealed)
                                         : model::kNoValue});
  add("tributary.series",
      {from_disk(disk ? static_cast<double>(disk->series) : 0), static_cast<double>(c.dimensions)});
  add("tributary.storage_full",
      {from_disk(disk && disk->full ? 1 : 0), from_disk(disk && disk->commit_failing ? 1 : 0)});
  add("tributary.gaps", {static_cast<double>(c.metric_gaps), static_cast<double>(c.log_gaps)});
  previous_ = c;
  previous_s_ = now_s;
  return out;
}

}  // namespace trib::parent::self
