#include "parent/fleet/database.h"

#include <charconv>
#include <filesystem>

#include "parent/fleet/postgres_database.h"
#include "parent/fleet/sqlite_database.h"

namespace trib::parent::fleet {
namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// Quotes around a value copied from a .env file are not part of it.
std::string unquoted(std::string text) {
  if (text.size() >= 2 && (text.front() == '"' || text.front() == '\'') &&
      text.back() == text.front()) {
    return text.substr(1, text.size() - 2);
  }
  return text;
}

}  // namespace

const std::string& Row::text(size_t column) const {
  static const std::string kEmpty;
  const auto& cell = cells.at(column);
  return cell ? *cell : kEmpty;
}

int64_t Row::integer(size_t column) const {
  const std::string& t = text(column);
  int64_t value = 0;
  std::from_chars(t.data(), t.data() + t.size(), value);
  return value;
}

Result<std::unique_ptr<Database>> open_database(const std::string& location,
                                                const std::string& data_dir) {
  const std::string target = unquoted(location);
  if (starts_with(target, "postgresql://") || starts_with(target, "postgres://")) {
    return open_postgres(target);
  }
  std::string path = starts_with(target, "file:") ? target.substr(5) : target;
  if (path.empty()) path = "fleet.db";
  std::filesystem::path file(path);
  if (file.is_relative()) file = std::filesystem::path(data_dir) / file;
  std::error_code ec;
  std::filesystem::create_directories(file.parent_path(), ec);
  if (ec) {
    return Error(Errc::io_error, "cannot create " + file.parent_path().string() +
                                     " for the fleet database: " + ec.message());
  }
  return open_sqlite(file.string());
}

Status in_transaction(Database& db, const std::function<Status()>& work) {
  TRIB_TRY(db.begin());
  Status done = work();
  if (done.ok()) done = db.commit();
  if (!done.ok()) (void)db.rollback();  // the first error is the one worth reporting
  return done;
}

}  // namespace trib::parent::fleet
