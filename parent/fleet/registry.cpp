#include "parent/fleet/registry.h"

#include <fmt/format.h>

#include <string_view>
#include <unordered_map>

#include "common/config/machine_guid.h"

namespace trib::parent::fleet {
namespace {

struct Migration {
  int64_t version;
  const char* sql;
};

// Append only: a released migration is never edited, a change is a new version. Types are
// the ones both SQLite and PostgreSQL take (booleans as INTEGER 0/1, times as unix seconds).
constexpr Migration kMigrations[] = {
    {1, R"sql(
CREATE TABLE reporting_rules (
  id TEXT PRIMARY KEY,
  description TEXT NOT NULL DEFAULT '',
  heartbeat_interval_s BIGINT NOT NULL,
  threshold_multiplier BIGINT NOT NULL,
  auto_delete_enabled INTEGER NOT NULL DEFAULT 0,
  auto_delete_threshold_s BIGINT NOT NULL,
  is_default INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE agents (
  id TEXT PRIMARY KEY,
  hostname TEXT,
  address TEXT NOT NULL DEFAULT '',
  version TEXT NOT NULL,
  reported_status TEXT,
  status TEXT NOT NULL,
  schema_version BIGINT NOT NULL DEFAULT 1,
  statistics TEXT,
  configurations TEXT,
  logs TEXT,
  last_sent BIGINT,
  first_seen BIGINT NOT NULL,
  last_seen BIGINT NOT NULL,
  rule_id TEXT
);
CREATE INDEX agents_by_status ON agents (status);
CREATE INDEX agents_by_rule_last_seen ON agents (rule_id, last_seen);
CREATE TABLE telegraf_configs (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  toml TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
)sql"},
};

constexpr const char* kAgentColumns =
    "id, hostname, address, version, reported_status, status, schema_version, statistics, "
    "configurations, logs, last_sent, first_seen, last_seen, rule_id";

constexpr const char* kRuleColumns =
    "r.id, r.description, r.heartbeat_interval_s, r.threshold_multiplier, "
    "r.auto_delete_enabled, r.auto_delete_threshold_s, r.is_default, "
    "(SELECT COUNT(*) FROM agents a WHERE a.rule_id = r.id)";

constexpr const char* kConfigColumns = "id, name, description, toml, created_at, updated_at";

// Views into the heartbeats of the batch, which outlive the statement.
SqlValue text_view(const std::string& text) { return SqlTextView{text}; }
SqlValue optional_text_view(const std::optional<std::string>& text) {
  return text ? SqlValue(SqlTextView{*text}) : SqlValue();
}
SqlValue optional_integer(const std::optional<int64_t>& n) { return n ? SqlValue(*n) : SqlValue(); }

std::optional<std::string> cell(const Row& row, size_t column) { return row.cells.at(column); }

// Heartbeats are upserted many rows per statement, in statements of these sizes (a batch of
// 200 is 3 x 64 + 2 x 4): a few statements per batch instead of one per heartbeat (for
// PostgreSQL, a few round trips), and at most this many statement texts in each backend's cache.
constexpr size_t kUpsertSizes[] = {256, 64, 16, 4, 1};
constexpr size_t kUpsertColumns = 13;  // bound per row; rule_id comes from the default rule

std::string upsert_agents_sql(size_t rows) {
  std::string sql =
      "INSERT INTO agents (id, hostname, address, version, reported_status, status, "
      "schema_version, statistics, configurations, logs, last_sent, first_seen, last_seen, "
      "rule_id) VALUES ";
  for (size_t i = 0; i < rows; ++i) {
    sql += i == 0 ? "" : ", ";
    sql +=
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
        "(SELECT id FROM reporting_rules WHERE is_default = 1 LIMIT 1))";
  }
  sql +=
      " ON CONFLICT (id) DO UPDATE SET hostname = COALESCE(excluded.hostname, agents.hostname), "
      "address = excluded.address, version = excluded.version, "
      "reported_status = excluded.reported_status, status = excluded.status, "
      "schema_version = excluded.schema_version, statistics = excluded.statistics, "
      "configurations = excluded.configurations, logs = excluded.logs, "
      "last_sent = excluded.last_sent, last_seen = excluded.last_seen";
  return sql;
}

const std::string& upsert_agents_statement(size_t rows) {
  static const std::vector<std::string> statements = [] {
    std::vector<std::string> all;
    for (const size_t size : kUpsertSizes) all.push_back(upsert_agents_sql(size));
    return all;
  }();
  for (size_t i = 0; i < std::size(kUpsertSizes); ++i) {
    if (kUpsertSizes[i] == rows) return statements[i];
  }
  return statements.back();
}

// A heartbeat as it is written: the last of an agent's heartbeats in a batch, with the hostname
// of an earlier one when the last has none (what writing them one by one would leave).
struct AgentUpsert {
  const Heartbeat* heartbeat;
  const std::optional<std::string>* hostname;
};

// One per agent: a statement may not upsert the same row twice (PostgreSQL refuses it).
std::vector<AgentUpsert> latest_per_agent(const std::vector<Heartbeat>& heartbeats) {
  std::vector<AgentUpsert> upserts;
  upserts.reserve(heartbeats.size());
  std::unordered_map<std::string_view, size_t> index;
  index.reserve(heartbeats.size());
  for (const Heartbeat& h : heartbeats) {
    const auto [it, added] = index.try_emplace(h.id, upserts.size());
    if (added) {
      upserts.push_back({&h, &h.hostname});
      continue;
    }
    AgentUpsert& earlier = upserts[it->second];
    earlier = {&h, h.hostname ? &h.hostname : earlier.hostname};
  }
  return upserts;
}

void append_upsert_params(const AgentUpsert& upsert, int64_t now_s, SqlParams& params) {
  const Heartbeat& h = *upsert.heartbeat;
  params.push_back(text_view(h.id));
  params.push_back(optional_text_view(*upsert.hostname));
  params.push_back(text_view(h.peer_address));
  params.push_back(text_view(h.version));
  params.push_back(optional_text_view(h.reported_status));
  params.emplace_back(agent_status(h.reported_status));
  params.emplace_back(h.schema);
  params.push_back(optional_text_view(h.statistics));
  params.push_back(optional_text_view(h.configurations));
  params.push_back(optional_text_view(h.logs));
  params.push_back(optional_integer(h.last));
  params.emplace_back(now_s);
  params.emplace_back(now_s);
}

AgentRecord agent_from(const Row& row) {
  AgentRecord agent;
  agent.id = row.text(0);
  agent.hostname = cell(row, 1);
  agent.address = row.text(2);
  agent.version = row.text(3);
  agent.reported_status = cell(row, 4);
  agent.status = row.text(5);
  agent.schema = row.integer(6);
  agent.statistics = cell(row, 7);
  agent.configurations = cell(row, 8);
  agent.logs = cell(row, 9);
  if (!row.is_null(10)) agent.last = row.integer(10);
  agent.first_seen = row.integer(11);
  agent.last_seen = row.integer(12);
  agent.rule_id = cell(row, 13);
  return agent;
}

ReportingRule rule_from(const Row& row) {
  ReportingRule rule;
  rule.id = row.text(0);
  rule.description = row.text(1);
  rule.heartbeat_interval_s = row.integer(2);
  rule.threshold_multiplier = row.integer(3);
  rule.auto_delete_enabled = row.integer(4) != 0;
  rule.auto_delete_threshold_s = row.integer(5);
  rule.is_default = row.integer(6) != 0;
  rule.agent_count = row.integer(7);
  return rule;
}

TelegrafConfig config_from(const Row& row) {
  return TelegrafConfig{row.text(0), row.text(1),    row.text(2),
                        row.text(3), row.integer(4), row.integer(5)};
}

// A '*' pattern as a LIKE pattern with '\' escaping LIKE's own wildcards.
std::string like_pattern(const std::string& pattern) {
  std::string like;
  for (const char c : pattern) {
    if (c == '%' || c == '_' || c == '\\') like += '\\';
    like += c == '*' ? '%' : c;
  }
  return like;
}

std::string sort_column(const std::string& sort_by) {
  if (sort_by == "hostname") return "hostname";
  if (sort_by == "status") return "status";
  if (sort_by == "lastSeen") return "last_seen";
  if (sort_by == "createdAt") return "first_seen";
  if (sort_by == "version") return "version";
  return "id";
}

}  // namespace

Result<std::unique_ptr<FleetRegistry>> FleetRegistry::open(std::unique_ptr<Database> db,
                                                           int64_t now_s) {
  std::unique_ptr<FleetRegistry> registry(new FleetRegistry(std::move(db)));
  TRIB_TRY(registry->migrate());
  TRIB_TRY(registry->ensure_default_rule(now_s));
  return registry;
}

Status FleetRegistry::migrate() {
  return in_transaction(*db_, [&]() -> Status {
    TRIB_TRY(db_->lock_for_migration());
    TRIB_TRY(
        db_->execute_script("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"));
    TRIB_ASSIGN_OR_RETURN(Rows rows, db_->query("SELECT MAX(version) FROM schema_version"));
    const int64_t current = rows.empty() ? 0 : rows[0].integer(0);
    if (current > kSchemaVersion) {
      return Error(Errc::unsupported,
                   fmt::format("{}: schema version {} is newer than this parent's {}; upgrade "
                               "the parent",
                               db_->describe(), current, kSchemaVersion));
    }
    for (const Migration& migration : kMigrations) {
      if (migration.version <= current) continue;
      if (Status applied = db_->execute_script(migration.sql); !applied.ok()) {
        return Error(applied.error().code,
                     fmt::format("{}: migration to schema version {} failed: {}", db_->describe(),
                                 migration.version, applied.error().message));
      }
      TRIB_TRY(
          db_->execute("INSERT INTO schema_version (version) VALUES (?)", {migration.version}));
    }
    return ok_status();
  });
}

Status FleetRegistry::ensure_default_rule(int64_t) {
  return in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(Rows rows,
                          db_->query("SELECT id FROM reporting_rules WHERE is_default = 1"));
    if (!rows.empty()) return ok_status();
    const ReportingRule rule;
    TRIB_TRY(db_->execute(
        "INSERT INTO reporting_rules (id, description, heartbeat_interval_s, "
        "threshold_multiplier, auto_delete_enabled, auto_delete_threshold_s, is_default) "
        "VALUES ('default', 'Default rule', ?, ?, 0, ?, 1) ON CONFLICT (id) DO NOTHING",
        {rule.heartbeat_interval_s, rule.threshold_multiplier, rule.auto_delete_threshold_s}));
    return ok_status();
  });
}

Result<std::string> FleetRegistry::default_rule_id() {
  TRIB_ASSIGN_OR_RETURN(Rows rows,
                        db_->query("SELECT id FROM reporting_rules WHERE is_default = 1 LIMIT 1"));
  if (rows.empty()) return Error(Errc::not_found, "no default reporting rule");
  return rows[0].text(0);
}

Status FleetRegistry::record_heartbeats(const std::vector<Heartbeat>& heartbeats, int64_t now_s) {
  const std::vector<AgentUpsert> upserts = latest_per_agent(heartbeats);
  return in_transaction(*db_, [&]() -> Status {
    SqlParams params;
    size_t done = 0;
    for (const size_t size : kUpsertSizes) {
      while (upserts.size() - done >= size) {
        params.clear();
        params.reserve(size * kUpsertColumns);
        for (size_t i = done; i < done + size; ++i) append_upsert_params(upserts[i], now_s, params);
        TRIB_TRY(db_->execute(upsert_agents_statement(size), params));
        done += size;
      }
    }
    return ok_status();
  });
}

Result<AgentPage> FleetRegistry::list_agents(const AgentQuery& query) {
  std::string where = " WHERE 1 = 1";
  SqlParams params;
  if (!query.statuses.empty()) {
    where += " AND status IN (";
    for (size_t i = 0; i < query.statuses.size(); ++i) {
      where += i == 0 ? "?" : ", ?";
      params.emplace_back(query.statuses[i]);
    }
    where += ")";
  }
  if (!query.hostname.empty()) {
    where += " AND LOWER(hostname) LIKE LOWER(?) ESCAPE '\\'";
    params.emplace_back(like_pattern(query.hostname));
  }
  AgentPage page;
  TRIB_ASSIGN_OR_RETURN(Rows counted, db_->query("SELECT COUNT(*) FROM agents" + where, params));
  page.total = counted.empty() ? 0 : counted[0].integer(0);
  const std::string order = sort_column(query.sort_by) + (query.descending ? " DESC" : " ASC");
  params.emplace_back(query.page_size);
  params.emplace_back((query.page - 1) * query.page_size);
  TRIB_ASSIGN_OR_RETURN(Rows rows,
                        db_->query(fmt::format("SELECT {} FROM agents{} ORDER BY {}, id LIMIT ? "
                                               "OFFSET ?",
                                               kAgentColumns, where, order),
                                   params));
  for (const Row& row : rows) page.agents.push_back(agent_from(row));
  return page;
}

Result<std::optional<AgentRecord>> FleetRegistry::find_agent(const std::string& id) {
  TRIB_ASSIGN_OR_RETURN(
      Rows rows,
      db_->query(fmt::format("SELECT {} FROM agents WHERE id = ?", kAgentColumns), {id}));
  if (rows.empty()) return std::optional<AgentRecord>();
  return std::optional<AgentRecord>(agent_from(rows[0]));
}

Result<StatusSummary> FleetRegistry::summary() {
  TRIB_ASSIGN_OR_RETURN(Rows rows,
                        db_->query("SELECT status, COUNT(*) FROM agents GROUP BY status"));
  StatusSummary summary;
  for (const Row& row : rows) {
    const int64_t n = row.integer(1);
    summary.total += n;
    const std::string& status = row.text(0);
    if (status == "ok") summary.ok += n;
    if (status == "warn") summary.warn += n;
    if (status == "fail") summary.fail += n;
    if (status == "undefined") summary.undefined += n;
    if (status == "not_reporting") summary.not_reporting += n;
  }
  return summary;
}

Result<bool> FleetRegistry::delete_agent(const std::string& id) {
  TRIB_ASSIGN_OR_RETURN(Changed changed, db_->execute("DELETE FROM agents WHERE id = ?", {id}));
  return changed.rows > 0;
}

Result<int64_t> FleetRegistry::assign_rule(const std::string& rule_id,
                                           const std::vector<std::string>& ids,
                                           const std::string& hostname_pattern) {
  int64_t updated = 0;
  const Status done = in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(Rows rule,
                          db_->query("SELECT id FROM reporting_rules WHERE id = ?", {rule_id}));
    if (rule.empty()) return Error(Errc::not_found, "no reporting rule '" + rule_id + "'");
    for (const std::string& id : ids) {
      TRIB_ASSIGN_OR_RETURN(
          Changed changed,
          db_->execute("UPDATE agents SET rule_id = ? WHERE id = ?", {rule_id, id}));
      updated += changed.rows;
    }
    if (!hostname_pattern.empty()) {
      TRIB_ASSIGN_OR_RETURN(
          Changed changed,
          db_->execute("UPDATE agents SET rule_id = ? WHERE LOWER(hostname) LIKE LOWER(?) "
                       "ESCAPE '\\' AND (rule_id IS NULL OR rule_id <> ?)",
                       {rule_id, like_pattern(hostname_pattern), rule_id}));
      updated += changed.rows;
    }
    return ok_status();
  });
  if (!done.ok()) return done.error();
  return updated;
}

