#include "parent/query/allmetrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <vector>

#include "common/config/simple_pattern.h"
#include "parent/query/data_format.h"

namespace trib::parent::query {

namespace {

constexpr std::string_view kPrometheusContentType = "text/plain; version=0.0.4";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
constexpr std::string_view kJsonContentType = "application/json";
constexpr size_t kShellNameMax = 100;  // Netdata's SHELL_ELEMENT_MAX

bool is_ascii_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Length of the valid UTF-8 sequence at text[i], or 0 when it is not one.
size_t utf8_sequence(std::string_view text, size_t i) {
  const auto b = static_cast<unsigned char>(text[i]);
  size_t n = 0;
  uint32_t min = 0;
  if (b < 0x80) return 1;
  if ((b & 0xE0) == 0xC0) {
    n = 2;
    min = 0x80;
  } else if ((b & 0xF0) == 0xE0) {
    n = 3;
    min = 0x800;
  } else if ((b & 0xF8) == 0xF0) {
    n = 4;
    min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > text.size()) return 0;
  uint32_t cp = b & (0xFF >> (n + 1));
  for (size_t k = 1; k < n; ++k) {
    const auto c = static_cast<unsigned char>(text[i + k]);
    if ((c & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

// A comment-safe copy for shell output: no line breaks or other control characters.
std::string one_line(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = ' ';
  }
  return out;
}

bool usable(double v) { return std::isfinite(v); }

class ChartFilter {
 public:
  explicit ChartFilter(const std::string& text) : pattern_(text) {}
  bool shows(const store::Chart& chart) const {
    return pattern_.empty() || pattern_.matches(chart.def().id) ||
           pattern_.matches(chart.def().name);
  }

 private:
  config::SimplePattern pattern_;
};

bool shown(const store::Dimension& d) { return !d.obsolete; }

// ---------------------------------------------------------------- shell

std::string shell_name(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, kShellNameMax)) {
    out += is_ascii_alnum(c) ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : '_';
  }
  return out;
}

std::string shell_number(double v) {
  v = std::round(v);
  if (v == 0) v = 0;  // no "-0"
  return fmt::format("{:.0f}", v);
}

std::string render_shell(const store::Host& host, const AllmetricsRequest& request) {
  const ChartFilter filter(request.filter);
  std::string out;
  for (const auto& chart : host.charts()) {
    if (!filter.shows(*chart)) continue;
    const model::ChartDef& def = chart->def();
    const std::string chart_name = shell_name(def.name);
    const std::string units = one_line(def.units);
    out += fmt::format("\n# chart: {} (name: {})\n", one_line(def.id), one_line(def.name));
    double total = 0;
    const auto& dims = chart->dimensions();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (!shown(dims[i])) continue;
      const std::string variable = "NETDATA_" + chart_name + "_" + shell_name(dims[i].def.name);
      double v = chart->last_value(i);
      if (!usable(v)) {
        out += fmt::format("{}=\"\"      # {}\n", variable, units);
        continue;
      }
      // Netdata shows a dimension stored negated (multiplier or divisor < 0) as positive.
      if (dims[i].def.multiplier < 0 || dims[i].def.divisor < 0) v = -v;
      v = std::round(v);
      if (!dims[i].def.hidden) total += v;
      out += fmt::format("{}=\"{}\"      # {}\n", variable, shell_number(v), units);
    }
    out += fmt::format("NETDATA_{}_VISIBLETOTAL=\"{}\"      # {}\n", chart_name,
                       shell_number(total), units);
  }
  out += "\n# NETDATA ALARMS RUNNING\n";
  return out;
}

// ---------------------------------------------------------------- json

std::string render_json(const store::Host& host, const AllmetricsRequest& request) {
  const ChartFilter filter(request.filter);
  std::string out = "{";
  bool first_chart = true;
  for (const auto& chart : host.charts()) {
    if (!filter.shows(*chart)) continue;
    const model::ChartDef& def = chart->def();
    out += first_chart ? "\n\t" : ",\n\t";
    first_chart = false;
    append_json_string(out, def.id);
    out += ": {\n\t\t\"name\":";
    append_json_string(out, def.name);
    out += ",\n\t\t\"family\":";
    append_json_string(out, def.family);
    out += ",\n\t\t\"context\":";
    append_json_string(out, def.context);
    out += ",\n\t\t\"units\":";
    append_json_string(out, def.units);
    out += fmt::format(",\n\t\t\"last_updated\": {},\n\t\t\"dimensions\": {{",
                       chart->series().last_time_s());
    bool first_dim = true;
    const auto& dims = chart->dimensions();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (!shown(dims[i])) continue;
      out += first_dim ? "\n\t\t\t" : ",\n\t\t\t";
      first_dim = false;
      append_json_string(out, dims[i].def.id);
      out += ": {\n\t\t\t\t\"name\": ";
      append_json_string(out, dims[i].def.name);
      out += ",\n\t\t\t\t\"value\": ";
      append_number(out, chart->last_value(i));
      out += "\n\t\t\t}";
    }
    out += "\n\t\t}\n\t}";
  }
  out += "\n}";
  return out;
}

// ---------------------------------------------------------------- flat (Telegraf)

std::string render_flat(const store::Host& host, const AllmetricsRequest& request) {
  const ChartFilter filter(request.filter);
  std::string out = "[";
  bool first = true;
  for (const auto& chart : host.charts()) {
    if (!filter.shows(*chart)) continue;
    const model::ChartDef& def = chart->def();
    const std::string measurement =
        request.prefix + "_" + prometheus_name(def.context.empty() ? def.id : def.context);
    const int64_t timestamp = chart->series().last_time_s();
    const auto& dims = chart->dimensions();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (!shown(dims[i])) continue;
      const double v = chart->last_value(i);
      if (!usable(v)) continue;  // Telegraf drops a metric without fields anyway
      out += first ? "\n" : ",\n";
      first = false;
      out += "{\"measurement\":";
      append_json_string(out, measurement);
      out += ",\"hostname\":";
      append_json_string(out, host.hostname());
      out += ",\"machine_guid\":";
      append_json_string(out, host.machine_guid());
      out += ",\"chart\":";
      append_json_string(out, request.names ? def.name : def.id);
      out += ",\"family\":";
      append_json_string(out, def.family);
      out += ",\"context\":";
      append_json_string(out, def.context);
      out += ",\"dimension\":";
      append_json_string(out, request.names ? dims[i].def.name : dims[i].def.id);
      out += ",\"units\":";
      append_json_string(out, def.units);
      out += ",\"value\":";
      append_number(out, v);
      out += fmt::format(",\"timestamp\":{}}}", timestamp);
    }
  }
  out += first ? "]\n" : "\n]\n";
  return out;
}

