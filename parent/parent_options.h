#pragma once
// The parent's settings as plain values (parent.yaml + parent.d/*.yaml + TRIBUTARY_* overrides,
// .env, and the Telegraf-Controller style flags/variables such as --port/PORT).

#include <chrono>
#include <cstdint>
#include <string>

#include "common/log/log.h"

namespace trib::parent {

struct StorageOptions {
  std::string memory_mode = "ram";  // the parent's own host: none | ram (dbengine later)
  uint32_t history = 3600;          // entries per dimension in ram mode (Netdata's [db] history)
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

struct ParentOptions {
  std::string hostname;          // empty: the OS hostname
  std::string bind = "0.0.0.0";  // listen address for the web/stream port
  uint16_t port = 19999;         // web API and streaming (PORT / --port)
  log::LogOptions log;
  StorageOptions storage;
  FleetOptions fleet;
};

}  // namespace trib::parent
