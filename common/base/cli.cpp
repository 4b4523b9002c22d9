#include "common/base/cli.h"

#include <algorithm>
#include <cstdio>

#include "trib_version.h"

namespace trib {

CommandLine::CommandLine(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void CommandLine::add_option(std::string name, std::string value_name, std::string help) {
  flags_.push_back({std::move(name), std::move(value_name), std::move(help)});
}

void CommandLine::add_switch(std::string name, std::string help) {
  flags_.push_back({std::move(name), "", std::move(help)});
}

const CommandLine::Flag* CommandLine::find(const std::string& name) const {
  const auto it =
      std::find_if(flags_.begin(), flags_.end(), [&](const Flag& f) { return f.name == name; });
  return it == flags_.end() ? nullptr : &*it;
}

Status CommandLine::parse(int argc, const char* const* argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) != 0 || arg.size() == 2) {
      return Error(Errc::invalid_argument, "unexpected argument '" + arg + "' (see --help)");
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name.resize(eq);
    }
    const Flag* flag = find(name);
    if (flag == nullptr) {
      return Error(Errc::invalid_argument, "unknown option '--" + name + "' (see --help)");
    }
    if (flag->value_name.empty()) {
      if (inline_value) {
        return Error(Errc::invalid_argument, "option '--" + name + "' takes no value");
      }
      values_[name] = "";
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= argc) {
        return Error(Errc::invalid_argument,
                     "option '--" + name + "' needs a value (" + flag->value_name + ")");
      }
      inline_value = argv[++i];
    }
    values_[name] = *inline_value;
  }
  return {};
}

void CommandLine::add_standard_flags(const std::string& config_files,
                                     const std::string& default_data_dir) {
  add_option("config-dir", "DIR", "holds " + config_files + " (/etc/tributary)");
  add_option("data-dir", "DIR", "holds machine.guid and state (" + default_data_dir + ")");
  add_switch("check-config", "validate the configuration, print the result and exit");
  add_switch("version", "print the version and exit");
  add_switch("help", "print this help and exit");
}

std::optional<int> CommandLine::parse_or_exit(int argc, const char* const* argv) {
  if (const auto parsed = parse(argc, argv); !parsed.ok()) {
    std::fprintf(stderr, "%s: %s\n", program_.c_str(), parsed.error().describe().c_str());
    return 2;
  }
  if (has("help")) {
    std::fputs(help().c_str(), stdout);
    return 0;
  }
  if (has("version")) {
    std::printf("%s %s\n", program_.c_str(), kVersion);
    return 0;
  }
  return std::nullopt;
}

std::optional<int> CommandLine::config_outcome(const Error* error,
                                               const std::vector<std::string>& warnings,
                                               const std::string& config_dir) const {
  if (error != nullptr) {
    std::fprintf(stderr, "%s: configuration error: %s\n", program_.c_str(),
                 error->describe().c_str());
    return 1;
  }
  if (!has("check-config")) return std::nullopt;
  for (const auto& warning : warnings) std::fprintf(stderr, "warning: %s\n", warning.c_str());
  std::printf("configuration in %s is valid\n", config_dir.c_str());
  return 0;
}

std::optional<std::string> CommandLine::value(const std::string& name) const {
  const auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return it->second;
}

bool CommandLine::has(const std::string& name) const { return values_.count(name) != 0; }

std::string CommandLine::help() const {
  std::string out = "Usage: " + program_ + " [options]\n" + summary_ + "\n\nOptions:\n";
  for (const auto& f : flags_) {
    std::string left = "  --" + f.name + (f.value_name.empty() ? "" : " " + f.value_name);
    if (left.size() < 28) left.resize(28, ' ');
    out += left + " " + f.help + "\n";
  }
  return out;
}

}  // namespace trib
