#pragma once
// Durations, byte sizes and byte rates as people write them in config files:
// "500ms" "30s" "5m" "1h" "1d" "1y" (365d; a plain integer is seconds), "64KiB" "256MiB" "10MB" (a
// plain integer is bytes; KiB/MiB/GiB/TiB are powers of 1024, KB/MB/GB/TB powers of 1000),
// "5MiB/s". Pure functions, any thread.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::config {

Result<std::chrono::milliseconds> parse_duration(std::string_view text);
Result<uint64_t> parse_size(std::string_view text);       // bytes
Result<uint64_t> parse_byte_rate(std::string_view text);  // bytes per second

// The shortest exact spelling in the largest unit: 90s -> "90s", 300s -> "5m", 1500ms -> "1500ms".
std::string format_duration(std::chrono::milliseconds d);
// The largest binary unit that divides exactly: 268435456 -> "256MiB", 1000 -> "1000".
std::string format_size(uint64_t bytes);

}  // namespace trib::config