Result<std::vector<ReportingRule>> FleetRegistry::list_rules() {
  TRIB_ASSIGN_OR_RETURN(
      Rows rows,
      db_->query(fmt::format("SELECT {} FROM reporting_rules r ORDER BY r.is_default DESC, r.id",
                             kRuleColumns)));
  std::vector<ReportingRule> rules;
  for (const Row& row : rows) rules.push_back(rule_from(row));
  return rules;
}

Result<std::optional<ReportingRule>> FleetRegistry::find_rule(const std::string& id) {
  TRIB_ASSIGN_OR_RETURN(
      Rows rows,
      db_->query(fmt::format("SELECT {} FROM reporting_rules r WHERE r.id = ?", kRuleColumns),
                 {id}));
  if (rows.empty()) return std::optional<ReportingRule>();
  return std::optional<ReportingRule>(rule_from(rows[0]));
}

Result<ReportingRule> FleetRegistry::create_rule(ReportingRule rule) {
  TRIB_ASSIGN_OR_RETURN(rule.id, config::generate_guid());
  const Status done = in_transaction(*db_, [&]() -> Status {
    if (rule.is_default) TRIB_TRY(db_->execute("UPDATE reporting_rules SET is_default = 0"));
    TRIB_TRY(db_->execute(
        "INSERT INTO reporting_rules (id, description, heartbeat_interval_s, "
        "threshold_multiplier, auto_delete_enabled, auto_delete_threshold_s, is_default) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        {rule.id, rule.description, rule.heartbeat_interval_s, rule.threshold_multiplier,
         int64_t{rule.auto_delete_enabled}, rule.auto_delete_threshold_s,
         int64_t{rule.is_default}}));
    return ok_status();
  });
  if (!done.ok()) return done.error();
  rule.agent_count = 0;
  return rule;
}

