#pragma once
// Netdata's health expression language: parsed once into a tree, evaluated many times.
//
//   numbers          1  2.5  1e3  nan  inf
//   variables        $this  $status  $WARNING  ${a name with spaces}
//   arithmetic       + - * / %   unary + - !   abs(x)
//   comparisons      == != < > <= >=   (also =, <>)
//   logic            && || (also AND OR NOT, any case)   c ? a : b   ( )
//
// Evaluation never fails: a variable the lookup does not know, a division or modulo by zero, or
// a NaN operand of an arithmetic or ordering operator makes the result NaN, which a health rule
// reports as UNDEFINED. `==` and `!=` treat NaN as a value (`$this == nan` is 1 when $this is
// NaN), as Netdata's do. Only the chosen branch of `?:` and the needed side of `&&`/`||` are
// evaluated. Nesting is bounded (kMaxDepth, kMaxTreeDepth) so evaluation cannot exhaust the stack.
//
// An Expression is an immutable value after parse(); evaluate() may run on any thread.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/base/result.h"

namespace trib::parent::health {

// What a variable resolves to; std::nullopt when the name is unknown.
class Variables {
 public:
  virtual ~Variables() = default;
  virtual std::optional<double> lookup(std::string_view name) const = 0;
};

struct Evaluation {
  double value = 0;
  // The first variable the lookup did not know, empty when all were known.
  std::string unknown_variable;
};

class Expression {
 public:
  static constexpr int kMaxDepth = 64;       // nested parentheses, unary operators, ?:
  static constexpr int kMaxTreeDepth = 512;  // also chains such as 1+1+1+...
  static constexpr size_t kMaxLength = 4096;

  // Errors (Errc::parse_error) name the offset and what was expected.
  static Result<Expression> parse(std::string_view text);

  Evaluation evaluate(const Variables& variables) const;

  const std::string& source() const { return source_; }
  // The tree printed back, fully parenthesised (Netdata's `*_parsed` fields in the API).
  std::string to_string() const;

 private:
  friend class Parser;
  enum class Op : uint8_t {
    number,
    variable,
    negate,
    logical_not,
    absolute,
    add,
    subtract,
    multiply,
    divide,
    modulo,
    equal,
    not_equal,
    less,
    less_equal,
    greater,
    greater_equal,
    logical_and,
    logical_or,
    if_then_else,
  };
  struct Node {
    Op op = Op::number;
    double number = 0;
    std::string name;  // Op::variable
    int32_t a = -1, b = -1, c = -1;
  };

  double eval(int32_t index, const Variables& variables, Evaluation& out) const;
  void print(int32_t index, std::string& out) const;

  std::string source_;
  std::vector<Node> nodes_;
  int32_t root_ = -1;
};

}  // namespace trib::parent::health
