#include "common/collectors/proc_net_stat_conntrack.h"

#include <unistd.h>

#include <charconv>

namespace trib::collectors {
namespace {
constexpr const char* kModule = "/proc/net/stat/nf_conntrack";

// Netdata's name of each column, by position.
constexpr std::array<std::string_view, ProcNetStatConntrackCollector::kColumns> kColumnNames = {
    "entries",    "searched",    "found",         "new",           "invalid",       "ignore",
    "delete",     "delete_list", "insert",        "insert_failed", "drop",          "early_drop",
    "icmp_error", "expect_new",  "expect_create", "expect_delete", "search_restart"};

ChartSpec conntrack_chart(std::string name, std::string title, std::string units,
                          int32_t priority) {
  return proc_chart(kModule, "netfilter.conntrack_" + name, std::move(title), std::move(units),
                    "conntrack", priority);
}

TableDim rate(std::string_view column, std::string_view id, double factor = 1) {
  return {.key = column, .id = id, .factor = factor};
}

std::vector<TableChart> conntrack_charts() {
  auto chart = [](ChartSpec spec, std::vector<TableDim> dims) {
    return TableChart{.spec = std::move(spec), .dims = std::move(dims), .show_zero = true};
  };
  return {
      chart(
          conntrack_chart("sockets", "Connection Tracker Connections", "active connections", 8700),
          {{.key = "entries", .id = "connections", .incremental = false}}),
      chart(conntrack_chart("new", "Connection Tracker New Connections", "connections/s", 8701),
            {rate("new", "new"), rate("ignore", "ignore", -1), rate("invalid", "invalid", -1)}),
      chart(conntrack_chart("changes", "Connection Tracker Changes", "changes/s", 8702),
            {rate("insert", "inserted"), rate("delete", "deleted", -1),
             rate("delete_list", "delete_list", -1)}),
      chart(conntrack_chart("expect", "Connection Tracker Expectations", "expectations/s", 8703),
            {rate("expect_create", "created"), rate("expect_delete", "deleted", -1),
             rate("expect_new", "new")}),
      chart(conntrack_chart("search", "Connection Tracker Searches", "searches/s", 8710),
            {rate("searched", "searched"), rate("search_restart", "restarted", -1),
             rate("found", "found")}),
      chart(conntrack_chart("errors", "Connection Tracker Errors", "events/s", 8705),
            {rate("icmp_error", "icmp_error"), rate("insert_failed", "insert_failed", -1),
             rate("drop", "drop", -1), rate("early_drop", "early_drop", -1)}),
  };
}

bool parse_hex(std::string_view text, uint64_t& out) {
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out, 16);
  return error == std::errc() && end == text.data() + text.size();
}
}  // namespace

ProcNetStatConntrackCollector::ProcNetStatConntrackCollector(const CollectorContext& context)
    : path_(context.paths.proc + "/net/stat/nf_conntrack"),
      reader_(8192),
      table_(conntrack_charts(), context.update_every) {
  for (size_t column = 0; column < kColumns; ++column) {
    slots_[column] = table_.slot("", kColumnNames[column]);
  }
  present_ = ::access(path_.c_str(), R_OK) == 0;
}

Status ProcNetStatConntrackCollector::collect(int64_t now_us, MetricSink& sink) {
  if (!present_) return ok_status();
  TRIB_ASSIGN_OR_RETURN(std::string_view text, reader_.read(path_));
  Tokenizer lines(text);
  lines.next_line();  // the header
  std::array<uint64_t, kColumns> sums{};
  size_t cpus = 0;
  while (!lines.done()) {
    const std::string_view line = lines.next_line();
    Tokenizer words(line);
    std::array<uint64_t, kColumns> row{};
    size_t column = 0;
    for (std::string_view word = words.next_word(); !word.empty() && column < kColumns;
         word = words.next_word(), ++column) {
      if (!parse_hex(word, row[column])) {
        return Error(Errc::parse_error,
                     path_ + ": '" + std::string(word) + "' is not a hexadecimal counter");
      }
    }
    if (column < kColumns) continue;  // Netdata skips short lines too
    ++cpus;
    // The table's entries are global (each CPU's line repeats them): the first non-zero one.
    if (sums[0] == 0) sums[0] = row[0];
    for (size_t k = 1; k < kColumns; ++k) sums[k] += row[k];
  }
  if (cpus == 0) return Error(Errc::parse_error, path_ + ": no line of 17 counters");
  table_.begin_read();
  for (size_t column = 0; column < kColumns; ++column) table_.set(slots_[column], sums[column]);
  table_.emit(elapsed_.advance(now_us), timestamp_of(now_us), sink);
  return ok_status();
}

std::unique_ptr<Collector> make_proc_net_stat_conntrack(const CollectorContext& context) {
  return std::make_unique<ProcNetStatConntrackCollector>(context);
}

}  // namespace trib::collectors
