#include "parent/fleet/registry.h"

#include <gtest/gtest.h>

#include "common/time/clock.h"
#include "parent/fleet/fleet_test_support.h"

namespace trib::parent::fleet {
namespace {

Heartbeat beat(const std::string& id, const std::string& hostname,
               std::optional<std::string> status = std::nullopt) {
  Heartbeat h;
  h.id = id;
  h.version = "Telegraf 1.38.2";
  h.hostname = hostname;
  h.reported_status = std::move(status);
  h.peer_address = "10.0.0.1";
  return h;
}

class RegistryTest : public BackendTest {
 protected:
  void SetUp() override {
    BackendTest::SetUp();
    if (IsSkipped()) return;
    location_ = fresh_location();
    registry_ = open_registry(location_, clock_.now_s());
    ASSERT_NE(registry_, nullptr);
  }

  void record(const std::vector<Heartbeat>& heartbeats) {
    const Status stored = registry_->record_heartbeats(heartbeats, clock_.now_s());
    ASSERT_TRUE(stored.ok()) << stored.error().describe();
  }
  AgentRecord agent(const std::string& id) {
    auto found = registry_->find_agent(id);
    EXPECT_TRUE(found.ok() && found->has_value()) << id;
    return found.ok() && *found ? **found : AgentRecord{};
  }
  ScheduleReport schedule() {
    auto report = registry_->run_schedule(clock_.now_s());
    EXPECT_TRUE(report.ok()) << report.error().describe();
    return report.ok() ? *report : ScheduleReport{};
  }

