#include "tests/support/metrics_dump.h"

#include <zstd.h>

#include <charconv>
#include <cmath>
#include <fstream>
#include <sstream>

namespace trib::test {
namespace {

constexpr std::string_view kFormatLine = "tributary-metrics-dump 1";

std::vector<std::string_view> split_tabs(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t tab = line.find('\t', start);
    fields.push_back(line.substr(start, tab - start));
    if (tab == std::string_view::npos) return fields;
    start = tab + 1;
  }
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

Result<std::string> read_file_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Errc::not_found, path + ": cannot open");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  std::string text = std::move(bytes).str();
  if (!path.ends_with(".zst")) return text;
  const unsigned long long size = ZSTD_getFrameContentSize(text.data(), text.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN) {
    return Error(Errc::parse_error, path + ": not a zstd frame with its content size");
  }
  std::string plain(size, '\0');
  const size_t got = ZSTD_decompress(plain.data(), plain.size(), text.data(), text.size());
  if (ZSTD_isError(got) || got != size) {
    return Error(Errc::parse_error, path + ": zstd: " + ZSTD_getErrorName(got));
  }
  return plain;
}

class DumpParser {
 public:
  explicit DumpParser(std::string path) : path_(std::move(path)) {}

  Result<MetricsDump> parse(std::string_view text) {
    size_t start = 0;
    while (start < text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      ++line_no_;
      TRIB_TRY(parse_line(text.substr(start, end - start)));
      start = end + 1;
    }
    if (line_no_ == 0) return fail("empty file");
    return std::move(dump_);
  }

 private:
  Error fail(const std::string& what) const {
    return Error(Errc::parse_error, path_ + ":" + std::to_string(line_no_) + ": " + what);
  }

  Status parse_line(std::string_view line) {
    if (line_no_ == 1) {
      if (line != kFormatLine) return fail("expected \"" + std::string(kFormatLine) + "\"");
      return ok_status();
    }
    const auto fields = split_tabs(line);
    if (fields[0] == "host") return parse_host(fields);
    if (fields[0] == "chart") return parse_chart(fields);
    if (fields[0] == "dim") return parse_dim(fields);
    return parse_row(fields);
  }

  Status parse_host(const std::vector<std::string_view>& f) {
    if (f.size() != 5 || !parse_number(f[2], dump_.update_every) ||
        !parse_number(f[3], dump_.after_s) || !parse_number(f[4], dump_.before_s)) {
      return fail("host: expected hostname, update_every, after, before");
    }
    dump_.hostname = f[1];
    return ok_status();
  }

  Status parse_chart(const std::vector<std::string_view>& f) {
    DumpedChart chart;
    model::ChartDef& d = chart.def;
    if (f.size() != 12 || !model::parse_chart_type(f[7], d.chart_type) ||
        !parse_number(f[8], d.priority) || !parse_number(f[9], d.update_every)) {
      return fail("chart: expected 11 fields (id .. module) with a valid type and numbers");
    }
    d.id = f[1];
    d.name = f[2];
    d.family = f[3];
    d.context = f[4];
    d.title = f[5];
    d.units = f[6];
    d.plugin = f[10];
    d.module = f[11];
    dump_.charts.push_back(std::move(chart));
    return ok_status();
  }

  Status parse_dim(const std::vector<std::string_view>& f) {
    if (dump_.charts.empty() || !dump_.charts.back().rows.empty()) {
      return fail("dim: outside a chart's definition");
    }
    if (f.size() != 4 || (f[3] != "0" && f[3] != "1")) return fail("dim: expected id, name, 0|1");
    model::DimensionDef dim;
    dim.id = f[1];
    dim.name = f[2];
    dim.hidden = f[3] == "1";
    dump_.charts.back().def.dimensions.push_back(std::move(dim));
    return ok_status();
  }

  Status parse_row(const std::vector<std::string_view>& f) {
    if (dump_.charts.empty()) return fail("a row before any chart");
    DumpedChart& chart = dump_.charts.back();
    if (f.size() != chart.def.dimensions.size() + 1) {
      return fail("expected a timestamp and " + std::to_string(chart.def.dimensions.size()) +
                  " values");
    }
    int64_t t = 0;
    if (!parse_number(f[0], t)) return fail("bad timestamp '" + std::string(f[0]) + "'");
    if (!chart.times.empty() && t <= chart.times.back()) return fail("timestamps must increase");
    std::vector<double> row(f.size() - 1);
    for (size_t i = 1; i < f.size(); ++i) {
      if (f[i] == "null") {
        row[i - 1] = model::kNoValue;
      } else if (!parse_number(f[i], row[i - 1])) {
        return fail("bad value '" + std::string(f[i]) + "'");
      }
    }
    chart.times.push_back(t);
    chart.rows.push_back(std::move(row));
    return ok_status();
  }

  std::string path_;
  size_t line_no_ = 0;
  MetricsDump dump_;
};

}  // namespace

size_t MetricsDump::samples() const {
  size_t n = 0;
  for (const DumpedChart& chart : charts) {
    for (const auto& row : chart.rows) {
      for (double v : row) n += std::isnan(v) ? 0 : 1;
    }
  }
  return n;
}

Result<MetricsDump> read_metrics_dump(const std::string& path) {
  TRIB_ASSIGN_OR_RETURN(std::string text, read_file_text(path));
  return DumpParser(path).parse(text);
}

std::string agent_hour_fixture_path() {
#ifdef TRIB_TEST_FIXTURES
  return std::string(TRIB_TEST_FIXTURES) + "/agent-hour/agent-hour.tsv.zst";
#else
  return std::string(TRIB_SOURCE_DIR) + "/tests/fixtures/agent-hour/agent-hour.tsv.zst";
#endif
}

}  // namespace trib::test
