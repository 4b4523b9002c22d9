#include "parent/fleet/toml_template.h"

#include <gtest/gtest.h>

#include <map>

namespace trib::parent::fleet {
namespace {

RenderedTemplate render(std::string_view text, const std::map<std::string, std::string>& values) {
  return render_template(text, [&](std::string_view name) -> std::optional<std::string> {
    const auto it = values.find(std::string(name));
    return it == values.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
}

TEST(TomlTemplate, FindsParametersOnceWithTheirDefaults) {
  const auto params = template_parameters(
      "a = \"&{agent_id}\"\nb = \"&{url:https://localhost:8181}\"\nc = \"&{agent_id}\"\n"
      "d = \"&{opt:}\"\ne = \"${ENV}\" f = \"@{vault:key}\" g = \"&{bad name}\" h = \"&{9x}\"");
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[0], (TemplateParameter{"agent_id", std::nullopt}));
  EXPECT_EQ(params[1], (TemplateParameter{"url", "https://localhost:8181"}));
  EXPECT_EQ(params[2], (TemplateParameter{"opt", ""}));
}

TEST(TomlTemplate, SubstitutesInOnePassAndLeavesTelegrafSyntaxAlone) {
  const auto r = render(
      "id = \"&{id}\" url = \"&{url:http://x:1}\" env = \"${HOME}\" "
      "secret = \"@{store:key}\" opt = \"&{opt:}\"",
      {{"id", "&{url}"}});
  EXPECT_TRUE(r.missing.empty());
  EXPECT_EQ(r.text,
            "id = \"&{url}\" url = \"http://x:1\" env = \"${HOME}\" secret = \"@{store:key}\" "
            "opt = \"\"");
}

TEST(TomlTemplate, ListsEveryMissingRequiredParameterOnce) {
  const auto r = render("a = \"&{a}\" b = \"&{b}\" a2 = \"&{a}\" c = \"&{c:1}\"", {});
  EXPECT_EQ(r.missing, (std::vector<std::string>{"a", "b"}));
}

TEST(TomlTemplate, ValidatesWithPlaceholdersAndNamesTheLine) {
  EXPECT_TRUE(validate_template("[[inputs.cpu]]\n  percpu = true\n[[outputs.heartbeat]]\n"
                                "  instance_id = \"&{agent_id}\"\n  interval = &{n}\n"
                                "  url = \"&{url:http://p:8000/agents/heartbeat}\"\n")
                  .ok());
  const Status bad = validate_template("[agent]\ninterval = \"10s\"\nflush = = 3\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("line 3"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace trib::parent::fleet
