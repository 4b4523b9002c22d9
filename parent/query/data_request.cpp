#include "parent/query/data_request.h"

#include <charconv>

namespace trib::parent::query {

namespace {

Result<int64_t> parse_int(std::string_view name, const std::string& text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return Error(Errc::invalid_argument,
                 "Invalid value for parameter '" + std::string(name) + "': '" + text + "'");
  }
  return value;
}

Result<GroupMethod> parse_group(const std::string& text) {
  if (text == "average" || text == "avg" || text == "mean") return GroupMethod::average;
  if (text == "min") return GroupMethod::min;
  if (text == "max") return GroupMethod::max;
  if (text == "sum") return GroupMethod::sum;
  return Error(Errc::invalid_argument,
               "Unsupported group method '" + text + "' (supported: average, min, max, sum)");
}

Result<DataFormat> parse_format(const std::string& text) {
  if (text == "json") return DataFormat::json;
  if (text == "csv") return DataFormat::csv;
  return Error(Errc::invalid_argument, "Unsupported format '" + text + "' (supported: json, csv)");
}

// Splits on any of `separators`, dropping empty pieces.
std::vector<std::string> split(std::string_view text, std::string_view separators) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= text.size()) {
    const size_t end = text.find_first_of(separators, start);
    const std::string_view piece =
        text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (!piece.empty()) out.emplace_back(piece);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return out;
}

void apply_options(const std::string& text, DataOptions& options) {
  for (const auto& option : split(text, ", |")) {
    if (option == "flip" || option == "reversed")
      options.flip = true;
    else if (option == "jsonwrap")
      options.jsonwrap = true;
    else if (option == "seconds")
      options.seconds = true;
    else if (option == "ms" || option == "milliseconds")
      options.milliseconds = true;
    else if (option == "null2zero")
      options.null2zero = true;
    else if (option == "abs" || option == "absolute" || option == "absolute_sum") {
      options.absolute = true;
    } else if (option == "nonzero") {
      options.nonzero = true;
    }
    // Netdata's other options (percentage, unaligned, match-ids, ...) are accepted, no effect.
  }
}

}  // namespace

std::string_view to_string(GroupMethod method) {
  switch (method) {
    case GroupMethod::average:
      return "average";
    case GroupMethod::min:
      return "min";
    case GroupMethod::max:
      return "max";
    case GroupMethod::sum:
      return "sum";
  }
  return "average";
}

std::string_view to_string(DataFormat format) { return format == DataFormat::csv ? "csv" : "json"; }

Result<DataRequest> parse_data_request(const http::QueryParams& params) {
  DataRequest request;
  for (const auto& [name, value] : params) {
    if (value.empty()) continue;  // "after=" is no value at all, as in Netdata
    if (name == "chart") {
      request.chart = value;
    } else if (name == "after") {
      TRIB_ASSIGN_OR_RETURN(request.after, parse_int(name, value));
    } else if (name == "before") {
      TRIB_ASSIGN_OR_RETURN(request.before, parse_int(name, value));
    } else if (name == "points") {
      TRIB_ASSIGN_OR_RETURN(request.points, parse_int(name, value));
      if (request.points < 0) {
        return Error(Errc::invalid_argument, "Invalid value for parameter 'points': " + value);
      }
    } else if (name == "group") {
      TRIB_ASSIGN_OR_RETURN(request.group, parse_group(value));
    } else if (name == "dimensions" || name == "dimension" || name == "dim" || name == "dims") {
      request.dimensions = split(value, ",|");
    } else if (name == "format") {
      TRIB_ASSIGN_OR_RETURN(request.format, parse_format(value));
    } else if (name == "options") {
      apply_options(value, request.options);
    }
  }
  if (request.chart.empty()) {
    return Error(Errc::invalid_argument, "No chart id is given at the request.");
  }
  return request;
}

bool wildcard_match(std::string_view pattern, std::string_view text) {
  size_t p = 0, t = 0, star = std::string_view::npos, resume = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      resume = t;
    } else if (p < pattern.size() && pattern[p] == text[t]) {
      ++p;
      ++t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++resume;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

}  // namespace trib::parent::query
