#pragma once
// The parameters of /api/v1/data, parsed and validated (Netdata's names and defaults).
// Pure functions: no state, any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"
#include "common/http/url.h"

namespace trib::parent::query {

enum class GroupMethod : uint8_t { average, min, max, sum };
std::string_view to_string(GroupMethod method);

enum class DataFormat : uint8_t { json, csv };
std::string_view to_string(DataFormat format);

// The `options=` flags Tributary honours; others Netdata knows are accepted and ignored.
struct DataOptions {
  bool flip = false;          // oldest row first (Netdata's "flip"/"reversed")
  bool jsonwrap = false;      // wrap the result with the query's metadata
  bool seconds = false;       // csv: epoch seconds instead of a local date
  bool milliseconds = false;  // "ms"/"milliseconds": times in milliseconds
  bool null2zero = false;     // print 0 for gaps
  bool absolute = false;      // "abs"/"absolute": negative values made positive
  bool nonzero = false;       // leave out dimensions whose every value is 0 or null
};

struct DataRequest {
  std::string chart;
  int64_t after = -600;  // <= 0: relative to before; > 0: epoch seconds
  int64_t before = 0;    // <= 0: relative to now; > 0: epoch seconds
  int64_t points = 0;    // 0: every stored point
  GroupMethod group = GroupMethod::average;
  std::vector<std::string> dimensions;  // ids or names, '*' wildcards; empty: all
  DataFormat format = DataFormat::json;
  DataOptions options;
};

// A missing chart, a malformed number, an unknown group or format is an error whose message
// names the parameter (it becomes the body of a 400). Empty values are skipped and unknown
// parameters and options ignored, as Netdata does.
Result<DataRequest> parse_data_request(const http::QueryParams& params);

// '*' matches any run of characters; everything else matches itself.
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace trib::parent::query