// ---------------------------------------------------------------- prometheus

// Samples of one metric name, written together after its HELP and TYPE lines.
struct Family {
  std::string type;
  std::string help;  // set by the first chart of the family
  std::string lines;
};

class Exposition {
 public:
  Family& family(const std::string& name, std::string_view type) {
    auto [it, fresh] = index_.try_emplace(name, order_.size());
    if (fresh) order_.push_back({name, Family{std::string(type), {}, {}}});
    return order_[it->second].second;
  }
  void write(std::string& out, bool help, bool types) const {
    for (const auto& [name, fam] : order_) {
      if (help && !fam.help.empty()) out += fmt::format("# HELP {} {}\n", name, fam.help);
      if (types) out += fmt::format("# TYPE {} {}\n", name, fam.type);
      out += fam.lines;
    }
  }

 private:
  std::unordered_map<std::string, size_t> index_;
  std::vector<std::pair<std::string, Family>> order_;
};

std::string sample_suffix(const AllmetricsRequest& request, int64_t time_s) {
  return request.timestamps ? fmt::format(" {}\n", time_s * 1000) : "\n";
}

std::string format_value(double v) {
  std::string s;
  append_number(s, v);
  return s;
}

// The slots an average or sum covers (Netdata's exporting_calculate_value_from_stored_data):
// from the previous scrape to now, both moved two collections back so late samples are in,
// the newest slot left for the next scrape; clamped to what is stored.
struct Window {
  int64_t after = 0;
  int64_t before = 0;
  bool empty = true;
};

Window scrape_window(const store::SeriesReader& series, int64_t last_scrape_s, int64_t now_s,
                     PrometheusSource source) {
  const int64_t ue = std::max<int64_t>(series.update_every(), 1);
  int64_t after = (last_scrape_s > 0 && last_scrape_s <= now_s ? last_scrape_s : now_s - ue);
  int64_t before = now_s;
  after -= 2 * ue;
  before -= 2 * ue;
  after -= after % ue;
  before -= before % ue;
  before -= ue;
  after = std::min(after, before);
  const int64_t first = series.first_time_s();
  const int64_t last = series.last_time_s();
  Window w;
  if (last == 0) return w;
  after = std::max(after, first);
  before = std::min(before, last);
  if (before < first || after > last || after > before) {
    // Nothing new since the last scrape. An average repeats the newest stored slot, so a
    // scraper faster than the data does not see the series go stale (Netdata skips it); a sum
    // must not count a slot twice.
    if (source == PrometheusSource::sum) return w;
    after = before = last;
  }
  w.after = after;
  w.before = before;
  w.empty = false;
  return w;
}

