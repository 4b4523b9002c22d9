#pragma once
// The SQLite backend: one connection to a file in WAL mode with synchronous=FULL, so a commit
// is on disk (an fsync) before it returns; prepared statements are cached per SQL text.

#include <memory>
#include <string>

#include "parent/fleet/database.h"

namespace trib::parent::fleet {

// Opens (creating) the database file. Errors name the file.
Result<std::unique_ptr<Database>> open_sqlite(const std::string& path);

// SQLite's result codes, with sqlite3_errstr() messages.
const std::error_category& sqlite_category() noexcept;

}  // namespace trib::parent::fleet
