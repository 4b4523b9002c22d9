#include "parent/storage/block_scan.h"

#include "parent/storage/layout.h"

namespace trib::parent::storage {

Status scan_blocks(lmdb::Txn& txn, lmdb::Dbi dbi, uint32_t series_id, int64_t from_s, int64_t to_s,
                   const std::function<void(const StoredBlock&)>& visit) {
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbi));
  TRIB_ASSIGN_OR_RETURN(bool found, cursor.seek(layout::block_key(series_id, from_s)));
  // The block holding from_s may start before it: step back one.
  bool step_back = !found;
  if (found) {
    TRIB_ASSIGN_OR_RETURN(const auto key, layout::parse_block_key(cursor.key()));
    step_back = key.series_id != series_id || key.first_s > from_s;
  }
  if (step_back) {
    TRIB_ASSIGN_OR_RETURN(const bool before, found ? cursor.prev() : cursor.last());
    if (before) {
      TRIB_ASSIGN_OR_RETURN(const auto key, layout::parse_block_key(cursor.key()));
      if (key.series_id != series_id) {
        TRIB_ASSIGN_OR_RETURN(found, cursor.next());
      } else {
        found = true;
      }
    } else {
      TRIB_ASSIGN_OR_RETURN(found, cursor.first());
    }
  }
  while (found) {
    TRIB_ASSIGN_OR_RETURN(const auto key, layout::parse_block_key(cursor.key()));
    if (key.series_id != series_id || key.first_s > to_s) break;
    TRIB_ASSIGN_OR_RETURN(const auto value, layout::parse_block_value(key.first_s, cursor.value()));
    if (value.last_s >= from_s) visit(StoredBlock{key.first_s, value.last_s, value.block});
    TRIB_ASSIGN_OR_RETURN(found, cursor.next());
  }
  return ok_status();
}

Result<std::optional<StoredBlock>> last_stored_block(lmdb::Txn& txn, lmdb::Dbi dbi,
                                                     uint32_t series_id) {
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbi));
  TRIB_ASSIGN_OR_RETURN(bool found, cursor.seek(layout::block_key(series_id + 1, 0)));
  if (found) {
    TRIB_ASSIGN_OR_RETURN(found, cursor.prev());
  } else {
    TRIB_ASSIGN_OR_RETURN(found, cursor.last());
  }
  if (!found) return std::optional<StoredBlock>();
  TRIB_ASSIGN_OR_RETURN(const auto key, layout::parse_block_key(cursor.key()));
  if (key.series_id != series_id) return std::optional<StoredBlock>();
  TRIB_ASSIGN_OR_RETURN(const auto value, layout::parse_block_value(key.first_s, cursor.value()));
  return std::optional<StoredBlock>(StoredBlock{key.first_s, value.last_s, value.block});
}

Result<std::optional<int64_t>> first_stored_time(lmdb::Txn& txn, lmdb::Dbi dbi,
                                                 uint32_t series_id) {
  TRIB_ASSIGN_OR_RETURN(auto cursor, lmdb::Cursor::open(txn, dbi));
  TRIB_ASSIGN_OR_RETURN(const bool found, cursor.seek(layout::block_key(series_id, 0)));
  if (!found) return std::optional<int64_t>();
  TRIB_ASSIGN_OR_RETURN(const auto key, layout::parse_block_key(cursor.key()));
  if (key.series_id != series_id) return std::optional<int64_t>();
  return std::optional<int64_t>(key.first_s);
}

}  // namespace trib::parent::storage