  time::ManualClock clock_{1'800'000'000};
  std::string location_;
  std::unique_ptr<FleetRegistry> registry_;
};

TEST_P(RegistryTest, FirstRunMigratesAndCreatesTheDefaultRuleOnce) {
  auto rules = registry_->list_rules();
  ASSERT_TRUE(rules.ok());
  ASSERT_EQ(rules->size(), 1u);
  EXPECT_EQ((*rules)[0].id, "default");
  EXPECT_TRUE((*rules)[0].is_default);
  EXPECT_EQ((*rules)[0].heartbeat_interval_s, 60);
  EXPECT_EQ((*rules)[0].threshold_multiplier, 3);
  EXPECT_EQ((*rules)[0].not_reporting_threshold_s(), 180);

  registry_.reset();
  registry_ = open_registry(location_, clock_.now_s());  // a restart: nothing to migrate
  ASSERT_NE(registry_, nullptr);
  EXPECT_EQ(registry_->list_rules()->size(), 1u);
  auto versions = registry_->database().query("SELECT version FROM schema_version");
  ASSERT_TRUE(versions.ok());
  ASSERT_EQ(versions->size(), 1u);
  EXPECT_EQ((*versions)[0].integer(0), kSchemaVersion);
}

TEST_P(RegistryTest, RefusesADatabaseFromANewerParent) {
  ASSERT_TRUE(registry_->database().execute("INSERT INTO schema_version VALUES (99)").ok());
  registry_.reset();
  auto db = open_database(location_, dir_.path());
  ASSERT_TRUE(db.ok());
  auto reopened = FleetRegistry::open(std::move(db).value(), clock_.now_s());
  ASSERT_FALSE(reopened.ok());
  EXPECT_NE(reopened.error().message.find("schema version 99 is newer"), std::string::npos)
      << reopened.error().message;
}

TEST_P(RegistryTest, TheThreeTelegrafPayloadShapesAreStored) {
  std::vector<Heartbeat> batch;
  for (const char* name : {"minimal.json", "controller.json", "after_failure.json"}) {
    auto parsed = parse_heartbeat(heartbeat_fixture(name));
    ASSERT_TRUE(parsed.ok()) << name << ": " << parsed.error().message;
    parsed->peer_address = "192.0.2.7";
    batch.push_back(std::move(parsed).value());
  }
  record(batch);

  const AgentRecord minimal = agent("web-01");
  EXPECT_EQ(minimal.hostname, "web-01.prod.example.net");
  EXPECT_EQ(minimal.version, "Telegraf 1.37.1 (git: HEAD@8a3f0c2e)");
  EXPECT_EQ(minimal.status, "ok");  // no status member: reporting means ok
  EXPECT_FALSE(minimal.reported_status.has_value());
  EXPECT_EQ(minimal.address, "192.0.2.7");
  EXPECT_EQ(minimal.first_seen, clock_.now_s());
  EXPECT_EQ(minimal.rule_id, "default");

  const AgentRecord controller = agent("edge-gw-17");
  EXPECT_EQ(controller.status, "ok");
  EXPECT_EQ(controller.reported_status, "OK");
  EXPECT_EQ(controller.statistics, R"({"errors":0,"warnings":1,"metrics":1260})");
  ASSERT_TRUE(controller.configurations.has_value());
  EXPECT_NE(controller.configurations->find("local-inputs.conf"), std::string::npos);

  const AgentRecord failed = agent("db-03");
  EXPECT_EQ(failed.status, "fail");
  EXPECT_EQ(failed.last, 1766053800);
  ASSERT_TRUE(failed.logs.has_value());
  EXPECT_NE(failed.logs->find("connection refused"), std::string::npos);

  // The next heartbeat updates in place and keeps first_seen; a missing hostname keeps the old.
  clock_.advance_s(60);
  Heartbeat again = beat("web-01", "");
  again.hostname.reset();
  record({again});
  const AgentRecord updated = agent("web-01");
  EXPECT_EQ(updated.first_seen, clock_.now_s() - 60);
  EXPECT_EQ(updated.last_seen, clock_.now_s());
  EXPECT_EQ(updated.hostname, "web-01.prod.example.net");
  EXPECT_EQ(updated.version, "Telegraf 1.38.2");
  EXPECT_EQ(registry_->summary()->total, 3);
}

TEST_P(RegistryTest, ListFiltersSortsAndPages) {
  record({beat("a", "web-01", "OK"), beat("b", "web-02", "WARN"), beat("c", "db-01", "FAIL"),
          beat("d", "WEB-03", "ok")});
  AgentQuery query;
  query.hostname = "web-*";
  auto page = registry_->list_agents(query);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 3);  // case-insensitive
  query.statuses = {"ok"};
  page = registry_->list_agents(query);
  ASSERT_EQ(page->agents.size(), 2u);
  EXPECT_EQ(page->agents[0].id, "a");
  EXPECT_EQ(page->agents[1].id, "d");

  AgentQuery sorted;
  sorted.sort_by = "status";
  sorted.descending = true;
  sorted.page_size = 3;
  page = registry_->list_agents(sorted);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 4);
  ASSERT_EQ(page->agents.size(), 3u);
  EXPECT_EQ(page->agents[0].id, "b");  // warn, then ok (a, d by id), then fail
  EXPECT_EQ(page->agents[1].id, "a");
  EXPECT_EQ(page->agents[2].id, "d");
  sorted.page = 2;
  page = registry_->list_agents(sorted);
  ASSERT_EQ(page->agents.size(), 1u);
  EXPECT_EQ(page->agents[0].id, "c");

  auto summary = registry_->summary();
  EXPECT_EQ(summary->ok, 2);
  EXPECT_EQ(summary->warn, 1);
  EXPECT_EQ(summary->fail, 1);
  EXPECT_EQ(summary->total, 4);

