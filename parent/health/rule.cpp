#include "parent/health/rule.h"

#include <fmt/format.h>

#include <cctype>

#include "common/config/units.h"

namespace trib::parent::health {

std::string_view to_string(LookupMethod method) {
  switch (method) {
    case LookupMethod::average:
      return "average";
    case LookupMethod::min:
      return "min";
    case LookupMethod::max:
      return "max";
    case LookupMethod::sum:
      return "sum";
    case LookupMethod::incremental_sum:
      return "incremental-sum";
  }
  return "average";
}

namespace {

std::vector<std::string_view> words(std::string_view text) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
    const size_t start = i;
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

std::optional<LookupMethod> method_named(std::string_view word) {
  if (word == "average" || word == "avg" || word == "mean") return LookupMethod::average;
  if (word == "min") return LookupMethod::min;
  if (word == "max") return LookupMethod::max;
  if (word == "sum") return LookupMethod::sum;
  if (word == "incremental-sum" || word == "incremental_sum") return LookupMethod::incremental_sum;
  return std::nullopt;
}

// "-1m", "-60s", "-60": a duration before now, in whole seconds.
Result<int64_t> relative_seconds(std::string_view word, std::string_view what) {
  if (word.empty() || word.front() != '-') {
    return Error(Errc::config_error,
                 fmt::format("{} '{}' must be a negative duration such as -1m", what, word));
  }
  auto parsed = config::parse_duration(word.substr(1));
  if (!parsed.ok() || parsed->count() % 1000 != 0 || parsed->count() > 86'400'000LL * 366) {
    return Error(Errc::config_error,
                 fmt::format("{} '{}' is not a whole number of seconds up to a year (-30s, -1m, "
                             "-1h)",
                             what, word));
  }
  return -parsed->count() / 1000;
}

std::vector<std::string> split_dimensions(std::string_view text) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= text.size(); ++i) {
    if (i == text.size() || text[i] == ',' || text[i] == '|') {
      std::string_view d = text.substr(start, i - start);
      while (!d.empty() && std::isspace(static_cast<unsigned char>(d.front())) != 0) {
        d.remove_prefix(1);
      }
      while (!d.empty() && std::isspace(static_cast<unsigned char>(d.back())) != 0) {
        d.remove_suffix(1);
      }
      if (!d.empty()) out.emplace_back(d);
      start = i + 1;
    }
  }
  return out;
}

}  // namespace

Result<Lookup> parse_lookup(std::string_view text) {
  Lookup lookup;
  lookup.text = std::string(text);
  const std::vector<std::string_view> w = words(text);
  if (w.size() < 2) {
    return Error(Errc::config_error,
                 fmt::format("lookup '{}': expected METHOD AFTER [of DIMENSIONS], e.g. 'average "
                             "-1m of user,system'",
                             text));
  }
  const auto method = method_named(w[0]);
  if (!method.has_value()) {
    return Error(Errc::config_error,
                 fmt::format("lookup '{}': unknown method '{}'; valid: average, min, max, sum, "
                             "incremental-sum",
                             text, w[0]));
  }
  lookup.method = *method;
  TRIB_ASSIGN_OR_RETURN(lookup.after_s, relative_seconds(w[1], "lookup after"));
  if (lookup.after_s == 0) return Error(Errc::config_error, "lookup after must not be 0");
  for (size_t i = 2; i < w.size(); ++i) {
    if (w[i] == "at" && i + 1 < w.size()) {
      if (w[i + 1] != "0" && w[i + 1] != "-0") {
        TRIB_ASSIGN_OR_RETURN(lookup.before_s, relative_seconds(w[i + 1], "lookup at"));
      }
      ++i;
    } else if (w[i] == "abs" || w[i] == "absolute") {
      lookup.absolute = true;
    } else if (w[i] == "unaligned" || w[i] == "percentage" || w[i] == "match-ids" ||
               w[i] == "match-names") {
      // Netdata's other options: accepted; Tributary's windows are always unaligned to the
      // query grid and match ids or names.
    } else if (w[i] == "of") {
      // Everything after `of` is the dimension list, spaces included.
      const size_t of_at = static_cast<size_t>(w[i].data() - text.data()) + 2;
      lookup.dimensions = split_dimensions(text.substr(of_at));
      if (lookup.dimensions.empty()) {
        return Error(Errc::config_error, fmt::format("lookup '{}': 'of' without dimensions", text));
      }
      break;
    } else {
      return Error(Errc::config_error,
                   fmt::format("lookup '{}': unexpected '{}'; valid after the window: at "
                               "BEFORE, unaligned, abs, of DIMENSIONS",
                               text, w[i]));
    }
  }
  if (lookup.before_s <= lookup.after_s) {
    return Error(Errc::config_error,
                 fmt::format("lookup '{}': the window ends before it starts", text));
  }
  return lookup;
}

bool Rule::applies_to(std::string_view hostname, std::string_view machine_guid,
                      std::string_view chart_id, std::string_view chart_name,
                      std::string_view context) const {
  if (on != chart_id && on != context) return false;
  if (!hosts.empty() && !hosts.matches(hostname) && !hosts.matches(machine_guid)) return false;
  if (!charts.empty() && !charts.matches(chart_id) && !charts.matches(chart_name)) return false;
  return true;
}

}  // namespace trib::parent::health
