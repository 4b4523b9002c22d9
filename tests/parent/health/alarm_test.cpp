#include "parent/health/alarm.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/time/clock.h"

namespace trib::parent::health {
namespace {

using std::chrono::seconds;
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

TEST(StatusFrom, CritBeatsWarnAndNaNIsUndefined) {
  EXPECT_EQ(status_from(1.0, 1.0), AlarmStatus::critical);
  EXPECT_EQ(status_from(1.0, 0.0), AlarmStatus::warning);
  EXPECT_EQ(status_from(0.0, 0.0), AlarmStatus::clear);
  EXPECT_EQ(status_from(kNaN, kNaN), AlarmStatus::undefined);
  EXPECT_EQ(status_from(kNaN, 0.0), AlarmStatus::clear);
  EXPECT_EQ(status_from(0.0, kNaN), AlarmStatus::clear);
  EXPECT_EQ(status_from(kNaN, 1.0), AlarmStatus::critical);
  EXPECT_EQ(status_from(std::nullopt, std::nullopt), AlarmStatus::undefined);
  EXPECT_EQ(status_from(std::nullopt, 0.0), AlarmStatus::clear);
  EXPECT_EQ(status_from(std::numeric_limits<double>::infinity(), std::nullopt),
            AlarmStatus::undefined);
}

class AlarmStateTest : public ::testing::Test {
 protected:
  AlarmState make(DelayOptions delay = {}, RepeatOptions repeat = {}) {
    AlarmIdentity id;
    id.alarm_id = 7;
    id.name = "cpu_usage";
    id.chart = "system.cpu";
    id.hostname = "web-1";
    return AlarmState(id, delay, repeat);
  }
  int64_t now() const { return clock_.now_s(); }

