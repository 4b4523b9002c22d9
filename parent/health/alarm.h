#pragma once
// The state machine of one alarm instance (a rule applied to one chart of one host) and the
// alarm log its transitions are written to. Netdata's semantics:
//
//  - Status is computed from the warn and crit results: crit true -> CRITICAL, else warn true
//    -> WARNING, else CLEAR when either evaluated to false, else UNDEFINED (a NaN result: a
//    missing variable, a division by zero, no data). An instance starts UNINITIALIZED.
//  - Hysteresis lives in the expressions themselves through $status (e.g.
//    `$this > (($status >= $WARNING) ? 75 : 85)`): status() is what they read.
//  - The status changes at once (the API shows it); every change is one log entry. `delay`
//    postpones only the notification of that entry: up for a rise, down for a fall. A change
//    within the previous delay window multiplies both delays by `multiplier` (capped at
//    `max`); a change after it resets them. A newer entry for the same alarm supersedes an
//    entry whose notification is still pending (`updated_by_id`), so flapping inside the delay
//    notifies once.
//  - A notification is sent for WARNING, CRITICAL and, once a raise was notified, CLEAR; never
//    twice in a row for the same status; never for UNDEFINED/UNINITIALIZED/REMOVED. `repeat`
//    re-sends the WARNING or CRITICAL notification every interval while the status lasts.
//
// Single-threaded: owned by the HealthService on the parent's I/O loop. Times are epoch seconds
// handed in by the caller (tests use time::ManualClock).

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace trib::parent::health {

// Netdata's RRDCALC_STATUS_* values: exposed to expressions as $REMOVED .. $CRITICAL.
enum class AlarmStatus : int8_t {
  removed = -2,
  undefined = -1,
  uninitialized = 0,
  clear = 1,
  raised = 2,
  warning = 3,
  critical = 4,
};
std::string_view to_string(AlarmStatus status);  // "WARNING", ...

// The status for the results of warn and crit (std::nullopt: the rule has none).
AlarmStatus status_from(std::optional<double> warn, std::optional<double> crit);

struct DelayOptions {
  std::chrono::seconds up{0};
  std::chrono::seconds down{0};
  double multiplier = 1.0;
  std::chrono::seconds max{0};  // 0: max(up, down)
  bool operator==(const DelayOptions&) const = default;
};

struct RepeatOptions {
  std::chrono::seconds warning{0};  // 0: off
  std::chrono::seconds critical{0};
  bool operator==(const RepeatOptions&) const = default;
};

// What an alarm is, for the log and the API: copied into every log entry.
struct AlarmIdentity {
  uint32_t alarm_id = 0;  // unique per instance for the process lifetime
  std::string host_guid;
  std::string hostname;
  std::string name;
  std::string chart;
  std::string context;
  std::string family;
  std::string units;
  std::string info;
  std::string recipient;  // the rule's `to` (a role)
  std::string source;     // "health.d/cpu.yaml:3"
};

struct AlarmLogEntry {
  uint64_t unique_id = 0;       // unique across the log, increasing
  uint64_t alarm_event_id = 0;  // 1, 2, ... per alarm
  AlarmIdentity alarm;
  int64_t when = 0;
  AlarmStatus old_status = AlarmStatus::uninitialized;
  AlarmStatus new_status = AlarmStatus::uninitialized;
  double old_value = 0;
  double new_value = 0;
  int64_t duration = 0;            // seconds spent in old_status
  int64_t non_clear_duration = 0;  // seconds since it last left CLEAR (0 while clear)
  int64_t delay = 0;
  int64_t delay_up_to_timestamp = 0;  // the notification is due then
  uint64_t updated_by_id = 0;         // a newer entry for the same alarm
  uint64_t updates_id = 0;            // the entry this one supersedes
  bool processed = false;             // its notification was decided (sent or skipped)
  bool notified = false;              // a notification was sent for it
  bool silenced = false;
};

// Every transition, newest last; bounded (the oldest entries are dropped).
class AlarmLog {
 public:
  explicit AlarmLog(size_t max_entries = 100'000) : max_entries_(max_entries) {}

  // Assigns unique_id and returns the stored entry (valid until the next append()).
  AlarmLogEntry& append(AlarmLogEntry entry);
  AlarmLogEntry* find(uint64_t unique_id);
  // Entries with unique_id > after, oldest first; `host_guid` empty: every host.
  std::vector<const AlarmLogEntry*> after(uint64_t after_id, std::string_view host_guid) const;
  const std::deque<AlarmLogEntry>& entries() const { return entries_; }
  uint64_t last_unique_id() const { return next_id_ - 1; }
  // An entry read back from disk keeps its unique_id (restored entries come oldest first and
  // before any append); the numbering continues after it.
  void restore(AlarmLogEntry entry);

 private:
  size_t max_entries_;
  uint64_t next_id_ = 1;
  std::deque<AlarmLogEntry> entries_;
};

// Where one alarm stood when the parent stopped, rebuilt from its entries in the alarm log read
// back at start (Netdata keeps an alarm's id across restarts the same way, by chart and name).
// Resuming from it keeps the alarm's id and event numbering, its status and what was last
// notified, so a restart neither re-sends a raise that was notified nor invents a transition:
// the first evaluation logs a change only if the data now implies another status.
struct AlarmHistory {
  uint32_t alarm_id = 0;
  uint64_t last_event_id = 0;
  uint64_t last_entry_id = 0;  // the newest entry's unique_id
  // The newest entry's status; UNINITIALIZED after a REMOVED entry (the alarm starts afresh,
  // as a re-created instance does within one run).
  AlarmStatus status = AlarmStatus::uninitialized;
  double value = 0;
  int64_t since = 0;            // when it took that status
  int64_t non_clear_since = 0;  // 0 while clear
  bool pending = false;         // the newest entry's notification was not decided yet
  std::optional<AlarmStatus> last_notified;

  // Feeds one entry of this alarm; entries come oldest first.
  void add(const AlarmLogEntry& entry);
};

// One instance's state. Feed it each evaluation; it writes transitions to the log.
class AlarmState {
 public:
  AlarmState(AlarmIdentity identity, DelayOptions delay, RepeatOptions repeat);

  const AlarmIdentity& identity() const { return identity_; }
  AlarmStatus status() const { return status_; }
  double value() const { return value_; }
  int64_t last_status_change() const { return last_status_change_; }
  int64_t last_updated() const { return last_updated_; }
  int64_t delay_up_to_timestamp() const { return delay_up_to_timestamp_; }
  int64_t delay_last() const { return delay_last_; }
  int64_t last_repeat() const { return last_repeat_; }
  uint32_t times_repeat() const { return times_repeat_; }
  const DelayOptions& delay() const { return delay_; }
  const RepeatOptions& repeat() const { return repeat_; }
  // The unique_id of this alarm's newest log entry (0: none yet).
  uint64_t last_entry_id() const { return last_entry_id_; }

  // Continues from before a restart (call before the first update()).
  void resume(const AlarmHistory& history);

  // Records an evaluation at `now`. A status change appends an entry to `log` and returns it.
  AlarmLogEntry* update(int64_t now, double value, AlarmStatus status, AlarmLog& log);

  // Whether the pending entry should notify; marks it processed either way. Call when
  // now >= entry.delay_up_to_timestamp.
  bool take_notification(AlarmLogEntry& entry);
  // True when a repeat notification is due at `now` (and records it as sent).
  bool take_repeat(int64_t now);

 private:
  void apply_delay(int64_t now, AlarmStatus next);

  AlarmIdentity identity_;
  DelayOptions delay_;
  RepeatOptions repeat_;
  AlarmStatus status_ = AlarmStatus::uninitialized;
  double value_ = 0;
  int64_t last_status_change_ = 0;
  int64_t last_updated_ = 0;
  int64_t non_clear_since_ = 0;  // when it last left CLEAR; 0 while clear
  int64_t delay_up_current_ = 0;
  int64_t delay_down_current_ = 0;
  int64_t delay_up_to_timestamp_ = 0;
  int64_t delay_last_ = 0;
  uint64_t event_count_ = 0;
  uint64_t last_entry_id_ = 0;
  std::optional<AlarmStatus> last_notified_;
  int64_t last_repeat_ = 0;
  uint32_t times_repeat_ = 0;
};

}  // namespace trib::parent::health