double combine(const store::SeriesReader& series, size_t dimension, const Window& w,
               PrometheusSource source, std::vector<double>& scratch) {
  const int64_t ue = std::max<int64_t>(series.update_every(), 1);
  scratch.assign(static_cast<size_t>((w.before - w.after) / ue + 1), 0.0);
  series.read(dimension, w.after, scratch);
  double sum = 0;
  size_t count = 0;
  for (double v : scratch) {
    if (!std::isfinite(v)) continue;
    sum += v;
    ++count;
  }
  if (count == 0) return std::numeric_limits<double>::quiet_NaN();
  return source == PrometheusSource::sum ? sum : sum / static_cast<double>(count);
}

class PrometheusWriter {
 public:
  PrometheusWriter(const AllmetricsRequest& request, const AllmetricsContext& context)
      : request_(request), context_(context), filter_(request.filter) {}

  // `instance`: set for prometheus_all_hosts, the host's label on every sample.
  void add_host(const store::Host& host, bool all_hosts) {
    const std::string hostname = prometheus_label_value(host.hostname());
    const std::string instance = all_hosts ? ",instance=\"" + hostname + "\"" : "";
    const std::string server = request_.server.empty()
                                   ? (context_.client.empty() ? "default" : context_.client)
                                   : request_.server;
    const int64_t last_scrape =
        context_.scrapes != nullptr
            ? context_.scrapes->exchange(server, host.machine_guid(), context_.now_s)
            : 0;
    if (request_.help) header_comment(host, server, last_scrape);

    Family& info = family("netdata_info", "gauge");
    info.help = "the host the samples come from: hostname, program and version";
    info.lines +=
        fmt::format("netdata_info{{instance=\"{}\",application=\"{}\",version=\"{}\"}} 1{}",
                    hostname, prometheus_label_value(host.info().program_name),
                    prometheus_label_value(host.info().program_version),
                    sample_suffix(request_, context_.now_s));
    add_host_labels(host, hostname, all_hosts);
    for (const auto& chart : host.charts()) {
      if (filter_.shows(*chart)) add_chart(*chart, instance, last_scrape);
    }
  }

  std::string finish() const {
    std::string out = header_;
    exposition_.write(out, request_.help, request_.types);
    return out;
  }

 private:
  Family& family(const std::string& name, std::string_view type) {
    return exposition_.family(name, type);
  }

  void header_comment(const store::Host& host, const std::string& server, int64_t last_scrape) {
    const bool first_seen = last_scrape == 0;
    const std::string_view mode = request_.source == PrometheusSource::as_collected ? "as collected"
                                  : request_.source == PrometheusSource::sum        ? "sum"
                                                                                    : "average";
    const int64_t after = first_seen ? context_.now_s - host.info().update_every : last_scrape;
    header_ += fmt::format(
        "# COMMENT netdata \"{}\" to {}prometheus \"{}\", source \"{}\", last seen {} {}, time "
        "range {} to {}\n\n",
        one_line(host.hostname()), first_seen ? "FIRST SEEN " : "", one_line(server), mode,
        first_seen ? 0 : context_.now_s - last_scrape, first_seen ? "never" : "seconds ago", after,
        context_.now_s);
  }

  // Host labels a user configured (those starting with '_' are automatic, as in Netdata's
  // default `send automatic labels = no`).
  void add_host_labels(const store::Host& host, const std::string& hostname, bool all_hosts) {
    std::string labels;
    for (const auto& [key, value] : host.info().labels) {
      if (key.empty() || key[0] == '_') continue;
      std::string name = prometheus_name(key);
      if (name[0] >= '0' && name[0] <= '9') name.insert(0, "_");
      if (name == "instance") continue;
      labels += (labels.empty() ? "" : ",") + name + "=\"" + prometheus_label_value(value) + "\"";
    }
    if (labels.empty()) return;
    if (all_hosts) labels = "instance=\"" + hostname + "\"," + labels;
    const std::string suffix = sample_suffix(request_, context_.now_s);
    Family& tags = family("netdata_host_tags_info", "gauge");
    tags.help = "the labels of the host";
    tags.lines += "netdata_host_tags_info{" + labels + "} 1" + suffix;
    // Deprecated in Netdata, kept for older queries.
    Family& old_tags = family("netdata_host_tags", "gauge");
    old_tags.help = "the labels of the host (deprecated: use netdata_host_tags_info)";
    old_tags.lines += "netdata_host_tags{" + labels + "} 1" + suffix;
  }

