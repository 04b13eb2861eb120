// binserve::jinja: a parsed template. Expressions and statements are trees
// owned by their parent; a `program` owns the whole tree and is immutable
// once parsed, so one parse may be rendered by many threads at once.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "chat/jinja_value.hpp"

namespace binserve::jinja {

struct expr;
using expr_ptr = std::unique_ptr<expr>;

// One argument of a call, or one parameter of a macro: `name` is empty for a
// positional one; `value` is the keyword's value or the parameter's default.
struct argument {
  std::string name;
  expr_ptr value;
};

struct expr {
  enum class kind {
    literal,  // constant
    name,     // text: the variable
    list,     // items
    tuple,    // items
    dict,     // items: key0, value0, key1, value1, ...
    member,   // a = object, b = property (or a slice); computed: written [..]
    slice,    // a, b, c = start, stop, step (each may be null)
    call,     // a = callee, args
    filter,   // a = operand, text = filter name, args (has_args: written with parentheses)
    test,     // a = operand, text = test name, negate
    unary,    // text = "not" | "-" | "+", a = operand
    binary,   // text = operator, a, b
    ternary,  // a = condition, b = if true, c = if false
    select,   // a = value, b = condition (`a if b` without else)
  };
  kind k;
  int line = 0;
  value constant;
  std::string text;
  expr_ptr a, b, c;
  std::vector<expr_ptr> items;
  std::vector<argument> args;
  bool computed = false;
  bool has_args = false;
  bool negate = false;
};

struct stmt;
using stmt_list = std::vector<std::unique_ptr<stmt>>;

struct stmt {
  enum class kind {
    text,    // text
    output,  // {{ e }}
    if_,     // e = condition, body, else_body
    for_,    // targets (one name, or several unpacked), e = iterable, test (optional), body, else_body
    set,     // target (name, tuple of names, or ns.attr), e = value or body (a block set)
    macro,   // text = name, params, body; uses: which of caller, varargs, kwargs the body reads
    call,    // e = the call (a macro and its arguments), params = the caller's, body = what caller() renders
    filter,  // e = a filter expression without operand, applied to what body renders
    break_,
    continue_,
  };
  kind k;
  int line = 0;
  std::string text;
  expr_ptr e, test, target;
  std::vector<std::string> targets;
  std::vector<argument> params;
  stmt_list body, else_body;
  struct special_names {
    bool caller = false, varargs = false, kwargs = false;
  } uses;
};

struct program {
  stmt_list body;
};

}  // namespace binserve::jinja
