#include "parent/receiver/log_ingest.h"

namespace trib::parent::receiver {
namespace {

Status check_writer(const store::LogWriter* writer) {
  if (writer != nullptr) return {};
  return Error(Errc::protocol_error, "log batch, but `logs` was not granted");
}

}  // namespace

Result<uint64_t> ingest_logs(store::LogWriter* writer, const store::StorageConfig& storage,
                             std::string_view machine_guid, stream::LogsMsg batch) {
  TRIB_TRY(check_writer(writer));
  if (storage.mode == store::MemoryMode::none || batch.records.empty()) return uint64_t{0};
  return writer->submit(std::string(machine_guid), std::move(batch));
}

Result<uint64_t> ingest_gaps(store::LogWriter* writer, const store::StorageConfig& storage,
                             std::string_view machine_guid, stream::GapsMsg batch) {
  TRIB_TRY(check_writer(writer));
  if (storage.mode == store::MemoryMode::none ||
      (batch.gaps.empty() && batch.metric_gaps.empty())) {
    return uint64_t{0};
  }
  return writer->submit(std::string(machine_guid), std::move(batch));
}

}  // namespace trib::parent::receiver
