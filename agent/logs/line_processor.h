#pragma once
// What happens to each line of a source before it is sent: redaction (RE2 rewrites, in order),
// parsing into attributes (the parser sees the redacted line), and sampling (the first rule
// whose pattern matches keeps that fraction of lines). RE2 runs in linear time, so no line can
// stall the tailer. Built from a source's options; a pattern RE2 rejects is a config error.
//
// Owned by the tailer, used on the tail thread.

#include <re2/re2.h>

#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "agent/logs/log_options.h"
#include "agent/logs/parsers.h"
#include "common/base/result.h"

namespace trib::agent::logs {

struct ProcessorStats {
  uint64_t lines_redacted = 0;
  uint64_t lines_unparsed = 0;  // kept whole: the parser did not understand them
  uint64_t lines_sampled_out = 0;
};

class LineProcessor {
 public:
  // `source_name` names the source in errors ("logs.sources.0").
  static Result<std::unique_ptr<LineProcessor>> create(const LogSourceOptions& options,
                                                       const std::string& source_name,
                                                       uint64_t seed = std::random_device{}());

  // False when sampling drops the line. Otherwise `line` holds the redacted text and
  // `attributes` what the parser found.
  bool process(std::string_view raw, std::string& line, Attributes& attributes);

  const ProcessorStats& stats() const { return stats_; }

 private:
  struct Redaction {
    std::unique_ptr<RE2> pattern;
    std::string replace;
  };
  struct Sampling {
    std::unique_ptr<RE2> pattern;
    double keep = 1.0;
  };
  LineProcessor() = default;

  ParserKind parser_ = ParserKind::none;
  std::vector<Redaction> redactions_;
  std::vector<Sampling> samplings_;
  std::mt19937_64 random_;
  ProcessorStats stats_;
};

}  // namespace trib::agent::logs
