#pragma once
// Netdata's simple patterns, as used by stream.conf `allow from` and `send charts matching`:
// a whitespace-separated list of patterns; `*` matches any run of characters, anywhere, any
// number of times; a leading `!` makes a pattern negative; `\` makes the next character literal
// (a space inside a pattern, or a leading `!`; a `*` stays a wildcard, as in Netdata). Patterns
// are tried left to right and the first one that matches decides; when none matches, the answer
// is "no match". Matching is case-sensitive. Immutable after construction; any thread.

#include <string>
#include <string_view>
#include <vector>

namespace trib::config {

class SimplePattern {
 public:
  enum class Verdict { no_match, positive, negative };

  SimplePattern() = default;  // the empty list
  explicit SimplePattern(std::string_view text);

  // positive/negative: the first pattern that matched and its sign; no_match: none did.
  [[nodiscard]] Verdict evaluate(std::string_view subject) const;
  // True only when the first matching pattern is positive.
  [[nodiscard]] bool matches(std::string_view subject) const {
    return evaluate(subject) == Verdict::positive;
  }
  // The `allow from` rule: an empty list disables the check (everything allowed); otherwise
  // the same as matches().
  [[nodiscard]] bool allows(std::string_view subject) const {
    return patterns_.empty() || matches(subject);
  }

  [[nodiscard]] bool empty() const { return patterns_.empty(); }
  [[nodiscard]] const std::string& text() const { return text_; }  // as configured

  bool operator==(const SimplePattern& other) const { return text_ == other.text_; }

 private:
  struct Pattern {
    std::string glob;  // escapes resolved; '*' is the wildcard
    bool negative = false;
  };
  static bool glob_match(std::string_view glob, std::string_view subject);

  std::string text_;
  std::vector<Pattern> patterns_;
};

}  // namespace trib::config