Status FleetRegistry::update_rule(const ReportingRule& rule) {
  return in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(
        Changed changed,
        db_->execute("UPDATE reporting_rules SET description = ?, heartbeat_interval_s = ?, "
                     "threshold_multiplier = ?, auto_delete_enabled = ?, "
                     "auto_delete_threshold_s = ? WHERE id = ?",
                     {rule.description, rule.heartbeat_interval_s, rule.threshold_multiplier,
                      int64_t{rule.auto_delete_enabled}, rule.auto_delete_threshold_s, rule.id}));
    if (changed.rows == 0) return Error(Errc::not_found, "no reporting rule '" + rule.id + "'");
    return ok_status();
  });
}

Status FleetRegistry::make_default_rule(const std::string& id) {
  return in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(Rows rule,
                          db_->query("SELECT id FROM reporting_rules WHERE id = ?", {id}));
    if (rule.empty()) return Error(Errc::not_found, "no reporting rule '" + id + "'");
    TRIB_TRY(
        db_->execute("UPDATE reporting_rules SET is_default = CASE WHEN id = ? THEN 1 "
                     "ELSE 0 END",
                     {id}));
    return ok_status();
  });
}

Status FleetRegistry::delete_rule(const std::string& id) {
  return in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(Rows rule,
                          db_->query("SELECT is_default FROM reporting_rules WHERE id = ?", {id}));
    if (rule.empty()) return Error(Errc::not_found, "no reporting rule '" + id + "'");
    if (rule[0].integer(0) != 0) {
      return Error(Errc::refused,
                   "the default reporting rule cannot be deleted; make another rule the default "
                   "first");
    }
    TRIB_ASSIGN_OR_RETURN(const std::string fallback, default_rule_id());
    TRIB_TRY(db_->execute("UPDATE agents SET rule_id = ? WHERE rule_id = ?", {fallback, id}));
    TRIB_TRY(db_->execute("DELETE FROM reporting_rules WHERE id = ?", {id}));
    return ok_status();
  });
}

