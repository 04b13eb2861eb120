#include "gpu/bpe_tokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <algorithm>
#include <array>
#include <climits>

namespace binserve {

namespace {

// The pre-tokenizers, as llama.cpp spells them for these GGUF names (letter
// cases written out rather than (?i:), which under Unicode case folding would
// also take the long s). Matched with UTF and Unicode properties (\s, \p{L}).
struct pre_tokenizer {
  const char* name;
  const char* pattern;
  bool ignore_merges;        // a word that is a token is that token (Llama 3's tokenizer.json)
  bool lone_digits = false;  // each ASCII digit a word before the pattern runs (Hugging Face's Digits)
};
const std::array<pre_tokenizer, 4> kPreTokenizers = {{
    {"llama-bpe",
     "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| "
     "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     true},
    {"qwen2",
     "(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| "
     "?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
     false},
    {"gpt-2", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", false},
    // SmolLM's tokenizer.json: Digits(individual_digits) then GPT-2's ByteLevel regex.
    {"smollm", "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", false, true},
}};

// GPT-2's bytes_to_unicode: the printable bytes ! .. ~, ¡ .. ¬, ® .. ÿ stand
// for themselves; the other 68 take code points 256, 257, ... in byte order.
struct byte_map {
  std::array<std::string, 256> utf8;  // byte -> its character, UTF-8
  std::unordered_map<char32_t, unsigned char> byte_of;

  byte_map() {
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      const char32_t cp = printable ? char32_t(b) : char32_t(next++);
      utf8[b] = encode(cp);
      byte_of[cp] = static_cast<unsigned char>(b);
    }
  }
  static std::string encode(char32_t cp) {
    std::string s;
    if (cp < 0x80) {
      s += char(cp);
    } else if (cp < 0x800) {
      s += char(0xC0 | (cp >> 6));
      s += char(0x80 | (cp & 0x3F));
    } else {
      s += char(0xE0 | (cp >> 12));
      s += char(0x80 | ((cp >> 6) & 0x3F));
      s += char(0x80 | (cp & 0x3F));
    }
    return s;
  }
};

const byte_map& bytes() {
  static const byte_map m;
  return m;
}

// Length of the UTF-8 character starting with byte c (1 for a stray byte).
std::size_t char_length(unsigned char c) { return c < 0xC0 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4; }

// The code point of the UTF-8 character at s (s well-formed, from encode()).
char32_t decode_char(std::string_view s) {
  const auto c = static_cast<unsigned char>(s[0]);
  if (c < 0x80) return c;
  if (c < 0xE0) return char32_t(c & 0x1F) << 6 | (s[1] & 0x3F);
  if (c < 0xF0) return char32_t(c & 0x0F) << 12 | char32_t(s[1] & 0x3F) << 6 | (s[2] & 0x3F);
  return char32_t(c & 0x07) << 18 | char32_t(s[1] & 0x3F) << 12 | char32_t(s[2] & 0x3F) << 6 | (s[3] & 0x3F);
}

}  // namespace

struct bpe_tokenizer::compiled {
  pcre2_code* code = nullptr;
  bool ignore_merges = false;
  bool lone_digits = false;
  ~compiled() { pcre2_code_free(code); }
};

std::string bpe_tokenizer::pre_tokenizer_names() {
  std::string names;
  for (const auto& p : kPreTokenizers) names += (names.empty() ? "" : ", ") + std::string(p.name);
  return names;
}

namespace {

const pre_tokenizer* find_pre(std::string_view name) {
  for (const auto& p : kPreTokenizers)
    if (name == p.name) return &p;
  return nullptr;
}

}  // namespace

status bpe_tokenizer::check(std::string_view pre, std::span<const std::string> merges) {
  if (find_pre(pre) == nullptr)
    return status(error_code::invalid_argument,
                  "pre-tokenizer '" + std::string(pre) + "' is not supported (" + pre_tokenizer_names() + ")");
  for (std::size_t r = 0; r < merges.size(); ++r) {
    const std::size_t space = merges[r].find(' ', 1);
    if (space == std::string::npos || space + 1 >= merges[r].size())
      return status(error_code::invalid_argument,
                    "merge " + std::to_string(r) + " '" + merges[r] + "' is not two parts separated by a space");
  }
  return status::ok_status();
}

status_or<bpe_tokenizer> bpe_tokenizer::make(bpe_vocab v) {
  if (status s = check(v.pre, v.merges); !s.ok()) return s;
  const pre_tokenizer* pre = find_pre(v.pre);
  auto c = std::make_shared<compiled>();
  int error = 0;
  PCRE2_SIZE offset = 0;
  c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pre->pattern), PCRE2_ZERO_TERMINATED,
                          PCRE2_UTF | PCRE2_UCP | PCRE2_NO_UTF_CHECK, &error, &offset, nullptr);
  if (c->code == nullptr) return status(error_code::internal, "pre-tokenizer '" + v.pre + "' does not compile");
  c->ignore_merges = pre->ignore_merges;
  c->lone_digits = pre->lone_digits;
  bpe_tokenizer t;
  t.pattern_ = std::move(c);
  t.is_special_.assign(v.tokens.size(), false);
  for (std::size_t i = 0; i < v.tokens.size(); ++i) t.ids_.emplace(v.tokens[i], static_cast<int>(i));
  for (std::size_t r = 0; r < v.merges.size(); ++r) t.ranks_.emplace(v.merges[r], static_cast<int>(r));
  for (int id : v.specials) {
    if (id < 0 || id >= static_cast<int>(v.tokens.size()) || v.tokens[std::size_t(id)].empty())
      return status(error_code::invalid_argument, "special token " + std::to_string(id) + " is outside the vocabulary");
    t.specials_.push_back(id);
    t.is_special_[std::size_t(id)] = true;
  }
  std::stable_sort(t.specials_.begin(), t.specials_.end(),
                   [&](int a, int b) { return v.tokens[std::size_t(a)].size() > v.tokens[std::size_t(b)].size(); });
  t.tokens_ = std::move(v.tokens);
  return t;
}

