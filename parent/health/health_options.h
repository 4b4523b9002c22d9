#pragma once
// parent.yaml `health:` (declared in parent/parent_config.cpp's schema).

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace trib::parent::health {

struct NotificationOptions {
  std::string exec;     // executable run per notification (argv, never a shell); empty: none
  std::string webhook;  // http:// URL receiving a JSON POST per notification; empty: none
  // A rule's `to:` names a role; its recipients are passed to exec and in the webhook body.
  std::map<std::string, std::vector<std::string>> recipients;
  std::chrono::seconds timeout{30};  // per attempt: the script is killed, the POST abandoned
  uint32_t retries = 3;              // further attempts after a failure, 5 s, 10 s, 20 s apart
  bool operator==(const NotificationOptions&) const = default;
};

struct HealthOptions {
  bool enabled = true;
  // A host lost without a goodbye, or a chart of a live host that stopped updating, raises
  // last_collected this long after its last data.
  std::chrono::seconds last_collected{60};
  uint32_t log_entries = 100'000;  // transitions kept in memory
  NotificationOptions notifications;
  bool operator==(const HealthOptions&) const = default;
};

}  // namespace trib::parent::health
