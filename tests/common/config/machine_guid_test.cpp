#include "common/config/machine_guid.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <set>

namespace trib::config {
namespace {

namespace fs = std::filesystem;

TEST(IsGuid, AcceptsTheTextualFormOnly) {
  EXPECT_TRUE(is_guid("11111111-2222-3333-4444-555555555555"));
  EXPECT_TRUE(is_guid("A1B2C3D4-e5f6-0789-abcd-EF0123456789"));
  EXPECT_FALSE(is_guid(""));
  EXPECT_FALSE(is_guid("11111111222233334444555555555555"));
  EXPECT_FALSE(is_guid("11111111-2222-3333-4444-55555555555"));
  EXPECT_FALSE(is_guid("11111111-2222-3333-4444-5555555555555"));
  EXPECT_FALSE(is_guid("1111111g-2222-3333-4444-555555555555"));
  EXPECT_FALSE(is_guid("11111111-2222-3333-4444_555555555555"));
  EXPECT_FALSE(is_guid("{11111111-2222-3333-4444-55555555555}"));
}

TEST(GenerateGuid, Version4LowerCaseAndUnique) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto g = generate_guid();
    ASSERT_TRUE(g.ok());
    EXPECT_TRUE(is_guid(*g)) << *g;
    EXPECT_EQ((*g)[14], '4');
    EXPECT_NE(std::string("89ab").find((*g)[19]), std::string::npos) << *g;
    for (char c : *g) EXPECT_FALSE(std::isupper(static_cast<unsigned char>(c)));
    seen.insert(*g);
  }
  EXPECT_EQ(seen.size(), 100u);
}

class MachineGuidFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           (std::string("trib_guid_") + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(MachineGuidFile, CreatesOnceThenKeeps) {
  auto first = load_or_create_machine_guid((dir_ / "sub").string());
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_TRUE(is_guid(*first));
  auto second = load_or_create_machine_guid((dir_ / "sub").string());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);
  std::ifstream in(dir_ / "sub" / "machine.guid");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, *first + "\n");
  // No temporary file left behind.
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_ / "sub"), fs::directory_iterator()), 1);
}

TEST_F(MachineGuidFile, ReadsExistingUpperCaseWithWhitespace) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "machine.guid") << "  AAAAAAAA-BBBB-4CCC-8DDD-EEEEEEEEEEEE \n";
  auto g = load_or_create_machine_guid(dir_.string());
  ASSERT_TRUE(g.ok());
  EXPECT_EQ(*g, "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee");
}

TEST_F(MachineGuidFile, RefusesAFileThatIsNotAGuid) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "machine.guid") << "not-a-guid\n";
  auto g = load_or_create_machine_guid(dir_.string());
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("does not hold a machine GUID"), std::string::npos);
  std::ifstream in(dir_ / "machine.guid");
  std::string content((std::istreambuf_iterator<char>(in)), {});
  EXPECT_EQ(content, "not-a-guid\n");  // untouched
}

TEST_F(MachineGuidFile, EmptyFileIsRefusedToo) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "machine.guid") << "";
  EXPECT_FALSE(load_or_create_machine_guid(dir_.string()).ok());
}

TEST_F(MachineGuidFile, DataDirThatIsAFileIsAnError) {
  fs::create_directories(dir_);
  std::ofstream(dir_ / "file") << "x";
  auto g = load_or_create_machine_guid((dir_ / "file").string());
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.error().message.find("file"), std::string::npos) << g.error().message;
}

}  // namespace
}  // namespace trib::config

namespace trib::config {
namespace {

TEST(SameGuid, ComparesCaseInsensitivelyAndOnlyGuids) {
  EXPECT_TRUE(
      same_guid("aaaaaaaa-0000-0000-0000-0000000000a1", "AAAAAAAA-0000-0000-0000-0000000000A1"));
  EXPECT_FALSE(
      same_guid("aaaaaaaa-0000-0000-0000-0000000000a1", "aaaaaaaa-0000-0000-0000-0000000000a2"));
  EXPECT_FALSE(same_guid("not-a-guid", "not-a-guid"));
}

}  // namespace
}  // namespace trib::config
