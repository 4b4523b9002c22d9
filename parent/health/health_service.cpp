#include "parent/health/health_service.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_set>

#include "common/log/log.h"
#include "parent/query/data_query.h"

namespace trib::parent::health {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

query::GroupMethod group_of(LookupMethod method) {
  switch (method) {
    case LookupMethod::min:
      return query::GroupMethod::min;
    case LookupMethod::max:
      return query::GroupMethod::max;
    case LookupMethod::sum:
      return query::GroupMethod::sum;
    case LookupMethod::average:
    case LookupMethod::incremental_sum:
      return query::GroupMethod::average;
  }
  return query::GroupMethod::average;
}

// The difference between the newest and the oldest value of a column (gaps skipped).
double increment(const query::QueryResult& result, size_t column) {
  double first = kNaN;
  double last = kNaN;
  for (size_t row = 0; row < result.times.size(); ++row) {
    const double v = result.at(row, column);
    if (std::isnan(v)) continue;
    if (std::isnan(first)) first = v;
    last = v;
  }
  return last - first;
}

// Netdata's lookup: each selected dimension reduced over the window, then summed. NaN when no
// dimension has a value (missing dimensions, no data in the window).
double lookup_value(const store::Chart& chart, const Lookup& lookup, int64_t now,
                    AlarmInstance& instance) {
  query::DataRequest request;
  request.chart = chart.def().id;
  request.after = lookup.after_s;
  request.before = lookup.before_s;
  request.points = lookup.method == LookupMethod::incremental_sum ? 0 : 1;
  request.group = group_of(lookup.method);
  request.dimensions = lookup.dimensions;
  request.options.absolute = lookup.absolute;
  auto result = query::run_data_query(chart, request, now);
  if (!result.ok()) return kNaN;
  instance.db_after = result->after;
  instance.db_before = result->before;
  if (result->times.empty()) return kNaN;
  double sum = 0;
  bool any = false;
  for (size_t column = 0; column < result->columns.size(); ++column) {
    const double v = lookup.method == LookupMethod::incremental_sum
                         ? increment(*result, column)
                         : result->at(result->times.size() - 1, column);
    if (std::isnan(v)) continue;
    sum += v;
    any = true;
  }
  return any ? sum : kNaN;
}

std::optional<double> status_constant(std::string_view name) {
  if (name == "REMOVED") return static_cast<double>(AlarmStatus::removed);
  if (name == "UNDEFINED") return static_cast<double>(AlarmStatus::undefined);
  if (name == "UNINITIALIZED") return static_cast<double>(AlarmStatus::uninitialized);
  if (name == "CLEAR") return static_cast<double>(AlarmStatus::clear);
  if (name == "RAISED") return static_cast<double>(AlarmStatus::raised);
  if (name == "WARNING") return static_cast<double>(AlarmStatus::warning);
  if (name == "CRITICAL") return static_cast<double>(AlarmStatus::critical);
  return std::nullopt;
}

// What a rule's expressions can read: $this, $status, $now, the status constants, the chart's
// $update_every, $last_collected_t, $after, $before, its dimensions (last collected value, by
// id or name) and the values of the other alarms on the same chart (by name).
class InstanceVariables final : public Variables {
 public:
  InstanceVariables(const AlarmInstance& instance, const store::Chart& chart,
                    const std::vector<std::unique_ptr<AlarmInstance>>& siblings, int64_t now)
      : instance_(instance), chart_(chart), siblings_(siblings), now_(now) {}

  double this_value = kNaN;

  std::optional<double> lookup(std::string_view name) const override {
    if (name == "this") return this_value;
    if (name == "status") return static_cast<double>(instance_.state.status());
    if (name == "now") return static_cast<double>(now_);
    if (auto constant = status_constant(name)) return constant;
    if (name == "update_every") return static_cast<double>(chart_.def().update_every);
    if (name == "last_collected_t") return static_cast<double>(chart_.last_collected_s());
    if (name == "after") return static_cast<double>(instance_.db_after);
    if (name == "before") return static_cast<double>(instance_.db_before);
    const auto& dims = chart_.dimensions();
    for (size_t i = 0; i < dims.size(); ++i) {
      if (dims[i].def.id == name || dims[i].def.name == name) return chart_.last_value(i);
    }
    for (const auto& other : siblings_) {
      if (other.get() != &instance_ && other->id().chart == instance_.id().chart &&
          other->id().name == name) {
        return other->state.value();
      }
    }
    return std::nullopt;
  }

