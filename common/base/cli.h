#pragma once
// Command-line flags, declared once with their help text: `--name value`, `--name=value`, and
// switches without a value. Both binaries use it, so their flags look and behave the same.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.h"

namespace trib {

class CommandLine {
 public:
  CommandLine(std::string program, std::string summary);

  // A flag that takes a value, e.g. add_option("config-dir", "DIR", "where stream.conf is").
  void add_option(std::string name, std::string value_name, std::string help);
  // A switch, e.g. add_switch("check-config", "validate the configuration and exit").
  void add_switch(std::string name, std::string help);

  // Unknown flags, missing values and stray arguments are errors naming the flag.
  Status parse(int argc, const char* const* argv);

  // The flags both binaries take: --config-dir (holding `config_files`), --data-dir (default
  // `default_data_dir`), --check-config, --version and --help.
  void add_standard_flags(const std::string& config_files, const std::string& default_data_dir);
  // Parses, and answers --help and --version itself. Returns the exit code when the process is
  // to exit now (0 after --help/--version, 2 for a bad command line), nullopt to go on.
  std::optional<int> parse_or_exit(int argc, const char* const* argv);

  // After the configuration was loaded: a load error (`error` not null) is printed and the
  // process is to exit with 1; under --check-config the warnings and the verdict are printed
  // and the process is to exit with 0. nullopt: go on and run.
  std::optional<int> config_outcome(const Error* error, const std::vector<std::string>& warnings,
                                    const std::string& config_dir) const;

  std::optional<std::string> value(const std::string& name) const;
  bool has(const std::string& name) const;
  std::string help() const;

 private:
  struct Flag {
    std::string name;
    std::string value_name;  // empty for switches
    std::string help;
  };
  const Flag* find(const std::string& name) const;

  std::string program_;
  std::string summary_;
  std::vector<Flag> flags_;
  std::map<std::string, std::string> values_;
};

}  // namespace trib
