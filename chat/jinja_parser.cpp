#include "chat/jinja_parser.hpp"

#include <initializer_list>
#include <utility>

#include "chat/jinja_lexer.hpp"

namespace binserve::jinja {

namespace {

bool mentions(const expr* e, std::string_view name) {
  if (!e) return false;
  if (e->k == expr::kind::name && e->text == name) return true;
  if (mentions(e->a.get(), name) || mentions(e->b.get(), name) || mentions(e->c.get(), name)) return true;
  for (const auto& item : e->items)
    if (mentions(item.get(), name)) return true;
  for (const auto& arg : e->args)
    if (mentions(arg.value.get(), name)) return true;
  return false;
}

// Whether `body` reads the variable `name` (a macro's caller, varargs, kwargs).
bool mentions(const stmt_list& body, std::string_view name) {
  for (const auto& s : body) {
    if (mentions(s->e.get(), name) || mentions(s->test.get(), name) || mentions(s->body, name) ||
        mentions(s->else_body, name))
      return true;
    if (s->k == stmt::kind::set && s->target && s->target->k != expr::kind::name && mentions(s->target.get(), name))
      return true;
  }
  return false;
}

class parser {
 public:
  explicit parser(std::vector<token> tokens) : t_(std::move(tokens)) {}

  program run() {
    program p;
    while (pos_ < t_.size()) {
      if (auto s = any()) p.body.push_back(std::move(s));
    }
    return p;
  }

 private:
  using st = std::unique_ptr<stmt>;

  [[noreturn]] void fail(const std::string& what) const {
    const int line = pos_ < t_.size() ? t_[pos_].line : t_.empty() ? 1 : t_.back().line;
    throw error("line " + std::to_string(line) + ": " + what);
  }
  bool is(token_type type, std::size_t ahead = 0) const {
    return pos_ + ahead < t_.size() && t_[pos_ + ahead].type == type;
  }
  bool is_name(std::string_view name, std::size_t ahead = 0) const {
    return is(token_type::identifier, ahead) && t_[pos_ + ahead].text == name;
  }
  bool is_statement(std::initializer_list<std::string_view> names) const {
    if (!is(token_type::open_statement) || !is(token_type::identifier, 1)) return false;
    for (std::string_view n : names)
      if (t_[pos_ + 1].text == n) return true;
    return false;
  }
  const token& expect(token_type type, const char* what) {
    if (!is(type))
      fail(std::string("expected ") + what +
           (pos_ < t_.size() ? ", found '" + t_[pos_].text + "'" : ", found the end of the template"));
    return t_[pos_++];
  }
  void expect_name(std::string_view name) {
    if (!is_name(name)) fail("expected '" + std::string(name) + "'");
    ++pos_;
  }
  // {% NAME %}
  void expect_end(std::string_view name) {
    expect(token_type::open_statement, "'{%'");
    expect_name(name);
    expect(token_type::close_statement, "'%}'");
  }
  int line() const { return pos_ < t_.size() ? t_[pos_].line : 0; }
  static expr_ptr make(expr::kind k, int line) {
    auto e = std::make_unique<expr>();
    e->k = k;
    e->line = line;
    return e;
  }
  // operand (op operand)*, left-associative, while at_operator().
  template <class Operand, class AtOperator>
  expr_ptr chain(Operand operand, AtOperator at_operator) {
    expr_ptr left = operand();
    while (at_operator()) {
      auto e = make(expr::kind::binary, line());
      e->text = t_[pos_++].text;
      e->a = std::move(left);
      e->b = operand();
      left = std::move(e);
    }
    return left;
  }
  stmt_list block_until(std::initializer_list<std::string_view> ends, const char* opener) {
    stmt_list body;
    while (!is_statement(ends)) {
      if (pos_ >= t_.size()) fail(std::string("{% ") + opener + " %} is never closed");
      if (auto s = any()) body.push_back(std::move(s));
    }
    return body;
  }

