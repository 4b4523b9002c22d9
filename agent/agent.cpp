#include "agent/agent.h"

#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <iterator>

#include "agent/agent_config.h"
#include "agent/logs/log_charts.h"
#include "common/base/process_setup.h"
#include "common/config/local_host.h"
#include "common/log/log.h"
#include "common/stream/spool_chart.h"
#include "common/time/clock.h"
#include "trib_version.h"

namespace trib::agent {
namespace {

std::vector<std::string_view> collector_names() {
  std::vector<std::string_view> names;
  for (const auto& info : collectors::registry()) names.push_back(info.name);
  return names;
}

}  // namespace

Result<AgentConfig> load_config(const AgentPaths& paths, const config::Environment& env) {
  AgentConfig config;
  const auto names = collector_names();
  TRIB_ASSIGN_OR_RETURN(config.options, load_agent_config(paths.config_dir, names, env));
  TRIB_ASSIGN_OR_RETURN(config.stream, config::load_stream_conf(paths.config_dir + "/stream.conf"));
  return config;
}

Agent::Agent(AgentPaths paths, config::Environment env, AgentConfig config)
    : paths_(std::move(paths)), env_(std::move(env)), config_(std::move(config)) {}

Agent::~Agent() = default;

int Agent::run() {
  log::init_logging(config_.options.log);
  for (const auto& warning : config_.stream.warnings) TRIB_LOG(config, warn, "{}", warning);

  auto host = config::local_host_info(paths_.data_dir, config_.options.hostname);
  if (!host.ok()) {
    TRIB_LOG(main, critical, "{}", host.error().describe());
    return 1;
  }
  host_ = std::move(host).value();
  TRIB_LOG(main, info, "tributary-agent {} starting: host '{}', machine GUID {}, config {}",
           kVersion, host_.hostname, host_.machine_guid, paths_.config_dir);
  ignore_broken_pipes();  // a parent that goes away mid-write
  if (auto files = raise_open_files_limit(); !files.ok()) {
    TRIB_LOG(main, warn, "{}; watched processes may go uncounted", files.error().describe());
  }

  auto on_term =
      std::make_unique<event::SignalWatch>(network_loop_, SIGTERM, [this] { shutdown(); });
  auto on_int = std::make_unique<event::SignalWatch>(network_loop_, SIGINT, [this] { shutdown(); });
  auto on_hup =
      std::make_unique<event::SignalWatch>(network_loop_, SIGHUP, [this] { reload("SIGHUP"); });
  reload_timer_ = std::make_unique<event::Timer>(network_loop_);
  const auto every =
      std::chrono::duration_cast<std::chrono::milliseconds>(config_.options.config_check_interval);
  reload_timer_->start(every, every, [this] { reload("periodic check"); });

  apply_stream_config(config_.stream);
  apply_heartbeat(config_);
  collectors_ = std::make_unique<collectors::CollectorThread>(
      collectors::host_context("tributary-agent", config_.options.processes, 1),
      [this](collectors::CollectedBatch batch) {
        network_loop_.post([this, b = std::move(batch)]() mutable { deliver_round(std::move(b)); });
      });
  collectors_->start(config_.options.collectors, config_.options.processes);
  if (Status tailing = start_tailing(); !tailing.ok()) {
    TRIB_LOG(main, critical, "cannot follow log files: {}", tailing.error().describe());
    shutdown();
  }
  network_loop_.run();

  collectors_->stop();
  if (tail_) tail_->stop();
  on_term.reset();
  on_int.reset();
  on_hup.reset();
  reload_timer_.reset();
  heartbeat_.reset();
  sender_.reset();
  stopping_sender_.reset();
  const Status closed = network_loop_.close();
  if (!closed.ok()) {
    TRIB_LOG(main, error, "{}", closed.error().describe());
    return 1;
  }
  TRIB_LOG(main, info, "tributary-agent stopped");
  return 0;
}

void Agent::deliver(collectors::CollectedBatch batch) {
  // Collectors define a chart once; the agent remembers the definitions so that a sender
  // created later (streaming switched on by a reload) learns every chart.
  for (const auto& def : batch.definitions) charts_[def.id] = def;
  if (!sender_ || stopping_) return;
  for (const auto& def : batch.definitions) sender_->define_chart(def);
  if (heartbeat_) heartbeat_->count_metrics(batch.samples.size());
  for (auto& [chart_id, sample] : batch.samples) sender_->submit(chart_id, std::move(sample));
}

void Agent::deliver_round(collectors::CollectedBatch batch) {
  // The agent's own charts travel with the collectors' round rather than on timers of their
  // own, and the round is sealed at once: one spool commit, one write and one ack a second.
  add_spool_fill(batch);
  add_log_charts(batch);
  deliver(std::move(batch));
  if (sender_ && !stopping_) sender_->flush();
}

void Agent::add_spool_fill(collectors::CollectedBatch& batch) {
  if (!sender_ || stopping_) return;
  if (charts_.count(stream::kSpoolChart) == 0) {
    batch.definitions.push_back(stream::spool_chart("agent"));
  }
  const stream::SpoolFill fill{sender_->stats().spool_bytes, config_.options.spool.max_size};
  batch.samples.emplace_back(stream::kSpoolChart,
                             stream::spool_sample(fill, time::SystemClock::instance().now_s()));
}

void Agent::add_log_charts(collectors::CollectedBatch& batch) {
  if (!tail_) return;
  const int64_t now_s = time::SystemClock::instance().now_s();
  auto charts = logs::log_charts(tail_->stats(), now_s, log_charts_defined_);
  std::move(charts.definitions.begin(), charts.definitions.end(),
            std::back_inserter(batch.definitions));
  std::move(charts.samples.begin(), charts.samples.end(), std::back_inserter(batch.samples));
}

std::optional<HeartbeatTarget> Agent::heartbeat_target(const AgentConfig& config) const {
  const HeartbeatOptions& options = config.options.heartbeat;
  if (!options.enabled) return std::nullopt;
  HeartbeatTarget target;
  target.url =
      options.url.empty() ? default_heartbeat_url(config.stream.stream.destinations) : options.url;
  if (target.url.empty()) return std::nullopt;  // nowhere to send: no parent configured
  target.interval = std::chrono::duration_cast<std::chrono::milliseconds>(options.interval);
  target.token = options.token;
  target.id = host_.machine_guid;
  target.hostname = host_.hostname;
  target.version = std::string("Tributary ") + kVersion;
  target.tls = config.stream.stream.tls;  // verified as the stream is
  return target;
}

void Agent::apply_heartbeat(const AgentConfig& config) {
  auto target = heartbeat_target(config);
  if (!target) {
    heartbeat_.reset();
    return;
  }
  TRIB_LOG(heartbeat, info, "heartbeats every {}s to {}", config.options.heartbeat.interval.count(),
           log::mask_url(target->url));
  if (heartbeat_) {
    heartbeat_->retarget(std::move(*target));
    return;
  }
  heartbeat_ = std::make_unique<HeartbeatSender>(network_loop_, std::move(*target));
  heartbeat_->start();
}

Status Agent::start_tailing() {
  tail_ = std::make_unique<logs::TailService>(
      paths_.data_dir, logs::TailerLimits{}, [this](logs::TailBatch batch) {
        // Tail thread -> network loop.
        network_loop_.post([this, b = std::move(batch)]() mutable { deliver_logs(std::move(b)); });
      });
  return tail_->start(config_.options.logs);
}

void Agent::deliver_logs(logs::TailBatch batch) {
  // Without a sender the batch is never acknowledged; the tailer reads it again after rewind()
  // when a sender appears.
  if (!sender_ || stopping_) return;
  sender_->submit_logs(std::move(batch.logs), std::move(batch.gaps), batch.ticket);
}

void Agent::apply_stream_config(const config::StreamConf& stream) {
  if (!stream.stream.enabled) {
    if (sender_) {
      TRIB_LOG(stream, info, "streaming disabled in stream.conf; stopping the sender");
      // Kept until its goodbye is written, so the parent sees a clean stop; its spool stays.
      stopping_sender_ = std::move(sender_);
      stream::Sender* stopping = stopping_sender_.get();
      stopping->stop([this, stopping] {
        network_loop_.post([this, stopping] {
          if (stopping_sender_.get() == stopping) stopping_sender_.reset();
        });
      });
    } else {
      TRIB_LOG(stream, info, "streaming is disabled ([stream] enabled = no in stream.conf)");
    }
    return;
  }
  auto options = stream::options_from_stream_conf(stream.stream);
  options.spool_dir = paths_.data_dir + "/spool";
  options.spool_max_size = config_.options.spool.max_size;
  if (sender_) {
    sender_->reconfigure(std::move(options));
    return;
  }
  stopping_sender_.reset();  // one process must not open the spool twice
  sender_ = std::make_unique<stream::Sender>(network_loop_, std::move(options), host_);
  sender_->set_on_logs_acked([this](uint64_t ticket) {
    if (tail_) tail_->acked(ticket);
  });
  for (const auto& [id, def] : charts_) sender_->define_chart(def);
  sender_->start();
  if (tail_) tail_->rewind();  // batches emitted while there was no sender
}

void Agent::reload(const char* why) {
  if (stopping_) return;
  auto loaded = load_config(paths_, env_);
  if (!loaded.ok()) {
    const std::string text = loaded.error().describe();
    // The periodic check would repeat the same complaint every 30 s: say it once per change.
    if (text != last_reload_error_ || std::string_view(why) == "SIGHUP") {
      TRIB_LOG(config, error, "new configuration refused ({}), keeping the running one: {}", why,
               text);
    }
    last_reload_error_ = text;
    return;
  }
  last_reload_error_.clear();
  AgentConfig next = std::move(loaded).value();
  const bool collectors_changed = next.options.collectors != config_.options.collectors ||
                                  next.options.processes != config_.options.processes;
  const bool stream_changed = !(next.stream.stream == config_.stream.stream);
  if (next.options.log.level != config_.options.log.level ||
      next.options.log.file != config_.options.log.file) {
    log::init_logging(next.options.log);
  }
  if (next.options.hostname != config_.options.hostname) {
    TRIB_LOG(config, warn, "hostname changes take effect at the next restart");
  }
  if (collectors_changed) {
    TRIB_LOG(config, info, "configuration changed ({}): applying collector settings", why);
    collectors_->apply(next.options.collectors, next.options.processes);
  }
  if (stream_changed) {
    TRIB_LOG(config, info, "configuration changed ({}): applying stream settings: {}", why,
             config::describe_changes(config_.stream.stream, next.stream.stream));
    for (const auto& warning : next.stream.warnings) TRIB_LOG(config, warn, "{}", warning);
    apply_stream_config(next.stream);
  }
  if (stream_changed || !(next.options.heartbeat == config_.options.heartbeat)) {
    apply_heartbeat(next);  // the default URL and its TLS follow stream.conf
  }
  if (!(next.options.logs == config_.options.logs) && tail_) {
    TRIB_LOG(config, info, "configuration changed ({}): applying log sources", why);
    tail_->configure(next.options.logs);
  }
  if (next.options.config_check_interval != config_.options.config_check_interval) {
    const auto every =
        std::chrono::duration_cast<std::chrono::milliseconds>(next.options.config_check_interval);
    reload_timer_->start(every, every, [this] { reload("periodic check"); });
  }
  config_ = std::move(next);
}

void Agent::shutdown() {
  if (stopping_) return;
  stopping_ = true;
  TRIB_LOG(main, info, "stopping");
  reload_timer_->stop();
  heartbeat_.reset();
  if (!sender_) {
    network_loop_.stop();
    return;
  }
  sender_->stop([this] { network_loop_.stop(); });
}

}  // namespace trib::agent
