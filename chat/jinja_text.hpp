// binserve::jinja: the string operations templates use, on UTF-8 text, with
// JavaScript's definitions (what @huggingface/jinja does): whitespace is
// JavaScript's \s, lengths count UTF-16 code units, slices and indexes count
// code points.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace binserve::jinja {

// The code points of `s`, each as its UTF-8 bytes (invalid bytes stand alone).
std::vector<std::string_view> code_points(std::string_view s);

bool is_space(char32_t c);                // JavaScript's \s
char32_t decode(std::string_view cp);     // one code point's UTF-8 bytes -> its value
std::string code_point_text(char32_t c);  // its UTF-8 bytes

std::string trim(std::string_view s, bool left, bool right);
std::size_t utf16_length(std::string_view s);

// Whether `a` sorts before `b` as JavaScript's localeCompare does (ICU's root
// collation) for ASCII: spaces, then punctuation in ICU's order, digits,
// letters ignoring case; ties by case, lower first. Other code points after.
bool collates_before(std::string_view a, std::string_view b);
std::string to_upper(std::string_view s);  // ASCII, Latin-1, Greek and Cyrillic letters
std::string to_lower(std::string_view s);
std::string title_case(std::string_view s);  // each [A-Za-z0-9_] word's first letter upper, the rest kept
std::string capitalize(std::string_view s);  // the first letter upper, the rest kept

// JSON.stringify of a string; `ensure_ascii`: U+007F and above as \uXXXX.
std::string json_quote(std::string_view s, bool ensure_ascii);

// Python's str.replace (count < 0: all).
std::string replace_all(std::string_view s, std::string_view from, std::string_view to, long long count);

}  // namespace binserve::jinja