Result<std::vector<TelegrafConfig>> FleetRegistry::list_configs() {
  TRIB_ASSIGN_OR_RETURN(
      Rows rows,
      db_->query(fmt::format("SELECT {} FROM telegraf_configs ORDER BY name, id", kConfigColumns)));
  std::vector<TelegrafConfig> configs;
  for (const Row& row : rows) configs.push_back(config_from(row));
  return configs;
}

Result<std::optional<TelegrafConfig>> FleetRegistry::find_config(const std::string& id) {
  TRIB_ASSIGN_OR_RETURN(
      Rows rows,
      db_->query(fmt::format("SELECT {} FROM telegraf_configs WHERE id = ?", kConfigColumns),
                 {id}));
  if (rows.empty()) return std::optional<TelegrafConfig>();
  return std::optional<TelegrafConfig>(config_from(rows[0]));
}

Result<TelegrafConfig> FleetRegistry::create_config(TelegrafConfig config, int64_t now_s) {
  TRIB_ASSIGN_OR_RETURN(config.id, config::generate_guid());
  config.created_at = now_s;
  config.updated_at = now_s;
  TRIB_TRY(db_->execute(
      "INSERT INTO telegraf_configs (id, name, description, toml, created_at, updated_at) "
      "VALUES (?, ?, ?, ?, ?, ?)",
      {config.id, config.name, config.description, config.toml, now_s, now_s}));
  return config;
}