  void add_chart(const store::Chart& chart, const std::string& instance, int64_t last_scrape) {
    const model::ChartDef& def = chart.def();
    const store::SeriesReader& series = chart.series();
    if (series.last_time_s() == 0) return;  // nothing stored (memory mode none, or no sample)
    const std::string chart_label = prometheus_label_value(request_.names ? def.name : def.id);
    const std::string family_label = prometheus_label_value(def.family);
    const std::string context = prometheus_name(def.context.empty() ? def.id : def.context);
    const bool as_collected = request_.source == PrometheusSource::as_collected;
    std::string name = request_.prefix + "_" + context;
    if (!as_collected) {
      if (!request_.hideunits) name += prometheus_units(def.units);
      name += request_.source == PrometheusSource::sum ? "_sum" : "_average";
    }
    const Window window = as_collected
                              ? Window{series.last_time_s(), series.last_time_s(), false}
                              : scrape_window(series, last_scrape, context_.now_s, request_.source);
    if (window.empty) return;
    Family& fam = family(name, "gauge");
    if (fam.help.empty()) {
      // HELP text escapes only backslash and newline.
      fam.help = fmt::format("context {}, units {}, {}", one_line(def.context), one_line(def.units),
                             as_collected ? "the last value stored"
                             : request_.source == PrometheusSource::sum
                                 ? "the sum of the values since the last scrape"
                                 : "the average of the values since the last scrape");
      std::string escaped;
      for (char c : fam.help) escaped += c == '\\' ? std::string("\\\\") : std::string(1, c);
      fam.help = std::move(escaped);
    }
    const auto& dims = chart.dimensions();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (!shown(dims[i])) continue;
      const double v = as_collected ? chart.last_value(i)
                                    : combine(series, i, window, request_.source, scratch_);
      if (!usable(v)) continue;
      const std::string& dim_name = request_.names ? dims[i].def.name : dims[i].def.id;
      if (request_.help) {
        fam.lines += fmt::format(
            "# COMMENT {}: chart \"{}\", context \"{}\", dimension \"{}\", "
            "value is {}, gauge, dt {} to {} inclusive\n",
            name, one_line(request_.names ? def.name : def.id), one_line(def.context),
            one_line(dim_name), one_line(def.units), window.after, window.before);
      }
      fam.lines += fmt::format("{}{{chart=\"{}\",family=\"{}\",dimension=\"{}\"{}}} {}{}", name,
                               chart_label, family_label, prometheus_label_value(dim_name),
                               instance, format_value(v), sample_suffix(request_, window.before));
    }
  }

  const AllmetricsRequest& request_;
  const AllmetricsContext& context_;
  ChartFilter filter_;
  std::string header_;
  Exposition exposition_;
  std::vector<double> scratch_;
};

}  // namespace

int64_t ScrapeHistory::exchange(std::string_view server, std::string_view host_guid,
                                int64_t now_s) {
  auto key = std::make_pair(std::string(server), std::string(host_guid));
  auto it = last_.find(key);
  if (it != last_.end()) return std::exchange(it->second, now_s);
  if (last_.size() >= capacity_ && capacity_ > 0) {
    last_.erase(std::min_element(last_.begin(), last_.end(),
                                 [](const auto& a, const auto& b) { return a.second < b.second; }));
  }
  if (capacity_ > 0) last_.emplace(std::move(key), now_s);
  return 0;
}

std::string prometheus_name(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (!is_ascii_alnum(c)) c = '_';
  }
  return out;
}

std::string prometheus_label_value(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size();) {
    const char c = text[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      const size_t n = utf8_sequence(text, i);
      if (n == 0) {
        out += "\xEF\xBF\xBD";  // U+FFFD
        ++i;
        continue;
      }
      out.append(text.substr(i, n));
      i += n;
      continue;
    }
    ++i;
  }
  return out;
}

std::string prometheus_units(std::string_view units) {
  if (units == "%") return "_percent";
  if (units.size() > 2 && units.substr(units.size() - 2) == "/s") {
    return "_" + prometheus_name(units.substr(0, units.size() - 2)) + "_persec";
  }
  return "_" + prometheus_name(units);
}

AllmetricsResponse render_allmetrics(const store::HostRegistry& registry, const store::Host& host,
                                     const AllmetricsRequest& request,
                                     const AllmetricsContext& context) {
  switch (request.format) {
    case AllmetricsFormat::shell:
      return {std::string(kTextContentType), render_shell(host, request)};
    case AllmetricsFormat::json:
      return {std::string(kJsonContentType), render_json(host, request)};
    case AllmetricsFormat::flat:
      return {std::string(kJsonContentType), render_flat(host, request)};
    case AllmetricsFormat::prometheus: {
      PrometheusWriter writer(request, context);
      writer.add_host(host, /*all_hosts=*/false);
      return {std::string(kPrometheusContentType), writer.finish()};
    }
    case AllmetricsFormat::prometheus_all_hosts: {
      PrometheusWriter writer(request, context);
      for (const auto& h : registry.hosts()) writer.add_host(*h, /*all_hosts=*/true);
      return {std::string(kPrometheusContentType), writer.finish()};
    }
  }
  return {std::string(kTextContentType), {}};
}

}  // namespace trib::parent::query
