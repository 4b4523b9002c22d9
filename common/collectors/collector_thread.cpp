#include "common/collectors/collector_thread.h"

#include "common/log/log.h"

namespace trib::collectors {

CollectorThread::CollectorThread(CollectorContext context, CollectorRunner::Deliver deliver)
    : context_(std::move(context)), deliver_(std::move(deliver)) {}

CollectorThread::~CollectorThread() { stop(); }

void CollectorThread::start(const std::map<std::string, CollectorOptions>& options,
                            const std::vector<ProcessMatch>& processes) {
  loop_.post([this, options, processes] {
    runner_ = std::make_unique<CollectorRunner>(loop_, context_, deliver_);
    runner_->apply(options, processes);
  });
  thread_ = std::thread([this] {
    loop_.run();
    runner_.reset();
    const Status closed = loop_.close();
    if (!closed.ok()) TRIB_LOG(collector, error, "{}", closed.error().describe());
  });
}

void CollectorThread::apply(const std::map<std::string, CollectorOptions>& options,
                            const std::vector<ProcessMatch>& processes) {
  loop_.post([this, options, processes] {
    if (runner_) runner_->apply(options, processes);
  });
}

void CollectorThread::stop() {
  if (!thread_.joinable()) return;
  loop_.post([this] {
    if (runner_) runner_->stop();
  });
  loop_.stop();
  thread_.join();
}

std::map<std::string, CollectorOptions> default_collector_options() {
  std::map<std::string, CollectorOptions> options;
  for (const auto& info : registry()) options.emplace(std::string(info.name), CollectorOptions{});
  return options;
}

}  // namespace trib::collectors