 private:
  const AlarmInstance& instance_;
  const store::Chart& chart_;
  const std::vector<std::unique_ptr<AlarmInstance>>& siblings_;
  int64_t now_;
};

std::optional<double> evaluate_optional(const std::optional<Expression>& expression,
                                        const Variables& variables) {
  if (!expression.has_value()) return std::nullopt;
  return expression->evaluate(variables).value;
}

std::string history_key(std::string_view host_guid, std::string_view chart, std::string_view name) {
  std::string key;
  key.reserve(host_guid.size() + chart.size() + name.size() + 2);
  key.append(host_guid).append(1, '\0').append(chart).append(1, '\0').append(name);
  return key;
}

bool pattern_allows(const config::SimplePattern& pattern, std::string_view subject) {
  return pattern.empty() || pattern.matches(subject);
}

}  // namespace

HealthService::HealthService(event::Loop& loop, store::HostRegistry& registry,
                             const time::Clock& clock, HealthOptions options)
    : loop_(loop),
      registry_(registry),
      clock_(clock),
      options_(std::move(options)),
      log_(options_.log_entries) {}

HealthService::~HealthService() = default;

void HealthService::start() {
  timer_ = std::make_unique<event::Timer>(loop_);
  timer_->start(std::chrono::seconds(1), std::chrono::seconds(1), [this] { run_once(); });
}

void HealthService::stop() { timer_.reset(); }

void HealthService::set_options(const HealthOptions& options) { options_ = options; }

void HealthService::set_rules(const RuleSet& rules) {
  rules_ = rules.rules;
  ++rules_generation_;
  const int64_t now = clock_.now_s();
  for (auto& [guid, alarms] : hosts_) {
    for (auto& instance : alarms.instances) {
      if (instance->rule == nullptr) continue;
      auto same = std::find_if(rules_.begin(), rules_.end(), [&](const auto& rule) {
        return rule->name == instance->rule->name && rule->on == instance->rule->on;
      });
      if (same != rules_.end()) instance->rule = *same;
    }
    drop_instances(
        alarms,
        [this](const AlarmInstance& instance) {
          return instance.rule != nullptr &&
                 std::none_of(rules_.begin(), rules_.end(),
                              [&](const auto& rule) { return rule == instance.rule; });
        },
        now);
  }
}

void HealthService::restore_log(std::vector<AlarmLogEntry> entries) {
  for (const auto& entry : entries) {
    next_alarm_id_ = std::max(next_alarm_id_, entry.alarm.alarm_id + 1);
    restored_[history_key(entry.alarm.host_guid, entry.alarm.chart, entry.alarm.name)].add(entry);
  }
  for (auto& entry : entries) {
    // Only an alarm's newest entry can still be waiting for its notification; an older one
    // was superseded (update() marks it in memory, the file keeps its first line).
    const auto& history =
        restored_[history_key(entry.alarm.host_guid, entry.alarm.chart, entry.alarm.name)];
    if (!(history.pending && history.last_entry_id == entry.unique_id)) entry.processed = true;
    log_.restore(std::move(entry));
  }
}

HealthService::HostAlarms& HealthService::alarms_of(const store::Host& host) {
  return hosts_[host.machine_guid()];
}

