#include "common/config/dotenv.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace trib::config {
namespace {

TEST(Dotenv, ParsesTheUsualForms) {
  auto env = parse_dotenv(
      "# comment\n"
      "\n"
      "PORT=8080\n"
      "export DATABASE=postgresql://u@h/db\n"
      "  SPACED = value with spaces   \n"
      "DQ=\"a \\\"quoted\\\" \\n value\" # trailing\n"
      "SQ='literal \\n $x'\n"
      "COMMENTED=abc # note\n"
      "HASH=a#b\n"
      "EMPTY=\n"
      "CRLF=x\r\n",
      ".env");
  ASSERT_TRUE(env.ok()) << env.error().message;
  EXPECT_EQ(env->at("PORT"), "8080");
  EXPECT_EQ(env->at("DATABASE"), "postgresql://u@h/db");
  EXPECT_EQ(env->at("SPACED"), "value with spaces");
  EXPECT_EQ(env->at("DQ"), "a \"quoted\" \n value");
  EXPECT_EQ(env->at("SQ"), "literal \\n $x");
  EXPECT_EQ(env->at("COMMENTED"), "abc");
  EXPECT_EQ(env->at("HASH"), "a#b");
  EXPECT_EQ(env->at("EMPTY"), "");
  EXPECT_EQ(env->at("CRLF"), "x");
  EXPECT_EQ(env->size(), 9u);
}

TEST(Dotenv, LaterLinesWin) {
  auto env = parse_dotenv("A=1\nA=2\n", ".env");
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("A"), "2");
}

TEST(Dotenv, ErrorsNameFileAndLine) {
  EXPECT_EQ(parse_dotenv("A=1\njust words\n", "x/.env").error().message,
            "x/.env:2: expected KEY=value");
  EXPECT_EQ(parse_dotenv("1A=1\n", ".env").error().message,
            ".env:1: '1A' is not a variable name (letters, digits, _)");
  EXPECT_EQ(parse_dotenv("A=\"open\n", ".env").error().message,
            ".env:1: unterminated double-quoted value");
  EXPECT_EQ(parse_dotenv("A='x' y\n", ".env").error().message,
            ".env:1: unexpected text after the closing quote");
}

TEST(Dotenv, RealEnvironmentWins) {
  Environment real{{"PORT", "1"}};
  const Environment file{{"PORT", "2"}, {"DATABASE", "d"}};
  const Environment merged = with_dotenv(real, file);
  EXPECT_EQ(merged.at("PORT"), "1");
  EXPECT_EQ(merged.at("DATABASE"), "d");
}

TEST(Dotenv, MissingFileIsEmpty) {
  auto env = load_dotenv("/nonexistent/dir/.env");
  ASSERT_TRUE(env.ok());
  EXPECT_TRUE(env->empty());
}

TEST(Dotenv, LoadsAFile) {
  const auto path =
      std::filesystem::temp_directory_path() / ("trib_dotenv_" + std::to_string(::getpid()));
  std::ofstream(path) << "A=b\n";
  auto env = load_dotenv(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(env.ok());
  EXPECT_EQ(env->at("A"), "b");
}

TEST(ProcessEnvironment, SeesVariablesOfThisProcess) {
  ::setenv("TRIB_DOTENV_TEST_VARIABLE", "v=1", 1);
  const Environment env = process_environment();
  ::unsetenv("TRIB_DOTENV_TEST_VARIABLE");
  ASSERT_EQ(env.count("TRIB_DOTENV_TEST_VARIABLE"), 1u);
  EXPECT_EQ(env.at("TRIB_DOTENV_TEST_VARIABLE"), "v=1");
}

}  // namespace
}  // namespace trib::config
