#pragma once
// Who may stream to this parent: stream.conf's [API_KEY] and [MACHINE_GUID] rules applied to a
// parsed handshake, in Netdata's order and with Netdata's wording (spec §2.3), plus Tributary's
// own checks. A pure function of its inputs, so every rule has a unit test.

#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/config/stream_conf.h"
#include "common/stream/handshake.h"
#include "parent/store/chart.h"
#include "parent/store/host.h"

namespace trib::parent::receiver {

struct Admitted {
  store::StorageConfig storage;
  store::HealthPolicy health;         // the machine section's health settings, else the key's
  std::vector<std::string> warnings;  // e.g. a Netdata memory mode alias (save, map, alloc)
};

struct Refused {
  stream::Refusal refusal;
  std::string access_tag;  // Netdata's access-log marker, e.g. "ACCESS DENIED - KEY NOT ENABLED"
  std::string reason;      // the error-log text; the API key appears masked only
};

using AdmissionResult = std::variant<Admitted, Refused>;

// `own_guid`: the parent's machine GUID. Duplicate connections and the accept rate are the
// receiver's business (they need state); everything else is decided here.
AdmissionResult admit(const stream::HandshakeRequest& request, const config::StreamConf& conf,
                      std::string_view peer_ip, std::string_view own_guid);

}  // namespace trib::parent::receiver
