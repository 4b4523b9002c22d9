#pragma once
// URL pieces shared by the HTTP server, the stream handshake and clients.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/base/result.h"

namespace trib::http {

// Percent-decodes `text`; with `plus_is_space`, '+' becomes ' ' (query strings, as Netdata
// decodes the STREAM request). A malformed escape ("%G1", "%4") is an error.
Result<std::string> url_decode(std::string_view text, bool plus_is_space);

// Percent-encodes everything but [A-Za-z0-9-_.~].
std::string url_encode(std::string_view text);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

// Splits "a=1&b=&c" on '&' and the first '=', decoding names and values ('+' is a space).
// Empty names are skipped. A bad escape is an error.
Result<QueryParams> parse_query(std::string_view query);

// The first value for `name`, or nullptr.
const std::string* find_param(const QueryParams& params, std::string_view name);

}  // namespace trib::http
