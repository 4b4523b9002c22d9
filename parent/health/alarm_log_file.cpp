#include "parent/health/alarm_log_file.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

namespace trib::parent::health {

namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

double number_of(const json& j) {
  return j.is_number() ? j.get<double>() : std::numeric_limits<double>::quiet_NaN();
}

AlarmStatus status_named(const std::string& name) {
  for (const AlarmStatus s :
       {AlarmStatus::removed, AlarmStatus::undefined, AlarmStatus::uninitialized,
        AlarmStatus::clear, AlarmStatus::raised, AlarmStatus::warning, AlarmStatus::critical}) {
    if (to_string(s) == name) return s;
  }
  return AlarmStatus::undefined;
}

}  // namespace

std::string entry_to_json_line(const AlarmLogEntry& e) {
  json j;
  j["unique_id"] = e.unique_id;
  j["alarm_event_id"] = e.alarm_event_id;
  j["alarm_id"] = e.alarm.alarm_id;
  j["host_guid"] = e.alarm.host_guid;
  j["hostname"] = e.alarm.hostname;
  j["name"] = e.alarm.name;
  j["chart"] = e.alarm.chart;
  j["context"] = e.alarm.context;
  j["family"] = e.alarm.family;
  j["units"] = e.alarm.units;
  j["info"] = e.alarm.info;
  j["recipient"] = e.alarm.recipient;
  j["source"] = e.alarm.source;
  j["when"] = e.when;
  j["old_status"] = to_string(e.old_status);
  j["status"] = to_string(e.new_status);
  j["old_value"] = number(e.old_value);
  j["value"] = number(e.new_value);
  j["duration"] = e.duration;
  j["non_clear_duration"] = e.non_clear_duration;
  j["delay"] = e.delay;
  j["delay_up_to_timestamp"] = e.delay_up_to_timestamp;
  j["updates_id"] = e.updates_id;
  j["processed"] = e.processed;
  j["notified"] = e.notified;
  j["silenced"] = e.silenced;
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<AlarmLogEntry> entry_from_json_line(std::string_view line) {
  const json j = json::parse(line, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("unique_id") ||
      !j["unique_id"].is_number_unsigned()) {
    return Error(Errc::parse_error, "not an alarm log line");
  }
  AlarmLogEntry e;
  e.unique_id = j["unique_id"].get<uint64_t>();
  e.alarm_event_id = j.value("alarm_event_id", uint64_t{0});
  e.alarm.alarm_id = j.value("alarm_id", uint32_t{0});
  e.alarm.host_guid = j.value("host_guid", "");
  e.alarm.hostname = j.value("hostname", "");
  e.alarm.name = j.value("name", "");
  e.alarm.chart = j.value("chart", "");
  e.alarm.context = j.value("context", "");
  e.alarm.family = j.value("family", "");
  e.alarm.units = j.value("units", "");
  e.alarm.info = j.value("info", "");
  e.alarm.recipient = j.value("recipient", "");
  e.alarm.source = j.value("source", "");
  e.when = j.value("when", int64_t{0});
  e.old_status = status_named(j.value("old_status", ""));
  e.new_status = status_named(j.value("status", ""));
  e.old_value = number_of(j.value("old_value", json()));
  e.new_value = number_of(j.value("value", json()));
  e.duration = j.value("duration", int64_t{0});
  e.non_clear_duration = j.value("non_clear_duration", int64_t{0});
  e.delay = j.value("delay", int64_t{0});
  e.delay_up_to_timestamp = j.value("delay_up_to_timestamp", int64_t{0});
  e.updates_id = j.value("updates_id", uint64_t{0});
  e.processed = j.value("processed", true);
  e.notified = j.value("notified", false);
  e.silenced = j.value("silenced", false);
  return e;
}

Result<AlarmLogFile> AlarmLogFile::open(const std::string& dir, size_t max_entries) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return Error(Errc::io_error, fmt::format("alarm log directory {}: {}", dir, ec.message()));
  }
  return AlarmLogFile(dir + "/alarm-log.jsonl", max_entries);
}

std::vector<AlarmLogEntry> AlarmLogFile::load() {
  std::map<uint64_t, AlarmLogEntry> newest;  // by unique_id: the last line of an entry wins
  std::ifstream in(path_);
  std::string line;
  lines_ = 0;
  while (std::getline(in, line)) {
    ++lines_;
    auto entry = entry_from_json_line(line);
    if (!entry.ok()) continue;
    const uint64_t id = entry->unique_id;
    newest.insert_or_assign(id, std::move(entry).value());
    if (newest.size() > max_entries_) newest.erase(newest.begin());
  }
  std::vector<AlarmLogEntry> out;
  out.reserve(newest.size());
  for (auto& [id, entry] : newest) out.push_back(std::move(entry));
  return out;
}

Status AlarmLogFile::append(const AlarmLogEntry& entry) {
  if (lines_ >= 2 * max_entries_) TRIB_TRY(compact());
  if (!out_.is_open()) out_.open(path_, std::ios::app | std::ios::binary);
  out_ << entry_to_json_line(entry) << '\n';
  out_.flush();
  if (!out_) {
    out_.close();
    return Error(Errc::io_error, fmt::format("cannot append to {}", path_));
  }
  ++lines_;
  return ok_status();
}

Status AlarmLogFile::compact() {
  out_.close();
  const std::vector<AlarmLogEntry> keep = load();
  const std::string temporary = path_ + ".compacting";
  {
    std::ofstream rewrite(temporary, std::ios::trunc | std::ios::binary);
    for (const auto& entry : keep) rewrite << entry_to_json_line(entry) << '\n';
    if (!rewrite.flush()) return Error(Errc::io_error, "cannot write " + temporary);
  }
  std::error_code ec;
  std::filesystem::rename(temporary, path_, ec);
  if (ec) return Error(Errc::io_error, fmt::format("rename {}: {}", temporary, ec.message()));
  lines_ = keep.size();
  return ok_status();
}

}  // namespace trib::parent::health
