#include "parent/query/logs_api.h"

#include <re2/re2.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "parent/query/api.h"

namespace trib::parent::query {
namespace {

constexpr size_t kMaxLimit = 10'000;
constexpr size_t kDefaultLimit = 1'000;

ApiResponse bad_request(std::string text) {
  return ApiResponse{400, "text/plain; charset=utf-8", std::move(text) + "\n", {}};
}

Result<int64_t> parse_integer(std::string_view name, std::string_view text) {
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Error(Errc::invalid_argument,
                 "'" + std::string(name) + "' must be an integer, not '" + std::string(text) + "'");
  }
  return value;
}

// Unix seconds, or seconds before now when negative; the answer is in Unix milliseconds.
Result<int64_t> parse_time_ms(std::string_view name, const std::string& text, int64_t now_s) {
  TRIB_ASSIGN_OR_RETURN(const int64_t value, parse_integer(name, text));
  const int64_t seconds = value < 0 ? now_s + value : value;
  constexpr int64_t kMaxSeconds = INT64_MAX / 1000;
  return std::min(seconds, kMaxSeconds) * 1000;
}

Result<store::LogQuery> parse_query(const http::QueryParams& params, int64_t now_s) {
  store::LogQuery query;
  query.limit = kDefaultLimit;
  for (const auto& [name, value] : params) {
    if (name == "source") {
      query.source = value;
    } else if (name == "after") {
      if (!value.empty()) {
        TRIB_ASSIGN_OR_RETURN(query.after_ms, parse_time_ms(name, value, now_s));
      }
    } else if (name == "before") {
      if (!value.empty()) {
        TRIB_ASSIGN_OR_RETURN(query.before_ms, parse_time_ms(name, value, now_s));
      }
    } else if (name == "q") {
      query.substring = value;
    } else if (name == "regex") {
      if (value.empty()) continue;
      RE2::Options options;
      options.set_log_errors(false);
      auto regex = std::make_shared<re2::RE2>(value, options);
      if (!regex->ok()) {
        return Error(Errc::invalid_argument,
                     "'regex' is not a valid RE2 pattern: " + regex->error());
      }
      query.regex = std::move(regex);
    } else if (name == "limit") {
      TRIB_ASSIGN_OR_RETURN(const int64_t limit, parse_integer(name, value));
      if (limit < 1 || limit > static_cast<int64_t>(kMaxLimit)) {
        return Error(Errc::invalid_argument, "'limit' must be between 1 and 10000");
      }
      query.limit = static_cast<size_t>(limit);
    } else if (name == "cursor") {
      query.cursor = value;
    }
  }
  return query;
}

nlohmann::ordered_json record_json(const store::StoredLogRecord& record) {
  nlohmann::ordered_json attributes = nlohmann::ordered_json::object();
  for (const auto& [name, value] : record.attributes) attributes[name] = value;
  if (record.flags & stream::kLogLineContinues) attributes["_split"] = "continues";
  if (record.flags & stream::kLogLineUnterminated) attributes["_unterminated"] = "true";
  return {
      {"time", record.time_ms},  {"source", record.source}, {"generation", record.generation},
      {"offset", record.offset}, {"line", record.line},     {"attributes", std::move(attributes)}};
}

nlohmann::ordered_json gap_json(const stream::LogGap& gap) {
  return {{"source", gap.source},
          {"generation", gap.generation},
          {"from", gap.from},
          {"to", gap.to},
          {"reason", gap.reason}};
}

}  // namespace

ApiResponse logs_endpoint(store::LogStore* store, std::string_view machine_guid,
                          const http::QueryParams& params, int64_t now_s) {
  if (store == nullptr) {
    return ApiResponse{404, "text/plain; charset=utf-8", "This parent keeps no logs.\n", {}};
  }
  auto query = parse_query(params, now_s);
  if (!query.ok()) return bad_request(query.error().message);
  auto result = store->query(machine_guid, *query);
  if (!result.ok()) {
    if (result.error().is(Errc::invalid_argument)) return bad_request(result.error().message);
    return ApiResponse{500, "text/plain; charset=utf-8", result.error().describe() + "\n", {}};
  }
  nlohmann::ordered_json body;
  body["records"] = nlohmann::ordered_json::array();
  for (const auto& record : result->records) body["records"].push_back(record_json(record));
  body["gaps"] = nlohmann::ordered_json::array();
  for (const auto& gap : result->gaps) body["gaps"].push_back(gap_json(gap));
  body["next_cursor"] = result->next_cursor;
  // Lines are bytes from files: invalid UTF-8 is shown with U+FFFD instead of failing.
  return ApiResponse{200,
                     "application/json",
                     body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                     {}};
}

ApiResponse gaps_endpoint(store::LogStore* store, std::string_view machine_guid,
                          const http::QueryParams& params, int64_t now_s) {
  if (store == nullptr) {
    return ApiResponse{404, "text/plain; charset=utf-8", "This parent keeps no gap records.\n", {}};
  }
  auto query = parse_query(params, now_s);
  if (!query.ok()) return bad_request(query.error().message);
  auto gaps = store->metric_gaps(machine_guid, query->after_ms / 1000, query->before_ms / 1000,
                                 query->limit);
  if (!gaps.ok()) {
    return ApiResponse{500, "text/plain; charset=utf-8", gaps.error().describe() + "\n", {}};
  }
  nlohmann::ordered_json body;
  body["metric_gaps"] = nlohmann::ordered_json::array();
  for (const auto& gap : *gaps) {
    body["metric_gaps"].push_back(
        {{"from", gap.from_s}, {"to", gap.to_s}, {"time", gap.time_ms}, {"reason", gap.reason}});
  }
  return ApiResponse{200,
                     "application/json",
                     body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace),
                     {}};
}

}  // namespace trib::parent::query
