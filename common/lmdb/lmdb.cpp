#include "common/lmdb/lmdb.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <cassert>
#include <cerrno>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>

namespace trib::lmdb {
namespace {

class LmdbCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "lmdb"; }
  std::string message(int ev) const override { return mdb_strerror(ev); }
};

}  // namespace

const std::error_category& lmdb_category() noexcept {
  static const LmdbCategory category;
  return category;
}

std::error_code lmdb_error(int rc) noexcept { return {rc, lmdb_category()}; }

Error make_error(int rc, std::string context) { return Error(lmdb_error(rc), std::move(context)); }

bool is_map_full(const Error& error) { return error.code == lmdb_error(MDB_MAP_FULL); }

// --- Env ---

Result<Env> Env::open(const EnvOptions& options) {
  std::error_code ec;
  if (!options.read_only) std::filesystem::create_directories(options.path, ec);
  if (ec) {
    return Error(ec, "cannot create the LMDB directory " + options.path);
  }
  MDB_env* raw = nullptr;
  if (int rc = mdb_env_create(&raw); rc != 0) {
    return make_error(rc, "cannot create an LMDB environment");
  }
  Env env(raw, options.path);
  if (int rc = mdb_env_set_mapsize(raw, options.map_size); rc != 0) {
    return make_error(rc, "cannot set the LMDB map size of " + options.path);
  }
  if (int rc = mdb_env_set_maxdbs(raw, options.max_dbs); rc != 0) {
    return make_error(rc, "cannot set the LMDB database count of " + options.path);
  }
  if (int rc = mdb_env_set_maxreaders(raw, options.max_readers); rc != 0) {
    return make_error(rc, "cannot set the LMDB reader count of " + options.path);
  }
  unsigned flags = MDB_NOTLS;
  if (options.no_sync) flags |= MDB_NOSYNC;
  if (options.no_meta_sync) flags |= MDB_NOMETASYNC;
  if (options.read_only) flags |= MDB_RDONLY;
  if (int rc = mdb_env_open(raw, options.path.c_str(), flags, 0640); rc != 0) {
    std::string hint;
    if (rc == MDB_INVALID || rc == MDB_VERSION_MISMATCH) {
      hint =
          " (the file is not an LMDB database of this version: corrupt or foreign; move it away "
          "or restore it from a backup)";
    }
    return make_error(rc, "cannot open the LMDB environment " + options.path + hint);
  }
  return env;
}

Env& Env::operator=(Env&& other) noexcept {
  if (this != &other) {
    if (env_ != nullptr) mdb_env_close(env_);
    env_ = std::exchange(other.env_, nullptr);
    path_ = std::move(other.path_);
  }
  return *this;
}

Env::~Env() {
  if (env_ != nullptr) mdb_env_close(env_);
}

Status Env::set_map_size(size_t bytes) {
  if (int rc = mdb_env_set_mapsize(env_, bytes); rc != 0) {
    return make_error(rc, "cannot resize the LMDB map of " + path_);
  }
  return {};
}

size_t Env::map_size() const {
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  return info.me_mapsize;
}

size_t Env::used_bytes() const {
  MDB_envinfo info{};
  MDB_stat stat{};
  mdb_env_info(env_, &info);
  mdb_env_stat(env_, &stat);
  return (info.me_last_pgno + 1) * size_t{stat.ms_psize};
}

Status Env::sync(bool force) {
  if (int rc = mdb_env_sync(env_, force ? 1 : 0); rc != 0) {
    return make_error(rc, "cannot flush the LMDB environment " + path_);
  }
  return {};
}

namespace {

// The address of this process's mapping of the file open as `fd` (LMDB's map of data.mdb), from
// /proc/self/maps: mdb_env_info() reports the map's address only with MDB_FIXEDMAP.
void* mapping_of(int fd) {
  struct stat file {};
  if (fstat(fd, &file) != 0) return nullptr;
  std::ifstream maps("/proc/self/maps");
  for (std::string line; std::getline(maps, line);) {
    uintptr_t from = 0;
    unsigned long long inode = 0;
    if (std::sscanf(line.c_str(), "%" SCNxPTR "-%*x %*s %*x %*s %llu", &from, &inode) == 2 &&
        inode == file.st_ino) {
      return reinterpret_cast<void*>(from);
    }
  }
  return nullptr;
}

}  // namespace

Status Env::release_mapped_pages() {
  MDB_envinfo info{};
  mdb_filehandle_t fd = -1;
  if (int rc = mdb_env_info(env_, &info); rc != 0) {
    return make_error(rc, "cannot read the LMDB map of " + path_);
  }
  if (int rc = mdb_env_get_fd(env_, &fd); rc != 0) {
    return make_error(rc, "cannot read the LMDB map of " + path_);
  }
  void* map = mapping_of(fd);
  if (map == nullptr) return Error(Errc::io_error, "cannot find the LMDB map of " + path_);
  if (madvise(map, info.me_mapsize, MADV_DONTNEED) != 0) {
    return Error(std::error_code(errno, std::generic_category()),
                 "cannot release the mapped pages of " + path_);
  }
  return {};
}

// --- Txn ---

