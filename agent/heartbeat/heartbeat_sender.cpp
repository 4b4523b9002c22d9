#include "agent/heartbeat/heartbeat_sender.h"

#include <nlohmann/json.hpp>

#include "common/log/log.h"
#include "common/time/clock.h"

namespace trib::agent {

std::string default_heartbeat_url(const std::vector<config::Destination>& destinations) {
  if (destinations.empty()) return {};
  const auto& first = destinations.front();
  const bool v6 = first.host.find(':') != std::string::npos;
  return std::string(first.ssl ? "https" : "http") + "://" +
         (v6 ? "[" + first.host + "]" : first.host) + ":8000/agents/heartbeat";
}

std::string heartbeat_body(const HeartbeatTarget& target, uint64_t metrics,
                           std::optional<int64_t> last) {
  nlohmann::ordered_json body;
  body["id"] = target.id;
  body["version"] = target.version;
  body["schema"] = 1;
  if (last) body["last"] = *last;
  body["hostname"] = target.hostname;
  body["statistics"] = {{"errors", 0}, {"warnings", 0}, {"metrics", metrics}};
  body["status"] = "OK";
  return body.dump();
}

HeartbeatSender::HeartbeatSender(event::Loop& loop, HeartbeatTarget target)
    : loop_(loop), target_(std::move(target)), timer_(loop) {
  last_success_s_ = time::SystemClock::instance().now_s();
}

void HeartbeatSender::start() {
  timer_.start(target_.interval, target_.interval, [this] { send(); });
}

void HeartbeatSender::retarget(HeartbeatTarget target) {
  if (target == target_) return;
  const bool interval_changed = target.interval != target_.interval;
  if (!(target.tls == target_.tls)) tls_context_.reset();
  target_ = std::move(target);
  warned_ = false;  // a new target gets its own first failure logged
  if (interval_changed) start();
}

Result<std::shared_ptr<const net::TlsContext>> HeartbeatSender::tls_context() {
  if (!tls_context_) {
    TRIB_ASSIGN_OR_RETURN(tls_context_, net::TlsContext::client(target_.tls));
  }
  return tls_context_;
}

void HeartbeatSender::send() {
  if (in_flight_.active()) return;  // the previous one is still out: skip this tick
  http::FetchRequest request;
  if (target_.url.starts_with("https:")) {
    auto context = tls_context();
    if (!context.ok()) {
      if (!warned_) {
        warned_ = true;
        TRIB_LOG(heartbeat, warn, "[heartbeat:{}] not sent, TLS set-up: {}",
                 log::mask_url(target_.url), context.error().describe());
      }
      return;
    }
    request.tls = std::move(context).value();
  }
  request.method = "POST";
  request.url = target_.url;
  request.timeout = std::chrono::milliseconds(5000);  // Telegraf's default
  request.headers.set("Content-Type", "application/json");
  if (!target_.token.empty()) request.headers.set("Authorization", "Bearer " + target_.token);
  const uint64_t counted = metrics_;
  request.body =
      heartbeat_body(target_, counted,
                     failed_with_status_ ? std::optional<int64_t>(last_success_s_) : std::nullopt);
  in_flight_ =
      http::fetch(loop_, std::move(request), [this, counted](Result<http::FetchResponse> answer) {
        if (answer.ok() && answer->status >= 200 && answer->status < 300) {
          metrics_ -= counted;
          ++acknowledged_;
          last_success_s_ = time::SystemClock::instance().now_s();
          failed_with_status_ = false;
          warned_ = false;
          return;
        }
        failed_with_status_ = failed_with_status_ || answer.ok();
        if (warned_) return;  // once until the next success
        warned_ = true;
        TRIB_LOG(
            heartbeat, warn, "[heartbeat:{}] not delivered: {}", log::mask_url(target_.url),
            answer.ok() ? "status " + std::to_string(answer->status) : answer.error().describe());
      });
}

}  // namespace trib::agent
