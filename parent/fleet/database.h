#pragma once
// The fleet registry's SQL connection, behind one small interface with two backends: SQLite (a
// file in the data dir, the default) and PostgreSQL (libpq, so several parents share one
// registry). Statements are written once, in the SQL both understand, with `?` placeholders;
// the PostgreSQL backend numbers them ($1, $2...).
//
// Threading: a Database is used by one thread at a time (the fleet thread owns it after start).
// Ownership: open_database() returns the only owner; destroying it closes the connection.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/base/result.h"

namespace trib::parent::fleet {

// Text bound without a copy: the caller keeps it alive until query()/execute() returns
// (heartbeat batches bind thousands of strings per commit).
struct SqlTextView {
  std::string_view text;
};

// A value bound to a statement: NULL, an integer or text.
using SqlValue = std::variant<std::monostate, int64_t, std::string, SqlTextView>;
using SqlParams = std::vector<SqlValue>;

// One result row; every cell as text (NULL: nullopt), as both backends can give it.
struct Row {
  std::vector<std::optional<std::string>> cells;

  bool is_null(size_t column) const { return !cells.at(column).has_value(); }
  // The cell's text; empty for NULL.
  const std::string& text(size_t column) const;
  // The cell as an integer; 0 for NULL or text that is not a number.
  int64_t integer(size_t column) const;
};
using Rows = std::vector<Row>;

// The result of a data-changing statement.
struct Changed {
  int64_t rows = 0;
};

enum class Backend { sqlite, postgresql };

class Database {
 public:
  virtual ~Database() = default;

  virtual Backend backend() const = 0;
  // Where the data lives, for logs: a file path, or the URL with its password masked.
  virtual std::string describe() const = 0;

  // One statement that returns rows.
  virtual Result<Rows> query(std::string_view sql, const SqlParams& params = {}) = 0;
  // One statement that changes data; how many rows it changed.
  virtual Result<Changed> execute(std::string_view sql, const SqlParams& params = {}) = 0;
  // Several statements without parameters (migrations).
  virtual Status execute_script(std::string_view sql) = 0;

  // A write transaction. SQLite takes the write lock at once (BEGIN IMMEDIATE), so two writers
  // never deadlock halfway.
  virtual Status begin() = 0;
  virtual Status commit() = 0;
  virtual Status rollback() = 0;

  // Inside a transaction: waits until no other parent is migrating the same database
  // (PostgreSQL: a transaction-scoped advisory lock; SQLite: the write lock already does it).
  virtual Status lock_for_migration() = 0;
  // Whether this connection holds the scheduler's leadership, taking it when it is free
  // (PostgreSQL: a session advisory lock, released when the connection ends; SQLite: one file
  // belongs to one parent, always true).
  virtual Result<bool> hold_leadership() = 0;
};

// `location`: "postgresql://..." or "postgres://..." selects PostgreSQL; anything else is a
// SQLite file path ("file:" prefix allowed), relative paths resolved in `data_dir`; empty means
// <data_dir>/fleet.db.
Result<std::unique_ptr<Database>> open_database(const std::string& location,
                                                const std::string& data_dir);

// Runs `work` inside begin/commit; rolls back when it (or the commit) fails.
Status in_transaction(Database& db, const std::function<Status()>& work);

}  // namespace trib::parent::fleet
