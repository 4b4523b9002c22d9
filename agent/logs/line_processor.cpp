#include "agent/logs/line_processor.h"

namespace trib::agent::logs {
namespace {

Result<std::unique_ptr<RE2>> compile(const std::string& pattern, const std::string& where) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_unique<RE2>(pattern, options);
  if (!re->ok()) {
    return Error(Errc::config_error,
                 where + ": '" + pattern + "' is not a valid RE2 pattern: " + re->error());
  }
  return re;
}

}  // namespace

Result<std::unique_ptr<LineProcessor>> LineProcessor::create(const LogSourceOptions& options,
                                                             const std::string& source_name,
                                                             uint64_t seed) {
  std::unique_ptr<LineProcessor> p(new LineProcessor());
  if (!parse_parser_kind(options.parser, p->parser_)) {
    return Error(Errc::config_error, source_name + ".parser: unknown parser '" + options.parser +
                                         "' (valid: none, json, logfmt, syslog)");
  }
  for (size_t i = 0; i < options.redact.size(); ++i) {
    const auto& rule = options.redact[i];
    const std::string where = source_name + ".redact." + std::to_string(i);
    TRIB_ASSIGN_OR_RETURN(auto re, compile(rule.pattern, where));
    std::string why;
    if (!re->CheckRewriteString(rule.replace, &why)) {
      return Error(Errc::config_error,
                   where + ".replace: '" + rule.replace + "' does not fit the pattern: " + why);
    }
    p->redactions_.push_back({std::move(re), rule.replace});
  }
  for (size_t i = 0; i < options.sample.size(); ++i) {
    const auto& rule = options.sample[i];
    const std::string where = source_name + ".sample." + std::to_string(i);
    TRIB_ASSIGN_OR_RETURN(auto re, compile(rule.pattern, where));
    p->samplings_.push_back({std::move(re), rule.keep});
  }
  p->random_.seed(seed);
  return p;
}

bool LineProcessor::process(std::string_view raw, std::string& line, Attributes& attributes) {
  line.assign(raw);
  bool redacted = false;
  for (const Redaction& r : redactions_) {
    redacted = RE2::GlobalReplace(&line, *r.pattern, r.replace) > 0 || redacted;
  }
  if (redacted) ++stats_.lines_redacted;
  for (const Sampling& s : samplings_) {
    if (!RE2::PartialMatch(line, *s.pattern)) continue;
    if (std::uniform_real_distribution<double>(0.0, 1.0)(random_) >= s.keep) {
      ++stats_.lines_sampled_out;
      return false;
    }
    break;
  }
  attributes.clear();
  if (!parse_line(parser_, line, attributes)) {
    attributes.clear();
    ++stats_.lines_unparsed;
  }
  return true;
}

}  // namespace trib::agent::logs