AlarmInstance& HealthService::add_instance(const store::Host& host, HostAlarms& alarms,
                                           std::shared_ptr<const Rule> rule, std::string chart,
                                           std::string context, std::string family, int64_t now) {
  AlarmIdentity id;
  id.alarm_id = next_alarm_id_++;
  id.host_guid = host.machine_guid();
  id.hostname = host.hostname();
  id.chart = std::move(chart);
  id.context = std::move(context);
  id.family = std::move(family);
  DelayOptions delay;
  RepeatOptions repeat;
  if (rule != nullptr) {
    id.name = rule->name;
    id.units = rule->units;
    id.info = rule->info;
    id.recipient = rule->to;
    id.source = rule->source;
    delay = rule->delay;
    repeat = rule->repeat;
  } else {
    id.name = std::string(kLastCollected);
    id.units = "seconds ago";
    id.info = id.chart == kHostChart ? "seconds since the host's last data (lost without a goodbye)"
                                     : "seconds since the chart's last data";
    id.recipient = "sysadmin";
    id.source = "built-in";
  }
  auto instance =
      std::make_unique<AlarmInstance>(std::move(rule), AlarmState(std::move(id), delay, repeat));
  resume(instance->state);
  instance->next_update = now;
  AlarmInstance& added = *instance;
  apply_silencers_to(added);
  by_alarm_id_[added.id().alarm_id] = &added;
  alarms.instances.push_back(std::move(instance));
  return added;
}

void HealthService::resume(AlarmState& state) {
  if (restored_.empty()) return;
  const AlarmIdentity& id = state.identity();
  const auto it = restored_.find(history_key(id.host_guid, id.chart, id.name));
  if (it == restored_.end()) return;
  state.resume(it->second);
  if (it->second.pending) pending_.push_back(it->second.last_entry_id);
  restored_.erase(it);
}

void HealthService::drop_instances(HostAlarms& alarms,
                                   const std::function<bool(const AlarmInstance&)>& which,
                                   int64_t now) {
  auto& list = alarms.instances;
  for (auto it = list.begin(); it != list.end();) {
    if (!which(**it)) {
      ++it;
      continue;
    }
    AlarmInstance& instance = **it;
    if (instance.state.status() != AlarmStatus::uninitialized) {
      const AlarmLogEntry* removed = instance.state.update(now, kNaN, AlarmStatus::removed, log_);
      if (removed != nullptr && persist_) persist_(*removed);
    }
    by_alarm_id_.erase(instance.id().alarm_id);
    it = list.erase(it);
  }
  alarms.charts_seen = SIZE_MAX;  // a later scan may bring them back
}

void HealthService::scan(const store::Host& host, HostAlarms& alarms, int64_t now) {
  alarms.charts_seen = host.charts().size();
  alarms.rules_generation = rules_generation_;
  std::unordered_set<std::string> existing;
  for (const auto& instance : alarms.instances) {
    if (instance->rule != nullptr)
      existing.insert(instance->id().chart + '\0' + instance->id().name);
  }
  for (const auto& chart : host.charts()) {
    const model::ChartDef& def = chart->def();
    for (const auto& rule : rules_) {
      if (!rule->applies_to(host.hostname(), host.machine_guid(), def.id, def.name, def.context)) {
        continue;
      }
      if (!existing.insert(def.id + '\0' + rule->name).second) continue;
      add_instance(host, alarms, rule, def.id, def.context, def.family, now);
    }
  }
}

bool HealthService::evaluating(const store::Host& host, int64_t now) const {
  if (!host.reachable()) return true;
  return now >= host.connected_since_s() + host.health_policy().postpone_s;
}

void HealthService::record(AlarmInstance& instance, int64_t now, double value, AlarmStatus status) {
  const AlarmStatus before = instance.state.status();
  AlarmLogEntry* entry = instance.state.update(now, value, status, log_);
  if (entry == nullptr) return;
  entry->silenced = instance.silenced;
  pending_.push_back(entry->unique_id);
  if (persist_) persist_(*entry);
  // Raises and recoveries at info; the rest (first evaluations, UNDEFINED) at debug, so a
  // start with thousands of instances does not flood the log.
  const bool news = before >= AlarmStatus::warning || status >= AlarmStatus::warning;
  log::get(log::Channel::health)
      .log(news ? spdlog::level::info : spdlog::level::debug, "[health:{}] {}.{}: {} -> {} ({})",
           instance.id().hostname, instance.id().chart, instance.id().name, to_string(before),
           to_string(status), value);
}

