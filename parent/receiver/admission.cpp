#include "parent/receiver/admission.h"

#include "common/config/machine_guid.h"
#include "common/log/log.h"

namespace trib::parent::receiver {
namespace {

Refused refuse(std::string tag, std::string reason,
               stream::Refusal refusal = stream::Refusal::denied) {
  return Refused{refusal, std::move(tag), std::move(reason)};
}

// Netdata 1.37 memory modes: none, ram and dbengine as they are; its aliases with a warning
// (said once per connection).
Result<store::StorageConfig> storage_for(std::string_view mode, uint32_t history,
                                         std::vector<std::string>& warnings) {
  store::StorageConfig storage;
  storage.history = std::max<uint32_t>(history, 5);  // Netdata's floor
  std::string warning;
  TRIB_ASSIGN_OR_RETURN(storage.mode, store::parse_netdata_memory_mode(mode, warning));
  if (!warning.empty()) warnings.push_back(std::move(warning));
  return storage;
}

store::HealthPolicy health_policy(const config::KeyPolicy& key,
                                  const config::MachinePolicy* machine) {
  config::HealthEnabled enabled = key.health_enabled_by_default;
  uint32_t postpone = key.default_postpone_alarms_on_connect_s;
  if (machine != nullptr && machine->health_enabled.has_value()) enabled = *machine->health_enabled;
  if (machine != nullptr && machine->postpone_alarms_on_connect_s.has_value()) {
    postpone = *machine->postpone_alarms_on_connect_s;
  }
  store::HealthPolicy policy;
  policy.postpone_s = postpone;
  switch (enabled) {
    case config::HealthEnabled::no:
      policy.mode = store::HealthPolicy::Mode::no;
      break;
    case config::HealthEnabled::yes:
      policy.mode = store::HealthPolicy::Mode::yes;
      break;
    case config::HealthEnabled::automatic:
      policy.mode = store::HealthPolicy::Mode::automatic;
      break;
  }
  return policy;
}

}  // namespace

AdmissionResult admit(const stream::HandshakeRequest& request, const config::StreamConf& conf,
                      std::string_view peer_ip, std::string_view own_guid) {
  const std::string key = log::mask_secret(request.api_key);
  const std::string& guid = request.host.machine_guid;
  const std::string ip(peer_ip);

  if (request.api_key.empty()) {
    return refuse("ACCESS DENIED - NO KEY", "request without an API key. Forbidding access.");
  }
  if (request.host.hostname.empty()) {
    return refuse("ACCESS DENIED - NO HOSTNAME", "request without a hostname. Forbidding access.");
  }
  if (guid.empty()) {
    return refuse("ACCESS DENIED - NO MACHINE GUID",
                  "request without a machine GUID. Forbidding access.");
  }
  if (!config::is_guid(request.api_key)) {
    return refuse("ACCESS DENIED - INVALID KEY",
                  "API key '" + key +
                      "' is not valid GUID (use the command uuidgen to generate one). "
                      "Forbidding access.");
  }
  if (!config::is_guid(guid)) {
    return refuse("ACCESS DENIED - INVALID MACHINE GUID",
                  "machine GUID '" + guid + "' is not GUID. Forbidding access.");
  }
  // CVE-2023-22497: a machine GUID must never pass as an API key. That GUID is the key, so it
  // is shown masked too.
  if (config::same_guid(request.api_key, guid)) {
    return refuse("ACCESS DENIED - MACHINE GUID IS THE API KEY",
                  "machine GUID '" + log::mask_secret(guid) + "' is the same as the API key '" +
                      key + "'. Forbidding access.");
  }
  const config::KeyPolicy* policy = conf.api_key(request.api_key);
  if (policy == nullptr || !policy->enabled) {
    return refuse("ACCESS DENIED - KEY NOT ENABLED",
                  "API key '" + key + "' is not allowed. Forbidding access.");
  }
  if (!policy->allow_from.allows(ip)) {
    return refuse(
        "ACCESS DENIED - KEY NOT ALLOWED FROM THIS IP",
        "API key '" + key + "' is not permitted from this IP '" + ip + "'. Forbidding access.");
  }
  const config::MachinePolicy* machine = conf.machine(guid);
  if (machine != nullptr) {
    if (machine->enabled.has_value() && !*machine->enabled) {
      return refuse("ACCESS DENIED - MACHINE GUID NOT ENABLED",
                    "machine GUID '" + guid + "' is not allowed. Forbidding access.");
    }
    if (machine->allow_from.has_value() && !machine->allow_from->allows(ip)) {
      return refuse("ACCESS DENIED - MACHINE GUID NOT ALLOWED FROM THIS IP",
                    "machine GUID '" + guid + "' is not permitted from this IP '" + ip +
                        "'. Forbidding access.");
    }
  }
  if (config::same_guid(guid, own_guid)) {
    return refuse("DENIED - ATTEMPT TO RECEIVE METRICS FROM MACHINE_GUID IDENTICAL TO PARENT",
                  "machine GUID '" + guid +
                      "' is this parent's own GUID; refusing to receive "
                      "its metrics from '" +
                      request.host.hostname + "'",
                  stream::Refusal::localhost);
  }

  Admitted admitted;
  const std::string mode = machine != nullptr && machine->memory_mode.has_value()
                               ? *machine->memory_mode
                               : policy->default_memory_mode;
  const uint32_t history = machine != nullptr && machine->history.has_value()
                               ? *machine->history
                               : policy->default_history;
  auto storage = storage_for(mode, history, admitted.warnings);
  if (!storage.ok()) {
    return refuse("ACCESS DENIED - BAD MEMORY MODE",
                  "memory mode for machine GUID '" + guid + "': " + storage.error().describe());
  }
  admitted.storage = *storage;
  admitted.health = health_policy(*policy, machine);
  return admitted;
}

}  // namespace trib::parent::receiver