Result<TelegrafConfig> FleetRegistry::update_config(const TelegrafConfig& config, int64_t now_s) {
  TelegrafConfig stored;
  const Status done = in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(
        Rows rows,
        db_->query(fmt::format("SELECT {} FROM telegraf_configs WHERE id = ?", kConfigColumns),
                   {config.id}));
    if (rows.empty()) return Error(Errc::not_found, "no config '" + config.id + "'");
    stored = config_from(rows[0]);
    if (stored.name == config.name && stored.description == config.description &&
        stored.toml == config.toml) {
      return ok_status();
    }
    // HTTP dates have one-second resolution, and Telegraf reloads only when the string
    // differs: two edits within a second must still give two dates.
    const int64_t updated_at = std::max(now_s, stored.updated_at + 1);
    TRIB_TRY(
        db_->execute("UPDATE telegraf_configs SET name = ?, description = ?, toml = ?, "
                     "updated_at = ? WHERE id = ?",
                     {config.name, config.description, config.toml, updated_at, config.id}));
    stored.name = config.name;
    stored.description = config.description;
    stored.toml = config.toml;
    stored.updated_at = updated_at;
    return ok_status();
  });
  if (!done.ok()) return done.error();
  return stored;
}

Result<bool> FleetRegistry::delete_config(const std::string& id) {
  TRIB_ASSIGN_OR_RETURN(Changed changed,
                        db_->execute("DELETE FROM telegraf_configs WHERE id = ?", {id}));
  return changed.rows > 0;
}

