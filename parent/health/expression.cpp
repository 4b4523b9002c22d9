#include "parent/health/expression.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>

namespace trib::parent::health {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

bool is_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.';
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

double truth(bool b) { return b ? 1.0 : 0.0; }

}  // namespace

// Recursive descent, lowest precedence first: ?: , ||, &&, comparisons, + -, * / %, unary.
class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text) {}

  Result<Expression> run() {
    Expression e;
    e.source_ = std::string(text_);
    expr_ = &e;
    auto root = ternary();
    if (!root.ok()) return root.take_error();
    skip_space();
    if (pos_ != text_.size()) return fail("unexpected '" + std::string(1, text_[pos_]) + "'");
    e.root_ = *root;
    if (tree_depth(e) > Expression::kMaxTreeDepth) {
      return fail(fmt::format("more than {} operations chained", Expression::kMaxTreeDepth));
    }
    return e;
  }

 private:
  using Op = Expression::Op;

  // Children are created before their parents, so one pass in creation order suffices.
  static int tree_depth(const Expression& e) {
    std::vector<int> depth(e.nodes_.size(), 1);
    int deepest = 0;
    for (size_t i = 0; i < e.nodes_.size(); ++i) {
      const auto& n = e.nodes_[i];
      for (const int32_t child : {n.a, n.b, n.c}) {
        if (child >= 0) depth[i] = std::max(depth[i], depth[static_cast<size_t>(child)] + 1);
      }
      deepest = std::max(deepest, depth[i]);
    }
    return deepest;
  }

  Error fail(const std::string& what) const {
    return Error(Errc::parse_error, fmt::format("expression '{}': at offset {}: {}",
                                                text_.substr(0, 200), pos_, what));
  }

  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_])) != 0) {
      ++pos_;
    }
  }

  // Consumes `token` (after spaces) when it is next.
  bool accept(std::string_view token) {
    skip_space();
    if (text_.substr(pos_, token.size()) != token) return false;
    pos_ += token.size();
    return true;
  }

  // Consumes a keyword (AND, OR, NOT, any case) when it is next and not part of a longer word.
  bool accept_word(std::string_view word) {
    skip_space();
    if (pos_ + word.size() > text_.size() || !iequals(text_.substr(pos_, word.size()), word)) {
      return false;
    }
    if (pos_ + word.size() < text_.size() && is_name_char(text_[pos_ + word.size()])) return false;
    pos_ += word.size();
    return true;
  }

  int32_t add(Expression::Node node) {
    expr_->nodes_.push_back(std::move(node));
    return static_cast<int32_t>(expr_->nodes_.size() - 1);
  }
  int32_t add(Op op, int32_t a, int32_t b = -1, int32_t c = -1) {
    Expression::Node node;
    node.op = op;
    node.a = a;
    node.b = b;
    node.c = c;
    return add(std::move(node));
  }

  // Bounds the recursion of every rule that can nest.
  struct DepthGuard {
    explicit DepthGuard(int& depth, int by = 1) : depth_(depth), by_(by) { depth_ += by_; }
    ~DepthGuard() { depth_ -= by_; }
    int& depth_;
    int by_;
  };

  bool peek_unary() {
    skip_space();
    if (pos_ >= text_.size()) return false;
    const char c = text_[pos_];
    if (c == '-' || c == '+' || c == '!') return true;
    const size_t saved = pos_;
    const bool word = accept_word("NOT");
    pos_ = saved;
    return word;
  }

  Result<int32_t> ternary() {
    DepthGuard guard(depth_);
    if (depth_ > Expression::kMaxDepth) {
      return fail(fmt::format("nested deeper than {}", Expression::kMaxDepth));
    }
    TRIB_ASSIGN_OR_RETURN(const int32_t condition, logical_or());
    if (!accept("?")) return condition;
    TRIB_ASSIGN_OR_RETURN(const int32_t then_value, ternary());
    if (!accept(":")) return fail("expected ':' of '? :'");
    TRIB_ASSIGN_OR_RETURN(const int32_t else_value, ternary());
    return add(Op::if_then_else, condition, then_value, else_value);
  }

  Result<int32_t> logical_or() {
    TRIB_ASSIGN_OR_RETURN(int32_t left, logical_and());
    while (accept("||") || accept_word("OR")) {
      TRIB_ASSIGN_OR_RETURN(const int32_t right, logical_and());
      left = add(Op::logical_or, left, right);
    }
    return left;
  }

  Result<int32_t> logical_and() {
    TRIB_ASSIGN_OR_RETURN(int32_t left, comparison());
    while (accept("&&") || accept_word("AND")) {
      TRIB_ASSIGN_OR_RETURN(const int32_t right, comparison());
      left = add(Op::logical_and, left, right);
    }
    return left;
  }

  std::optional<Op> comparison_operator() {
    // Longest first, so "<=" is not read as "<".
    if (accept("==")) return Op::equal;
    if (accept("!=") || accept("<>")) return Op::not_equal;
    if (accept("<=")) return Op::less_equal;
    if (accept(">=")) return Op::greater_equal;
    if (accept("<")) return Op::less;
    if (accept(">")) return Op::greater;
    if (accept("=")) return Op::equal;
    return std::nullopt;
  }

  Result<int32_t> comparison() {
    TRIB_ASSIGN_OR_RETURN(int32_t left, additive());
    while (auto op = comparison_operator()) {
      TRIB_ASSIGN_OR_RETURN(const int32_t right, additive());
      left = add(*op, left, right);
    }
    return left;
  }

  Result<int32_t> additive() {
    TRIB_ASSIGN_OR_RETURN(int32_t left, multiplicative());
    for (;;) {
      Op op;
      if (accept("+")) {
        op = Op::add;
      } else if (accept("-")) {
        op = Op::subtract;
      } else {
        return left;
      }
      TRIB_ASSIGN_OR_RETURN(const int32_t right, multiplicative());
      left = add(op, left, right);
    }
  }

  Result<int32_t> multiplicative() {
    TRIB_ASSIGN_OR_RETURN(int32_t left, unary());
    for (;;) {
      Op op;
      if (accept("*")) {
        op = Op::multiply;
      } else if (accept("/")) {
        op = Op::divide;
      } else if (accept("%")) {
        op = Op::modulo;
      } else {
        return left;
      }
      TRIB_ASSIGN_OR_RETURN(const int32_t right, unary());
      left = add(op, left, right);
    }
  }

  // Only unary operators count towards the nesting depth here; a plain value does not.
  Result<int32_t> unary() {
    const bool op = peek_unary();
    DepthGuard guard(depth_, op ? 1 : 0);
    if (depth_ > Expression::kMaxDepth) {
      return fail(fmt::format("nested deeper than {}", Expression::kMaxDepth));
    }
    if (accept("-")) {
      TRIB_ASSIGN_OR_RETURN(const int32_t operand, unary());
      return add(Op::negate, operand);
    }
    if (accept("+")) return unary();
    if (accept("!") || accept_word("NOT")) {
      TRIB_ASSIGN_OR_RETURN(const int32_t operand, unary());
      return add(Op::logical_not, operand);
    }
    return primary();
  }

  Result<int32_t> primary() {
    skip_space();
    if (pos_ >= text_.size()) return fail("expected a value, found the end");
    if (accept("(")) {
      TRIB_ASSIGN_OR_RETURN(const int32_t inner, ternary());
      if (!accept(")")) return fail("expected ')'");
      return inner;
    }
    if (accept("$")) return variable();
    const char c = text_[pos_];
    if (std::isdigit(static_cast<unsigned char>(c)) != 0 || c == '.') return number();
    if (accept_word("nan")) return constant(kNaN);
    if (accept_word("inf")) return constant(std::numeric_limits<double>::infinity());
    if (accept_word("abs")) {
      if (!accept("(")) return fail("expected '(' after abs");
      TRIB_ASSIGN_OR_RETURN(const int32_t inner, ternary());
      if (!accept(")")) return fail("expected ')' closing abs(");
      return add(Op::absolute, inner);
    }
    return fail("expected a number, a $variable, '(' or an operator, found '" + std::string(1, c) +
                "'");
  }

  int32_t constant(double value) {
    Expression::Node node;
    node.number = value;
    return add(std::move(node));
  }

  Result<int32_t> number() {
    double value = 0;
    const char* begin = text_.data() + pos_;
    const auto [end, ec] = std::from_chars(begin, text_.data() + text_.size(), value);
    if (ec == std::errc::result_out_of_range) return fail("number out of range");
    if (ec != std::errc()) return fail("malformed number");
    pos_ += static_cast<size_t>(end - begin);
    return constant(value);
  }

  Result<int32_t> variable() {
    std::string name;
    if (pos_ < text_.size() && text_[pos_] == '{') {
      const size_t close = text_.find('}', pos_);
      if (close == std::string_view::npos) return fail("'${' without a closing '}'");
      name = std::string(text_.substr(pos_ + 1, close - pos_ - 1));
      pos_ = close + 1;
    } else {
      const size_t start = pos_;
      while (pos_ < text_.size() && is_name_char(text_[pos_])) ++pos_;
      name = std::string(text_.substr(start, pos_ - start));
    }
    if (name.empty()) return fail("'$' without a variable name");
    Expression::Node node;
    node.op = Op::variable;
    node.name = std::move(name);
    return add(std::move(node));
  }

  std::string_view text_;
  size_t pos_ = 0;
  int depth_ = 0;
  Expression* expr_ = nullptr;
};

