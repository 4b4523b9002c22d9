#pragma once
// The parent's settings as plain values (parent.yaml + parent.d/*.yaml + TRIBUTARY_* overrides,
// .env, and the Telegraf-Controller style flags/variables such as --port/PORT).

#include <cstdint>
#include <string>

#include "common/log/log.h"

namespace trib::parent {

struct StorageOptions {
  std::string memory_mode = "ram";  // the parent's own host: none | ram (dbengine later)
  uint32_t history = 3600;          // entries per dimension in ram mode (Netdata's [db] history)
};

struct ParentOptions {
  std::string hostname;          // empty: the OS hostname
  std::string bind = "0.0.0.0";  // listen address for the web/stream port
  uint16_t port = 19999;         // web API and streaming (PORT / --port)
  log::LogOptions log;
  StorageOptions storage;
};

}  // namespace trib::parent