Result<ScheduleReport> FleetRegistry::run_schedule(int64_t now_s) {
  ScheduleReport report;
  TRIB_ASSIGN_OR_RETURN(report.leader, db_->hold_leadership());
  if (!report.leader) return report;
  const Status done = in_transaction(*db_, [&]() -> Status {
    TRIB_ASSIGN_OR_RETURN(const std::vector<ReportingRule> rules, list_rules());
    TRIB_ASSIGN_OR_RETURN(const std::string fallback, default_rule_id());
    // Agents without a rule (or with one deleted behind our back) follow the default.
    TRIB_TRY(
        db_->execute("UPDATE agents SET rule_id = ? WHERE rule_id IS NULL OR rule_id NOT IN "
                     "(SELECT id FROM reporting_rules)",
                     {fallback}));
    for (const ReportingRule& rule : rules) {
      if (rule.auto_delete_enabled) {
        TRIB_ASSIGN_OR_RETURN(Changed deleted,
                              db_->execute("DELETE FROM agents WHERE rule_id = ? AND last_seen < ?",
                                           {rule.id, now_s - rule.auto_delete_threshold_s}));
        report.deleted += deleted.rows;
      }
      TRIB_ASSIGN_OR_RETURN(
          Changed marked,
          db_->execute("UPDATE agents SET status = 'not_reporting' WHERE rule_id = ? AND "
                       "status <> 'not_reporting' AND last_seen < ?",
                       {rule.id, now_s - rule.not_reporting_threshold_s()}));
      report.marked_not_reporting += marked.rows;
    }
    return ok_status();
  });
  if (!done.ok()) return done.error();
  return report;
}

}  // namespace trib::parent::fleet
