#pragma once
// The collector thread of a binary: its own libuv loop running a CollectorRunner, so that /proc
// reads never delay the I/O loop and a busy I/O loop never shifts collection times. The agent
// runs one for its host; the parent one for its own host.
//
// Start, apply and stop are called from the owning (I/O) thread; `deliver` runs on the collector
// thread and is expected to post the batch to the owner's loop.

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/collectors/collector.h"
#include "common/collectors/collector_options.h"
#include "common/collectors/collector_runner.h"
#include "common/event/loop.h"

namespace trib::collectors {

class CollectorThread {
 public:
  CollectorThread(CollectorContext context, CollectorRunner::Deliver deliver);
  ~CollectorThread();  // stops the thread if still running
  CollectorThread(const CollectorThread&) = delete;
  CollectorThread& operator=(const CollectorThread&) = delete;

  void start(const std::map<std::string, CollectorOptions>& options,
             const std::vector<ProcessMatch>& processes);
  // New settings for the running collectors (see CollectorRunner::apply).
  void apply(const std::map<std::string, CollectorOptions>& options,
             const std::vector<ProcessMatch>& processes);
  // Stops the collectors and joins the thread; nothing is delivered afterwards.
  void stop();

 private:
  event::Loop loop_;
  CollectorContext context_;
  CollectorRunner::Deliver deliver_;
  std::unique_ptr<CollectorRunner> runner_;  // created, used and destroyed on the thread
  std::thread thread_;
};

// Every registered collector with its default settings.
std::map<std::string, CollectorOptions> default_collector_options();

}  // namespace trib::collectors
