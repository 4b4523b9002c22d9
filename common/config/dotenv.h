#pragma once
// Environment variables as an injectable value (tests never read the real environment), and
// the `.env` file format the Telegraf Controller also reads:
//   # comment
//   KEY=value
//   export KEY="value with spaces"   (double quotes: \n \t \" \\ escapes; single quotes: literal)
//   KEY=value # trailing comment     (only after whitespace, only for unquoted values)

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::config {

using Environment = std::map<std::string, std::string, std::less<>>;

// A copy of this process's environment (for the mains; libraries take an Environment).
Environment process_environment();

// Errors name the source and line: "parent/.env:3: expected KEY=value".
Result<Environment> parse_dotenv(std::string_view text, const std::string& source_name);

// A missing file is an empty Environment.
Result<Environment> load_dotenv(const std::string& path);

// `env` plus the variables of `dotenv` that `env` does not set: the real environment wins.
Environment with_dotenv(Environment env, const Environment& dotenv);

// A lookup function over `env` for environment_overlay() (schema.h).
std::function<const std::string*(const std::string&)> lookup_in(const Environment& env);

}  // namespace trib::config
