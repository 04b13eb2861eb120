// binserve::jinja: the values a chat template computes with.
//
// The semantics are those of @huggingface/jinja (the Jinja implementation the
// Hugging Face JavaScript libraries render chat templates with), which
// binserve's renderer is checked against (tests/template_ref/): numbers are
// JavaScript numbers (integer and float kept apart only for printing),
// booleans print as `true`/`false`, containers print as JSON, `==` is
// JavaScript's loose equality and containers compare by identity.
//
// Values are immutable except arrays, objects and namespaces, which are shared
// by reference (as in Jinja): copying a value copies the reference.
// Not thread-safe; one render owns its values.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace binserve::jinja {

// What a template did wrong, with the construct named. Thrown inside the
// renderer only; chat_template turns it into a status at its boundary.
struct error : std::runtime_error {
  using std::runtime_error::runtime_error;
};
// What the template itself raised (raise_exception): its message stands alone.
struct raised : error {
  using error::error;
};

// The longest string a template may make (a runaway template stops here).
inline constexpr std::size_t kMaxStringBytes = 64u << 20;

class value;
using value_list = std::vector<value>;

// Insertion-ordered string -> value map (templates print objects in order).
struct object_map {
  std::vector<std::pair<std::string, value>> entries;

  const value* find(std::string_view key) const;
  void set(const std::string& key, value v);
};

// A call's arguments: positional ones, then keyword ones in call order.
struct call_args {
  value_list positional;
  std::vector<std::pair<std::string, value>> keywords;
  const value* caller = nullptr;  // {% call %}: what caller() renders, for the macro called

  // The keyword argument `name`, else positional `index`, else nullptr.
  const value* get(std::size_t index, std::string_view name) const;
};

using function = std::function<value(const call_args&)>;

enum class kind : std::uint8_t {
  undefined,  // a name or key that does not exist
  none,
  boolean,
  integer,
  floating,
  string,
  array,
  tuple,  // an array written `a, b` (not `iterable` in tests)
  object,
  name_space,  // namespace(): attribute assignment, no methods
  callable,
};

class value {
 public:
  value() = default;  // undefined
  static value none();
  static value boolean(bool b);
  static value integer(double i);  // a JavaScript number that prints as an integer
  static value floating(double d);
  static value number(double d);  // integer when integral, as @huggingface/jinja converts inputs
  static value string(std::string s);
  static value array(value_list items, kind k = kind::array);
  static value object(object_map m, kind k = kind::object);
  static value callable(function f);
  // From JSON (objects keep their key order); null -> none.
  static value from_json(const nlohmann::ordered_json& j);

  jinja::kind type() const { return kind_; }
  bool is(jinja::kind k) const { return kind_ == k; }
  bool is_number() const { return kind_ == kind::integer || kind_ == kind::floating; }
  bool is_nullish() const { return kind_ == kind::undefined || kind_ == kind::none; }
  bool is_list() const { return kind_ == kind::array || kind_ == kind::tuple; }
  bool is_map() const { return kind_ == kind::object || kind_ == kind::name_space; }

  bool as_bool() const { return b_; }
  double as_number() const { return d_; }
  const std::string& as_string() const { return *s_; }
  value_list& items() const { return *a_; }
  object_map& map() const { return *o_; }
  const function& fn() const { return *f_; }

  bool truthy() const;                       // Python's truth: empty containers are false
  std::string render() const;                // as `{{ v }}` prints it (none/undefined: "")
  std::string raw_text() const;              // JavaScript's String(v.value), used by + and ~
  bool loose_equals(const value& o) const;   // ==
  bool strict_equals(const value& o) const;  // `in` on arrays, equalto, unique
  const char* type_name() const;             // "StringValue", ... (@huggingface/jinja's names)

 private:
  static value scalar(jinja::kind k, double d);

  jinja::kind kind_ = kind::undefined;
  bool b_ = false;
  double d_ = 0;
  std::shared_ptr<const std::string> s_;
  std::shared_ptr<value_list> a_;
  std::shared_ptr<object_map> o_;
  std::shared_ptr<const function> f_;
};

// JSON.stringify-compatible text of `v`, with Python json.dumps's default
// separators (", " and ": "; "," between items when indenting).
struct json_options {
  int indent = -1;  // < 0: on one line
  bool ensure_ascii = false;
  bool sort_keys = false;
  std::string item_separator{};  // empty: the default for `indent`
  std::string key_separator = ": ";
  bool undefined_as_null = true;  // false: prints "undefined" (how `string` prints containers)
};
std::string to_json(const value& v, const json_options& options = {});

// JavaScript's Number.prototype.toString.
std::string js_number(double d);

}  // namespace binserve::jinja
