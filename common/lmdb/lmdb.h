#pragma once
// RAII over LMDB (liblmdb): an environment, transactions, named databases and cursors, with
// Result<T> errors in their own category. Shared by the parent's sample store, the agent's spool
// and the checkpoint store, so each of them deals in keys and values, not in MDB_* handles.
//
// Threading: an Env is shared; a write Txn belongs to the one thread that began it (LMDB allows
// one writer at a time per environment); read Txns may move between threads (the Env is opened
// with MDB_NOTLS). A Cursor must be closed (destroyed) before its Txn commits or aborts.

#include <lmdb.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/base/result.h"

namespace trib::lmdb {

// LMDB's MDB_* codes (negative) and the errno values it passes through (positive), with
// mdb_strerror() messages.
const std::error_category& lmdb_category() noexcept;
std::error_code lmdb_error(int rc) noexcept;
Error make_error(int rc, std::string context);

// The map is full: the caller may grow it (Env::set_map_size) or apply backpressure.
bool is_map_full(const Error& error);

struct EnvOptions {
  std::string path;  // a directory, created if missing, holding data.mdb and lock.mdb
  size_t map_size = size_t{1} << 30;
  unsigned max_dbs = 16;
  unsigned max_readers = 126;
  // MDB_NOSYNC: commits are not flushed. Only for benchmarks that measure something else; a store
  // that acks after commit must keep the default.
  bool no_sync = false;
  // MDB_NOMETASYNC: a commit flushes its data pages but not the meta page, which the next
  // commit's flush carries. One disk flush per commit instead of two; an OS crash (not a process
  // crash) may undo the last commit, never corrupt the file. For data that nobody has been told
  // is durable yet (an agent's own outgoing batches).
  bool no_meta_sync = false;
  bool read_only = false;
};

class Env {
 public:
  // Fails with a clear message on a foreign or corrupt file (MDB_INVALID, MDB_VERSION_MISMATCH).
  static Result<Env> open(const EnvOptions& options);

  Env(Env&& other) noexcept : env_(std::exchange(other.env_, nullptr)) {}
  Env& operator=(Env&& other) noexcept;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  ~Env();

  MDB_env* get() const { return env_; }
  const std::string& path() const { return path_; }

  // Grows (or shrinks) the map. LMDB requires that this process has no transaction open.
  Status set_map_size(size_t bytes);
  size_t map_size() const;
  // Bytes the data file uses: pages in use × page size (not the sparse map size).
  size_t used_bytes() const;
  Status sync(bool force);
  // Drops this process's mappings of the map's pages (madvise MADV_DONTNEED); the pages stay in
  // the page cache, and the next read of one maps it again without I/O. Pages written through
  // the file (LMDB's default, no MDB_WRITEMAP) but mapped by a read nearby, or by the kernel's
  // fault-around, otherwise stay in the process's RSS for good. Safe at any time from any
  // thread while the map is not resized: the map is read-only, so no data lives only in it.
  Status release_mapped_pages();

 private:
  explicit Env(MDB_env* env, std::string path) : env_(env), path_(std::move(path)) {}
  MDB_env* env_ = nullptr;
  std::string path_;
};

class Txn {
 public:
  static Result<Txn> begin_write(Env& env);
  static Result<Txn> begin_read(Env& env);

  Txn(Txn&& other) noexcept
      : txn_(std::exchange(other.txn_, nullptr)), open_cursors_(other.open_cursors_) {}
  Txn& operator=(Txn&& other) noexcept;
  Txn(const Txn&) = delete;
  Txn& operator=(const Txn&) = delete;
  ~Txn() { abort(); }

  // Ends the transaction; the Txn is empty afterwards whatever the outcome.
  Status commit();
  void abort();

  MDB_txn* get() const { return txn_; }
  bool live() const { return txn_ != nullptr; }

 private:
  friend class Cursor;
  explicit Txn(MDB_txn* txn) : txn_(txn) {}
  MDB_txn* txn_ = nullptr;
  int open_cursors_ = 0;
};

// A named database inside an Env. The handle needs no closing: LMDB keeps it for the Env's life.
struct Dbi {
  MDB_dbi id = 0;

  // flags: MDB_CREATE, MDB_INTEGERKEY, MDB_DUPSORT, ...
  static Result<Dbi> open(Txn& txn, const char* name, unsigned flags);
};

inline MDB_val to_val(std::string_view bytes) {
  return MDB_val{bytes.size(), const_cast<char*>(bytes.data())};
}
inline std::string_view to_view(const MDB_val& val) {
  return {static_cast<const char*>(val.mv_data), val.mv_size};
}

// The value points into the map and stays valid until the transaction ends or writes again.
Result<std::optional<std::string_view>> get(Txn& txn, Dbi dbi, std::string_view key);
Status put(Txn& txn, Dbi dbi, std::string_view key, std::string_view value, unsigned flags = 0);
// false when the key was not there.
Result<bool> erase(Txn& txn, Dbi dbi, std::string_view key);
Result<size_t> entries(Txn& txn, Dbi dbi);
// Bytes of the pages (branch, leaf, overflow) that hold a database's live entries: unlike
// Env::used_bytes(), this shrinks when entries are deleted.
Result<size_t> live_bytes(Txn& txn, Dbi dbi);

class Cursor {
 public:
  static Result<Cursor> open(Txn& txn, Dbi dbi);

  Cursor(Cursor&& other) noexcept
      : cursor_(std::exchange(other.cursor_, nullptr)), txn_(other.txn_) {}
  Cursor& operator=(Cursor&&) = delete;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  // Each positions the cursor and returns false when there is no such entry.
  Result<bool> first();
  Result<bool> last();
  Result<bool> next();
  Result<bool> prev();
  Result<bool> seek(std::string_view key);  // the first entry at or after key
  // Deletes the entry under the cursor (write transactions only).
  Status erase_current();

  std::string_view key() const { return to_view(key_); }
  std::string_view value() const { return to_view(value_); }

 private:
  Cursor(MDB_cursor* cursor, Txn* txn) : cursor_(cursor), txn_(txn) {}
  Result<bool> move(MDB_cursor_op op);
  MDB_cursor* cursor_ = nullptr;
  Txn* txn_ = nullptr;
  MDB_val key_{};
  MDB_val value_{};
};

// Big-endian integers make keys that sort in numeric order under LMDB's default byte compare.
void append_u64_be(std::string& out, uint64_t value);
void append_u32_be(std::string& out, uint32_t value);
uint64_t read_u64_be(std::string_view bytes);  // the first 8 bytes
uint32_t read_u32_be(std::string_view bytes);  // the first 4 bytes

}  // namespace trib::lmdb