void HealthService::evaluate_rule(const store::Host& host, HostAlarms& alarms,
                                  AlarmInstance& instance, int64_t now) {
  const Rule& rule = *instance.rule;
  instance.next_update = now + rule.every.count();
  const store::Chart* chart = host.find_chart(instance.id().chart);
  if (chart == nullptr) return;
  instance.update_every = chart->def().update_every;
  InstanceVariables variables(instance, *chart, alarms.instances, now);
  double value = rule.lookup.has_value() ? lookup_value(*chart, *rule.lookup, now, instance) : kNaN;
  variables.this_value = value;
  if (rule.calc.has_value()) {
    value = rule.calc->evaluate(variables).value;
    variables.this_value = value;
  }
  const auto warn = evaluate_optional(rule.warn, variables);
  const auto crit = evaluate_optional(rule.crit, variables);
  record(instance, now, value, status_from(warn, crit));
}

void HealthService::evaluate_last_collected(const store::Host& host, HostAlarms& alarms,
                                            int64_t now) {
  if (host.is_localhost() || host.last_data_s() == 0) return;
  const int64_t threshold = options_.last_collected.count();
  AlarmInstance* host_alarm = nullptr;
  for (auto& instance : alarms.instances) {
    if (instance->rule == nullptr && instance->id().chart == kHostChart)
      host_alarm = instance.get();
  }
  if (host_alarm == nullptr) {
    host_alarm = &add_instance(host, alarms, nullptr, std::string(kHostChart),
                               std::string(kHostChart), "host", now);
  }
  const auto host_age = static_cast<double>(now - host.last_data_s());
  const bool lost = !host.reachable() && host.last_disconnect() == store::Disconnect::lost;
  const bool stale = host_age > static_cast<double>(threshold);
  if (!host_alarm->disabled) {
    // A cleanly stopped host is not an incident; a live host that sends nothing is.
    const bool raised = stale && (host.reachable() || lost);
    record(*host_alarm, now, host_age, raised ? AlarmStatus::critical : AlarmStatus::clear);
  }
  if (!host.reachable() || stale) return;

  // Charts of a live host that stopped updating (a collector that died or was removed).
  std::unordered_map<std::string_view, AlarmInstance*> chart_alarms;
  for (auto& instance : alarms.instances) {
    if (instance->rule == nullptr && instance->id().chart != kHostChart) {
      chart_alarms[instance->id().chart] = instance.get();
    }
  }
  for (const auto& chart : host.charts()) {
    if (chart->last_collected_s() == 0) continue;
    const int64_t limit =
        std::max<int64_t>(threshold, 5 * static_cast<int64_t>(chart->def().update_every));
    const int64_t age = now - chart->last_collected_s();
    auto found = chart_alarms.find(chart->def().id);
    AlarmInstance* instance = found == chart_alarms.end() ? nullptr : found->second;
    if (instance == nullptr) {
      if (age <= limit) continue;
      instance = &add_instance(host, alarms, nullptr, chart->def().id, chart->def().context,
                               chart->def().family, now);
    }
    if (instance->disabled) continue;
    record(*instance, now, static_cast<double>(age),
           age > limit ? AlarmStatus::warning : AlarmStatus::clear);
  }
}

void HealthService::run_once() {
  if (!options_.enabled) return;
  const int64_t now = clock_.now_s();
  for (const auto& host_ptr : registry_.hosts()) {
    const store::Host& host = *host_ptr;
    HostAlarms& alarms = alarms_of(host);
    const store::HealthPolicy& policy = host.health_policy();
    if (policy.mode == store::HealthPolicy::Mode::no) {
      if (!alarms.instances.empty())
        drop_instances(
            alarms, [](const auto&) { return true; }, now);
      continue;
    }
    // Rules need stored data: a host kept in memory mode none (a pure proxy's) has only its
    // last_collected alarm.
    const bool rules_active =
        host.storage().mode != store::MemoryMode::none &&
        (host.reachable() || policy.mode != store::HealthPolicy::Mode::automatic);
    if (!rules_active) {
      // `auto`: alarms run only while connected; last_collected watches for its return.
      drop_instances(
          alarms,
          [](const AlarmInstance& i) { return i.rule != nullptr || i.id().chart != kHostChart; },
          now);
    } else if (alarms.charts_seen != host.charts().size() ||
               alarms.rules_generation != rules_generation_) {
      scan(host, alarms, now);
    }
    if (!evaluating(host, now)) continue;
    for (size_t i = 0; i < alarms.instances.size(); ++i) {
      AlarmInstance& instance = *alarms.instances[i];
      if (instance.rule == nullptr || instance.disabled || instance.next_update > now) continue;
      evaluate_rule(host, alarms, instance, now);
    }
    evaluate_last_collected(host, alarms, now);
  }
  send_due_notifications(now);
}