void bpe_tokenizer::encode_word(std::string_view word, std::vector<int>& out) const {
  std::string mapped;
  for (unsigned char b : word) mapped += bytes().utf8[b];
  if (pattern_->ignore_merges)
    if (auto it = ids_.find(mapped); it != ids_.end()) {
      out.push_back(it->second);
      return;
    }
  std::vector<std::string> parts;
  for (std::size_t at = 0; at < mapped.size();) {
    const std::size_t n = char_length(static_cast<unsigned char>(mapped[at]));
    parts.emplace_back(mapped.substr(at, n));
    at += n;
  }
  while (parts.size() > 1) {
    int best = INT_MAX;
    std::string best_pair;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      std::string pair = parts[i] + ' ' + parts[i + 1];
      if (auto it = ranks_.find(pair); it != ranks_.end() && it->second < best) {
        best = it->second;
        best_pair = std::move(pair);
      }
    }
    if (best == INT_MAX) break;
    const std::size_t space = best_pair.find(' ', 1);
    const std::string_view left(best_pair.data(), space), right(best_pair.data() + space + 1);
    std::vector<std::string> merged;
    for (std::size_t i = 0; i < parts.size(); ++i)
      if (i + 1 < parts.size() && parts[i] == left && parts[i + 1] == right) {
        merged.push_back(parts[i] + parts[i + 1]);
        ++i;
      } else {
        merged.push_back(std::move(parts[i]));
      }
    parts = std::move(merged);
  }
  for (const std::string& p : parts)
    if (auto it = ids_.find(p); it != ids_.end()) out.push_back(it->second);
}

std::vector<int> bpe_tokenizer::encode(std::string_view text) const {
  std::vector<int> out;
  pcre2_match_data* match = pcre2_match_data_create_from_pattern(pattern_->code, nullptr);
  // Words of text[begin, end): the pre-tokenizer's matches, each then BPE'd.
  // A segment's first match checks that it is UTF-8; one that is not is one
  // word (byte-level BPE takes any bytes). Matches end at the segment's end.
  auto regex_words = [&](std::size_t begin, std::size_t end) {
    const auto* subject = reinterpret_cast<PCRE2_SPTR>(text.data());
    bool checked = false;
    for (std::size_t at = begin; at < end;) {
      const int rc = pcre2_match(pattern_->code, subject, end, at, checked ? PCRE2_NO_UTF_CHECK : 0, match, nullptr);
      checked = true;
      if (rc <= PCRE2_ERROR_UTF8_ERR1 && rc >= PCRE2_ERROR_UTF8_ERR21) {
        encode_word(text.substr(at, end - at), out);
        break;
      }
      const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(match);
      if (rc < 0 || ov[1] <= at) {  // no match (cannot happen: \s+ and the classes cover every character)
        encode_word(text.substr(at, end - at), out);
        break;
      }
      if (ov[0] > at) encode_word(text.substr(at, ov[0] - at), out);
      encode_word(text.substr(ov[0], ov[1] - ov[0]), out);
      at = ov[1];
    }
  };
  // lone_digits: each ASCII digit is a word; the pattern runs between them.
  auto words = [&](std::size_t begin, std::size_t end) {
    if (!pattern_->lone_digits) return regex_words(begin, end);
    std::size_t run = begin;
    for (std::size_t at = begin; at < end; ++at) {
      if (text[at] < '0' || text[at] > '9') continue;
      regex_words(run, at);
      encode_word(text.substr(at, 1), out);
      run = at + 1;
    }
    regex_words(run, end);
  };
  std::size_t plain = 0;
  for (std::size_t at = 0; at < text.size();) {
    int found = -1;
    for (int id : specials_) {
      const std::string& s = tokens_[std::size_t(id)];
      if (s[0] == text[at] && text.compare(at, s.size(), s) == 0) {
        found = id;
        break;
      }
    }
    if (found < 0) {
      ++at;
      continue;
    }
    words(plain, at);
    out.push_back(found);
    at += tokens_[std::size_t(found)].size();
    plain = at;
  }
  words(plain, text.size());
  pcre2_match_data_free(match);
  return out;
}

std::string bpe_tokenizer::decode(std::span<const int> ids) const {
  std::string out;
  for (int id : ids) {
    if (id < 0 || id >= static_cast<int>(tokens_.size())) continue;
    const std::string& t = tokens_[std::size_t(id)];
    if (is_special_[std::size_t(id)]) {
      out += t;
      continue;
    }
    for (std::size_t at = 0; at < t.size();) {
      const std::size_t n = char_length(static_cast<unsigned char>(t[at]));
      const char32_t cp = decode_char(std::string_view(t).substr(at, n));
      if (auto it = bytes().byte_of.find(cp); it != bytes().byte_of.end())
        out += char(it->second);
      else
        out.append(t, at, n);
      at += n;
    }
  }
  return out;
}

}  // namespace binserve
