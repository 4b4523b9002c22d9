// tributary-agent: collects this host's metrics and streams them to a parent.

#include <malloc.h>

#include <string>
#include <vector>

#include "agent/agent.h"
#include "common/base/cli.h"

int main(int argc, char** argv) {
  // One malloc arena for the agent's few threads, which allocate a few times a second: a
  // thread's own arena kept ~0.5 MiB touched and mostly free (measured, streaming: heap + anon
  // 1.44 -> 1.38 MiB; the main heap takes what the arena held). M_TOP_PAD would be too late here:
  // the heap has grown before main() runs.
  mallopt(M_ARENA_MAX, 1);
  trib::CommandLine cli("tributary-agent",
                        "Collects system and process metrics and streams them to a parent.");
  cli.add_standard_flags("stream.conf, agent.yaml, agent.d/", "/var/lib/tributary");
  if (const auto exit_code = cli.parse_or_exit(argc, argv)) return *exit_code;
  trib::agent::AgentPaths paths;
  if (auto dir = cli.value("config-dir")) paths.config_dir = *dir;
  if (auto dir = cli.value("data-dir")) paths.data_dir = *dir;

  auto env = trib::config::process_environment();
  auto config = trib::agent::load_config(paths, env);
  const std::vector<std::string> no_warnings;
  if (const auto exit_code = cli.config_outcome(config.ok() ? nullptr : &config.error(),
                                                config.ok() ? config->stream.warnings : no_warnings,
                                                paths.config_dir)) {
    return *exit_code;
  }
  trib::agent::Agent agent(paths, std::move(env), std::move(config).value());
  return agent.run();
}
