// Arbitrary text as a Telegraf config template: finding parameters, rendering (with a value
// for every other parameter) and validating must not crash; a rendering with every parameter
// supplied has nothing missing, and a text without "&{" renders unchanged.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "parent/fleet/toml_template.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace trib::parent::fleet;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto parameters = template_parameters(text);
  const auto all = render_template(
      text, [](std::string_view name) { return std::optional<std::string>(std::string(name)); });
  if (!all.missing.empty()) __builtin_trap();
  const auto none =
      render_template(text, [](std::string_view) { return std::optional<std::string>(); });
  size_t required = 0;
  for (const auto& p : parameters) required += p.default_value ? 0 : 1;
  if (none.missing.size() != required) __builtin_trap();
  if (text.find("&{") == std::string_view::npos && none.text != text) __builtin_trap();
  (void)validate_template(text);
  return 0;
}
