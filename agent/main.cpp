// tributary-agent: collects this host's metrics and streams them to a parent.
#include <cstdio>

#include "agent/agent.h"
#include "common/base/cli.h"
#include "trib_version.h"

int main(int argc, char** argv) {
  trib::CommandLine cli("tributary-agent",
                        "Collects system and process metrics and streams them to a parent.");
  cli.add_option("config-dir", "DIR", "holds stream.conf, agent.yaml, agent.d/ (/etc/tributary)");
  cli.add_option("data-dir", "DIR", "holds machine.guid and state (/var/lib/tributary)");
  cli.add_switch("check-config", "validate the configuration, print the result and exit");
  cli.add_switch("version", "print the version and exit");
  cli.add_switch("help", "print this help and exit");
  if (const auto parsed = cli.parse(argc, argv); !parsed.ok()) {
    std::fprintf(stderr, "tributary-agent: %s\n", parsed.error().describe().c_str());
    return 2;
  }
  if (cli.has("help")) {
    std::fputs(cli.help().c_str(), stdout);
    return 0;
  }
  if (cli.has("version")) {
    std::printf("tributary-agent %s\n", trib::kVersion);
    return 0;
  }
  trib::agent::AgentPaths paths;
  if (auto dir = cli.value("config-dir")) paths.config_dir = *dir;
  if (auto dir = cli.value("data-dir")) paths.data_dir = *dir;

  auto env = trib::config::process_environment();
  auto config = trib::agent::load_config(paths, env);
  if (!config.ok()) {
    std::fprintf(stderr, "tributary-agent: configuration error: %s\n",
                 config.error().describe().c_str());
    return 1;
  }
  if (cli.has("check-config")) {
    for (const auto& warning : config->stream.warnings) {
      std::fprintf(stderr, "warning: %s\n", warning.c_str());
    }
    std::printf("configuration in %s is valid\n", paths.config_dir.c_str());
    return 0;
  }
  trib::agent::Agent agent(paths, std::move(env), std::move(config).value());
  return agent.run();
}
