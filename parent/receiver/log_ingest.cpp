#include "parent/receiver/log_ingest.h"

namespace trib::parent::receiver {
namespace {

Status check_store(const store::LogStore* store) {
  if (store != nullptr) return {};
  return Error(Errc::protocol_error, "log batch, but `logs` was not granted");
}

}  // namespace

Status ingest_logs(store::LogStore* store, const store::StorageConfig& storage,
                   std::string_view machine_guid, const stream::LogsMsg& batch) {
  TRIB_TRY(check_store(store));
  if (storage.mode == store::MemoryMode::none) return {};
  return store->append(machine_guid, batch);
}

Status ingest_gaps(store::LogStore* store, const store::StorageConfig& storage,
                   std::string_view machine_guid, const stream::GapsMsg& batch) {
  TRIB_TRY(check_store(store));
  if (storage.mode == store::MemoryMode::none) return {};
  return store->append_gaps(machine_guid, batch);
}

}  // namespace trib::parent::receiver