  EXPECT_TRUE(*registry_->delete_agent("c"));
  EXPECT_FALSE(*registry_->delete_agent("c"));
  EXPECT_EQ(registry_->summary()->total, 3);
}

// A group commit of 347 heartbeats (several statement sizes) with agents repeated in it: each
// agent ends as its last heartbeat says, keeping a hostname only an earlier one carried.
TEST_P(RegistryTest, ABigBatchWithRepeatedAgentsStoresTheLastOfEach) {
  std::vector<Heartbeat> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(beat("agent-" + std::to_string(i), "first"));
  for (int i = 0; i < 47; ++i) {
    Heartbeat again = beat("agent-" + std::to_string(i * 5), "second", "WARN");
    if (i % 2 == 1) again.hostname.reset();  // Telegraf without `hostname` in its include
    batch.push_back(std::move(again));
  }
  record(batch);
  EXPECT_EQ(registry_->summary()->total, 300);
  EXPECT_EQ(registry_->summary()->warn, 47);
  EXPECT_EQ(agent("agent-0").hostname, "second");
  EXPECT_EQ(agent("agent-5").hostname, "first");  // the repeat had none
  EXPECT_EQ(agent("agent-5").status, "warn");
  EXPECT_EQ(agent("agent-299").hostname, "first");
  EXPECT_EQ(agent("agent-299").status, "ok");
  EXPECT_EQ(agent("agent-1").rule_id, "default");
}

TEST_P(RegistryTest, SchedulerMarksSilentAgentsAndTheNextHeartbeatRestoresThem) {
  record({beat("quiet", "h1", "WARN"), beat("chatty", "h2")});
  clock_.advance_s(180);  // exactly the threshold: still reporting
  EXPECT_EQ(schedule().marked_not_reporting, 0);
  record({beat("chatty", "h2")});
  clock_.advance_s(1);
  const ScheduleReport report = schedule();
  EXPECT_TRUE(report.leader);
  EXPECT_EQ(report.marked_not_reporting, 1);
  EXPECT_EQ(agent("quiet").status, "not_reporting");
  EXPECT_EQ(agent("chatty").status, "ok");
  EXPECT_EQ(registry_->summary()->not_reporting, 1);
  EXPECT_EQ(schedule().marked_not_reporting, 0);  // already marked: no change counted

  record({beat("quiet", "h1", "WARN")});
  EXPECT_EQ(agent("quiet").status, "warn");  // back to what it reports
}

TEST_P(RegistryTest, SchedulerFollowsEachAgentsRuleAndAutoDeletes) {
  ReportingRule fast;
  fast.description = "edge gateways";
  fast.heartbeat_interval_s = 10;
  fast.threshold_multiplier = 2;
  fast.auto_delete_enabled = true;
  fast.auto_delete_threshold_s = 100;
  auto created = registry_->create_rule(fast);
  ASSERT_TRUE(created.ok());
  record({beat("gw-1", "edge-gw-1"), beat("gw-2", "edge-gw-2"), beat("web", "web-1")});
  auto assigned = registry_->assign_rule(created->id, {}, "edge-*");
  ASSERT_TRUE(assigned.ok());
  EXPECT_EQ(*assigned, 2);

  clock_.advance_s(21);
  EXPECT_EQ(schedule().marked_not_reporting, 2);
  EXPECT_EQ(agent("web").status, "ok");
  clock_.advance_s(80);
  const ScheduleReport report = schedule();
  EXPECT_EQ(report.deleted, 2);
  EXPECT_FALSE(registry_->find_agent("gw-1")->has_value());
  clock_.advance_s(100);
  EXPECT_EQ(schedule().marked_not_reporting, 1);  // the default rule has no auto-delete
  EXPECT_TRUE(registry_->find_agent("web")->has_value());
}

TEST_P(RegistryTest, RulesCrudDefaultAndDeletionMovesAgents) {
  ReportingRule rule;
  rule.description = "batch hosts";
  rule.heartbeat_interval_s = 300;
  auto created = registry_->create_rule(rule);
  ASSERT_TRUE(created.ok());
  record({beat("x", "batch-1")});
  ASSERT_EQ(*registry_->assign_rule(created->id, {"x"}, ""), 1);
  EXPECT_EQ((*registry_->find_rule(created->id))->agent_count, 1);

  ReportingRule changed = **registry_->find_rule(created->id);
  changed.threshold_multiplier = 5;
  ASSERT_TRUE(registry_->update_rule(changed).ok());
  EXPECT_EQ((*registry_->find_rule(created->id))->not_reporting_threshold_s(), 1500);

  ASSERT_TRUE(registry_->make_default_rule(created->id).ok());
  EXPECT_FALSE((*registry_->find_rule("default"))->is_default);
  const Status refused = registry_->delete_rule(created->id);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(refused.error().is(Errc::refused));
  record({beat("y", "new-host")});
  EXPECT_EQ(agent("y").rule_id, created->id);  // new agents get the current default

  ASSERT_TRUE(registry_->make_default_rule("default").ok());
  ASSERT_TRUE(registry_->delete_rule(created->id).ok());
  EXPECT_EQ(agent("x").rule_id, "default");
  EXPECT_TRUE(registry_->delete_rule("nope").error().is(Errc::not_found));
  EXPECT_TRUE(registry_->assign_rule("nope", {"x"}, "").error().is(Errc::not_found));
}

TEST_P(RegistryTest, ConfigChangesMoveUpdatedAtByAtLeastOneSecond) {
  TelegrafConfig config;
  config.name = "edge";
  config.toml = "[agent]\ninterval = \"10s\"\n";
  auto created = registry_->create_config(config, clock_.now_s());
  ASSERT_TRUE(created.ok());
  EXPECT_EQ(created->updated_at, clock_.now_s());

  TelegrafConfig edit = *created;
  edit.toml += "[[outputs.file]]\n";
  auto first = registry_->update_config(edit, clock_.now_s());  // same second
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(first->updated_at, clock_.now_s() + 1);
  edit.description = "changed";
  auto second = registry_->update_config(edit, clock_.now_s());
  EXPECT_EQ(second->updated_at, clock_.now_s() + 2);
  auto unchanged = registry_->update_config(edit, clock_.now_s() + 100);
  EXPECT_EQ(unchanged->updated_at, clock_.now_s() + 2);  // nothing changed, no new date

  EXPECT_EQ(registry_->list_configs()->size(), 1u);
  EXPECT_TRUE(*registry_->delete_config(created->id));
  EXPECT_FALSE(registry_->find_config(created->id)->has_value());
  edit.id = "missing";
  EXPECT_TRUE(registry_->update_config(edit, 0).error().is(Errc::not_found));
}

INSTANTIATE_TEST_SUITE_P(Backends, RegistryTest, ::testing::Values("sqlite", "postgresql"),
                         backend_name);

// Two parents sharing one PostgreSQL: both store heartbeats, both see the same fleet, and
// only one holds the scheduler's lock until its connection ends.
class SharedPostgresTest : public BackendTest {};

TEST_P(SharedPostgresTest, TwoParentsShareTheFleetAndOneRunsTheScheduler) {
  time::ManualClock clock(1'800'000'000);
  const std::string location = fresh_location();
  auto first = open_registry(location, clock.now_s());
  auto second = open_registry(location, clock.now_s());
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(first->list_rules()->size(), 1u);  // the default rule exists once

  ASSERT_TRUE(first->record_heartbeats({beat("a", "host-a")}, clock.now_s()).ok());
  ASSERT_TRUE(second->record_heartbeats({beat("b", "host-b")}, clock.now_s()).ok());
  EXPECT_EQ(first->summary()->total, 2);
  EXPECT_EQ(second->list_agents({})->total, 2);

  clock.advance_s(200);
  auto leader = first->run_schedule(clock.now_s());
  auto follower = second->run_schedule(clock.now_s());
  ASSERT_TRUE(leader.ok() && follower.ok());
  EXPECT_TRUE(leader->leader);
  EXPECT_EQ(leader->marked_not_reporting, 2);
  EXPECT_FALSE(follower->leader);
  EXPECT_EQ(second->summary()->not_reporting, 2);

  first.reset();  // the leader goes away: the server releases its session lock shortly after
  EXPECT_TRUE(test::eventually([&] { return second->run_schedule(clock.now_s())->leader; }));
}

INSTANTIATE_TEST_SUITE_P(Backends, SharedPostgresTest, ::testing::Values("postgresql"),
                         backend_name);

}  // namespace
}  // namespace trib::parent::fleet
