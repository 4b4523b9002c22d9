#include "common/config/yaml.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace trib::config {
namespace {

namespace fs = std::filesystem;

Node parse_ok(std::string_view text) {
  auto r = parse_yaml(text, "test.yaml");
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? std::move(r).value() : Node{};
}

std::string parse_error(std::string_view text) {
  auto r = parse_yaml(text, "test.yaml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(Yaml, EmptyOrCommentOnlyIsNull) {
  EXPECT_TRUE(parse_ok("").is_null());
  EXPECT_TRUE(parse_ok("# only a comment\n\n# another\n").is_null());
  EXPECT_TRUE(parse_ok("---\n").is_null());
}

TEST(Yaml, KeepsLinesOfKeysAndValues) {
  Node root = parse_ok("a: 1\nlogs:\n  scan_interval: 30s\n  paths:\n    - /var/log/x\n");
  ASSERT_TRUE(root.is_mapping());
  ASSERT_EQ(root.entries.size(), 2u);
  EXPECT_EQ(root.entries[0].key, "a");
  EXPECT_EQ(root.entries[0].key_origin.line, 1);
  const Node* logs = root.find("logs");
  ASSERT_NE(logs, nullptr);
  EXPECT_EQ(logs->find("scan_interval")->scalar, "30s");
  EXPECT_EQ(logs->find("scan_interval")->origin.line, 3);
  EXPECT_EQ(logs->find("scan_interval")->origin.describe(), "test.yaml:3");
  const Node* paths = logs->find("paths");
  ASSERT_TRUE(paths->is_sequence());
  EXPECT_EQ(paths->items.at(0).scalar, "/var/log/x");
  EXPECT_EQ(paths->items.at(0).origin.line, 5);
}

TEST(Yaml, NullsAndQuotedStrings) {
  Node root = parse_ok("a:\nb: ~\nc: \"\"\nd: 'null'\n");
  EXPECT_TRUE(root.find("a")->is_null());
  EXPECT_TRUE(root.find("b")->is_null());
  EXPECT_TRUE(root.find("c")->is_scalar());
  EXPECT_EQ(root.find("c")->scalar, "");
  EXPECT_EQ(root.find("d")->scalar, "null");
}

TEST(Yaml, ErrorsNameFileAndLine) {
  EXPECT_EQ(parse_error("a: 1\na: 2\n"), "test.yaml:2: duplicate key 'a'");
  EXPECT_NE(parse_error("a: [1, 2\nb: 3\n").find("test.yaml:"), std::string::npos);
  EXPECT_NE(parse_error("a: &x 1\nb: *x\n").find("test.yaml:2: YAML aliases"), std::string::npos);
  EXPECT_NE(parse_error("a: 1\n---\nb: 2\n").find("one YAML document"), std::string::npos);
  EXPECT_NE(parse_error("[a]: 1\n").find("key must be a plain name"), std::string::npos);
  EXPECT_NE(parse_error("a: \"unterminated\n").find("test.yaml:"), std::string::npos);
}

TEST(Yaml, DeepNestingIsRefused) {
  std::string deep(200, '[');
  EXPECT_NE(parse_error(deep).find("too deep"), std::string::npos);
}

TEST(Yaml, MergeMapsRecursivelyScalarsAndListsReplace) {
  Node base = parse_ok("a: 1\nm:\n  x: 1\n  y: [1, 2]\n  z: keep\n");
  const Node overlay = parse_ok("m:\n  x: 2\n  y: [3]\nb: new\n");
  merge_into(base, overlay);
  EXPECT_EQ(base.find("a")->scalar, "1");
  EXPECT_EQ(base.find("b")->scalar, "new");
  const Node* m = base.find("m");
  EXPECT_EQ(m->find("x")->scalar, "2");
  EXPECT_EQ(m->find("x")->origin.line, 2);  // the overlay's line
  ASSERT_EQ(m->find("y")->items.size(), 1u);
  EXPECT_EQ(m->find("y")->items[0].scalar, "3");
  EXPECT_EQ(m->find("z")->scalar, "keep");
}

TEST(Yaml, NullOverlayChangesNothing) {
  Node base = parse_ok("m:\n  x: 1\n");
  merge_into(base, parse_ok("# empty drop-in\n"));
  merge_into(base, parse_ok("m:\n"));
  EXPECT_EQ(base.find("m")->find("x")->scalar, "1");
}

class YamlDropins : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("trib_yaml_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  void write(const std::string& rel, const std::string& text) {
    fs::create_directories((dir_ / rel).parent_path());
    std::ofstream(dir_ / rel) << text;
  }
  fs::path dir_;
};

TEST_F(YamlDropins, MissingEverythingIsNull) {
  auto r = load_yaml_with_dropins(dir_.string(), "agent");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->is_null());
}

TEST_F(YamlDropins, DropinsMergeInFileNameOrder) {
  write("agent.yaml", "a: main\nb: main\n");
  write("agent.d/20-second.yaml", "b: second\n");
  write("agent.d/10-first.yaml", "a: first\nb: first\n");
  write("agent.d/ignored.yml.bak", "a: ignored\n");
  auto r = load_yaml_with_dropins(dir_.string(), "agent");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->find("a")->scalar, "first");
  EXPECT_EQ(r->find("b")->scalar, "second");
  EXPECT_EQ(r->find("b")->origin.describe(), (dir_ / "agent.d/20-second.yaml").string() + ":1");
}

TEST_F(YamlDropins, ErrorInDropinNamesThatFile) {
  write("agent.d/bad.yaml", "a: 1\n  b: 2\n");
  auto r = load_yaml_with_dropins(dir_.string(), "agent");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("agent.d/bad.yaml:"), std::string::npos) << r.error().message;
}

TEST_F(YamlDropins, DropinOnlyWithoutMainFile) {
  write("parent.d/a.yaml", "port: 1\n");
  auto r = load_yaml_with_dropins(dir_.string(), "parent");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->find("port")->scalar, "1");
}

}  // namespace
}  // namespace trib::config
