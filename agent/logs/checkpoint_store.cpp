#include "agent/logs/checkpoint_store.h"

#include "common/stream/wire.h"

namespace trib::agent::logs {
namespace {

namespace wire = stream::wire;
constexpr size_t kMaxPath = 64 * 1024;
constexpr std::string_view kGenerationPrefix = "gen:";

}  // namespace

std::string checkpoint_key(const std::string& source, uint64_t generation) {
  std::string key = source;
  key.push_back('\0');
  lmdb::append_u64_be(key, generation);
  return key;
}

std::string encode_checkpoint(const FileCheckpoint& c) {
  std::string out;
  wire::put_string(out, c.path);
  wire::put_varint(out, c.identity.device);
  wire::put_varint(out, c.identity.inode);
  wire::put_varint(out, c.fingerprint.length);
  wire::put_varint(out, c.fingerprint.hash);
  wire::put_varint(out, c.position.end);
  wire::put_varint(out, c.position.length);
  wire::put_varint(out, c.position.hash);
  wire::put_u8(out, c.done ? 1 : 0);
  return out;
}

Result<FileCheckpoint> decode_checkpoint(std::string_view key, std::string_view value) {
  FileCheckpoint c;
  // The generation's 8 bytes may hold NULs themselves: the separator is at a fixed place.
  if (key.size() < 9 || key[key.size() - 9] != '\0') {
    return Error(Errc::parse_error, "checkpoint key without a generation");
  }
  c.source = std::string(key.substr(0, key.size() - 9));
  c.generation = lmdb::read_u64_be(key.substr(key.size() - 8));
  wire::Reader in(value, kMaxPath);
  c.path = in.string("path");
  c.identity.device = in.varint("device");
  c.identity.inode = in.varint("inode");
  c.fingerprint.length = in.varint_u32("fingerprint length");
  c.fingerprint.hash = in.varint("fingerprint");
  c.position.end = in.varint("position");
  c.position.length = in.varint_u32("check length");
  c.position.hash = in.varint("check");
  c.done = in.u8("done") != 0;
  if (in.ok() && !in.at_end()) in.fail("bytes after the checkpoint");
  if (in.ok() && (c.position.length > c.position.end || c.position.length > kCheckBytes ||
                  c.fingerprint.length > kFingerprintBytes)) {
    in.fail("check lengths out of range");
  }
  if (!in.ok()) {
    return Error(Errc::parse_error, "checkpoint of '" + c.source + "': " + in.error()->message);
  }
  return c;
}

Result<std::unique_ptr<CheckpointStore>> CheckpointStore::open(const std::string& directory) {
  lmdb::EnvOptions options;
  options.path = directory;
  options.map_size = size_t{1} << 30;
  TRIB_ASSIGN_OR_RETURN(lmdb::Env env, lmdb::Env::open(options));
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi files, lmdb::Dbi::open(txn, "files", MDB_CREATE));
  TRIB_ASSIGN_OR_RETURN(const lmdb::Dbi meta, lmdb::Dbi::open(txn, "meta", MDB_CREATE));
  TRIB_TRY(txn.commit());
  return std::unique_ptr<CheckpointStore>(new CheckpointStore(std::move(env), files, meta));
}

Result<std::vector<FileCheckpoint>> CheckpointStore::load_all() {
  std::vector<FileCheckpoint> out;
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, files_));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.first());
  while (more) {
    TRIB_ASSIGN_OR_RETURN(FileCheckpoint c, decode_checkpoint(cursor.key(), cursor.value()));
    out.push_back(std::move(c));
    TRIB_ASSIGN_OR_RETURN(more, cursor.next());
  }
  return out;
}

Status CheckpointStore::commit(const std::vector<FileCheckpoint>& updates,
                               const std::vector<std::pair<std::string, uint64_t>>& removals,
                               const std::map<std::string, uint64_t>& generations) {
  if (updates.empty() && removals.empty() && generations.empty()) return {};
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  for (const FileCheckpoint& c : updates) {
    TRIB_TRY(lmdb::put(txn, files_, checkpoint_key(c.source, c.generation), encode_checkpoint(c)));
  }
  for (const auto& [source, generation] : removals) {
    TRIB_ASSIGN_OR_RETURN(const bool erased,
                          lmdb::erase(txn, files_, checkpoint_key(source, generation)));
    (void)erased;
  }
  for (const auto& [source, generation] : generations) {
    std::string value;
    lmdb::append_u64_be(value, generation);
    TRIB_TRY(lmdb::put(txn, meta_, std::string(kGenerationPrefix) + source, value));
  }
  return txn.commit();
}

Result<std::map<std::string, uint64_t>> CheckpointStore::load_generations() {
  std::map<std::string, uint64_t> out;
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(lmdb::Cursor cursor, lmdb::Cursor::open(txn, meta_));
  TRIB_ASSIGN_OR_RETURN(bool more, cursor.seek(kGenerationPrefix));
  while (more && cursor.key().starts_with(kGenerationPrefix)) {
    if (cursor.value().size() == 8) {
      out[std::string(cursor.key().substr(kGenerationPrefix.size()))] =
          lmdb::read_u64_be(cursor.value());
    }
    TRIB_ASSIGN_OR_RETURN(more, cursor.next());
  }
  return out;
}

Result<bool> CheckpointStore::was_scanned(const std::string& source_key) {
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_read(env_));
  TRIB_ASSIGN_OR_RETURN(auto found, lmdb::get(txn, meta_, "scanned:" + source_key));
  return found.has_value();
}

Status CheckpointStore::mark_scanned(const std::string& source_key) {
  TRIB_ASSIGN_OR_RETURN(lmdb::Txn txn, lmdb::Txn::begin_write(env_));
  TRIB_TRY(lmdb::put(txn, meta_, "scanned:" + source_key, "1"));
  return txn.commit();
}

}  // namespace trib::agent::logs
