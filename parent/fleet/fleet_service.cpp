#include "parent/fleet/fleet_service.h"

#include "common/event/timer.h"
#include "common/log/log.h"

namespace trib::parent::fleet {

Result<std::unique_ptr<FleetService>> FleetService::start(const FleetServiceOptions& options,
                                                          const time::Clock& clock) {
  TRIB_ASSIGN_OR_RETURN(std::unique_ptr<Database> db,
                        open_database(options.database, options.data_dir));
  TRIB_ASSIGN_OR_RETURN(std::unique_ptr<FleetRegistry> registry,
                        FleetRegistry::open(std::move(db), clock.now_s()));
  std::unique_ptr<FleetService> service(
      new FleetService(std::move(registry), clock, options.scheduler_interval));
  service->thread_ = std::thread([s = service.get()] { s->thread_main(); });
  return service;
}

FleetService::FleetService(std::unique_ptr<FleetRegistry> registry, const time::Clock& clock,
                           std::chrono::milliseconds interval)
    : registry_(std::move(registry)),
      clock_(clock),
      interval_(interval),
      description_(registry_->database().describe()) {}

FleetService::~FleetService() { stop(); }

void FleetService::post(Job job) {
  loop_.post([this, job = std::move(job)] { job(*registry_, clock_); });
}

void FleetService::stop() {
  if (!thread_.joinable()) return;
  // Posted after every job already queued, so those run first.
  loop_.post([this] { loop_.stop(); });
  thread_.join();
}

void FleetService::run_scheduler_now(std::function<void(const Result<ScheduleReport>&)> done) {
  loop_.post([this, done = std::move(done)] {
    auto report = schedule();
    if (done) done(report);
  });
}

Result<ScheduleReport> FleetService::schedule() {
  auto report = registry_->run_schedule(clock_.now_s());
  if (!report.ok()) {
    TRIB_LOG(registry, error, "[scheduler] pass failed: {}", report.error().describe());
    return report;
  }
  if (report->leader != was_leader_) {
    TRIB_LOG(registry, info, "[scheduler] {}",
             report->leader ? "this parent runs the scheduler (it holds the lock)"
                            : "another parent runs the scheduler");
    was_leader_ = report->leader;
  }
  if (report->marked_not_reporting > 0 || report->deleted > 0) {
    TRIB_LOG(registry, info, "[scheduler] {} agent(s) not reporting, {} deleted",
             report->marked_not_reporting, report->deleted);
  }
  return report;
}

void FleetService::thread_main() {
  {
    event::Timer timer(loop_);
    timer.start(interval_, interval_, [this] { (void)schedule(); });
    loop_.run();
  }
  const Status closed = loop_.close();
  if (!closed.ok()) TRIB_LOG(registry, error, "fleet loop: {}", closed.error().describe());
}

}  // namespace trib::parent::fleet
