#include "parent/health/silencers.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/process.h"

namespace trib::parent::health {
namespace {

Silencers sample() {
  Silencers s;
  s.type = Silencers::Type::silence;
  Silencers::Selector one;
  one.alarms = config::SimplePattern("cpu_* !cpu_test");
  one.hosts = config::SimplePattern("web-*");
  Silencers::Selector two;
  two.contexts = config::SimplePattern("disk.space");
  two.families = config::SimplePattern("/var");
  two.charts = config::SimplePattern("disk_space._var");
  s.selectors = {one, two};
  return s;
}

TEST(SilencersTest, NetdataShapeRoundTrips) {
  const auto j = silencers_to_json(sample());
  EXPECT_EQ(j.dump(), R"({"all":false,"type":"SILENCE","silencers":[{"alarm":"cpu_* !cpu_test",)"
                      R"("host":"web-*"},{"chart":"disk_space._var","context":"disk.space",)"
                      R"("families":"/var"}]})");
  auto back = silencers_from_json(j.dump());
  ASSERT_TRUE(back.ok()) << back.error().describe();
  EXPECT_EQ(*back, sample());

  auto all = silencers_from_json(R"({"all": true, "type": "DISABLE", "silencers": []})");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->all);
  EXPECT_EQ(all->type, Silencers::Type::disable);
  EXPECT_EQ(*silencers_from_json("{}"), Silencers{});
}

TEST(SilencersTest, MalformedFilesSayWhatIsWrong) {
  const auto message = [](std::string_view text) {
    auto parsed = silencers_from_json(text);
    return parsed.ok() ? std::string("parsed") : parsed.error().message;
  };
  EXPECT_EQ(message("[1]"), "not a JSON object");
  EXPECT_EQ(message("{\"all\": 1"), "not a JSON object");
  EXPECT_EQ(message(R"({"all": "yes"})"), "'all' must be true or false");
  EXPECT_EQ(message(R"({"type": "MUTE"})"), "'type' must be \"None\", \"SILENCE\" or \"DISABLE\"");
  EXPECT_EQ(message(R"({"silencers": {}})"), "'silencers' must be an array");
  EXPECT_EQ(message(R"({"silencers": [{}, 3]})"), "silencers[1] is not an object");
  EXPECT_EQ(message(R"({"silencers": [{"alarms": "x"}]})"),
            "silencers[0]: unknown key 'alarms' (valid: alarm, chart, context, host, families)");
  EXPECT_EQ(message(R"({"silencers": [{"host": 7}]})"),
            "silencers[0].host must be a string (a simple pattern)");
}

TEST(SilencersTest, SavedAtomicallyAndLoadedBack) {
  test::TempDir dir;
  const std::string path = dir / "health/health.silencers.json";
  auto missing = load_silencers(path);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(*missing, Silencers{});

  ASSERT_TRUE(save_silencers(path, sample()).ok());  // creates health/
  auto loaded = load_silencers(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().describe();
  EXPECT_EQ(*loaded, sample());
  ASSERT_TRUE(save_silencers(path, Silencers{}).ok());
  EXPECT_EQ(*load_silencers(path), Silencers{});
  // Only the file itself is left: the temporary file was renamed over it.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "health"),
                          std::filesystem::directory_iterator()),
            1);

  test::write_file(path, "{\"type\": 3}");
  auto broken = load_silencers(path);
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.error().message, path + ": 'type' must be \"None\", \"SILENCE\" or \"DISABLE\"");
  EXPECT_FALSE(save_silencers("/dev/null/health.silencers.json", sample()).ok());
}

}  // namespace
}  // namespace trib::parent::health
