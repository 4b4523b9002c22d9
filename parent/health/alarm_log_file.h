#pragma once
// The alarm log of hosts that have a db (memory mode dbengine), kept across restarts:
// `<data dir>/health/alarm-log.jsonl`, one JSON object per line. An entry is appended when the
// transition happens and again when its notification is decided (`processed`, `notified`), as
// Netdata updates its health log rows; the last line of a unique_id wins. At start the newest
// `max_entries` are read back, the log's numbering continues after them and each alarm resumes
// from its entries (AlarmHistory). When the file holds more than twice `max_entries`
// lines it is rewritten with the newest `max_entries` (atomically, through a rename).
//
// Thread: the parent's I/O loop (the HealthService calls append()). A line that does not parse
// (a torn last write after a crash) is skipped.

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "parent/health/alarm.h"

namespace trib::parent::health {

class AlarmLogFile {
 public:
  // Creates the directory if needed; reads nothing yet.
  static Result<AlarmLogFile> open(const std::string& dir, size_t max_entries);

  // The newest entries stored, oldest first.
  std::vector<AlarmLogEntry> load();
  Status append(const AlarmLogEntry& entry);

  const std::string& path() const { return path_; }

 private:
  AlarmLogFile(std::string path, size_t max_entries)
      : path_(std::move(path)), max_entries_(max_entries) {}
  Status compact();

  std::string path_;
  size_t max_entries_;
  size_t lines_ = 0;
  std::ofstream out_;
};

// One entry as a JSON line and back (exposed for tests).
std::string entry_to_json_line(const AlarmLogEntry& entry);
Result<AlarmLogEntry> entry_from_json_line(std::string_view line);

}  // namespace trib::parent::health
