#include "chat/jinja_lexer.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "chat/jinja_text.hpp"
#include "chat/jinja_value.hpp"

namespace binserve::jinja {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_word(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_ascii_space(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

// trim_blocks, lstrip_blocks, the trailing newline and {% generation %}.
std::string preprocess(std::string_view in) {
  std::string s(in);
  if (!s.empty() && s.back() == '\n') s.pop_back();
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const bool line_start = i == 0 || s[i - 1] == '\n';
    if (line_start) {  // lstrip_blocks: [ \t]* before {%, {# or {-
      std::size_t j = i;
      while (j < s.size() && (s[j] == ' ' || s[j] == '\t')) ++j;
      if (j + 1 < s.size() && s[j] == '{' && (s[j + 1] == '%' || s[j + 1] == '#' || s[j + 1] == '-')) i = j;
    }
    out += s[i];
    // trim_blocks: the newline after %}, #} or -}
    if (s[i] == '}' && i > 0 && (s[i - 1] == '%' || s[i - 1] == '#' || s[i - 1] == '-') && i + 1 < s.size() &&
        s[i + 1] == '\n')
      ++i;
  }
  // {% generation %} / {% endgeneration %}, with their whitespace control.
  std::string result;
  std::size_t last = 0;
  for (std::size_t at = out.find("{%"); at != std::string::npos; at = out.find("{%", at + 1)) {
    std::size_t p = at + 2;
    const bool lstrip = p < out.size() && out[p] == '-';
    if (lstrip) ++p;
    while (p < out.size() && is_ascii_space(out[p])) ++p;
    if (out.compare(p, 3, "end") == 0) p += 3;
    if (out.compare(p, 10, "generation") != 0) continue;
    p += 10;
    while (p < out.size() && is_ascii_space(out[p])) ++p;
    const bool rstrip = p < out.size() && out[p] == '-';
    if (rstrip) ++p;
    if (out.compare(p, 2, "%}") != 0) continue;
    p += 2;
    std::size_t end = at;
    while (lstrip && end > last && is_ascii_space(out[end - 1])) --end;
    std::size_t after = p;
    while (after < out.size() && is_ascii_space(out[after])) ++after;
    result += out.substr(last, end - last) + (rstrip ? "" : out.substr(p, after - p));
    last = after;
    at = after - 1;
  }
  return result + out.substr(last);
}

constexpr std::array<std::pair<std::string_view, token_type>, 25> kSymbols{{
    {"{%", token_type::open_statement},
    {"%}", token_type::close_statement},
    {"{{", token_type::open_expression},
    {"}}", token_type::close_expression},
    {"(", token_type::open_paren},
    {")", token_type::close_paren},
    {"{", token_type::open_brace},
    {"}", token_type::close_brace},
    {"[", token_type::open_bracket},
    {"]", token_type::close_bracket},
    {",", token_type::comma},
    {".", token_type::dot},
    {":", token_type::colon},
    {"|", token_type::pipe},
    {"<=", token_type::comparison},
    {">=", token_type::comparison},
    {"==", token_type::comparison},
    {"!=", token_type::comparison},
    {"<", token_type::comparison},
    {">", token_type::comparison},
    {"+", token_type::additive},
    {"-", token_type::additive},
    {"~", token_type::additive},
    {"**", token_type::power},
    {"*", token_type::multiplicative},
}};

class lexer {
 public:
  explicit lexer(std::string src) : src_(std::move(src)) {}

  std::vector<token> run() {
    while (pos_ < src_.size()) step();
    return std::move(tokens_);
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw error("line " + std::to_string(line_at(pos_)) + ": " + what);
  }
  int line_at(std::size_t p) const {
    return 1 +
           static_cast<int>(std::count(src_.begin(), src_.begin() + static_cast<long>(std::min(p, src_.size())), '\n'));
  }
  void push(token_type t, std::string text) { tokens_.push_back({t, std::move(text), line_at(pos_)}); }
  bool last_is(std::initializer_list<token_type> types) const {
    if (tokens_.empty()) return false;
    return std::find(types.begin(), types.end(), tokens_.back().type) != types.end();
  }
  char at(std::size_t p) const { return p < src_.size() ? src_[p] : '\0'; }

  void strip_trailing_text() {
    if (tokens_.empty() || tokens_.back().type != token_type::text) return;
    tokens_.back().text = trim(tokens_.back().text, false, true);
    if (tokens_.back().text.empty()) tokens_.pop_back();
  }
  void skip_space() {
    while (pos_ < src_.size()) {
      const std::size_t n = code_points(std::string_view(src_).substr(pos_, 4)).front().size();
      if (!is_space(decode(std::string_view(src_).substr(pos_, n)))) break;
      pos_ += n;
    }
  }

  void step();
  bool text();
  bool comment();
  bool open_with_strip();
  bool close_with_strip();
  bool sign();
  bool symbol();
  void string_literal(char quote);
  std::string digits() {
    const std::size_t start = pos_;
    while (is_digit(at(pos_))) ++pos_;
    return src_.substr(start, pos_ - start);
  }

  std::string src_;
  std::size_t pos_ = 0;
  int braces_ = 0;  // { depth inside {{ }}, so "}}" can close a dict literal
  std::vector<token> tokens_;
};

void lexer::step() {
  if ((tokens_.empty() || last_is({token_type::close_statement, token_type::close_expression, token_type::comment})) &&
      text())
    return;
  if (comment() || open_with_strip()) return;
  skip_space();
  if (pos_ >= src_.size()) fail("the template ends inside a {{ }} or {% %}");
  if (close_with_strip() || sign() || symbol()) return;
  const char c = src_[pos_];
  if (c == '\'' || c == '"') return string_literal(c);
  if (is_digit(c)) {
    std::string num = digits();
    if (!last_is({token_type::dot}) && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
      ++pos_;
      num.append(".").append(digits());
    }
    return push(token_type::number, num);
  }
  if (is_word(c)) {
    const std::size_t start = pos_;
    while (is_word(at(pos_))) ++pos_;
    return push(token_type::identifier, src_.substr(start, pos_ - start));
  }
  fail(std::string("unexpected character '") + c + "'");
}

bool lexer::text() {
  std::size_t end = pos_;
  while (true) {
    end = src_.find('{', end);
    if (end == std::string::npos) {
      end = src_.size();
      break;
    }
    const char next = at(end + 1);
    if (next == '%' || next == '{' || next == '#') break;
    ++end;
  }
  if (end == pos_) return false;
  push(token_type::text, src_.substr(pos_, end - pos_));
  pos_ = end;
  return true;
}

bool lexer::comment() {
  if (at(pos_) != '{' || at(pos_ + 1) != '#') return false;
  pos_ += 2;
  const bool strip_before = at(pos_) == '-';
  if (strip_before) ++pos_;
  const std::size_t end = src_.find("#}", pos_);
  if (end == std::string::npos) fail("a {# comment is never closed with #}");
  std::string body = src_.substr(pos_, end - pos_);
  const bool strip_after = !body.empty() && body.back() == '-';
  if (strip_after) body.pop_back();
  if (strip_before) strip_trailing_text();
  push(token_type::comment, body);
  pos_ = end + 2;
  if (strip_after) skip_space();
  return true;
}

bool lexer::open_with_strip() {
  if (at(pos_) != '{' || at(pos_ + 2) != '-') return false;
  const char next = at(pos_ + 1);
  if (next != '%' && next != '{') return false;
  strip_trailing_text();
  push(next == '%' ? token_type::open_statement : token_type::open_expression, next == '%' ? "{%" : "{{");
  if (next == '{') braces_ = 0;
  pos_ += 3;
  return true;
}

bool lexer::close_with_strip() {
  if (at(pos_) != '-' || at(pos_ + 2) != '}') return false;
  const char next = at(pos_ + 1);
  if (next != '%' && next != '}') return false;
  push(next == '%' ? token_type::close_statement : token_type::close_expression, next == '%' ? "%}" : "}}");
  pos_ += 3;
  skip_space();
  return true;
}

// A + or - where no operand precedes it is a sign (glued to a number).
bool lexer::sign() {
  const char c = at(pos_);
  if (c != '-' && c != '+') return false;
  if (tokens_.empty() || last_is({token_type::text})) fail(std::string("unexpected character '") + c + "'");
  if (last_is({token_type::identifier, token_type::number, token_type::string, token_type::close_paren,
               token_type::close_bracket}))
    return false;
  ++pos_;
  std::string num = digits();
  if (!num.empty() && at(pos_) == '.' && is_digit(at(pos_ + 1))) {
    ++pos_;
    num.append(".").append(digits());
  }
  push(num.empty() ? token_type::unary : token_type::number, std::string(1, c) + num);
  return true;
}

bool lexer::symbol() {
  for (const auto& [text, type] : kSymbols) {
    if (text == "}}" && braces_ > 0) continue;
    if (src_.compare(pos_, text.size(), text) != 0) continue;
    push(type, std::string(text));
    if (type == token_type::open_expression) braces_ = 0;
    if (type == token_type::open_brace) ++braces_;
    if (type == token_type::close_brace) --braces_;
    pos_ += text.size();
    return true;
  }
  for (std::string_view op : {"//", "/", "%"}) {
    if (src_.compare(pos_, op.size(), op) != 0) continue;
    push(token_type::multiplicative, std::string(op));
    pos_ += op.size();
    return true;
  }
  if (at(pos_) == '=') {
    push(token_type::equals, "=");
    ++pos_;
    return true;
  }
  return false;
}

void lexer::string_literal(char quote) {
  ++pos_;
  std::string s;
  while (true) {
    if (pos_ >= src_.size()) fail("a string literal is never closed");
    const char c = src_[pos_++];
    if (c == quote) break;
    if (c != '\\') {
      s += c;
      continue;
    }
    if (pos_ >= src_.size()) fail("a string literal is never closed");
    const char e = src_[pos_++];
    if (e == 'x' || e == 'u') {
      const std::size_t n = e == 'x' ? 2 : 4;
      const std::string hex = src_.substr(pos_, n);
      if (hex.size() != n || hex.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
        fail("invalid escape \\" + std::string(1, e) + hex);
      const char32_t cp = static_cast<char32_t>(std::stoul(hex, nullptr, 16));
      s += code_point_text(cp);
      pos_ += n;
      continue;
    }
    static constexpr std::string_view from = "ntrbfv'\"\\", to = "\n\t\r\b\f\v'\"\\";
    const std::size_t k = from.find(e);
    if (k == std::string_view::npos) fail(std::string("unknown escape \\") + e + " in a string literal");
    s += to[k];
  }
  push(token_type::string, s);
}

}  // namespace

std::vector<token> tokenize(std::string_view source) { return lexer(preprocess(source)).run(); }

}  // namespace binserve::jinja
