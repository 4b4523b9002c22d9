#pragma once
// The fleet thread: its own event::Loop owning the FleetRegistry (so the only database
// connection), running jobs posted from the other loops in order, and the scheduler timer.
// The main HTTP loop and the heartbeat loop never touch the database themselves: they post a
// job here and the job posts its answer back to their loop.
//
// Lifetime: start() opens the database on the calling thread (so start-up errors are reported
// at once) and starts the thread. stop() runs the jobs already posted, ends the thread and
// closes the loop; jobs posted after it are dropped. The object must outlive every loop that
// may still post to it (the parent destroys it last).

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "common/base/result.h"
#include "common/event/loop.h"
#include "common/time/clock.h"
#include "parent/fleet/registry.h"

namespace trib::parent::fleet {

struct FleetServiceOptions {
  std::string database;  // see open_database()
  std::string data_dir;
  std::chrono::milliseconds scheduler_interval{60'000};
};

class FleetService {
 public:
  using Job = std::function<void(FleetRegistry& registry, const time::Clock& clock)>;

  // `clock` must outlive the service.
  static Result<std::unique_ptr<FleetService>> start(const FleetServiceOptions& options,
                                                     const time::Clock& clock);
  ~FleetService();
  FleetService(const FleetService&) = delete;
  FleetService& operator=(const FleetService&) = delete;

  // Runs `job` on the fleet thread. Thread-safe.
  void post(Job job);
  void stop();

  // Runs one scheduler pass now (as the timer does), then `done` on the fleet thread.
  void run_scheduler_now(std::function<void(const Result<ScheduleReport>&)> done = {});

  const std::string& description() const { return description_; }

 private:
  FleetService(std::unique_ptr<FleetRegistry> registry, const time::Clock& clock,
               std::chrono::milliseconds interval);
  void thread_main();
  Result<ScheduleReport> schedule();

  std::unique_ptr<FleetRegistry> registry_;
  const time::Clock& clock_;
  std::chrono::milliseconds interval_;
  std::string description_;
  event::Loop loop_;
  std::thread thread_;
  std::optional<bool> was_leader_;  // fleet thread only: log leadership changes once
};

}  // namespace trib::parent::fleet
