#include "common/config/simple_pattern.h"

#include <cctype>

namespace trib::config {
namespace {
bool is_separator(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
}  // namespace

SimplePattern::SimplePattern(std::string_view text) : text_(text) {
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && is_separator(text[i])) ++i;
    if (i == text.size()) break;
    Pattern p;
    if (text[i] == '!') {
      p.negative = true;
      ++i;
    }
    while (i < text.size() && !is_separator(text[i])) {
      if (text[i] == '\\' && i + 1 < text.size()) ++i;
      p.glob += text[i++];
    }
    // A lone "!" is an empty negative pattern: it matches only the empty string, as in Netdata.
    patterns_.push_back(std::move(p));
  }
}

SimplePattern::Verdict SimplePattern::evaluate(std::string_view subject) const {
  for (const Pattern& p : patterns_) {
    if (glob_match(p.glob, subject)) return p.negative ? Verdict::negative : Verdict::positive;
  }
  return Verdict::no_match;
}

// Iterative glob with single-star backtracking: O(|glob| * |subject|) at worst, no recursion, so
// hostile patterns cannot blow the stack or take exponential time.
bool SimplePattern::glob_match(std::string_view glob, std::string_view subject) {
  size_t g = 0;
  size_t s = 0;
  size_t star = std::string_view::npos;  // position in glob after the last '*'
  size_t star_s = 0;                     // subject position that '*' currently covers up to
  while (s < subject.size()) {
    if (g < glob.size() && glob[g] == '*') {
      star = ++g;
      star_s = s;
    } else if (g < glob.size() && glob[g] == subject[s]) {
      ++g;
      ++s;
    } else if (star != std::string_view::npos) {
      g = star;
      s = ++star_s;
    } else {
      return false;
    }
  }
  while (g < glob.size() && glob[g] == '*') ++g;
  return g == glob.size();
}

}  // namespace trib::config
