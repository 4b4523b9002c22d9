#pragma once
// Loads the parent's options. Sources, each beating the ones before it:
//   1. <config_dir>/parent.yaml, then parent.d/*.yaml merged in file-name order;
//   2. the environment, completed by a .env file (a variable set in the real environment wins
//      over the same one in .env): the Telegraf-Controller names PORT and APP_PORT (APP_PORT
//      wins), then TRIBUTARY_<PATH> (e.g. TRIBUTARY_PORT, TRIBUTARY_STORAGE_HISTORY);
//   3. `overrides` from the command line (e.g. --port), which the main collects.
// A missing parent.yaml or .env means defaults. Main thread, at start-up and on reload.

#include <string>
#include <vector>

#include "common/base/result.h"
#include "common/config/dotenv.h"
#include "common/config/schema.h"
#include "parent/parent_options.h"

namespace trib::parent {

// One command-line value for an option path, e.g. {"port", "8080", "--port"}.
struct Override {
  std::string path;  // dotted option path: "port", "storage.history"
  std::string value;
  std::string origin;  // shown in errors: "--port"
};

struct ParentConfigSources {
  std::string config_dir;   // holds parent.yaml and parent.d/
  std::string dotenv_path;  // empty: no .env file
  config::Environment env;  // the process environment (injected)
  std::vector<Override> overrides;
};

Result<ParentOptions> load_parent_config(const ParentConfigSources& sources);

config::Schema<ParentOptions> parent_schema();

// The commented sample written to conf/parent.yaml.
std::string parent_config_sample();

std::vector<config::Change> diff_parent_options(const ParentOptions& before,
                                                const ParentOptions& after);

}  // namespace trib::parent