Result<Txn> Txn::begin_write(Env& env) {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(env.get(), nullptr, 0, &raw); rc != 0) {
    return make_error(rc, "cannot begin a write transaction on " + env.path());
  }
  return Txn(raw);
}

Result<Txn> Txn::begin_read(Env& env) {
  MDB_txn* raw = nullptr;
  if (int rc = mdb_txn_begin(env.get(), nullptr, MDB_RDONLY, &raw); rc != 0) {
    return make_error(rc, "cannot begin a read transaction on " + env.path());
  }
  return Txn(raw);
}

Txn& Txn::operator=(Txn&& other) noexcept {
  if (this != &other) {
    abort();
    txn_ = std::exchange(other.txn_, nullptr);
    open_cursors_ = other.open_cursors_;
  }
  return *this;
}

Status Txn::commit() {
  assert(open_cursors_ == 0 && "close every Cursor before its transaction commits");
  MDB_txn* txn = std::exchange(txn_, nullptr);
  if (int rc = mdb_txn_commit(txn); rc != 0) {
    return make_error(rc, "cannot commit an LMDB transaction");
  }
  return {};
}

void Txn::abort() {
  if (txn_ == nullptr) return;
  assert(open_cursors_ == 0 && "close every Cursor before its transaction aborts");
  mdb_txn_abort(std::exchange(txn_, nullptr));
}

// --- Dbi and single-key operations ---

Result<Dbi> Dbi::open(Txn& txn, const char* name, unsigned flags) {
  Dbi dbi;
  if (int rc = mdb_dbi_open(txn.get(), name, flags, &dbi.id); rc != 0) {
    return make_error(rc, std::string("cannot open the LMDB database '") +
                              (name != nullptr ? name : "(main)") + "'");
  }
  return dbi;
}

Result<std::optional<std::string_view>> get(Txn& txn, Dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  MDB_val v{};
  int rc = mdb_get(txn.get(), dbi.id, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return make_error(rc, "LMDB read failed");
  return std::optional<std::string_view>(to_view(v));
}

Status put(Txn& txn, Dbi dbi, std::string_view key, std::string_view value, unsigned flags) {
  MDB_val k = to_val(key);
  MDB_val v = to_val(value);
  if (int rc = mdb_put(txn.get(), dbi.id, &k, &v, flags); rc != 0) {
    return make_error(rc, "LMDB write failed");
  }
  return {};
}

Result<bool> erase(Txn& txn, Dbi dbi, std::string_view key) {
  MDB_val k = to_val(key);
  int rc = mdb_del(txn.get(), dbi.id, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return make_error(rc, "LMDB delete failed");
  return true;
}

Result<size_t> entries(Txn& txn, Dbi dbi) {
  MDB_stat stat{};
  if (int rc = mdb_stat(txn.get(), dbi.id, &stat); rc != 0) {
    return make_error(rc, "cannot read LMDB database statistics");
  }
  return size_t{stat.ms_entries};
}

Result<size_t> live_bytes(Txn& txn, Dbi dbi) {
  MDB_stat stat{};
  if (int rc = mdb_stat(txn.get(), dbi.id, &stat); rc != 0) {
    return make_error(rc, "cannot read LMDB database statistics");
  }
  return (stat.ms_branch_pages + stat.ms_leaf_pages + stat.ms_overflow_pages) *
         size_t{stat.ms_psize};
}

// --- Cursor ---

Result<Cursor> Cursor::open(Txn& txn, Dbi dbi) {
  MDB_cursor* raw = nullptr;
  if (int rc = mdb_cursor_open(txn.get(), dbi.id, &raw); rc != 0) {
    return make_error(rc, "cannot open an LMDB cursor");
  }
  ++txn.open_cursors_;
  return Cursor(raw, &txn);
}

Cursor::~Cursor() {
  if (cursor_ == nullptr) return;
  mdb_cursor_close(cursor_);
  --txn_->open_cursors_;
}

Result<bool> Cursor::move(MDB_cursor_op op) {
  int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return make_error(rc, "LMDB cursor move failed");
  return true;
}

Result<bool> Cursor::first() { return move(MDB_FIRST); }
Result<bool> Cursor::last() { return move(MDB_LAST); }
Result<bool> Cursor::next() { return move(MDB_NEXT); }
Result<bool> Cursor::prev() { return move(MDB_PREV); }

Result<bool> Cursor::seek(std::string_view key) {
  key_ = to_val(key);
  return move(MDB_SET_RANGE);
}

Status Cursor::erase_current() {
  if (int rc = mdb_cursor_del(cursor_, 0); rc != 0) {
    return make_error(rc, "LMDB cursor delete failed");
  }
  return {};
}

// --- keys ---

void append_u64_be(std::string& out, uint64_t value) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

void append_u32_be(std::string& out, uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>(value >> shift));
}

uint64_t read_u64_be(std::string_view bytes) {
  assert(bytes.size() >= 8);
  uint64_t value = 0;
  for (int i = 0; i < 8; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

uint32_t read_u32_be(std::string_view bytes) {
  assert(bytes.size() >= 4);
  uint32_t value = 0;
  for (int i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(bytes[i]);
  return value;
}

}  // namespace trib::lmdb
