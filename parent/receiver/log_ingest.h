#pragma once
// The receiver's log path: a session hands each Logs and Gaps batch of an admitted host here,
// and acknowledges it once this returns OK (the batch is committed to the log store, or the
// host's memory mode is `none`, which keeps nothing). Kept apart from the session so the metric
// path and the log path can change independently.
//
// Runs on the parent's I/O loop, like the sessions.

#include <string_view>

#include "common/base/result.h"
#include "common/stream/messages.h"
#include "parent/store/chart.h"
#include "parent/store/log_store.h"

namespace trib::parent::receiver {

// `store` may be null: the parent then does not grant `logs`, and a batch is a protocol error.
Status ingest_logs(store::LogStore* store, const store::StorageConfig& storage,
                   std::string_view machine_guid, const stream::LogsMsg& batch);
Status ingest_gaps(store::LogStore* store, const store::StorageConfig& storage,
                   std::string_view machine_guid, const stream::GapsMsg& batch);

}  // namespace trib::parent::receiver
