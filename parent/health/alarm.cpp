#include "parent/health/alarm.h"

#include <algorithm>
#include <cmath>

namespace trib::parent::health {

std::string_view to_string(AlarmStatus status) {
  switch (status) {
    case AlarmStatus::removed:
      return "REMOVED";
    case AlarmStatus::undefined:
      return "UNDEFINED";
    case AlarmStatus::uninitialized:
      return "UNINITIALIZED";
    case AlarmStatus::clear:
      return "CLEAR";
    case AlarmStatus::raised:
      return "RAISED";
    case AlarmStatus::warning:
      return "WARNING";
    case AlarmStatus::critical:
      return "CRITICAL";
  }
  return "UNDEFINED";
}

namespace {

// Netdata's rrdcalc_value2status: NaN or infinite is undefined, non-zero raised, zero clear.
AlarmStatus raised_or_clear(double v) {
  if (std::isnan(v) || std::isinf(v)) return AlarmStatus::undefined;
  return v != 0 ? AlarmStatus::raised : AlarmStatus::clear;
}

bool is_raised(AlarmStatus s) { return s == AlarmStatus::warning || s == AlarmStatus::critical; }

}  // namespace

AlarmStatus status_from(std::optional<double> warn, std::optional<double> crit) {
  AlarmStatus status = AlarmStatus::undefined;
  if (warn.has_value()) {
    const AlarmStatus w = raised_or_clear(*warn);
    if (w == AlarmStatus::raised) status = AlarmStatus::warning;
    if (w == AlarmStatus::clear) status = AlarmStatus::clear;
  }
  if (crit.has_value()) {
    const AlarmStatus c = raised_or_clear(*crit);
    if (c == AlarmStatus::raised) status = AlarmStatus::critical;
    if (c == AlarmStatus::clear && status == AlarmStatus::undefined) status = AlarmStatus::clear;
  }
  return status;
}

AlarmLogEntry& AlarmLog::append(AlarmLogEntry entry) {
  entry.unique_id = next_id_++;
  entries_.push_back(std::move(entry));
  while (entries_.size() > max_entries_) entries_.pop_front();
  return entries_.back();
}

void AlarmLog::restore(AlarmLogEntry entry) {
  if (!entries_.empty() && entry.unique_id <= entries_.back().unique_id) return;
  next_id_ = std::max(next_id_, entry.unique_id + 1);
  entries_.push_back(std::move(entry));
  while (entries_.size() > max_entries_) entries_.pop_front();
}

AlarmLogEntry* AlarmLog::find(uint64_t unique_id) {
  // Ids increase along the deque: a binary search.
  auto it = std::lower_bound(entries_.begin(), entries_.end(), unique_id,
                             [](const AlarmLogEntry& e, uint64_t id) { return e.unique_id < id; });
  return it != entries_.end() && it->unique_id == unique_id ? &*it : nullptr;
}

std::vector<const AlarmLogEntry*> AlarmLog::after(uint64_t after_id,
                                                  std::string_view host_guid) const {
  std::vector<const AlarmLogEntry*> out;
  auto it = std::upper_bound(entries_.begin(), entries_.end(), after_id,
                             [](uint64_t id, const AlarmLogEntry& e) { return id < e.unique_id; });
  for (; it != entries_.end(); ++it) {
    if (host_guid.empty() || it->alarm.host_guid == host_guid) out.push_back(&*it);
  }
  return out;
}

void AlarmHistory::add(const AlarmLogEntry& entry) {
  alarm_id = entry.alarm.alarm_id;
  last_event_id = entry.alarm_event_id;
  last_entry_id = entry.unique_id;
  pending = !entry.processed && entry.new_status != AlarmStatus::removed;
  if (entry.new_status == AlarmStatus::removed) {
    status = AlarmStatus::uninitialized;
    value = 0;
    since = 0;
    non_clear_since = 0;
    last_notified.reset();
    return;
  }
  status = entry.new_status;
  value = entry.new_value;
  since = entry.when;
  // As update() left it: 0 once clear, else when it last left CLEAR.
  non_clear_since =
      entry.new_status == AlarmStatus::clear ? 0 : entry.when - entry.non_clear_duration;
  if (entry.notified) last_notified = entry.new_status;
}

AlarmState::AlarmState(AlarmIdentity identity, DelayOptions delay, RepeatOptions repeat)
    : identity_(std::move(identity)), delay_(delay), repeat_(repeat) {
  if (delay_.max.count() == 0) delay_.max = std::max(delay_.up, delay_.down);
  delay_up_current_ = delay_.up.count();
  delay_down_current_ = delay_.down.count();
}

void AlarmState::resume(const AlarmHistory& history) {
  identity_.alarm_id = history.alarm_id;
  event_count_ = history.last_event_id;
  last_entry_id_ = history.last_entry_id;
  status_ = history.status;
  value_ = history.value;
  last_status_change_ = history.since;
  non_clear_since_ = history.non_clear_since;
  last_notified_ = history.last_notified;
  last_repeat_ = history.since;
}

void AlarmState::apply_delay(int64_t now, AlarmStatus next) {
  if (now > delay_up_to_timestamp_) {
    delay_up_current_ = delay_.up.count();
    delay_down_current_ = delay_.down.count();
    delay_last_ = 0;
    delay_up_to_timestamp_ = 0;
  } else {
    const auto grow = [this](int64_t current) {
      const auto grown = static_cast<int64_t>(static_cast<double>(current) * delay_.multiplier);
      return std::min(grown, static_cast<int64_t>(delay_.max.count()));
    };
    delay_up_current_ = grow(delay_up_current_);
    delay_down_current_ = grow(delay_down_current_);
  }
  const int64_t delay = next > status_ ? delay_up_current_ : delay_down_current_;
  delay_last_ = delay;
  delay_up_to_timestamp_ = now + delay;
}

AlarmLogEntry* AlarmState::update(int64_t now, double value, AlarmStatus status, AlarmLog& log) {
  const double old_value = value_;
  value_ = value;
  last_updated_ = now;
  if (status == status_) return nullptr;

  apply_delay(now, status);
  AlarmLogEntry entry;
  entry.alarm_event_id = ++event_count_;
  entry.alarm = identity_;
  entry.when = now;
  entry.old_status = status_;
  entry.new_status = status;
  entry.old_value = old_value;
  entry.new_value = value;
  entry.duration = last_status_change_ == 0 ? 0 : now - last_status_change_;
  entry.non_clear_duration = non_clear_since_ == 0 ? 0 : now - non_clear_since_;
  entry.delay = delay_last_;
  entry.delay_up_to_timestamp = delay_up_to_timestamp_;
  entry.updates_id = last_entry_id_;
  // The previous entry, if its notification is still pending, is superseded by this one.
  if (AlarmLogEntry* previous = log.find(last_entry_id_);
      previous != nullptr && !previous->processed) {
    previous->processed = true;
  }
  AlarmLogEntry& stored = log.append(std::move(entry));
  if (AlarmLogEntry* previous = log.find(last_entry_id_); previous != nullptr) {
    previous->updated_by_id = stored.unique_id;
  }
  last_entry_id_ = stored.unique_id;
  if (status == AlarmStatus::clear) {
    non_clear_since_ = 0;
  } else if (non_clear_since_ == 0) {
    non_clear_since_ = now;
  }
  status_ = status;
  last_status_change_ = now;
  times_repeat_ = 0;
  return &stored;
}

bool AlarmState::take_notification(AlarmLogEntry& entry) {
  if (entry.processed) return false;
  entry.processed = true;
  if (entry.unique_id != last_entry_id_) return false;  // superseded
  if (entry.new_status < AlarmStatus::clear) return false;
  if (!last_notified_.has_value() && entry.new_status == AlarmStatus::clear) return false;
  if (last_notified_ == entry.new_status) return false;
  if (entry.silenced) return false;
  last_notified_ = entry.new_status;
  last_repeat_ = entry.when;
  entry.notified = true;
  return true;
}

bool AlarmState::take_repeat(int64_t now) {
  if (!is_raised(status_) || last_notified_ != status_) return false;
  const int64_t every =
      status_ == AlarmStatus::critical ? repeat_.critical.count() : repeat_.warning.count();
  if (every <= 0 || now < last_repeat_ + every) return false;
  last_repeat_ = now;
  ++times_repeat_;
  return true;
}

}  // namespace trib::parent::health
