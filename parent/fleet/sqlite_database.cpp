#include "parent/fleet/sqlite_database.h"

#include <sqlite3.h>

#include <unordered_map>

namespace trib::parent::fleet {
namespace {

class SqliteCategory final : public std::error_category {
 public:
  const char* name() const noexcept override { return "sqlite"; }
  std::string message(int code) const override { return sqlite3_errstr(code); }
};

struct CloseDb {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
struct FinalizeStmt {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using DbPtr = std::unique_ptr<sqlite3, CloseDb>;
using StmtPtr = std::unique_ptr<sqlite3_stmt, FinalizeStmt>;

Error sqlite_failure(sqlite3* db, int rc, std::string_view what) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  return Error(std::error_code(rc & 0xff, sqlite_category()),
               std::string(what) + ": " + std::move(detail));
}

// Leaves a cached statement ready for its next use, whatever happened to this one.
class StatementUse {
 public:
  explicit StatementUse(sqlite3_stmt* stmt) : stmt_(stmt) {}
  ~StatementUse() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  StatementUse(const StatementUse&) = delete;
  StatementUse& operator=(const StatementUse&) = delete;

 private:
  sqlite3_stmt* stmt_;
};

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(DbPtr db, std::string path) : db_(std::move(db)), path_(std::move(path)) {}
  ~SqliteDatabase() override {
    statements_.clear();  // statements before the connection
  }

  Backend backend() const override { return Backend::sqlite; }
  std::string describe() const override { return "SQLite " + path_; }

  Result<Rows> query(std::string_view sql, const SqlParams& params) override {
    TRIB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, bound(sql, params));
    StatementUse use(stmt);
    Rows rows;
    for (;;) {
      const int rc = sqlite3_step(stmt);
      if (rc == SQLITE_DONE) return rows;
      if (rc != SQLITE_ROW) return sqlite_failure(db_.get(), rc, "query failed");
      rows.push_back(read_row(stmt));
    }
  }

  Result<Changed> execute(std::string_view sql, const SqlParams& params) override {
    TRIB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, bound(sql, params));
    StatementUse use(stmt);
    int rc = sqlite3_step(stmt);
    while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
    if (rc != SQLITE_DONE) return sqlite_failure(db_.get(), rc, "statement failed");
    return Changed{sqlite3_changes64(db_.get())};
  }

  Status execute_script(std::string_view sql) override {
    char* message = nullptr;
    const int rc = sqlite3_exec(db_.get(), std::string(sql).c_str(), nullptr, nullptr, &message);
    if (rc == SQLITE_OK) return ok_status();
    std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    return Error(std::error_code(rc & 0xff, sqlite_category()), "script failed: " + detail);
  }

  Status begin() override { return simple("BEGIN IMMEDIATE"); }
  Status commit() override { return simple("COMMIT"); }
  Status rollback() override { return simple("ROLLBACK"); }
  Status lock_for_migration() override { return ok_status(); }
  Result<bool> hold_leadership() override { return true; }

  Status configure() {
    // WAL lets readers run beside the writer; FULL makes every commit durable (an fsync), which
    // is what a 2xx to a heartbeat promises. The busy timeout covers a second process (sqlite3
    // CLI, a backup) holding the lock for a moment. Checkpoints run inside a commit: every 8,192
    // WAL pages (32 MiB) instead of SQLite's 1,000, a checkpoint copies each page of the
    // registry once for many heartbeat batches rather than once every few batches (a simulated
    // 10,000-agent fleet wrote 0.6 instead of 1.1 KB per heartbeat).
    // temp_store=MEMORY: a multi-row upsert inside a transaction keeps a statement journal
    // (to undo just that statement); past 64 KiB SQLite spilled it to a temporary file, so
    // every heartbeat batch created, wrote and deleted files. cache_size: the registry of a
    // large fleet (~1 KiB per agent with its indexes) stays in memory instead of being read
    // back with a pread per page; the cache grows only as far as the database does.
    TRIB_TRY(
        execute_script("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; "
                       "PRAGMA wal_autocheckpoint=8192; PRAGMA temp_store=MEMORY; "
                       "PRAGMA cache_size=-65536;"));
    sqlite3_busy_timeout(db_.get(), 5000);
    return ok_status();
  }

 private:
  Status simple(std::string_view sql) {
    TRIB_TRY(execute(sql, {}));
    return ok_status();
  }

  Result<sqlite3_stmt*> prepared(std::string_view sql) {
    auto it = statements_.find(std::string(sql));
    if (it != statements_.end()) return it->second.get();
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
    StmtPtr stmt(raw);
    if (rc != SQLITE_OK) {
      return sqlite_failure(db_.get(), rc, "cannot prepare '" + std::string(sql) + "'");
    }
    return statements_.emplace(std::string(sql), std::move(stmt)).first->second.get();
  }

  // SQLITE_STATIC: `params` outlives the statement's use (StatementUse clears the bindings
  // before query()/execute() return), so SQLite need not copy every text.
  static int bind_text(sqlite3_stmt* stmt, int index, std::string_view text) {
    return sqlite3_bind_text(stmt, index, text.data(), static_cast<int>(text.size()),
                             SQLITE_STATIC);
  }

  Result<sqlite3_stmt*> bound(std::string_view sql, const SqlParams& params) {
    TRIB_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, prepared(sql));
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = static_cast<int>(i + 1);
      int rc = SQLITE_OK;
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        rc = sqlite3_bind_int64(stmt, index, *n);
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        rc = bind_text(stmt, index, *s);
      } else if (const auto* view = std::get_if<SqlTextView>(&params[i])) {
        rc = bind_text(stmt, index, view->text);
      } else {
        rc = sqlite3_bind_null(stmt, index);
      }
      if (rc != SQLITE_OK) {
        sqlite3_clear_bindings(stmt);
        return sqlite_failure(db_.get(), rc, "cannot bind a parameter");
      }
    }
    return stmt;
  }

  static Row read_row(sqlite3_stmt* stmt) {
    Row row;
    const int columns = sqlite3_column_count(stmt);
    row.cells.reserve(static_cast<size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (sqlite3_column_type(stmt, c) == SQLITE_NULL) {
        row.cells.emplace_back();
        continue;
      }
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, c));
      row.cells.emplace_back(std::string(text, static_cast<size_t>(sqlite3_column_bytes(stmt, c))));
    }
    return row;
  }

  DbPtr db_;
  std::string path_;
  std::unordered_map<std::string, StmtPtr> statements_;
};

}  // namespace

const std::error_category& sqlite_category() noexcept {
  static const SqliteCategory category;
  return category;
}

Result<std::unique_ptr<Database>> open_sqlite(const std::string& path) {
  sqlite3* raw = nullptr;
  const int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  DbPtr db(raw);
  if (rc != SQLITE_OK) return sqlite_failure(raw, rc, "cannot open fleet database " + path);
  auto database = std::make_unique<SqliteDatabase>(std::move(db), path);
  if (Status configured = database->configure(); !configured.ok()) {
    return Error(configured.error().code,
                 "fleet database " + path + ": " + configured.error().message);
  }
  return std::unique_ptr<Database>(std::move(database));
}

}  // namespace trib::parent::fleet
