#include "gpu/tokenizer.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <memory>
#include <queue>
#include <utility>

namespace binserve {
namespace {

constexpr std::int32_t kMaxPieceBytes = 1 << 20;

// The byte of a "<0xXX>" piece, -1 for any other piece.
int parse_byte_piece(std::string_view piece) {
  if (piece.size() != 6 || piece.substr(0, 3) != "<0x" || piece[5] != '>') return -1;
  int value = 0;
  for (char c : piece.substr(3, 2)) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  return value;
}

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// A NaN score would break the heap's ordering; it never wins a merge instead.
float merge_rank(float score) { return std::isnan(score) ? -std::numeric_limits<float>::infinity() : score; }

// One token of the sequence being merged, linked to its live neighbours.
struct symbol {
  int id;  // -1 once merged into its left neighbour
  int prev;
  int next;
};

struct merge_candidate {
  float score;
  int left;
  int left_id;
  int right;
  int right_id;
  int merged_id;
};

// Heap order: highest score first; on a tie the leftmost pair, as llama2.c's
// left-to-right scan with a strict `>` picks it.
struct lower_priority {
  bool operator()(const merge_candidate& a, const merge_candidate& b) const {
    if (a.score != b.score) return a.score < b.score;
    return a.left > b.left;
  }
};

// Applies merges in exactly the order of the naive "merge the best adjacent
// pair, repeat" loop, in O(n log n): stale heap entries are skipped on pop.
// `merged_id(a, b)` is the token of a's piece followed by b's, or -1.
template <class MergedId>
void merge_symbols(std::vector<symbol>& syms, const std::vector<float>& scores, MergedId merged_id) {
  std::priority_queue<merge_candidate, std::vector<merge_candidate>, lower_priority> heap;
  auto consider = [&](int left) {
    if (left < 0 || syms[left].next < 0) return;
    const int right = syms[left].next;
    const int merged = merged_id(syms[left].id, syms[right].id);
    if (merged < 0) return;
    heap.push({merge_rank(scores[merged]), left, syms[left].id, right, syms[right].id, merged});
  };
  for (int i = 0; i < static_cast<int>(syms.size()); ++i) consider(i);
  while (!heap.empty()) {
    const merge_candidate c = heap.top();
    heap.pop();
    symbol& left = syms[c.left];
    symbol& right = syms[c.right];
    if (left.id != c.left_id || left.next != c.right || right.id != c.right_id) continue;
    left.id = c.merged_id;
    left.next = right.next;
    if (right.next >= 0) syms[right.next].prev = c.left;
    right.id = -1;
    consider(left.prev);
    consider(c.left);
  }
}

// SentencePiece pieces of text: normal ones and added (user-defined) ones.
bool is_text_piece(token_kind k) { return k == token_kind::normal || k == token_kind::user_defined; }

}  // namespace

std::string_view special_text(std::string_view piece) {
  const auto first = piece.find_first_not_of('\n');
  if (first == std::string_view::npos) return {};
  return piece.substr(first, piece.find_last_not_of('\n') - first + 1);
}

namespace {

token_kind classify(std::string_view piece) {
  if (parse_byte_piece(piece) >= 0) return token_kind::byte;
  const std::string_view core = special_text(piece);
  if (core == "<s>" || core == "</s>") return token_kind::control;
  if (core == "<unk>") return token_kind::unknown;
  return token_kind::normal;
}

using file_ptr = std::unique_ptr<std::FILE, int (*)(std::FILE*)>;

bool read_exact(std::FILE* f, void* dst, std::size_t n) { return std::fread(dst, 1, n, f) == n; }

status read_failure(std::FILE* f, const std::string& path, const std::string& where) {
  if (std::ferror(f)) {
    return {error_code::io_error, path + ": read failed at " + where + ": " + std::strerror(errno)};
  }
  return {error_code::model_invalid, path + ": file is truncated at " + where};
}

// Appends token `index` (score, length, bytes) from `f` to `v`.
status read_token(std::FILE* f, const std::string& path, std::int32_t max_len, int index, struct vocab& v) {
  const std::string where = "token " + std::to_string(index);
  float score = 0;
  std::int32_t len = 0;
  if (!read_exact(f, &score, sizeof score) || !read_exact(f, &len, sizeof len)) {
    return read_failure(f, path, where);
  }
  if (len < 0 || len > max_len || len > kMaxPieceBytes) {
    return {error_code::model_invalid, path + ": " + where + " has invalid length " + std::to_string(len) +
                                           " (max_token_length " + std::to_string(max_len) + ")"};
  }
  std::string piece(static_cast<std::size_t>(len), '\0');
  if (!read_exact(f, piece.data(), piece.size())) return read_failure(f, path, where);
  v.kinds.push_back(classify(piece));
  v.pieces.push_back(std::move(piece));
  v.scores.push_back(score);
  return {};
}

}  // namespace

namespace {

// The byte-level BPE of a byte_bpe vocabulary: its control tokens are the
// ones matched literally in text.
std::shared_ptr<const bpe_tokenizer> byte_bpe_of(const vocab& v) {
  if (v.scheme != vocab_scheme::byte_bpe) return nullptr;
  bpe_vocab b{v.pieces, v.merges, {}, v.pre};
  for (int id = 0; id < v.size(); ++id)
    if (v.kinds[std::size_t(id)] == token_kind::control || v.kinds[std::size_t(id)] == token_kind::user_defined)
      b.specials.push_back(id);
  auto t = bpe_tokenizer::make(std::move(b));
  if (!t.ok()) throw std::invalid_argument("tokenizer: " + t.error().message());
  return std::make_shared<const bpe_tokenizer>(std::move(*t));
}

}  // namespace

tokenizer::tokenizer(struct vocab v) : vocab_(std::move(v)), bpe_(byte_bpe_of(vocab_)) {
  std::fill(std::begin(byte_ids_), std::end(byte_ids_), -1);
  for (int id = 0; id < vocab_.size(); ++id) {
    const std::string& piece = vocab_.pieces[id];
    if (is_text_piece(vocab_.kinds[id])) piece_ids_.emplace(piece, id);
    const int byte = parse_byte_piece(piece);
    if (vocab_.kinds[id] == token_kind::byte && byte >= 0 && byte_ids_[byte] < 0) {
      byte_ids_[byte] = id;
    }
  }
}

int tokenizer::lookup(std::string_view piece) const {
  const auto it = piece_ids_.find(std::string(piece));
  return it == piece_ids_.end() ? -1 : it->second;
}

std::vector<int> tokenizer::encode(std::string_view text, bool add_bos) const {
  std::vector<int> ids;
  if (add_bos && vocab_.add_bos) ids.push_back(vocab_.bos_id);
  if (bpe_ != nullptr) {
    const std::vector<int> words = bpe_->encode(text);
    ids.insert(ids.end(), words.begin(), words.end());
    return ids;
  }
  if (text.empty()) return ids;
  std::string s(1, ' ');  // SentencePiece's dummy prefix
  s.append(text);
  std::vector<symbol> syms;
  auto push = [&syms](int id) {
    const int index = static_cast<int>(syms.size());
    syms.push_back({id, index - 1, -1});
    if (index > 0) syms[index - 1].next = index;
  };
  // Code points as llama2.c groups them: a byte and up to 3 continuation
  // bytes, so invalid UTF-8 simply finds no piece and falls back to bytes.
  for (std::size_t i = 0; i < s.size();) {
    std::size_t len = 1;
    while (len < 4 && i + len < s.size() && is_continuation(s[i + len])) ++len;
    const int id = lookup(std::string_view(s).substr(i, len));
    if (id >= 0) {
      push(id);
    } else {
      for (std::size_t b = i; b < i + len; ++b) {
        const int byte_id = byte_ids_[static_cast<unsigned char>(s[b])];
        push(byte_id >= 0 ? byte_id : vocab_.unk_id);
      }
    }
    i += len;
  }
  merge_symbols(syms, vocab_.scores, [this](int a, int b) {
    if (!is_text_piece(vocab_.kinds[a]) || !is_text_piece(vocab_.kinds[b])) return -1;
    return lookup(vocab_.pieces[a] + vocab_.pieces[b]);
  });
  for (int i = syms.empty() ? -1 : 0; i >= 0; i = syms[i].next) ids.push_back(syms[i].id);
  return ids;
}

std::string tokenizer::decode_piece(int prev, int id) const {
  if (id < 0 || id >= vocab_.size()) return "";
  if (bpe_ != nullptr) return vocab_.kinds[id] == token_kind::control ? "" : bpe_->decode(std::span<const int>(&id, 1));
  std::string out;
  if (is_text_piece(vocab_.kinds[id])) out = vocab_.pieces[id];
  if (vocab_.kinds[id] == token_kind::byte) {
    const int byte = parse_byte_piece(vocab_.pieces[id]);
    if (byte >= 0) out.assign(1, static_cast<char>(byte));
  }
  // The dummy prefix: also when it came out as a byte token (a vocabulary
  // without a " " piece), so decode(encode(text)) == text holds there too.
  if (prev == vocab_.bos_id && !out.empty() && out[0] == ' ') out.erase(0, 1);
  return out;
}

std::string tokenizer::decode(const std::vector<int>& ids, int prev) const {
  std::string out;
  for (int id : ids) {
    out += decode_piece(prev, id);
    prev = id;
  }
  return out;
}

status_or<struct vocab> load_llama2c_vocab(const std::string& path, int vocab_size) {
  if (vocab_size <= 0) {
    return status{error_code::invalid_argument,
                  path + ": vocab_size must be positive, got " + std::to_string(vocab_size)};
  }
  file_ptr f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return status{error_code::io_error, path + ": cannot open: " + std::strerror(errno)};
  std::int32_t max_len = 0;
  if (!read_exact(f.get(), &max_len, sizeof max_len)) {
    return read_failure(f.get(), path, "max_token_length");
  }
  if (max_len < 0) {
    return status{error_code::model_invalid, path + ": negative max_token_length " + std::to_string(max_len)};
  }
  struct vocab v;
  for (int i = 0; i < vocab_size; ++i) {
    status s = read_token(f.get(), path, max_len, i, v);
    if (!s.ok()) return s;
  }
  v.bos_id = 1;
  v.eos_id = 2;
  v.unk_id = 0;
  return v;
}

struct vocab make_dummy_vocab(int vocab_size) {
  struct vocab v;
  auto add = [&v](std::string piece, float score, token_kind kind) {
    v.pieces.push_back(std::move(piece));
    v.scores.push_back(score);
    v.kinds.push_back(kind);
  };
  add("<unk>", 0, token_kind::unknown);
  add("<s>", 0, token_kind::control);
  add("</s>", 0, token_kind::control);
  for (int b = 0; b < 256; ++b) {
    char piece[7];
    std::snprintf(piece, sizeof piece, "<0x%02X>", b);
    add(piece, 0, token_kind::byte);
  }
  // Sizes below 259 still get every special and byte token.
  for (int id = 259; id < vocab_size; ++id) {
    add(" w" + std::to_string(id), -static_cast<float>(id), token_kind::normal);
  }
  return v;
}

}  // namespace binserve
