#include "predict/dataset.hpp"

#include <climits>
#include <fstream>
#include <sstream>
#include <string_view>

#include <nlohmann/json.hpp>

namespace binserve {

namespace {

using json = nlohmann::json;

status invalid(const std::string& where, const std::string& what) {
  return status(error_code::invalid_argument, where + ": " + what);
}

status_or<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return status(error_code::io_error, path + ": cannot open");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return status(error_code::io_error, path + ": read failed");
  return text.str();
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

example make_example(std::string prompt, int length, const tokenizer& tok) {
  example e;
  e.prompt_ids = tok.encode(prompt);
  e.prompt = std::move(prompt);
  e.length = length;
  return e;
}

// One JSONL line -> an example; the error says only what is wrong (the
// caller adds file and line).
status_or<example> parse_jsonl_line(std::string_view line, const tokenizer& tok) {
  const json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return status(error_code::invalid_argument, "not valid JSON");
  if (!j.is_object()) return status(error_code::invalid_argument, "expected a JSON object");
  const auto prompt = j.find("prompt");
  if (prompt == j.end() || !prompt->is_string())
    return status(error_code::invalid_argument, "lacks a string field 'prompt'");
  const auto length = j.find("length");
  if (length == j.end() || !length->is_number_integer())
    return status(error_code::invalid_argument, "lacks an integer field 'length'");
  // The parser stores every non-negative integer as unsigned, so a signed
  // one is negative.
  if (!length->is_number_unsigned()) return status(error_code::invalid_argument, "'length' must not be negative");
  if (length->get<std::uint64_t>() > INT_MAX) return status(error_code::invalid_argument, "'length' is too large");
  example e = make_example(prompt->get<std::string>(), length->get<int>(), tok);
  if (const auto seed = j.find("seed"); seed != j.end()) {
    if (!seed->is_number_unsigned()) return status(error_code::invalid_argument, "'seed' must be an unsigned integer");
    e.seed = seed->get<std::uint64_t>();
  }
  return e;
}

status_or<std::vector<example>> load_jsonl(const std::string& path, const std::string& text, const tokenizer& tok) {
  std::vector<example> out;
  std::istringstream lines(text);
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (is_blank(line)) continue;
    auto e = parse_jsonl_line(line, tok);
    if (!e.ok()) return invalid(path + ":" + std::to_string(number), e.error().message());
    out.push_back(std::move(*e));
  }
  return out;
}

// "input" is optional (absent = empty): Alpaca exports often drop it when
// an instruction needs no input.
status_or<example> parse_alpaca_record(const json& r, const tokenizer& tok) {
  if (!r.is_object()) return status(error_code::invalid_argument, "expected a JSON object");
  for (const char* field : {"instruction", "output"})
    if (!r.contains(field) || !r[field].is_string())
      return status(error_code::invalid_argument, std::string("lacks a string field '") + field + "'");
  if (r.contains("input") && !r["input"].is_string())
    return status(error_code::invalid_argument, "field 'input' is not a string");
  std::string prompt = r["instruction"].get<std::string>();
  const std::string input = r.value("input", std::string());
  if (!input.empty()) prompt += "\n" + input;
  const size_t length = tok.encode(r["output"].get<std::string>(), /*add_bos=*/false).size();
  return make_example(std::move(prompt), static_cast<int>(length), tok);
}

status_or<std::vector<example>> load_alpaca(const std::string& path, const std::string& text, const tokenizer& tok) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return invalid(path, "not valid JSON");
  if (!j.is_array()) return invalid(path, "expected a JSON array of records");
  std::vector<example> out;
  out.reserve(j.size());
  for (size_t i = 0; i < j.size(); ++i) {
    auto e = parse_alpaca_record(j[i], tok);
    if (!e.ok()) return invalid(path + ": record " + std::to_string(i), e.error().message());
    out.push_back(std::move(*e));
  }
  return out;
}

// FNV-1a, 64 bit: stable across platforms and runs, unlike std::hash.
std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

status_or<std::vector<example>> load_dataset(const std::string& path, const tokenizer& tok) {
  auto text = read_file(path);
  if (!text.ok()) return text.error();
  const size_t first = text->find_first_not_of(" \t\r\n");
  if (first != std::string::npos && (*text)[first] == '[') return load_alpaca(path, *text, tok);
  return load_jsonl(path, *text, tok);
}

bool in_test_split(std::string_view prompt, double test_fraction) {
  return static_cast<double>(fnv1a(prompt) % 10000) < test_fraction * 10000.0;
}

dataset_split split_dataset(const std::vector<example>& all, double test_fraction) {
  dataset_split s;
  for (const example& e : all) (in_test_split(e.prompt, test_fraction) ? s.test : s.train).push_back(e);
  return s;
}

}  // namespace binserve
