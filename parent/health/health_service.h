#pragma once
// Evaluates alarms for every host the parent stores: each rule of health.d against each
// matching chart of each host (an *instance*), plus the built-in `last_collected` alarms.
//
// Thread: the parent's I/O loop, on a 1 s timer. The store (parent/store/) is single-threaded
// by design and every lookup reads it through the same query path /api/v1/data uses, so
// evaluating on the loop that owns it needs no locks and no copies. The cost is bounded and
// small (docs/benchmarks.md: 500 hosts x 20 rules every second take 2.7 % of a core), so the
// receivers sharing the loop are delayed by at most that once a second; see README.md.
//
// Instances are created when a chart matching a rule appears on any host with a store (memory
// mode ram or dbengine; a host is rescanned when its chart count changes or the rules are
// reloaded) and dropped with the host's health (`health enabled = auto` and the host went away,
// `no`), or when their rule is removed.
//
// last_collected: one instance per host (chart `host`) whose value is the seconds since the
// host's newest sample; it turns CRITICAL past HealthOptions::last_collected while the host is
// lost (no goodbye), and stays CLEAR after a clean stop. One instance per chart of a live host
// that stopped updating (created when that first happens).

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/config/simple_pattern.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/time/clock.h"
#include "parent/health/alarm.h"
#include "parent/health/health_options.h"
#include "parent/health/rule.h"
#include "parent/health/rule_loader.h"
#include "parent/health/silencers.h"
#include "parent/store/host_registry.h"

namespace trib::parent::health {

inline constexpr std::string_view kLastCollected = "last_collected";
inline constexpr std::string_view kHostChart = "host";  // the chart of host-level alarms

// One rule applied to one chart of one host.
struct AlarmInstance {
  AlarmInstance(std::shared_ptr<const Rule> r, AlarmState s)
      : rule(std::move(r)), state(std::move(s)) {}

  std::shared_ptr<const Rule> rule;  // null: a built-in last_collected alarm
  AlarmState state;
  int64_t next_update = 0;
  int64_t db_after = 0;
  int64_t db_before = 0;
  int32_t update_every = 1;
  bool disabled = false;  // by /api/v1/manage/health
  bool silenced = false;

  const AlarmIdentity& id() const { return state.identity(); }
};

// What a notification carries: the log entry and who should receive it.
struct Notification {
  AlarmLogEntry entry;
  std::vector<std::string> recipients;  // notifications.recipients[rule.to]
  bool repeat = false;                  // a `repeat` re-send of a raised alarm
};
using NotifyFunction = std::function<void(Notification)>;

class HealthService {
 public:
  HealthService(event::Loop& loop, store::HostRegistry& registry, const time::Clock& clock,
                HealthOptions options);
  ~HealthService();

  // Replaces the rules. Instances of rules still present (same name and `on`) keep their state;
  // the others are removed (a REMOVED log entry); hosts are rescanned at the next pass.
  void set_rules(const RuleSet& rules);
  void set_options(const HealthOptions& options);
  void set_notify(NotifyFunction notify) { notify_ = std::move(notify); }
  // Called with every new log entry, and again when its notification is decided (the parent
  // persists those of hosts with a db).
  void set_persist(std::function<void(const AlarmLogEntry&)> persist) {
    persist_ = std::move(persist);
  }
  // Entries read back from disk at start, oldest first; ids continue after them, and each
  // alarm, when its instance is created again, resumes from its entries (AlarmHistory): same
  // alarm id, same status, a notification that was still pending is decided then.
  void restore_log(std::vector<AlarmLogEntry> entries);

  // Runs a pass every second until stop().
  void start();
  void stop();
  // One pass: scan hosts, evaluate the due instances, send the due notifications.
  void run_once();

  const AlarmLog& log() const { return log_; }
  AlarmLog& log() { return log_; }
  // Every instance of a host (by GUID), in creation order.
  std::vector<const AlarmInstance*> instances(std::string_view host_guid) const;
  size_t instance_count() const;
  const HealthOptions& options() const { return options_; }

  const Silencers& silencers() const { return silencers_; }
  // Replaces the silencers (a manage/health command) and applies them to every instance. They
  // apply even when saving them fails (the error says they will not survive a restart).
  Status set_silencers(Silencers silencers);
  // Loads the silencers from `path` (a missing file: none) and saves every change there.
  Status keep_silencers_in(std::string path);

 private:
  struct HostAlarms {
    size_t charts_seen = SIZE_MAX;  // chart count at the last scan
    uint64_t rules_generation = 0;
    std::vector<std::unique_ptr<AlarmInstance>> instances;
  };

  HostAlarms& alarms_of(const store::Host& host);
  void scan(const store::Host& host, HostAlarms& alarms, int64_t now);
  AlarmInstance& add_instance(const store::Host& host, HostAlarms& alarms,
                              std::shared_ptr<const Rule> rule, std::string chart,
                              std::string context, std::string family, int64_t now);
  // Continues a new instance from the restored log, if the alarm is there.
  void resume(AlarmState& state);
  void drop_instances(HostAlarms& alarms, const std::function<bool(const AlarmInstance&)>& which,
                      int64_t now);
  bool evaluating(const store::Host& host, int64_t now) const;
  void evaluate_rule(const store::Host& host, HostAlarms& alarms, AlarmInstance& instance,
                     int64_t now);
  void evaluate_last_collected(const store::Host& host, HostAlarms& alarms, int64_t now);
  void record(AlarmInstance& instance, int64_t now, double value, AlarmStatus status);
  void send_due_notifications(int64_t now);
  bool silenced_by(const Silencers::Selector& selector, const AlarmInstance& instance) const;
  void apply_silencers_to(AlarmInstance& instance) const;
  void apply_silencers();

  event::Loop& loop_;
  store::HostRegistry& registry_;
  const time::Clock& clock_;
  HealthOptions options_;
  std::vector<std::shared_ptr<const Rule>> rules_;
  uint64_t rules_generation_ = 1;
  std::unordered_map<std::string, HostAlarms> hosts_;  // by machine GUID
  std::unordered_map<uint32_t, AlarmInstance*> by_alarm_id_;
  // Alarms of the restored log not created again yet, by host GUID, chart and name.
  std::unordered_map<std::string, AlarmHistory> restored_;
  uint32_t next_alarm_id_ = 1;
  AlarmLog log_;
  std::vector<uint64_t> pending_;  // log entries whose notification is not decided yet
  Silencers silencers_;
  std::string silencers_path_;  // empty: kept in memory only
  NotifyFunction notify_;
  std::function<void(const AlarmLogEntry&)> persist_;
  std::unique_ptr<event::Timer> timer_;
};

}  // namespace trib::parent::health
