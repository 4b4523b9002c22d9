#pragma once
// The tailer's self-metrics as charts of the agent's own host: per source lag (bytes and
// seconds), lines and bytes read, lines split, rotations, generations, gaps; for all sources the
// pinned bytes, unacknowledged bytes and the checkpoint commit latency. Counters are sent as
// running totals with the incremental algorithm, so the parent shows rates.
// A pure function; the agent calls it on the network loop.

#include <cstdint>
#include <map>
#include <string>

#include "agent/logs/tailer.h"
#include "common/collectors/collector_runner.h"

namespace trib::agent::logs {

// `defined`: chart ids already defined (updated); definitions are emitted once.
collectors::CollectedBatch log_charts(const TailerStats& stats, int64_t now_s,
                                      std::map<std::string, bool>& defined);

}  // namespace trib::agent::logs
