#pragma once
// The fleet registry: agents (from heartbeats), reporting rules and Telegraf configs, in one
// Database (SQLite or PostgreSQL, same schema; see parent/fleet/README.md). Every SQL statement
// of the fleet lives here.
//
// Threading: used by one thread at a time (the fleet thread in the parent, the test thread in
// tests). Owns its Database.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/base/result.h"
#include "parent/fleet/database.h"
#include "parent/fleet/heartbeat.h"

namespace trib::parent::fleet {

// The schema version this build writes; older databases are migrated on open.
inline constexpr int64_t kSchemaVersion = 1;

struct AgentRecord {
  std::string id;
  std::optional<std::string> hostname;
  std::string address;  // the peer address of the last heartbeat
  std::string version;
  std::optional<std::string> reported_status;  // as sent ("OK")
  std::string status;                          // ok | warn | fail | undefined | not_reporting
  int64_t schema = 1;
  std::optional<std::string> statistics;      // JSON text
  std::optional<std::string> configurations;  // JSON text
  std::optional<std::string> logs;            // JSON text
  std::optional<int64_t> last;
  int64_t first_seen = 0;  // unix seconds
  int64_t last_seen = 0;
  std::optional<std::string> rule_id;
};

struct AgentQuery {
  std::vector<std::string> statuses;  // empty: all
  std::string hostname;               // '*' wildcards, case-insensitive; empty: all
  std::string sort_by = "id";         // id | hostname | status | lastSeen | createdAt | version
  bool descending = false;
  int64_t page = 1;  // from 1
  int64_t page_size = 50;
};

struct AgentPage {
  std::vector<AgentRecord> agents;
  int64_t total = 0;  // matching the filter, all pages
};

struct StatusSummary {
  int64_t total = 0, ok = 0, warn = 0, fail = 0, undefined = 0, not_reporting = 0;
};

struct ReportingRule {
  std::string id;
  std::string description;
  int64_t heartbeat_interval_s = 60;
  int64_t threshold_multiplier = 3;
  bool auto_delete_enabled = false;
  int64_t auto_delete_threshold_s = 7 * 24 * 3600;
  bool is_default = false;
  int64_t agent_count = 0;  // read only

  // How long an agent may stay silent before it is not_reporting.
  int64_t not_reporting_threshold_s() const { return heartbeat_interval_s * threshold_multiplier; }
};

struct TelegrafConfig {
  std::string id;  // a UUID
  std::string name;
  std::string description;
  std::string toml;
  int64_t created_at = 0;
  int64_t updated_at = 0;  // Last-Modified: moves at least 1 s on every change
};

struct ScheduleReport {
  bool leader = false;  // false: another parent runs the scheduler; nothing was done
  int64_t marked_not_reporting = 0;
  int64_t deleted = 0;
};

class FleetRegistry {
 public:
  // Migrates the schema to kSchemaVersion and creates the default rule (60 s x 3) when none is
  // marked default.
  static Result<std::unique_ptr<FleetRegistry>> open(std::unique_ptr<Database> db, int64_t now_s);

  Database& database() { return *db_; }

  // --- agents
  // Upserts every heartbeat in one transaction (the group commit): all stored, or none.
  Status record_heartbeats(const std::vector<Heartbeat>& heartbeats, int64_t now_s);
  Result<AgentPage> list_agents(const AgentQuery& query);
  Result<std::optional<AgentRecord>> find_agent(const std::string& id);
  Result<StatusSummary> summary();
  Result<bool> delete_agent(const std::string& id);
  // Gives `rule_id` to the agents named in `ids` and to those whose hostname matches
  // `hostname_pattern` ('*' wildcards; empty: none). Errc::not_found for an unknown rule.
  Result<int64_t> assign_rule(const std::string& rule_id, const std::vector<std::string>& ids,
                              const std::string& hostname_pattern);

  // --- reporting rules
  Result<std::vector<ReportingRule>> list_rules();
  Result<std::optional<ReportingRule>> find_rule(const std::string& id);
  // Inserts with a new id (rule.id is ignored); the new rule becomes the default if marked so.
  Result<ReportingRule> create_rule(ReportingRule rule);
  // Replaces the stored rule of the same id. Errc::not_found.
  Status update_rule(const ReportingRule& rule);
  Status make_default_rule(const std::string& id);
  // Errc::refused for the default rule; its agents move to the default rule.
  Status delete_rule(const std::string& id);

  // --- Telegraf configs
  Result<std::vector<TelegrafConfig>> list_configs();
  Result<std::optional<TelegrafConfig>> find_config(const std::string& id);
  Result<TelegrafConfig> create_config(TelegrafConfig config, int64_t now_s);
  // Stores name/description/toml of `config.id`; when anything differs, updated_at moves to
  // max(now, previous + 1). Errc::not_found.
  Result<TelegrafConfig> update_config(const TelegrafConfig& config, int64_t now_s);
  Result<bool> delete_config(const std::string& id);

  // --- scheduler (one transaction)
  // ok/warn/fail/undefined -> not_reporting past the rule's threshold; deletion past the
  // auto-delete threshold. Only when this connection holds the leadership.
  Result<ScheduleReport> run_schedule(int64_t now_s);

 private:
  explicit FleetRegistry(std::unique_ptr<Database> db) : db_(std::move(db)) {}
  Status migrate();
  Status ensure_default_rule(int64_t now_s);
  Result<std::string> default_rule_id();

  std::unique_ptr<Database> db_;
};

}  // namespace trib::parent::fleet
