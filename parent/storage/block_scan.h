#pragma once
// Reads of a block database (`blocks`, or a tier's) for one series inside a transaction: the
// same cursor walk for the I/O loop's reads, the writer's tier roll-up and recovery. Keys are
// `u32 series id | u64 first s` (layout.h), so one series is one contiguous key range.
//
// Any thread that holds `txn`.

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>

#include "common/base/result.h"
#include "common/lmdb/lmdb.h"

namespace trib::parent::storage {

struct StoredBlock {
  int64_t first_s = 0;
  int64_t last_s = 0;
  std::string_view block;  // points into the map: valid while the transaction is
};

// Every entry of `series_id` with first_s <= to_s and last_s >= from_s, oldest first.
Status scan_blocks(lmdb::Txn& txn, lmdb::Dbi dbi, uint32_t series_id, int64_t from_s, int64_t to_s,
                   const std::function<void(const StoredBlock&)>& visit);

// The newest entry of `series_id`, or nullopt.
Result<std::optional<StoredBlock>> last_stored_block(lmdb::Txn& txn, lmdb::Dbi dbi,
                                                     uint32_t series_id);
// The oldest entry's first_s, or nullopt.
Result<std::optional<int64_t>> first_stored_time(lmdb::Txn& txn, lmdb::Dbi dbi, uint32_t series_id);

}  // namespace trib::parent::storage
