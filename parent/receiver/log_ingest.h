#pragma once
// The receiver's log path: a session hands each Logs and Gaps batch of an admitted host here; it
// goes to the log store's writer thread, and the session acknowledges it once the returned ticket
// has committed (0: nothing to wait for, the host's memory mode is `none`, which keeps nothing).
// Kept apart from the session so the metric path and the log path can change independently.
//
// Runs on the parent's I/O loop, like the sessions.

#include <cstdint>
#include <string_view>

#include "common/base/result.h"
#include "common/stream/messages.h"
#include "parent/store/chart.h"
#include "parent/store/log_writer.h"

namespace trib::parent::receiver {

// `writer` may be null: the parent then does not grant `logs`, and a batch is a protocol error.
Result<uint64_t> ingest_logs(store::LogWriter* writer, const store::StorageConfig& storage,
                             std::string_view machine_guid, stream::LogsMsg batch);
Result<uint64_t> ingest_gaps(store::LogWriter* writer, const store::StorageConfig& storage,
                             std::string_view machine_guid, stream::GapsMsg batch);

}  // namespace trib::parent::receiver
