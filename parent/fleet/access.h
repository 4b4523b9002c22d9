#pragma once
// Token checks for the heartbeat server and the fleet API. A token is sent as
// `Authorization: Bearer <token>` (Telegraf's heartbeat, TELEGRAF_CONTROLLER_TOKEN) or
// `Authorization: Token <token>` (INFLUX_TOKEN). Pure functions, any thread.

#include <string>
#include <string_view>
#include <vector>

#include "common/http/message.h"

namespace trib::parent::fleet {

enum class Access { allowed, missing_header, invalid_token };

// allowed when `accepted` holds no non-empty token (open) or the request carries one of them.
Access check_access(const http::HttpRequest& request, const std::vector<std::string>& accepted);

// 401 with the Telegraf Controller's reason ("Missing or invalid Authorization header",
// "Invalid token") as JSON {"error":"unauthorized","message":...}.
http::HttpResponse unauthorized(Access verdict);

// {"error": code, "message": message} with `status`.
http::HttpResponse json_error(int status, std::string_view code, std::string_view message);

}  // namespace trib::parent::fleet
