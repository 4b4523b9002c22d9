#include "parent/health/notifier.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "parent/health/health_api.h"

#include "common/log/log.h"

namespace trib::parent::health {

namespace {

constexpr auto kReapEvery = std::chrono::milliseconds(100);
constexpr int64_t kFirstRetryS = 5;

std::string number_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

std::string describe(const Notification& n) {
  const AlarmLogEntry& e = n.entry;
  return fmt::format("{}/{}.{} {}", e.alarm.hostname, e.alarm.chart, e.alarm.name,
                     to_string(e.new_status));
}

// Netdata's alarm log entry, with the host's GUID and where the notification goes.
std::string webhook_body(const Notification& n) {
  nlohmann::ordered_json j = alarm_log_entry_json(n.entry, "");
  j["machine_guid"] = n.entry.alarm.host_guid;
  j["recipients"] = n.recipients;
  j["repeat"] = n.repeat;
  // Invalid UTF-8 from a child must not make the dump throw.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

std::vector<char*> c_strings(std::vector<std::string>& items) {
  std::vector<char*> out;
  out.reserve(items.size() + 1);
  for (auto& item : items) out.push_back(item.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

std::vector<std::string> exec_arguments(const Notification& n) {
  const AlarmLogEntry& e = n.entry;
  return {joined(n.recipients),
          e.alarm.hostname,
          std::to_string(e.unique_id),
          std::to_string(e.alarm.alarm_id),
          std::to_string(e.alarm_event_id),
          std::to_string(e.when),
          e.alarm.name,
          e.alarm.chart,
          e.alarm.family,
          std::string(to_string(e.new_status)),
          std::string(to_string(e.old_status)),
          number_text(e.new_value),
          number_text(e.old_value),
          e.alarm.source,
          std::to_string(e.duration),
          std::to_string(e.non_clear_duration),
          e.alarm.units,
          e.alarm.info,
          alarm_value_text(e.new_value, e.alarm.units),
          alarm_value_text(e.old_value, e.alarm.units)};
}

std::vector<std::string> exec_environment(const Notification& n) {
  const AlarmLogEntry& e = n.entry;
  return {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
          "TRIB_ALARM_RECIPIENTS=" + joined(n.recipients),
          "TRIB_ALARM_HOST=" + e.alarm.hostname,
          "TRIB_ALARM_MACHINE_GUID=" + e.alarm.host_guid,
          "TRIB_ALARM_UNIQUE_ID=" + std::to_string(e.unique_id),
          "TRIB_ALARM_NAME=" + e.alarm.name,
          "TRIB_ALARM_CHART=" + e.alarm.chart,
          "TRIB_ALARM_CONTEXT=" + e.alarm.context,
          "TRIB_ALARM_FAMILY=" + e.alarm.family,
          "TRIB_ALARM_STATUS=" + std::string(to_string(e.new_status)),
          "TRIB_ALARM_OLD_STATUS=" + std::string(to_string(e.old_status)),
          "TRIB_ALARM_VALUE=" + number_text(e.new_value),
          "TRIB_ALARM_INFO=" + e.alarm.info,
          std::string("TRIB_ALARM_REPEAT=") + (n.repeat ? "1" : "0")};
}

Notifier::Notifier(event::Loop& loop, const time::Clock& clock, NotificationOptions options)
    : loop_(loop), clock_(clock), options_(std::move(options)) {}

Notifier::~Notifier() {
  for (const Child& child : children_) {
    ::kill(child.pid, SIGKILL);
    ::waitpid(child.pid, nullptr, 0);
  }
}

size_t Notifier::in_flight() const {
  size_t n = children_.size();
  for (const auto& f : fetches_) n += f.handle.active() ? 1 : 0;
  for (const auto& t : retries_) n += t->active() ? 1 : 0;
  return n;
}

void Notifier::notify(const Notification& notification) {
  if (!options_.exec.empty()) start(Job{notification, false, 1});
  if (!options_.webhook.empty()) start(Job{notification, true, 1});
}

void Notifier::start(Job job) {
  if (job.webhook) {
    post(std::move(job));
  } else {
    spawn(std::move(job));
  }
}

void Notifier::spawn(Job job) {
  std::vector<std::string> argv_text{options_.exec};
  for (auto& arg : exec_arguments(job.notification)) argv_text.push_back(std::move(arg));
  std::vector<std::string> env_text = exec_environment(job.notification);
  std::vector<char*> argv = c_strings(argv_text);
  std::vector<char*> envp = c_strings(env_text);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  for (const int fd : {0, 1, 2}) {
    posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == 0 ? O_RDONLY : O_WRONLY, 0);
  }
  pid_t pid = 0;
  const int rc =
      posix_spawn(&pid, options_.exec.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    finished(std::move(job), false,
             fmt::format("cannot start {}: {}", options_.exec, std::strerror(rc)));
    return;
  }
  const auto timeout_ms = static_cast<uint64_t>(options_.timeout.count()) * 1000;
  children_.push_back(Child{pid, std::move(job), loop_.now_ms() + timeout_ms});
  if (reaper_ == nullptr) {
    reaper_ = std::make_unique<event::Timer>(loop_);
    reaper_->start(kReapEvery, kReapEvery, [this] { reap(); });
  }
}

void Notifier::reap() {
  std::vector<Child> running;
  std::vector<std::pair<Job, std::pair<bool, std::string>>> done;
  for (Child& child : children_) {
    int status = 0;
    const pid_t r = ::waitpid(child.pid, &status, WNOHANG);
    if (r == 0) {
      if (loop_.now_ms() < child.deadline_ms) {
        running.push_back(std::move(child));
        continue;
      }
      ::kill(child.pid, SIGKILL);
      ::waitpid(child.pid, nullptr, 0);
      done.push_back({std::move(child.job), {false, "timed out; killed"}});
      continue;
    }
    if (r < 0) {
      done.push_back({std::move(child.job), {false, std::strerror(errno)}});
    } else if (WIFEXITED(status)) {
      const int code = WEXITSTATUS(status);
      done.push_back({std::move(child.job), {code == 0, fmt::format("exit {}", code)}});
    } else {
      done.push_back(
          {std::move(child.job), {false, fmt::format("killed by signal {}", WTERMSIG(status))}});
    }
  }
  children_ = std::move(running);
  if (children_.empty()) reaper_.reset();  // safe inside its callback (event::Timer copies it)
  for (auto& [job, outcome] : done) finished(std::move(job), outcome.first, outcome.second);
}

void Notifier::post(Job job) {
  fetches_.remove_if([](const Fetch& f) { return !f.handle.active(); });
  http::FetchRequest request;
  request.method = "POST";
  request.url = options_.webhook;
  request.headers.set("Content-Type", "application/json");
  request.body = webhook_body(job.notification);
  request.timeout = std::chrono::duration_cast<std::chrono::milliseconds>(options_.timeout);
  request.max_response_body_bytes = 64 * 1024;
  auto& fetch = fetches_.emplace_back(Fetch{{}, std::move(job)});
  fetch.handle =
      http::fetch(loop_, std::move(request), [this, &fetch](Result<http::FetchResponse> response) {
        Job finished_job = std::move(fetch.job);
        if (!response.ok()) {
          finished(std::move(finished_job), false, response.error().describe());
        } else {
          const int status = response->status;
          finished(std::move(finished_job), status >= 200 && status < 300,
                   fmt::format("HTTP {}", status));
        }
      });
}

void Notifier::finished(Job job, bool ok, std::string detail) {
  NotificationRecord record;
  record.unique_id = job.notification.entry.unique_id;
  record.alarm = describe(job.notification);
  record.channel = job.webhook ? "webhook" : "exec";
  record.attempt = job.attempt;
  record.ok = ok;
  record.detail = detail;
  record.when = clock_.now_s();
  log_.push_back(record);
  while (log_.size() > kLogSize) log_.pop_front();
  if (ok) {
    TRIB_LOG(health, info, "[notify:{}] {} (entry {}): {}", record.channel, record.alarm,
             record.unique_id, detail);
    return;
  }
  if (job.attempt > options_.retries) {
    TRIB_LOG(health, error, "[notify:{}] {} (entry {}): {}; giving up after {} attempts",
             record.channel, record.alarm, record.unique_id, detail, job.attempt);
    return;
  }
  const int64_t wait_s = kFirstRetryS << std::min<uint32_t>(job.attempt - 1, 10);
  TRIB_LOG(health, warn, "[notify:{}] {} (entry {}): {}; retrying in {} s", record.channel,
           record.alarm, record.unique_id, detail, wait_s);
  retries_.remove_if([](const auto& timer) { return !timer->active(); });
  auto& timer = retries_.emplace_back(std::make_unique<event::Timer>(loop_));
  ++job.attempt;
  timer->start(std::chrono::seconds(wait_s), std::chrono::milliseconds(0),
               [this, job = std::move(job)]() mutable { start(std::move(job)); });
}

}  // namespace trib::parent::health
