// libFuzzer target: health expressions (rules come from files an operator edits, and the
// values they read come from children). Input: the expression text.
// Checks: parsing never crashes; evaluation of any parsed tree terminates without a crash;
// the printed tree parses again and prints the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "parent/health/expression.h"

namespace {

class FuzzVariables final : public trib::parent::health::Variables {
 public:
  std::optional<double> lookup(std::string_view name) const override {
    if (name.empty() || name.size() % 3 == 0) return std::nullopt;  // some names unknown
    return static_cast<double>(name.size()) - 4.0;                  // zero, negatives and positives
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = trib::parent::health::Expression::parse(text);
  if (!parsed.ok()) return 0;
  (void)parsed->evaluate(FuzzVariables{});
  const std::string printed = parsed->to_string();
  auto again = trib::parent::health::Expression::parse(printed);
  // Printing adds parentheses, so a tree near the depth bound may not parse back; anything else
  // must round-trip exactly.
  if (!again.ok()) {
    if (again.error().message.find("nested") == std::string::npos &&
        again.error().message.find("bytes long") == std::string::npos) {
      std::abort();
    }
    return 0;
  }
  if (again->to_string() != printed) std::abort();
  return 0;
}