Result<Expression> Expression::parse(std::string_view text) {
  if (text.size() > kMaxLength) {
    return Error(Errc::parse_error,
                 fmt::format("expression is {} bytes long; at most {}", text.size(), kMaxLength));
  }
  return Parser(text).run();
}

Evaluation Expression::evaluate(const Variables& variables) const {
  Evaluation out;
  out.value = root_ < 0 ? kNaN : eval(root_, variables, out);
  return out;
}

double Expression::eval(int32_t index, const Variables& variables, Evaluation& out) const {
  const Node& n = nodes_[static_cast<size_t>(index)];
  const auto operand = [&](int32_t i) { return eval(i, variables, out); };
  switch (n.op) {
    case Op::number:
      return n.number;
    case Op::variable: {
      const std::optional<double> v = variables.lookup(n.name);
      if (!v.has_value()) {
        if (out.unknown_variable.empty()) out.unknown_variable = n.name;
        return kNaN;
      }
      return *v;
    }
    case Op::negate:
      return -operand(n.a);
    case Op::absolute:
      return std::fabs(operand(n.a));
    case Op::logical_not: {
      const double v = operand(n.a);
      return std::isnan(v) ? kNaN : truth(v == 0);
    }
    case Op::add:
      return operand(n.a) + operand(n.b);
    case Op::subtract:
      return operand(n.a) - operand(n.b);
    case Op::multiply:
      return operand(n.a) * operand(n.b);
    case Op::divide: {
      const double l = operand(n.a);
      const double r = operand(n.b);
      return r == 0 ? kNaN : l / r;
    }
    case Op::modulo: {
      const double l = operand(n.a);
      const double r = operand(n.b);
      return r == 0 ? kNaN : std::fmod(l, r);
    }
    case Op::equal:
    case Op::not_equal: {
      const double l = operand(n.a);
      const double r = operand(n.b);
      const bool same = (std::isnan(l) && std::isnan(r)) || l == r;
      return truth(n.op == Op::equal ? same : !same);
    }
    case Op::less:
    case Op::less_equal:
    case Op::greater:
    case Op::greater_equal: {
      const double l = operand(n.a);
      const double r = operand(n.b);
      if (std::isnan(l) || std::isnan(r)) return kNaN;
      if (n.op == Op::less) return truth(l < r);
      if (n.op == Op::less_equal) return truth(l <= r);
      if (n.op == Op::greater) return truth(l > r);
      return truth(l >= r);
    }
    case Op::logical_and: {
      const double l = operand(n.a);
      if (l == 0) return 0;
      const double r = operand(n.b);
      if (std::isnan(l) || std::isnan(r)) return r == 0 ? 0 : kNaN;
      return truth(r != 0);
    }
    case Op::logical_or: {
      const double l = operand(n.a);
      if (!std::isnan(l) && l != 0) return 1;
      const double r = operand(n.b);
      if (!std::isnan(r) && r != 0) return 1;
      return std::isnan(l) || std::isnan(r) ? kNaN : 0;
    }
    case Op::if_then_else: {
      const double condition = operand(n.a);
      if (std::isnan(condition)) return kNaN;
      return condition != 0 ? operand(n.b) : operand(n.c);
    }
  }
  return kNaN;
}

