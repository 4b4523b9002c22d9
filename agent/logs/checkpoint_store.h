#pragma once
// Durable positions of every watched file, in LMDB (<data dir>/logs/checkpoints). A position is
// written only once the parent acknowledged the batch holding the bytes before it, so a restart
// re-reads what might not have arrived (the parent drops what it stored already).
//
// Also keeps, per source path, the last generation number handed out (generations never repeat)
// and which sources were scanned before (start_at applies only to a source's first scan).
//
// Used on the tail thread only.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "agent/logs/file_identity.h"
#include "common/base/result.h"
#include "common/lmdb/lmdb.h"

namespace trib::agent::logs {

struct FileCheckpoint {
  std::string source;  // the path the file was first found at
  uint64_t generation = 0;
  std::string path;  // where it was last seen (differs after a rotation)
  FileIdentity identity;
  Fingerprint fingerprint;
  RangeCheck position;  // position.end: the next byte to read
  bool done = false;    // read to its end and acknowledged: kept to recognise the file

  bool operator==(const FileCheckpoint&) const = default;
};

class CheckpointStore {
 public:
  static Result<std::unique_ptr<CheckpointStore>> open(const std::string& directory);

  Result<std::vector<FileCheckpoint>> load_all();
  // The last generation handed out per source path.
  Result<std::map<std::string, uint64_t>> load_generations();
  // One durable commit: `updates` written, `removals` (source, generation) deleted, and the last
  // generation of each source in `generations` recorded.
  Status commit(const std::vector<FileCheckpoint>& updates,
                const std::vector<std::pair<std::string, uint64_t>>& removals,
                const std::map<std::string, uint64_t>& generations = {});
  Result<bool> was_scanned(const std::string& source_key);
  Status mark_scanned(const std::string& source_key);

 private:
  CheckpointStore(lmdb::Env env, lmdb::Dbi files, lmdb::Dbi meta)
      : env_(std::move(env)), files_(files), meta_(meta) {}
  lmdb::Env env_;
  lmdb::Dbi files_;
  lmdb::Dbi meta_;
};

// The byte layout of one checkpoint (exposed for the fuzz target: a store may hold anything).
std::string encode_checkpoint(const FileCheckpoint& checkpoint);
Result<FileCheckpoint> decode_checkpoint(std::string_view key, std::string_view value);
std::string checkpoint_key(const std::string& source, uint64_t generation);

}  // namespace trib::agent::logs
