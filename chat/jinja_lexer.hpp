// binserve::jinja: a template's text -> tokens.
//
// As chat templates are rendered by Hugging Face (trim_blocks and
// lstrip_blocks on): one trailing newline of the template is dropped, spaces
// and tabs before a `{%` or `{#` that starts a line are dropped, the newline
// right after `%}` or `#}` is dropped, and `-` inside a delimiter strips the
// whitespace on its side. transformers' `{% generation %}` markers are
// removed. Throws jinja::error on a malformed template.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace binserve::jinja {

enum class token_type {
  text,              // template text outside delimiters
  number,            // 12, 1.5, -3 (a sign glued on where it cannot be binary)
  string,            // a quoted literal, escapes resolved
  identifier,        // names and keywords (if, for, in, not, ...)
  open_statement,    // {%
  close_statement,   // %}
  open_expression,   // {{
  close_expression,  // }}
  open_paren,
  close_paren,
  open_bracket,
  close_bracket,
  open_brace,
  close_brace,
  comma,
  dot,
  colon,
  pipe,
  equals,
  comparison,      // == != < > <= >=
  additive,        // + - ~
  multiplicative,  // * / // %
  power,           // **
  unary,           // a lone + or - before an operand
  comment,         // {# ... #}
};

struct token {
  token_type type;
  std::string text;
  int line = 1;  // in the template as written (after the dropped trailing newline)
};

std::vector<token> tokenize(std::string_view source);

}  // namespace binserve::jinja
