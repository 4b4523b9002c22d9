#include "common/model/metrics.h"

#include <array>

namespace trib::model {
namespace {
constexpr std::array<std::string_view, 3> kChartTypes = {"line", "area", "stacked"};
constexpr std::array<std::string_view, 4> kAlgorithms = {
    "absolute", "incremental", "percentage-of-absolute-row", "percentage-of-incremental-row"};
}  // namespace

std::string_view to_string(ChartType type) { return kChartTypes[static_cast<size_t>(type)]; }

bool parse_chart_type(std::string_view text, ChartType& out) {
  for (size_t i = 0; i < kChartTypes.size(); ++i) {
    if (kChartTypes[i] == text) {
      out = static_cast<ChartType>(i);
      return true;
    }
  }
  return false;
}

std::string_view to_string(Algorithm algorithm) {
  return kAlgorithms[static_cast<size_t>(algorithm)];
}

bool parse_algorithm(std::string_view text, Algorithm& out) {
  for (size_t i = 0; i < kAlgorithms.size(); ++i) {
    if (kAlgorithms[i] == text) {
      out = static_cast<Algorithm>(i);
      return true;
    }
  }
  return false;
}

std::string_view ChartDef::type() const {
  const auto dot = id.find('.');
  return dot == std::string::npos ? std::string_view(id) : std::string_view(id).substr(0, dot);
}

}  // namespace trib::model
