#pragma once
// Builders shared by the store and query tests.

#include <string>
#include <vector>

#include "common/model/metrics.h"

namespace trib::parent::store::testing {

inline model::ChartDef make_chart(const std::string& id, std::vector<std::string> dims,
                                  int32_t update_every = 1) {
  model::ChartDef def;
  def.id = id;
  def.name = id;
  def.title = "Title of " + id;
  def.units = "percentage";
  def.family = "cpu";
  def.context = id;
  def.update_every = update_every;
  def.plugin = "proc";
  def.module = "/proc/stat";
  for (auto& d : dims) def.dimensions.push_back(model::DimensionDef{d, d});
  return def;
}

inline model::HostInfo make_host(const std::string& hostname, const std::string& guid,
                                 int32_t hops = 1) {
  model::HostInfo info;
  info.hostname = hostname;
  info.machine_guid = guid;
  info.program_version = "v1.37.1";
  info.hops = hops;
  return info;
}

}  // namespace trib::parent::store::testing
