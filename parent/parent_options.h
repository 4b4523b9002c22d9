#pragma once
// The parent's settings as plain values (parent.yaml + parent.d/*.yaml + TRIBUTARY_* overrides,
// .env, and the Telegraf-Controller style flags/variables such as --port/PORT).

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "common/log/log.h"
#include "parent/health/health_options.h"

namespace trib::parent {

struct RetentionOptions {
  std::chrono::seconds max_age{30 * 86400};  // dbengine blocks older than this go; 0: none
  uint64_t max_size = 20ull << 30;           // the oldest dbengine blocks go beyond this
};

// A tier of downsampled dbengine data: min, max, sum and count per `every` (docs/storage.md).
struct TierOptions {
  std::chrono::seconds every{60};
  std::chrono::seconds max_age{365 * 86400};  // 0: none
  uint64_t max_size = 0;                      // bytes of this tier's blocks; 0: none
};

struct StorageOptions {
  std::string memory_mode = "dbengine";  // the parent's own host: none | ram | dbengine
  uint32_t history = 3600;  // entries per dimension in ram mode (Netdata's [db] history)
  RetentionOptions retention;
  std::vector<TierOptions> tiers = {
      {std::chrono::seconds(60), std::chrono::seconds(365 * 86400)},
      {std::chrono::seconds(3600), std::chrono::seconds(5 * 365 * 86400)}};
};

// The fleet control plane: heartbeat server, registry database, fleet and config API.
struct FleetOptions {
  bool enabled = true;
  uint16_t heartbeat_port = 8000;  // HEARTBEAT_PORT / --heartbeat-port
  std::string database;            // empty: <data dir>/fleet.db; postgresql://... (DATABASE)
  std::string admin_token;         // writes to the fleet API (ADMIN_TOKEN / --admin-token)
  std::string read_token;          // reads of the fleet API and config TOML; empty: open
  std::string heartbeat_token;     // heartbeats; empty: open
  std::chrono::milliseconds scheduler_interval{60'000};
};

// TLS on the web/stream port (docs/operations.md, "TLS set-up").
struct TlsOptions {
  std::string certificate;  // PEM chain, leaf first (also SSL_CERT / --ssl-cert)
  std::string key;          // PEM private key (also SSL_KEY / --ssl-key)
  std::string client_ca;    // set: every TLS client must present a certificate it signed
  std::string ciphers;      // TLS 1.3 suites, the parent's preference first; empty: the default
  // auto: optional with a certificate, off without; force: TLS only; off: plaintext only.
  std::string mode = "auto";
};

// The log store (<data dir>/logs): every host's log and gap records.
struct LogsOptions {
  std::chrono::seconds max_age{30 * 24 * 3600};
  uint64_t max_size = uint64_t{10} << 30;
};

// A proxy's spool (<data dir>/spool/<GUID>, one per forwarded host): batches received and
// acknowledged downstream but not yet acknowledged upstream.
struct SpoolOptions {
  uint64_t max_size = uint64_t{1} << 30;  // per host
  // "drop_oldest": the oldest batches give way to gap records sent upstream;
  // "backpressure": reading from the host pauses (its own spool keeps the data).
  std::string when_full = "drop_oldest";
};

struct ParentOptions {
  std::string hostname;              // empty: the OS hostname
  std::string bind = "0.0.0.0";      // listen address for the web/stream port
  uint16_t port = 19999;             // web API and streaming (PORT / --port)
  uint32_t stream_accept_every = 0;  // seconds between accepted streams; 0: no limit
  uint32_t max_connections = 10000;  // open connections per listening port
  // Ephemeral hosts: a child disconnected this long is forgotten (0: never), and with
  // delete_orphan_host_data its dbengine data is deleted too.
  std::chrono::seconds cleanup_orphan_hosts_after{3600};
  bool delete_orphan_host_data = false;
  log::LogOptions log;
  StorageOptions storage;
  FleetOptions fleet;
  TlsOptions tls;
  LogsOptions logs;
  SpoolOptions spool;
  health::HealthOptions health;
};

}  // namespace trib::parent
