#include "parent/fleet/postgres_database.h"

#include <libpq-fe.h>

#include <charconv>

#include "common/log/log.h"

namespace trib::parent::fleet {
namespace {

// Advisory lock keys, arbitrary but fixed: every parent must use the same ones.
constexpr int64_t kMigrationLock = 0x54726962'466c7431;  // "TribFlt1"
constexpr int64_t kSchedulerLock = 0x54726962'536368;    // "TribSch"

struct FinishConn {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ClearResult {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ConnPtr = std::unique_ptr<PGconn, FinishConn>;
using ResultPtr = std::unique_ptr<PGresult, ClearResult>;

std::string trimmed(const char* message) {
  std::string text = message != nullptr ? message : "";
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  return text;
}

class PostgresDatabase final : public Database {
 public:
  PostgresDatabase(ConnPtr conn, std::string url) : conn_(std::move(conn)), url_(std::move(url)) {}

  Backend backend() const override { return Backend::postgresql; }
  std::string describe() const override { return "PostgreSQL " + log::mask_url(url_); }

  Result<Rows> query(std::string_view sql, const SqlParams& params) override {
    TRIB_ASSIGN_OR_RETURN(ResultPtr result, run(sql, params));
    Rows rows;
    const int count = PQntuples(result.get());
    const int columns = PQnfields(result.get());
    rows.reserve(static_cast<size_t>(count));
    for (int r = 0; r < count; ++r) {
      Row row;
      row.cells.reserve(static_cast<size_t>(columns));
      for (int c = 0; c < columns; ++c) {
        if (PQgetisnull(result.get(), r, c) != 0) {
          row.cells.emplace_back();
        } else {
          row.cells.emplace_back(std::string(PQgetvalue(result.get(), r, c),
                                             static_cast<size_t>(PQgetlength(result.get(), r, c))));
        }
      }
      rows.push_back(std::move(row));
    }
    return rows;
  }

  Result<Changed> execute(std::string_view sql, const SqlParams& params) override {
    TRIB_ASSIGN_OR_RETURN(ResultPtr result, run(sql, params));
    const std::string_view tuples = PQcmdTuples(result.get());
    Changed changed;
    std::from_chars(tuples.data(), tuples.data() + tuples.size(), changed.rows);
    return changed;
  }

  Status execute_script(std::string_view sql) override {
    ResultPtr result(PQexec(conn_.get(), std::string(sql).c_str()));
    TRIB_TRY(check(result.get(), "script failed"));
    return ok_status();
  }

  Status begin() override { return simple("BEGIN"); }
  Status commit() override { return simple("COMMIT"); }
  Status rollback() override { return simple("ROLLBACK"); }

  Status lock_for_migration() override {
    TRIB_TRY(query("SELECT pg_advisory_xact_lock(?)", {kMigrationLock}));
    return ok_status();
  }

  Result<bool> hold_leadership() override {
    if (leader_) return true;
    TRIB_ASSIGN_OR_RETURN(Rows rows, query("SELECT pg_try_advisory_lock(?)", {kSchedulerLock}));
    leader_ = !rows.empty() && rows[0].text(0) == "t";
    return leader_;
  }

 private:
  Status simple(std::string_view sql) {
    TRIB_TRY(execute(sql, {}));
    return ok_status();
  }

  Status check(PGresult* result, std::string_view what) {
    const ExecStatusType status = PQresultStatus(result);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return ok_status();
    std::string message =
        std::string(what) + ": " +
        trimmed(result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(conn_.get()));
    if (PQstatus(conn_.get()) == CONNECTION_BAD) {
      // The server went away: reconnect for the next statement. Session locks died with the
      // old connection, so leadership must be won again.
      leader_ = false;
      PQreset(conn_.get());
      message += " (connection lost; reconnecting)";
    }
    return Error(Errc::io_error, "PostgreSQL " + message);
  }

  Result<ResultPtr> run(std::string_view sql, const SqlParams& params) {
    std::vector<std::string> texts(params.size());
    std::vector<const char*> values(params.size(), nullptr);
    for (size_t i = 0; i < params.size(); ++i) {
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        texts[i] = std::to_string(*n);
        values[i] = texts[i].c_str();
      } else if (const auto* s = std::get_if<std::string>(&params[i])) {
        values[i] = s->c_str();
      } else if (const auto* view = std::get_if<SqlTextView>(&params[i])) {
        texts[i] = view->text;  // libpq takes text parameters NUL-terminated
        values[i] = texts[i].c_str();
      }
    }
    const std::string numbered = number_placeholders(sql);
    ResultPtr result(PQexecParams(conn_.get(), numbered.c_str(), static_cast<int>(params.size()),
                                  nullptr, values.data(), nullptr, nullptr, 0));
    TRIB_TRY(check(result.get(), "statement failed"));
    return result;
  }

  ConnPtr conn_;
  std::string url_;
  bool leader_ = false;
};

}  // namespace

std::string number_placeholders(std::string_view sql) {
  std::string out;
  out.reserve(sql.size() + 16);
  int next = 1;
  bool quoted = false;
  for (const char c : sql) {
    if (c == '\'') quoted = !quoted;
    if (c == '?' && !quoted) {
      out += '$';
      out += std::to_string(next++);
    } else {
      out += c;
    }
  }
  return out;
}

Result<std::unique_ptr<Database>> open_postgres(const std::string& url) {
  ConnPtr conn(PQconnectdb(url.c_str()));
  if (conn == nullptr || PQstatus(conn.get()) != CONNECTION_OK) {
    return Error(Errc::io_error, "cannot connect to fleet database PostgreSQL " +
                                     log::mask_url(url) + ": " +
                                     trimmed(conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  // Warnings (NOTICE: relation already exists, ...) are not errors; keep them out of stderr.
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  return std::unique_ptr<Database>(std::make_unique<PostgresDatabase>(std::move(conn), url));
}

}  // namespace trib::parent::fleet
