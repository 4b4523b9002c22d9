#include "parent/query/data_format.h"

#include <charconv>
#include <cmath>
#include <ctime>

namespace trib::parent::query {

namespace {

void append_int(std::string& out, int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

void append_time(std::string& out, int64_t t, const DataOptions& options) {
  append_int(out, t);
  if (options.milliseconds) out += "000";
}

void append_value(std::string& out, double value, const DataOptions& options) {
  if (std::isnan(value)) {
    out += options.null2zero ? "0" : "null";
  } else {
    append_number(out, value);
  }
}

void append_local_date(std::string& out, int64_t t) {
  const auto tt = static_cast<time_t>(t);
  struct tm tm {};
  localtime_r(&tt, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
  out.append(buf, n);
}

// Visits rows newest first, or oldest first with `flip`.
template <class Fn>
void for_each_row(const QueryResult& result, const DataOptions& options, Fn&& fn) {
  const size_t rows = result.times.size();
  for (size_t i = 0; i < rows; ++i) fn(options.flip ? i : rows - 1 - i, i == 0);
}

std::string options_string(const DataOptions& o) {
  std::string s;
  auto add = [&](bool on, std::string_view name) {
    if (!on) return;
    if (!s.empty()) s += '|';
    s += name;
  };
  add(o.jsonwrap, "jsonwrap");
  add(o.flip, "flip");
  add(o.seconds, "seconds");
  add(o.milliseconds, "ms");
  add(o.null2zero, "null2zero");
  add(o.absolute, "absolute");
  add(o.nonzero, "nonzero");
  return s;
}

void append_string_array(std::string& out, const QueryResult& result, bool ids) {
  out += '[';
  for (size_t c = 0; c < result.columns.size(); ++c) {
    if (c) out += ", ";
    append_json_string(out, ids ? result.columns[c].id : result.columns[c].name);
  }
  if (result.columns.empty()) out += "\"no data\"";
  out += ']';
}

void append_member(std::string& out, std::string_view key) {
  out += ",\n   ";
  append_json_string(out, key);
  out += ": ";
}

void append_jsonwrap(const store::Chart& chart, const DataRequest& request,
                     const QueryResult& result, std::string& out) {
  const DataOptions& options = request.options;
  out += "{\n   \"api\": 1";
  append_member(out, "id");
  append_json_string(out, chart.def().id);
  append_member(out, "name");
  append_json_string(out, chart.def().name);
  append_member(out, "view_update_every");
  append_int(out, result.view_update_every);
  append_member(out, "update_every");
  append_int(out, result.update_every);
  append_member(out, "first_entry");
  append_int(out, result.first_entry);
  append_member(out, "last_entry");
  append_int(out, result.last_entry);
  append_member(out, "before");
  append_int(out, result.before);
  append_member(out, "after");
  append_int(out, result.after);
  append_member(out, "group");
  append_json_string(out, to_string(request.group));
  append_member(out, "options");
  append_json_string(out, options_string(options));
  append_member(out, "dimension_names");
  append_string_array(out, result, /*ids=*/false);
  append_member(out, "dimension_ids");
  append_string_array(out, result, /*ids=*/true);
  append_member(out, "latest_values");
  out += '[';
  for (size_t c = 0; c < result.columns.size(); ++c) {
    if (c) out += ", ";
    append_number(out, result.columns[c].latest_value);
  }
  if (result.columns.empty()) out += "null";
  out += ']';
  append_member(out, "view_latest_values");
  out += '[';
  const size_t rows = result.times.size();
  for (size_t c = 0; c < result.columns.size() && rows > 0; ++c) {
    if (c) out += ", ";
    append_value(out, result.at(rows - 1, c), options);
  }
  if (result.columns.empty() || rows == 0) out += "null";
  out += ']';
  append_member(out, "dimensions");
  append_int(out, static_cast<int64_t>(result.columns.size()));
  append_member(out, "points");
  append_int(out, static_cast<int64_t>(rows));
  append_member(out, "format");
  append_json_string(out, to_string(request.format));
  append_member(out, "db_points_per_tier");
  out += "[ ";
  append_int(out, static_cast<int64_t>(result.db_points_read));
  out += " ]";
  append_member(out, "result");
  if (request.format == DataFormat::csv) {
    std::string csv;
    format_csv(result, options, csv);
    append_json_string(out, csv);
  } else {
    format_json(result, options, out);
  }
  out += ",\n \"min\": ";
  append_number(out, result.min);
  out += ",\n \"max\": ";
  append_number(out, result.max);
  out += "\n}\n";
}

}  // namespace

void append_number(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  char buf[64];
  if (std::fabs(value) < 1e15 && value == std::trunc(value)) {
    append_int(out, static_cast<int64_t>(value));
    return;
  }
  if (std::fabs(value) >= 1e15) {
    auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
    out.append(buf, end);
    return;
  }
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value, std::chars_format::fixed, 7);
  char* last = end;
  while (last > buf && last[-1] == '0') --last;
  if (last > buf && last[-1] == '.') --last;
  if (last - buf == 2 && buf[0] == '-' && buf[1] == '0') {
    out += '0';  // a tiny negative value rounded to "-0"
    return;
  }
  out.append(buf, last);
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (const char ch : text) {
    const auto u = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (u < 0x20) {
          out += "\\u00";
          out += kHex[u >> 4];
          out += kHex[u & 0xf];
        } else {
          out += ch;
        }
    }
  }
  out += '"';
}

void format_json(const QueryResult& result, const DataOptions& options, std::string& out) {
  const size_t cols = result.columns.size();
  out.reserve(out.size() + 64 + result.times.size() * (16 + cols * 12));
  out += "{\n \"labels\": [\"time\"";
  for (const auto& column : result.columns) {
    out += ", ";
    append_json_string(out, column.name);
  }
  if (cols == 0) out += ", \"no data\"";
  out += "],\n    \"data\":\n [\n";
  if (cols != 0) {
    for_each_row(result, options, [&](size_t r, bool first) {
      if (!first) out += ",\n";
      out += "      [ ";
      append_time(out, result.times[r], options);
      for (size_t c = 0; c < cols; ++c) {
        out += ", ";
        append_value(out, result.at(r, c), options);
      }
      out += ']';
    });
  }
  out += "\n  ]\n}";
}

void format_csv(const QueryResult& result, const DataOptions& options, std::string& out) {
  const size_t cols = result.columns.size();
  if (cols == 0) return;
  out += "time";
  for (const auto& column : result.columns) {
    out += ',';
    out += column.name;
  }
  out += "\r\n";
  for_each_row(result, options, [&](size_t r, bool) {
    if (options.seconds || options.milliseconds) {
      append_time(out, result.times[r], options);
    } else {
      append_local_date(out, result.times[r]);
    }
    for (size_t c = 0; c < cols; ++c) {
      out += ',';
      append_value(out, result.at(r, c), options);
    }
    out += "\r\n";
  });
}

std::string format_data_response(const store::Chart& chart, const DataRequest& request,
                                 const QueryResult& result) {
  std::string out;
  if (request.options.jsonwrap) {
    append_jsonwrap(chart, request, result, out);
  } else if (request.format == DataFormat::csv) {
    format_csv(result, request.options, out);
  } else {
    format_json(result, request.options, out);
  }
  return out;
}

}  // namespace trib::parent::query
