#pragma once
// The parent's settings as plain values (parent.yaml + parent.d/*.yaml + TRIBUTARY_* overrides,
// .env, and the Telegraf-Controller style flags/variables such as --port/PORT).

#include <chrono>
#include <cstdint>
#include <string>

#include "common/log/log.h"

namespace trib::parent {

struct RetentionOptions {
  std::chrono::seconds max_age{30 * 86400};  // dbengine blocks older than this go; 0: none
  uint64_t max_size = 20ull << 30;           // the oldest dbengine blocks go beyond this
};

struct StorageOptions {
  std::string memory_mode = "dbengine";  // the parent's own host: none | ram | dbengine
  uint32_t history = 3600;  // entries per dimension in ram mode (Netdata's [db] history)
  RetentionOptions retention;
};

struct ParentOptions {
  std::string hostname;          // empty: the OS hostname
  std::string bind = "0.0.0.0";  // listen address for the web/stream port
  uint16_t port = 19999;         // web API and streaming (PORT / --port)
  log::LogOptions log;
  StorageOptions storage;
};

}  // namespace trib::parent
