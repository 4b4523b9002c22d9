#pragma once
// The PostgreSQL backend, over libpq: one connection, text parameters, `?` placeholders turned
// into $1, $2... Several parents may share the database; migrations and the scheduler are
// serialized with advisory locks.

#include <memory>
#include <string>

#include "parent/fleet/database.h"

namespace trib::parent::fleet {

// `url`: a libpq connection URI, "postgresql://user:pass@host:port/db?sslmode=...".
Result<std::unique_ptr<Database>> open_postgres(const std::string& url);

// "SELECT ... WHERE a = ? AND b = ?" -> "SELECT ... WHERE a = $1 AND b = $2". The statements
// are our own, so a '?' inside a quoted literal is not expected; quotes are skipped anyway.
std::string number_placeholders(std::string_view sql);

}  // namespace trib::parent::fleet
