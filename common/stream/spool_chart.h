#pragma once
// How full a host's outgoing spool is, as a chart of that host so that health rules can watch
// it (conf/health.d/spool.yaml): `tributary.spool`, dimensions `used` and `max` in bytes.
//  - an agent: its sender's spool;
//  - a proxy: the fullest of its spools (one per forwarded host plus its own, each bounded by
//    the same parent.yaml spool.max_size), charted on the proxy's own host.
// A spool at its bound drops its oldest batches (gap records for logs), so a rising `used` is
// the warning that data is about to be lost. Pure functions; any thread.

#include <cstdint>

#include "common/model/metrics.h"

namespace trib::stream {

inline constexpr const char* kSpoolChart = "tributary.spool";

// The fill of a sender's spool (or the fullest of several): bytes held and the bound.
struct SpoolFill {
  uint64_t used = 0;
  uint64_t max = 0;
};

// `module` names who publishes it ("agent", "proxy").
model::ChartDef spool_chart(const char* module);
model::ChartSample spool_sample(const SpoolFill& fill, int64_t now_s);

}  // namespace trib::stream
