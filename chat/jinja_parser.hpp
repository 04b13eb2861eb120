// binserve::jinja: tokens -> a program.
//
// The grammar is @huggingface/jinja's: statements if/elif/else, for (with
// tuple targets, `if` conditions and else), set (names, tuples, namespace
// attributes, block sets), macro, call and filter blocks, break, continue;
// expressions with Jinja's precedence, lowest first: `a if b else c`, or,
// and, not, comparisons and in / not in, + - ~, * / // %, **, `is` tests,
// `|` filters, unary signs, calls, member access and slices. Any other
// statement ({% include %}, {% extends %}, {% raw %}, ...) is an error naming it.
// Throws jinja::error with the line and the construct.
#pragma once

#include <string_view>

#include "chat/jinja_ast.hpp"

namespace binserve::jinja {

program parse(std::string_view source);

}  // namespace binserve::jinja
