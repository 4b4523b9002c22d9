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

// The log store (<data dir>/logs): every host's log and gap records.
struct LogsOptions {
  std::chrono::seconds max_age{30 * 24 * 3600};
  uint64_t max_size = uint64_t{10} << 30;
};

struct ParentOptions {
  std::string hostname;          // empty: the OS hostname
  std::string bind = "0.0.0.0";  // listen address for the web/stream port
  uint16_t port = 19999;         // web API and streaming (PORT / --port)
  log::LogOptions log;
  StorageOptions storage;
  LogsOptions logs;
};

}  // namespace trib::parent