  st any();
  st statement();
  st if_statement(int at);
  st for_statement(int at);
  st set_statement(int at);
  st macro_statement(int at);
  st call_block(int at);
  st filter_block(int at);

  expr_ptr expression();
  expr_ptr sequence(bool primary_only);
  expr_ptr logical_or();
  expr_ptr logical_and();
  expr_ptr logical_not();
  expr_ptr comparison();
  expr_ptr additive();
  expr_ptr multiplicative();
  expr_ptr power();
  expr_ptr test_expression();
  expr_ptr filter_expression();
  expr_ptr unary_sign();
  expr_ptr call_member();
  expr_ptr call(expr_ptr callee);
  expr_ptr member(expr_ptr object);
  expr_ptr subscript();
  expr_ptr primary();
  std::vector<argument> arguments(bool parameters);

  std::vector<token> t_;
  std::size_t pos_ = 0;
};

parser::st parser::any() {
  const token& tok = t_[pos_];
  switch (tok.type) {
    case token_type::comment:
      ++pos_;
      return nullptr;
    case token_type::text: {
      auto s = std::make_unique<stmt>();
      s->k = stmt::kind::text;
      s->line = tok.line;
      s->text = tok.text;
      ++pos_;
      return s;
    }
    case token_type::open_statement:
      return statement();
    case token_type::open_expression: {
      auto s = std::make_unique<stmt>();
      s->k = stmt::kind::output;
      s->line = tok.line;
      ++pos_;
      s->e = expression();
      expect(token_type::close_expression, "'}}'");
      return s;
    }
    default:
      fail("unexpected '" + tok.text + "'");
  }
}

parser::st parser::statement() {
  const int at = line();
  expect(token_type::open_statement, "'{%'");
  if (!is(token_type::identifier)) fail("expected a statement name after '{%'");
  const std::string name = t_[pos_++].text;
  if (name == "if") {
    st s = if_statement(at);
    expect_end("endif");
    return s;
  }
  if (name == "for") return for_statement(at);
  if (name == "set") return set_statement(at);
  if (name == "macro") return macro_statement(at);
  if (name == "call") return call_block(at);
  if (name == "filter") return filter_block(at);
  if (name == "break" || name == "continue") {
    expect(token_type::close_statement, "'%}'");
    auto s = std::make_unique<stmt>();
    s->k = name == "break" ? stmt::kind::break_ : stmt::kind::continue_;
    s->line = at;
    return s;
  }
  --pos_;
  fail("unsupported statement {% " + name + " %}");
}

parser::st parser::if_statement(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::if_;
  s->line = at;
  s->e = expression();
  expect(token_type::close_statement, "'%}'");
  s->body = block_until({"elif", "else", "endif"}, "if");
  if (is_statement({"elif"})) {
    const int elif_at = line();
    pos_ += 2;
    s->else_body.push_back(if_statement(elif_at));
  } else if (is_statement({"else"})) {
    pos_ += 2;
    expect(token_type::close_statement, "'%}'");
    s->else_body = block_until({"endif"}, "if");
  }
  return s;
}

parser::st parser::for_statement(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::for_;
  s->line = at;
  expr_ptr target = sequence(true);
  if (target->k == expr::kind::name) {
    s->targets.push_back(target->text);
  } else if (target->k == expr::kind::tuple) {
    for (const auto& item : target->items) {
      if (item->k != expr::kind::name) fail("a for loop's targets must be names");
      s->targets.push_back(item->text);
    }
  } else {
    fail("a for loop's target must be a name or names");
  }
  if (!is_name("in")) fail("expected 'in' after the for loop's target");
  ++pos_;
  expr_ptr iterable = expression();
  if (iterable->k == expr::kind::select) {  // for x in xs if cond
    s->e = std::move(iterable->a);
    s->test = std::move(iterable->b);
  } else {
    s->e = std::move(iterable);
  }
  expect(token_type::close_statement, "'%}'");
  s->body = block_until({"endfor", "else"}, "for");
  if (is_statement({"else"})) {
    pos_ += 2;
    expect(token_type::close_statement, "'%}'");
    s->else_body = block_until({"endfor"}, "for");
  }
  expect_end("endfor");
  return s;
}

parser::st parser::set_statement(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::set;
  s->line = at;
  s->target = sequence(false);
  if (is(token_type::equals)) {
    ++pos_;
    s->e = sequence(false);
    expect(token_type::close_statement, "'%}'");
    return s;
  }
  expect(token_type::close_statement, "'%}' or '=' in {% set %}");
  s->body = block_until({"endset"}, "set");
  expect_end("endset");
  return s;
}

parser::st parser::macro_statement(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::macro;
  s->line = at;
  if (!is(token_type::identifier)) fail("expected the macro's name");
  s->text = t_[pos_++].text;
  s->params = arguments(true);
  expect(token_type::close_statement, "'%}'");
  s->body = block_until({"endmacro"}, "macro");
  expect_end("endmacro");
  s->uses = {mentions(s->body, "caller"), mentions(s->body, "varargs"), mentions(s->body, "kwargs")};
  return s;
}

// {% call(params) macro(args) %}body{% endcall %}
parser::st parser::call_block(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::call;
  s->line = at;
  if (is(token_type::open_paren)) s->params = arguments(true);
  if (!is(token_type::identifier)) fail("expected a macro's name after {% call %}");
  auto callee = make(expr::kind::name, line());
  callee->text = t_[pos_++].text;
  s->e = make(expr::kind::call, at);
  s->e->a = std::move(callee);
  s->e->args = arguments(false);
  expect(token_type::close_statement, "'%}'");
  s->body = block_until({"endcall"}, "call");
  expect_end("endcall");
  s->uses = {mentions(s->body, "caller"), mentions(s->body, "varargs"), mentions(s->body, "kwargs")};
  return s;
}

// {% filter name(args) %}body{% endfilter %}
parser::st parser::filter_block(int at) {
  auto s = std::make_unique<stmt>();
  s->k = stmt::kind::filter;
  s->line = at;
  if (!is(token_type::identifier)) fail("expected a filter's name after {% filter %}");
  s->e = make(expr::kind::filter, at);
  s->e->text = t_[pos_++].text;
  if (is(token_type::open_paren)) {
    s->e->has_args = true;
    s->e->args = arguments(false);
  }
  expect(token_type::close_statement, "'%}'");
  s->body = block_until({"endfilter"}, "filter");
  expect_end("endfilter");
  return s;
}

expr_ptr parser::expression() {
  const int at = line();
  expr_ptr a = logical_or();
  if (!is_name("if")) return a;
  ++pos_;
  expr_ptr test = logical_or();
  if (!is_name("else")) {
    auto e = make(expr::kind::select, at);
    e->a = std::move(a);
    e->b = std::move(test);
    return e;
  }
  ++pos_;
  auto e = make(expr::kind::ternary, at);
  e->a = std::move(test);
  e->b = std::move(a);
  e->c = expression();
  return e;
}

// a, b, c (a tuple) or a single expression.
expr_ptr parser::sequence(bool primary_only) {
  const int at = line();
  expr_ptr first = primary_only ? primary() : expression();
  if (!is(token_type::comma)) return first;
  auto e = make(expr::kind::tuple, at);
  e->items.push_back(std::move(first));
  while (is(token_type::comma)) {
    ++pos_;
    e->items.push_back(primary_only ? primary() : expression());
  }
  return e;
}

expr_ptr parser::logical_or() {
  return chain([this] { return logical_and(); }, [this] { return is_name("or"); });
}

expr_ptr parser::logical_and() {
  return chain([this] { return logical_not(); }, [this] { return is_name("and"); });
}

expr_ptr parser::logical_not() {
  if (!is_name("not")) return comparison();
  auto e = make(expr::kind::unary, line());
  ++pos_;
  e->text = "not";
  e->a = logical_not();
  return e;
}

expr_ptr parser::comparison() {
  expr_ptr left = additive();
  while (true) {
    std::string op;
    if (is_name("not") && is_name("in", 1)) {
      op = "not in";
      pos_ += 2;
    } else if (is_name("in") || is(token_type::comparison)) {
      op = t_[pos_++].text;
    } else {
      return left;
    }
    auto e = make(expr::kind::binary, line());
    e->text = op;
    e->a = std::move(left);
    e->b = additive();
    left = std::move(e);
  }
}

expr_ptr parser::additive() {
  return chain([this] { return multiplicative(); }, [this] { return is(token_type::additive); });
}

expr_ptr parser::multiplicative() {
  return chain([this] { return power(); }, [this] { return is(token_type::multiplicative); });
}

expr_ptr parser::power() {  // left-associative, as in Jinja
  return chain([this] { return test_expression(); }, [this] { return is(token_type::power); });
}

expr_ptr parser::test_expression() {
  expr_ptr operand = filter_expression();
  while (is_name("is")) {
    auto e = make(expr::kind::test, line());
    ++pos_;
    e->negate = is_name("not");
    if (e->negate) ++pos_;
    if (!is(token_type::identifier)) fail("expected a test name after 'is'");
    e->text = t_[pos_++].text;
    if (is(token_type::open_paren)) fail("tests with arguments ('is " + e->text + "(...)') are not supported");
    e->a = std::move(operand);
    operand = std::move(e);
  }
  return operand;
}

expr_ptr parser::filter_expression() {
  expr_ptr operand = unary_sign();
  while (is(token_type::pipe)) {
    auto e = make(expr::kind::filter, line());
    ++pos_;
    if (!is(token_type::identifier)) fail("expected a filter name after '|'");
    e->text = t_[pos_++].text;
    if (is(token_type::open_paren)) {
      e->has_args = true;
      e->args = arguments(false);
    }
    e->a = std::move(operand);
    operand = std::move(e);
  }
  return operand;
}

expr_ptr parser::unary_sign() {
  if ((is(token_type::unary) || is(token_type::additive)) && (t_[pos_].text == "-" || t_[pos_].text == "+")) {
    auto e = make(expr::kind::unary, line());
    e->text = t_[pos_++].text;
    e->a = unary_sign();
    return e;
  }
  return call_member();
}

expr_ptr parser::call_member() {
  expr_ptr m = member(primary());
  return is(token_type::open_paren) ? call(std::move(m)) : std::move(m);
}

expr_ptr parser::call(expr_ptr callee) {
  auto e = make(expr::kind::call, line());
  e->a = std::move(callee);
  e->args = arguments(false);
  expr_ptr m = member(std::move(e));
  return is(token_type::open_paren) ? call(std::move(m)) : std::move(m);
}

std::vector<argument> parser::arguments(bool parameters) {
  expect(token_type::open_paren, "'('");
  std::vector<argument> args;
  bool keyword_seen = false;
  while (!is(token_type::close_paren)) {
    if (pos_ >= t_.size()) fail("an argument list is never closed with ')'");
    if (is(token_type::power) || (is(token_type::multiplicative) && t_[pos_].text == "*"))
      fail("argument unpacking (* and **) is not supported");
    argument arg;
    arg.value = expression();
    if (is(token_type::equals)) {
      ++pos_;
      if (arg.value->k != expr::kind::name) fail("a keyword argument's name must be an identifier");
      arg.name = arg.value->text;
      arg.value = expression();
      keyword_seen = true;
    } else if (keyword_seen) {
      fail(parameters ? "a parameter without a default follows one with a default"
                      : "a positional argument follows a keyword argument");
    } else if (parameters) {
      if (arg.value->k != expr::kind::name) fail("a macro parameter must be a name");
      arg.name = arg.value->text;
      arg.value = nullptr;
    }
    args.push_back(std::move(arg));
    if (is(token_type::comma)) ++pos_;
  }
  ++pos_;
  return args;
}

expr_ptr parser::member(expr_ptr object) {
  while (is(token_type::dot) || is(token_type::open_bracket)) {
    auto e = make(expr::kind::member, line());
    e->computed = t_[pos_++].type == token_type::open_bracket;
    if (e->computed) {
      e->b = subscript();
      expect(token_type::close_bracket, "']'");
    } else {
      e->b = primary();
      if (e->b->k != expr::kind::name && !(e->b->k == expr::kind::literal && e->b->constant.is(kind::integer)))
        fail("expected a name or an integer after '.'");
    }
    e->a = std::move(object);
    object = std::move(e);
  }
  return object;
}

// Inside [ ]: an index, or a slice start:stop:step.
expr_ptr parser::subscript() {
  const int at = line();
  std::vector<expr_ptr> parts;
  bool is_slice = false;
  while (!is(token_type::close_bracket)) {
    if (pos_ >= t_.size()) fail("a '[' is never closed");
    if (is(token_type::colon)) {
      parts.push_back(nullptr);
      ++pos_;
      is_slice = true;
      continue;
    }
    parts.push_back(expression());
    if (is(token_type::colon)) {
      ++pos_;
      is_slice = true;
    }
  }
  if (parts.empty()) fail("expected an index or a slice inside '[]'");
  if (!is_slice) return std::move(parts[0]);
  if (parts.size() > 3) fail("a slice takes at most 3 parts");
  auto e = make(expr::kind::slice, at);
  parts.resize(3);
  e->a = std::move(parts[0]);
  e->b = std::move(parts[1]);
  e->c = std::move(parts[2]);
  return e;
}

expr_ptr parser::primary() {
  if (pos_ >= t_.size()) fail("the template ends inside an expression");
  const token& tok = t_[pos_++];
  switch (tok.type) {
    case token_type::number: {
      auto e = make(expr::kind::literal, tok.line);
      const double d = std::stod(tok.text);
      e->constant = tok.text.find('.') != std::string::npos ? value::floating(d) : value::integer(d);
      return e;
    }
    case token_type::string: {
      auto e = make(expr::kind::literal, tok.line);
      std::string s = tok.text;
      while (is(token_type::string)) s += t_[pos_++].text;
      e->constant = value::string(std::move(s));
      return e;
    }
    case token_type::identifier: {
      auto e = make(expr::kind::name, tok.line);
      e->text = tok.text;
      return e;
    }
    case token_type::open_paren: {
      expr_ptr e = sequence(false);
      expect(token_type::close_paren, "')'");
      return e;
    }
    case token_type::open_bracket: {
      auto e = make(expr::kind::list, tok.line);
      while (!is(token_type::close_bracket)) {
        if (pos_ >= t_.size()) fail("a list literal is never closed with ']'");
        e->items.push_back(expression());
        if (is(token_type::comma)) ++pos_;
      }
      ++pos_;
      return e;
    }
    case token_type::open_brace: {
      auto e = make(expr::kind::dict, tok.line);
      while (!is(token_type::close_brace)) {
        if (pos_ >= t_.size()) fail("a dict literal is never closed with '}'");
        e->items.push_back(expression());
        expect(token_type::colon, "':' between a key and its value");
        e->items.push_back(expression());
        if (is(token_type::comma)) ++pos_;
      }
      ++pos_;
      return e;
    }
    default:
      --pos_;
      fail("unexpected '" + tok.text + "'");
  }
}

}  // namespace

program parse(std::string_view source) { return parser(tokenize(source)).run(); }

}  // namespace binserve::jinja
