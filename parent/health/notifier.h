#pragma once
// Delivers alarm notifications (parent.yaml `health.notifications`):
//
//  - exec: the configured executable is started with posix_spawn and an argv, never through a
//    shell; every value that comes from a child (hostname, chart, family, info...) is one
//    argument or one environment variable, so `$(reboot)` in a hostname stays inert text
//    (Netdata's CVE-2023-22496 was exactly that, through a shell). Arguments, in Netdata's
//    alarm-notify.sh order:
//      1 recipients (comma-separated)  2 hostname  3 unique_id  4 alarm_id  5 event_id
//      6 when  7 name  8 chart  9 family  10 status  11 old_status  12 value  13 old_value
//      14 source  15 duration  16 non_clear_duration  17 units  18 info  19 value_string
//      20 old_value_string
//    and the environment holds only PATH plus TRIB_ALARM_* copies of the same values
//    (TRIB_ALARM_HOST, TRIB_ALARM_NAME, TRIB_ALARM_STATUS, ..., TRIB_ALARM_REPEAT=0|1).
//    Stdin, stdout and stderr are /dev/null. A non-zero exit, a signal or running past the
//    timeout (then SIGKILL) is a failure.
//  - webhook: a JSON POST (the alarm_log entry shape plus `recipients` and `repeat`); any
//    2xx is success.
//  Failures are retried `retries` times, 5 s, 10 s, 20 s... apart. Every attempt's outcome goes
//  to the notification log (in memory, the newest 1000) and the `health` log channel.
//
// Thread: the parent's I/O loop. Children are reaped with waitpid(WNOHANG) on a 100 ms timer
// while any runs, so the loop never blocks on them.

#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <string>
#include <vector>

#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/http/client.h"
#include "common/time/clock.h"
#include "parent/health/health_options.h"
#include "parent/health/health_service.h"

namespace trib::parent::health {

struct NotificationRecord {
  uint64_t unique_id = 0;  // the alarm log entry
  std::string alarm;       // "host/chart.name STATUS"
  std::string channel;     // "exec" or "webhook"
  uint32_t attempt = 1;
  bool ok = false;
  std::string detail;  // "exit 0", "HTTP 200", "timed out", ...
  int64_t when = 0;
};

// The argv the executable receives (without argv[0]) and its environment, for tests.
std::vector<std::string> exec_arguments(const Notification& n);
std::vector<std::string> exec_environment(const Notification& n);

class Notifier {
 public:
  static constexpr size_t kLogSize = 1000;

  Notifier(event::Loop& loop, const time::Clock& clock, NotificationOptions options);
  ~Notifier();  // kills and reaps running children, cancels webhooks
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  void notify(const Notification& notification);
  void set_options(const NotificationOptions& options) { options_ = options; }
  const std::deque<NotificationRecord>& log() const { return log_; }
  // Attempts not finished yet (children running, POSTs in flight, retries waiting).
  size_t in_flight() const;

 private:
  struct Job {
    Notification notification;
    bool webhook = false;
    uint32_t attempt = 1;
  };
  struct Child {
    pid_t pid;
    Job job;
    uint64_t deadline_ms;
  };
  struct Fetch {
    http::FetchHandle handle;
    Job job;
  };

  void start(Job job);
  void spawn(Job job);
  void post(Job job);
  void reap();
  void finished(Job job, bool ok, std::string detail);

  event::Loop& loop_;
  const time::Clock& clock_;
  NotificationOptions options_;
  std::vector<Child> children_;
  std::list<Fetch> fetches_;
  std::list<std::unique_ptr<event::Timer>> retries_;
  std::unique_ptr<event::Timer> reaper_;
  std::deque<NotificationRecord> log_;
};

}  // namespace trib::parent::health
