#include "common/stream/spool_chart.h"

namespace trib::stream {

model::ChartDef spool_chart(const char* module) {
  model::ChartDef def;
  def.id = kSpoolChart;
  def.name = kSpoolChart;
  def.context = kSpoolChart;
  def.title = "Bytes held by the outgoing spool (data not yet acknowledged upstream)";
  def.units = "bytes";
  def.family = "tributary";
  def.priority = 90100;
  def.plugin = "tributary";
  def.module = module;
  def.dimensions = {model::DimensionDef{"used", "used"}, model::DimensionDef{"max", "max"}};
  return def;
}

model::ChartSample spool_sample(const SpoolFill& fill, int64_t now_s) {
  return model::ChartSample{now_s, {static_cast<double>(fill.used), static_cast<double>(fill.max)}};
}

}  // namespace trib::stream
