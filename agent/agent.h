#pragma once
// The agent: loads its configuration, collects on a collector thread, streams from the main
// (network) thread, reloads its configuration every config_check_interval and on SIGHUP, and
// stops cleanly on SIGTERM/SIGINT (sending a goodbye, so the parent knows it was no crash).

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "agent/agent_options.h"
#include "agent/heartbeat/heartbeat_sender.h"
#include "agent/logs/tail_service.h"
#include "common/base/result.h"
#include "common/collectors/collector_thread.h"
#include "common/config/dotenv.h"
#include "common/config/stream_conf.h"
#include "common/event/loop.h"
#include "common/event/timer.h"
#include "common/stream/sender.h"

namespace trib::agent {

struct AgentPaths {
  std::string config_dir = "/etc/tributary";
  std::string data_dir = "/var/lib/tributary";
};

// Everything read from the config dir, validated together: a reload applies all or nothing.
struct AgentConfig {
  AgentOptions options;
  config::StreamConf stream;
};

// Reads agent.yaml, agent.d/*.yaml, the environment overrides and stream.conf.
Result<AgentConfig> load_config(const AgentPaths& paths, const config::Environment& env);

// Sender settings from stream.conf's [stream] section.
stream::SenderOptions sender_options(const config::StreamSender& stream);

class Agent {
 public:
  Agent(AgentPaths paths, config::Environment env, AgentConfig config);
  ~Agent();

  // Runs until SIGTERM or SIGINT; returns the process exit code.
  int run();

 private:
  void reload(const char* why);
  void apply_stream_config(const config::StreamConf& stream);
  // A collection round from the collector thread, with the agent's own charts added: one
  // sealed batch a round.
  void deliver_round(collectors::CollectedBatch batch);
  void deliver(collectors::CollectedBatch batch);
  std::optional<HeartbeatTarget> heartbeat_target(const AgentConfig& config) const;
  // Starts, retargets or stops the heartbeat as `config` says.
  void apply_heartbeat(const AgentConfig& config);
  void deliver_logs(logs::TailBatch batch);
  // The sender's spool fill as the tributary.spool chart (for the stock spool rule).
  void add_spool_fill(collectors::CollectedBatch& batch);
  // The tailer's counters as the log charts.
  void add_log_charts(collectors::CollectedBatch& batch);
  Status start_tailing();
  void shutdown();

  AgentPaths paths_;
  config::Environment env_;
  AgentConfig config_;
  model::HostInfo host_;
  std::string last_reload_error_;

  event::Loop network_loop_;  // main thread: sender, signals, reload
  std::unique_ptr<collectors::CollectorThread> collectors_;
  std::unique_ptr<stream::Sender> sender_;           // used on the network loop only
  std::unique_ptr<stream::Sender> stopping_sender_;  // disabled by a reload, saying goodbye
  std::map<std::string, model::ChartDef> charts_;    // every chart defined so far, by id
  std::unique_ptr<event::Timer> reload_timer_;
  std::unique_ptr<HeartbeatSender> heartbeat_;      // network loop only
  std::unique_ptr<logs::TailService> tail_;         // its own thread; acked() etc. post to it
  std::map<std::string, bool> log_charts_defined_;  // network loop
  bool stopping_ = false;
};

}  // namespace trib::agent