  time::ManualClock clock_;
  AlarmLog log_;
};

TEST_F(AlarmStateTest, TransitionsAreLoggedWithUniqueIds) {
  AlarmState a = make();
  EXPECT_EQ(a.status(), AlarmStatus::uninitialized);
  AlarmLogEntry* first = a.update(now(), 10, AlarmStatus::clear, log_);
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->unique_id, 1u);
  EXPECT_EQ(first->old_status, AlarmStatus::uninitialized);
  clock_.advance_s(10);
  EXPECT_EQ(a.update(now(), 11, AlarmStatus::clear, log_), nullptr);  // no change, no entry
  EXPECT_EQ(a.value(), 11);
  clock_.advance_s(10);
  AlarmLogEntry* raised = a.update(now(), 90, AlarmStatus::warning, log_);
  ASSERT_NE(raised, nullptr);
  EXPECT_EQ(raised->unique_id, 2u);
  EXPECT_EQ(raised->alarm_event_id, 2u);
  EXPECT_EQ(raised->old_value, 11);
  EXPECT_EQ(raised->new_value, 90);
  EXPECT_EQ(raised->duration, 20);  // in CLEAR since the first entry
  EXPECT_EQ(raised->updates_id, 1u);
  EXPECT_EQ(log_.find(1)->updated_by_id, 2u);
  EXPECT_EQ(log_.last_unique_id(), 2u);
  EXPECT_EQ(log_.after(1, "").size(), 1u);
}

TEST_F(AlarmStateTest, NotifiesRaisesAndRecoveriesOnce) {
  AlarmState a = make();
  AlarmLogEntry* e = a.update(now(), 1, AlarmStatus::clear, log_);
  EXPECT_FALSE(a.take_notification(*e));  // a first CLEAR is not news
  e = a.update(now(), 90, AlarmStatus::warning, log_);
  EXPECT_TRUE(a.take_notification(*e));
  EXPECT_FALSE(a.take_notification(*e));  // processed
  e = a.update(now(), 99, AlarmStatus::critical, log_);
  EXPECT_TRUE(a.take_notification(*e));
  e = a.update(now(), kNaN, AlarmStatus::undefined, log_);
  EXPECT_FALSE(a.take_notification(*e));  // UNDEFINED never notifies
  e = a.update(now(), 99, AlarmStatus::critical, log_);
  EXPECT_FALSE(a.take_notification(*e));  // CRITICAL was the last one sent
  e = a.update(now(), 1, AlarmStatus::clear, log_);
  EXPECT_TRUE(a.take_notification(*e));  // the recovery
}

TEST_F(AlarmStateTest, SilencedEntriesDoNotNotify) {
  AlarmState a = make();
  AlarmLogEntry* e = a.update(now(), 90, AlarmStatus::warning, log_);
  e->silenced = true;
  EXPECT_FALSE(a.take_notification(*e));
}

TEST_F(AlarmStateTest, DelayPostponesNotificationsAndFlappingIsNotifiedOnce) {
  AlarmState a = make(DelayOptions{seconds(60), seconds(300), 1.0, seconds(0)});
  AlarmLogEntry* up = a.update(now(), 90, AlarmStatus::warning, log_);
  EXPECT_EQ(up->delay, 60);
  EXPECT_EQ(up->delay_up_to_timestamp, now() + 60);
  const uint64_t up_id = up->unique_id;
  clock_.advance_s(30);
  AlarmLogEntry* down = a.update(now(), 10, AlarmStatus::clear, log_);
  EXPECT_EQ(down->delay, 300);  // a fall uses the down delay
  // The raise was superseded before its notification was due.
  EXPECT_TRUE(log_.find(up_id)->processed);
  EXPECT_FALSE(a.take_notification(*log_.find(up_id)));
  // And the fall is not news: nothing was notified before it.
  clock_.advance_s(300);
  EXPECT_FALSE(a.take_notification(*down));
}

TEST_F(AlarmStateTest, MultiplierGrowsDelaysUpToMaxAndResets) {
  AlarmState a = make(DelayOptions{seconds(10), seconds(10), 2.0, seconds(30)});
  EXPECT_EQ(a.update(now(), 1, AlarmStatus::warning, log_)->delay, 10);
  clock_.advance_s(5);  // within the previous delay: grow
  EXPECT_EQ(a.update(now(), 1, AlarmStatus::clear, log_)->delay, 20);
  clock_.advance_s(5);
  EXPECT_EQ(a.update(now(), 1, AlarmStatus::warning, log_)->delay, 30);  // capped at max
  clock_.advance_s(5);
  EXPECT_EQ(a.update(now(), 1, AlarmStatus::clear, log_)->delay, 30);
  clock_.advance_s(100);  // after the delay window: back to the configured delays
  EXPECT_EQ(a.update(now(), 1, AlarmStatus::warning, log_)->delay, 10);
}

TEST_F(AlarmStateTest, RepeatResendsWhileRaised) {
  AlarmState a = make({}, RepeatOptions{seconds(60), seconds(0)});
  AlarmLogEntry* e = a.update(now(), 90, AlarmStatus::warning, log_);
  EXPECT_FALSE(a.take_repeat(now()));  // nothing sent yet
  ASSERT_TRUE(a.take_notification(*e));
  clock_.advance_s(59);
  EXPECT_FALSE(a.take_repeat(now()));
  clock_.advance_s(1);
  EXPECT_TRUE(a.take_repeat(now()));
  EXPECT_EQ(a.times_repeat(), 1u);
  EXPECT_FALSE(a.take_repeat(now()));
  clock_.advance_s(60);
  EXPECT_TRUE(a.take_repeat(now()));
  e = a.update(now(), 99, AlarmStatus::critical, log_);
  ASSERT_TRUE(a.take_notification(*e));
  clock_.advance_s(600);
  EXPECT_FALSE(a.take_repeat(now()));  // critical repeat is off
}

TEST(AlarmLog, IsBoundedAndKeepsNumbering) {
  AlarmLog log(3);
  for (int i = 0; i < 5; ++i) {
    AlarmLogEntry e;
    e.alarm.host_guid = i % 2 == 0 ? "a" : "b";
    log.append(e);
  }
  ASSERT_EQ(log.entries().size(), 3u);
  EXPECT_EQ(log.entries().front().unique_id, 3u);
  EXPECT_EQ(log.find(1), nullptr);
  EXPECT_NE(log.find(4), nullptr);
  EXPECT_EQ(log.after(0, "a").size(), 2u);  // 3 and 5
  EXPECT_EQ(log.after(4, "").size(), 1u);
}

TEST_F(AlarmStateTest, HistoryResumesStatusIdsAndWhatWasNotified) {
  AlarmState before = make();
  before.update(now(), 10, AlarmStatus::clear, log_);
  clock_.advance_s(10);
  AlarmLogEntry* raised = before.update(now(), 99, AlarmStatus::critical, log_);
  ASSERT_TRUE(before.take_notification(*raised));
  clock_.advance_s(10);

  AlarmHistory history;
  for (const auto& e : log_.entries()) history.add(e);
  EXPECT_EQ(history.alarm_id, 7u);
  EXPECT_EQ(history.status, AlarmStatus::critical);
  EXPECT_EQ(history.last_notified, AlarmStatus::critical);
  EXPECT_FALSE(history.pending);

  AlarmIdentity fresh_id;
  fresh_id.alarm_id = 99;  // what a new instance would get; the history's id wins
  AlarmState after(fresh_id, {}, {});
  after.resume(history);
  EXPECT_EQ(after.identity().alarm_id, 7u);
  EXPECT_EQ(after.status(), AlarmStatus::critical);
  EXPECT_EQ(after.update(now(), 98, AlarmStatus::critical, log_), nullptr);  // no transition
  clock_.advance_s(5);
  AlarmLogEntry* cleared = after.update(now(), 5, AlarmStatus::clear, log_);
  ASSERT_NE(cleared, nullptr);
  EXPECT_EQ(cleared->alarm.alarm_id, 7u);
  EXPECT_EQ(cleared->alarm_event_id, 3u);
  EXPECT_EQ(cleared->updates_id, raised->unique_id);
  EXPECT_EQ(cleared->duration, 15);  // CRITICAL since before the restart
  EXPECT_EQ(cleared->non_clear_duration, 15);
  EXPECT_TRUE(after.take_notification(*cleared));  // the notified raise recovers

  // A REMOVED entry ends the alarm: what follows starts afresh (but keeps the numbering).
  AlarmLogEntry removed = *cleared;
  removed.unique_id = 40;
  removed.alarm_event_id = 4;
  removed.new_status = AlarmStatus::removed;
  history.add(removed);
  EXPECT_EQ(history.status, AlarmStatus::uninitialized);
  EXPECT_FALSE(history.last_notified.has_value());
  EXPECT_EQ(history.last_event_id, 4u);
  EXPECT_FALSE(history.pending);
}

}  // namespace
}  // namespace trib::parent::health
