#pragma once
// Netdata's health silencers (/api/v1/manage/health): which alarms are silenced (evaluated, no
// notifications) or disabled (not evaluated), and their file. Netdata keeps them in
// `health.silencers.json`; so do we, in `<data dir>/health/`, in Netdata's shape:
//
//   {"all": false, "type": "SILENCE", "silencers": [{"alarm": "cpu_*", "host": "web-*"}]}
//
// `type` is "None", "SILENCE" or "DISABLE"; a selector's keys are alarm, chart, context, host,
// families (simple patterns; every key given must match). Plain values; any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/base/result.h"
#include "common/config/simple_pattern.h"

namespace trib::parent::health {

struct Silencers {
  enum class Type : uint8_t { none, silence, disable };
  struct Selector {
    config::SimplePattern alarms, charts, contexts, hosts, families;
    bool operator==(const Selector&) const = default;
  };
  bool all = false;
  Type type = Type::none;
  std::vector<Selector> selectors;
  bool operator==(const Silencers&) const = default;
};

nlohmann::ordered_json silencers_to_json(const Silencers& silencers);
// The file's text (untrusted: an operator may edit it). An error names what is wrong.
Result<Silencers> silencers_from_json(std::string_view text);

// Reads `path`; a missing file is "no silencers". An error names the file and the problem.
Result<Silencers> load_silencers(const std::string& path);
// Replaces `path` atomically (temporary file, fsync, rename), creating its directory.
Status save_silencers(const std::string& path, const Silencers& silencers);

}  // namespace trib::parent::health
