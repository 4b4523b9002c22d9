#pragma once
// Loads the agent's options: <config_dir>/agent.yaml, then agent.d/*.yaml merged over it in
// file-name order, then TRIBUTARY_* environment overrides (e.g. TRIBUTARY_LOG_LEVEL,
// TRIBUTARY_COLLECTORS_PROC_STAT_UPDATE_EVERY). A missing agent.yaml means all defaults.
// Called from the main thread at start-up and on reload (SIGHUP / config_check_interval).

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/agent_options.h"
#include "common/base/result.h"
#include "common/config/dotenv.h"
#include "common/config/schema.h"

namespace trib::agent {

// `collector_names`: every registered collector; other names under `collectors:` are refused,
// and each of these gets an entry (defaults when the files do not mention it).
Result<AgentOptions> load_agent_config(const std::string& config_dir,
                                       std::span<const std::string_view> collector_names,
                                       const config::Environment& env);

// The declaration behind the loader (for the sample file and docs).
config::Schema<AgentOptions> agent_schema(std::span<const std::string_view> collector_names);

// The commented sample written to conf/agent.yaml.
std::string agent_config_sample();

// What differs between two option sets, with each option's reload class (live or restart), for
// the core's graceful reload. Lists and maps (collectors, processes) are reported as a whole.
std::vector<config::Change> diff_agent_options(const AgentOptions& before,
                                               const AgentOptions& after);

}  // namespace trib::agent