namespace {

std::string format_number(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

}  // namespace

void Expression::print(int32_t index, std::string& out) const {
  const Node& n = nodes_[static_cast<size_t>(index)];
  const auto binary = [&](std::string_view op) {
    out += '(';
    print(n.a, out);
    out += ' ';
    out += op;
    out += ' ';
    print(n.b, out);
    out += ')';
  };
  switch (n.op) {
    case Op::number:
      out += format_number(n.number);
      return;
    case Op::variable:
      out += "${" + n.name + "}";
      return;
    case Op::negate:
      out += "-(";
      print(n.a, out);
      out += ')';
      return;
    case Op::logical_not:
      out += "!(";
      print(n.a, out);
      out += ')';
      return;
    case Op::absolute:
      out += "abs(";
      print(n.a, out);
      out += ')';
      return;
    case Op::add:
      return binary("+");
    case Op::subtract:
      return binary("-");
    case Op::multiply:
      return binary("*");
    case Op::divide:
      return binary("/");
    case Op::modulo:
      return binary("%");
    case Op::equal:
      return binary("==");
    case Op::not_equal:
      return binary("!=");
    case Op::less:
      return binary("<");
    case Op::less_equal:
      return binary("<=");
    case Op::greater:
      return binary(">");
    case Op::greater_equal:
      return binary(">=");
    case Op::logical_and:
      return binary("&&");
    case Op::logical_or:
      return binary("||");
    case Op::if_then_else:
      out += '(';
      print(n.a, out);
      out += " ? ";
      print(n.b, out);
      out += " : ";
      print(n.c, out);
      out += ')';
      return;
  }
}

std::string Expression::to_string() const {
  std::string out;
  if (root_ >= 0) print(root_, out);
  return out;
}

}  // namespace trib::parent::health