void HealthService::send_due_notifications(int64_t now) {
  const auto recipients_of = [this](const AlarmIdentity& id) {
    const auto it = options_.notifications.recipients.find(id.recipient);
    if (it != options_.notifications.recipients.end()) return it->second;
    return id.recipient.empty() ? std::vector<std::string>{} : std::vector{id.recipient};
  };
  std::vector<uint64_t> still_pending;
  for (const uint64_t id : pending_) {
    AlarmLogEntry* entry = log_.find(id);
    if (entry == nullptr || entry->processed) continue;
    if (entry->delay_up_to_timestamp > now) {
      still_pending.push_back(id);
      continue;
    }
    auto instance = by_alarm_id_.find(entry->alarm.alarm_id);
    if (instance == by_alarm_id_.end()) {
      entry->processed = true;  // the alarm was removed meanwhile
      continue;
    }
    if (instance->second->state.take_notification(*entry) && notify_) {
      notify_(Notification{*entry, recipients_of(entry->alarm), false});
    }
    if (persist_) persist_(*entry);  // processed, and whether it was notified
  }
  pending_ = std::move(still_pending);
  for (auto& [guid, alarms] : hosts_) {
    for (auto& instance : alarms.instances) {
      if (instance->silenced || !instance->state.take_repeat(now)) continue;
      const AlarmLogEntry* last = log_.find(instance->state.last_entry_id());
      if (last != nullptr && notify_)
        notify_(Notification{*last, recipients_of(last->alarm), true});
    }
  }
}

bool HealthService::silenced_by(const Silencers::Selector& selector,
                                const AlarmInstance& instance) const {
  const AlarmIdentity& id = instance.id();
  return pattern_allows(selector.alarms, id.name) && pattern_allows(selector.charts, id.chart) &&
         pattern_allows(selector.contexts, id.context) &&
         (pattern_allows(selector.hosts, id.hostname) ||
          pattern_allows(selector.hosts, id.host_guid)) &&
         pattern_allows(selector.families, id.family);
}

void HealthService::apply_silencers_to(AlarmInstance& instance) const {
  bool selected = silencers_.all;
  for (const auto& selector : silencers_.selectors) {
    if (selected) break;
    selected = silenced_by(selector, instance);
  }
  instance.disabled = selected && silencers_.type == Silencers::Type::disable;
  instance.silenced = selected && silencers_.type == Silencers::Type::silence;
}

Status HealthService::set_silencers(Silencers silencers) {
  silencers_ = std::move(silencers);
  apply_silencers();
  if (silencers_path_.empty()) return ok_status();
  return save_silencers(silencers_path_, silencers_);
}

Status HealthService::keep_silencers_in(std::string path) {
  TRIB_ASSIGN_OR_RETURN(Silencers loaded, load_silencers(path));
  silencers_path_ = std::move(path);
  silencers_ = std::move(loaded);
  apply_silencers();
  return ok_status();
}

void HealthService::apply_silencers() {
  for (auto& [guid, alarms] : hosts_) {
    for (auto& instance : alarms.instances) apply_silencers_to(*instance);
  }
}

std::vector<const AlarmInstance*> HealthService::instances(std::string_view host_guid) const {
  std::vector<const AlarmInstance*> out;
  auto it = hosts_.find(std::string(host_guid));
  if (it == hosts_.end()) return out;
  for (const auto& instance : it->second.instances) out.push_back(instance.get());
  return out;
}

size_t HealthService::instance_count() const {
  size_t count = 0;
  for (const auto& [guid, alarms] : hosts_) count += alarms.instances.size();
  return count;
}

}  // namespace trib::parent::health
