#include "common/config/units.h"

#include <fmt/format.h>
#include <array>
#include <charconv>
#include <limits>
#include <span>

namespace trib::config {
namespace {

struct Unit {
  std::string_view suffix;
  uint64_t factor;
};

// "y" is 365 days (retention periods, e.g. a tier's max_age: 5y).
constexpr std::array<Unit, 6> kDurationUnits{{{"ms", 1},
                                              {"s", 1000},
                                              {"m", 60'000},
                                              {"h", 3'600'000},
                                              {"d", 86'400'000},
                                              {"y", 365 * 86'400'000ULL}}};

constexpr std::array<Unit, 9> kSizeUnits{{{"B", 1},
                                          {"KiB", 1ULL << 10},
                                          {"MiB", 1ULL << 20},
                                          {"GiB", 1ULL << 30},
                                          {"TiB", 1ULL << 40},
                                          {"KB", 1'000},
                                          {"MB", 1'000'000},
                                          {"GB", 1'000'000'000},
                                          {"TB", 1'000'000'000'000}}};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string valid_suffixes(std::span<const Unit> units) {
  std::string out;
  for (const Unit& u : units) {
    if (!out.empty()) out += ", ";
    out += u.suffix;
  }
  return out;
}

// "<digits><suffix>" -> number * factor. `bare_factor` applies when there is no suffix.
Result<uint64_t> parse_scaled(std::string_view text, std::span<const Unit> units,
                              uint64_t bare_factor, std::string_view what) {
  const std::string_view s = trim(text);
  uint64_t number = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), number);
  if (end == s.data()) {
    return Error(Errc::invalid_argument,
                 fmt::format("'{}' is not a {}: expected a non-negative integer and a unit ({})",
                             text, what, valid_suffixes(units)));
  }
  if (ec == std::errc::result_out_of_range) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is too large for a {}", text, what));
  }
  const std::string_view suffix = trim(s.substr(static_cast<size_t>(end - s.data())));
  uint64_t factor = bare_factor;
  if (!suffix.empty()) {
    factor = 0;
    for (const Unit& u : units) {
      if (u.suffix == suffix) factor = u.factor;
    }
    if (factor == 0) {
      return Error(Errc::invalid_argument,
                   fmt::format("'{}': unknown {} unit '{}'; valid units: {}", text, what, suffix,
                               valid_suffixes(units)));
    }
  }
  if (number > std::numeric_limits<uint64_t>::max() / factor) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is too large for a {}", text, what));
  }
  return number * factor;
}

std::string format_largest(uint64_t value, std::span<const Unit> units, std::string_view bare) {
  for (auto it = units.rbegin(); it != units.rend(); ++it) {
    if (value != 0 && value % it->factor == 0) {
      return fmt::format("{}{}", value / it->factor, it->suffix == bare ? "" : it->suffix);
    }
  }
  return std::to_string(value);
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
  TRIB_ASSIGN_OR_RETURN(const uint64_t ms, parse_scaled(text, kDurationUnits, 1000, "duration"));
  if (ms > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return Error(Errc::invalid_argument, fmt::format("'{}' is too large for a duration", text));
  }
  return std::chrono::milliseconds(static_cast<int64_t>(ms));
}

Result<uint64_t> parse_size(std::string_view text) {
  return parse_scaled(text, kSizeUnits, 1, "size");
}

Result<uint64_t> parse_byte_rate(std::string_view text) {
  const std::string_view s = trim(text);
  if (!s.ends_with("/s")) {
    return Error(
        Errc::invalid_argument,
        fmt::format("'{}' is not a byte rate: expected a size per second, e.g. 5MiB/s", text));
  }
  return parse_scaled(s.substr(0, s.size() - 2), kSizeUnits, 1, "byte rate");
}

std::string format_duration(std::chrono::milliseconds d) {
  const auto ms = static_cast<uint64_t>(d.count());
  if (ms == 0) return "0s";
  // Durations of whole seconds never print in ms, but 1500ms stays in ms.
  for (auto it = kDurationUnits.rbegin(); it != kDurationUnits.rend(); ++it) {
    if (ms % it->factor == 0) return fmt::format("{}{}", ms / it->factor, it->suffix);
  }
  return fmt::format("{}ms", ms);
}

std::string format_size(uint64_t bytes) {
  // Binary units only: KiB..TiB (the first five entries) and bare bytes.
  return format_largest(bytes, std::span<const Unit>(kSizeUnits.data(), 5), "B");
}

}  // namespace trib::config
