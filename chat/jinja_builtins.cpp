#include "chat/jinja_builtins.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <ctime>
#include <optional>
#include <string>

#include "chat/jinja_text.hpp"

namespace binserve::jinja {

namespace {

constexpr std::size_t kMaxRange = 1'000'000;  // range() beyond this is a runaway template

[[noreturn]] void fail(const std::string& what) { throw error(what); }

value str(std::string s) { return value::string(std::move(s)); }
value boolean(bool b) { return value::boolean(b); }

// JavaScript's parseInt(s, 10) / parseFloat(s): the longest numeric prefix.
std::optional<double> parse_prefix(const std::string& s, bool integer) {
  const std::string t = trim(s, true, false);
  std::size_t i = 0;
  if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
  const std::size_t digits_from = i;
  while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
  bool any = i > digits_from;
  if (!integer) {
    if (i < t.size() && t[i] == '.') {
      ++i;
      const std::size_t f = i;
      while (i < t.size() && std::isdigit(static_cast<unsigned char>(t[i]))) ++i;
      any = any || i > f;
    }
    if (any && i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
      std::size_t j = i + 1;
      if (j < t.size() && (t[j] == '+' || t[j] == '-')) ++j;
      const std::size_t e = j;
      while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) ++j;
      if (j > e) i = j;
    }
  }
  if (!any) return std::nullopt;
  return std::stod(t.substr(0, i));
}

// getAttributeValue: "a.b.0" through objects and arrays.
value attribute_path(const value& item, const std::string& path) {
  value v = item;
  std::size_t from = 0;
  while (true) {
    const std::size_t dot = path.find('.', from);
    const std::string part = path.substr(from, dot == std::string::npos ? std::string::npos : dot - from);
    if (v.is_map()) {
      const value* next = v.map().find(part);
      v = next ? *next : value();
    } else if (v.is_list()) {
      const auto index = parse_prefix(part, true);
      if (!index || *index < 0 || *index >= static_cast<double>(v.items().size())) return value();
      v = v.items()[static_cast<std::size_t>(*index)];
    } else {
      return value();
    }
    if (dot == std::string::npos) return v;
    from = dot + 1;
  }
}

// compareRuntimeValues.
int compare(const value& a, const value& b, bool case_sensitive) {
  if (a.is(kind::none) && b.is(kind::none)) return 0;
  if (a.is_nullish() || b.is_nullish()) {
    if (a.is(kind::undefined) && b.is(kind::undefined)) return 0;
    fail(std::string("Cannot compare ") + a.type_name() + " with " + b.type_name());
  }
  const auto numeric = [](const value& v) { return v.is_number() || v.is(kind::boolean); };
  const auto number = [](const value& v) { return v.is(kind::boolean) ? (v.as_bool() ? 1.0 : 0.0) : v.as_number(); };
  if (numeric(a) && numeric(b)) return number(a) < number(b) ? -1 : number(a) > number(b) ? 1 : 0;
  if (a.type() != b.type())
    fail(std::string("Cannot compare different types: ") + a.type_name() + " and " + b.type_name());
  if (!a.is(kind::string)) fail(std::string("Cannot compare type: ") + a.type_name());
  const std::string x = case_sensitive ? a.as_string() : to_lower(a.as_string());
  const std::string y = case_sensitive ? b.as_string() : to_lower(b.as_string());
  return x < y ? -1 : x > y ? 1 : 0;
}

bool flag(const value* v, bool fallback, const char* what) {
  if (!v) return fallback;
  if (!v->is(kind::boolean)) fail(std::string(what) + " must be a boolean");
  return v->as_bool();
}

value sorted(const value& list, bool reverse, bool case_sensitive, const value* attribute) {
  value_list items = list.items();
  const auto key = [&](const value& v) {
    if (!attribute || attribute->is(kind::none)) return v;
    return attribute_path(v, attribute->is(kind::string) ? attribute->as_string() : js_number(attribute->as_number()));
  };
  std::stable_sort(items.begin(), items.end(), [&](const value& a, const value& b) {
    const int c = compare(key(a), key(b), case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return value::array(std::move(items));
}

value key_value_pairs(const object_map& m) {
  value_list out;
  for (const auto& [k, v] : m.entries) out.push_back(value::array({str(k), v}));
  return value::array(std::move(out));
}

std::string indent_lines(const std::string& s, const std::string& pad, bool first, bool blank) {
  std::string out;
  std::size_t from = 0;
  for (int line = 0;; ++line) {
    const std::size_t nl = s.find('\n', from);
    const std::string part = s.substr(from, nl == std::string::npos ? std::string::npos : nl - from);
    if ((first || line > 0) && (blank || !part.empty())) out += pad;
    out += part;
    if (nl == std::string::npos) return out;
    out += '\n';
    from = nl + 1;
  }
}

value split(const std::string& s, const call_args& args) {
  if (!args.keywords.empty()) fail("split(): sep argument must be a string or null");
  const value sep = args.positional.size() > 0 ? args.positional[0] : value::none();
  const value maxsplit = args.positional.size() > 1 ? args.positional[1] : value::integer(-1);
  if (!sep.is(kind::string) && !sep.is(kind::none)) fail("split(): sep argument must be a string or null");
  if (!maxsplit.is(kind::integer)) fail("split(): maxsplit argument must be a number");
  const double max = maxsplit.as_number();
  value_list out;
  if (sep.is(kind::none)) {
    const std::string text = trim(s, true, false);
    const auto cps = code_points(text);
    for (std::size_t i = 0; i < cps.size();) {
      if (is_space(decode(cps[i]))) {
        ++i;
        continue;
      }
      const std::size_t start = static_cast<std::size_t>(cps[i].data() - text.data());
      if (max >= 0 && static_cast<double>(out.size()) >= max) {
        out.push_back(str(text.substr(start)));
        break;
      }
      while (i < cps.size() && !is_space(decode(cps[i]))) ++i;
      const std::size_t end = i < cps.size() ? static_cast<std::size_t>(cps[i].data() - text.data()) : text.size();
      out.push_back(str(text.substr(start, end - start)));
    }
    return value::array(std::move(out));
  }
  const std::string& d = sep.as_string();
  if (d.empty()) fail("split(): empty separator");
  std::size_t from = 0;
  while (true) {
    const std::size_t hit = s.find(d, from);
    if (hit == std::string::npos || (max >= 0 && static_cast<double>(out.size()) >= max)) {
      out.push_back(str(s.substr(from)));
      return value::array(std::move(out));
    }
    out.push_back(str(s.substr(from, hit - from)));
    from = hit + d.size();
  }
}

bool affix(const std::string& s, const call_args& args, bool starts, const char* name) {
  if (args.positional.empty()) fail(std::string(name) + "() requires at least one argument");
  const value& p = args.positional[0];
  const auto match = [&](const std::string& x) {
    return starts ? s.compare(0, x.size(), x) == 0 && s.size() >= x.size()
                  : s.size() >= x.size() && s.compare(s.size() - x.size(), x.size(), x) == 0;
  };
  if (p.is(kind::string)) return match(p.as_string());
  if (!p.is_list()) fail(std::string(name) + "() argument must be a string or tuple of strings");
  for (const value& x : p.items()) {
    if (!x.is(kind::string)) fail(std::string(name) + "() tuple elements must be strings");
    if (match(x.as_string())) return true;
  }
  return false;
}

value string_replace(const std::string& s, const call_args& args) {
  if (args.positional.size() < 2) fail("replace() requires at least two arguments");
  const value& from = args.positional[0];
  const value& to = args.positional[1];
  if (!from.is(kind::string) || !to.is(kind::string)) fail("replace() arguments must be strings");
  const value* count = args.get(2, "count");
  if (count && !count->is(kind::integer) && !count->is(kind::none))
    fail("replace() count argument must be a number or null");
  const long long n = count && count->is(kind::integer) ? static_cast<long long>(count->as_number()) : -1;
  return str(replace_all(s, from.as_string(), to.as_string(), n));
}

value string_member(const value& v, std::string_view name) {
  const std::string& s = v.as_string();
  const auto bind = [&](auto f) { return value::callable([s, f](const call_args& a) { return f(s, a); }); };
  if (name == "length") return value::integer(static_cast<double>(utf16_length(s)));
  if (name == "upper") return bind([](const std::string& x, const call_args&) { return str(to_upper(x)); });
  if (name == "lower") return bind([](const std::string& x, const call_args&) { return str(to_lower(x)); });
  if (name == "strip") return bind([](const std::string& x, const call_args&) { return str(trim(x, true, true)); });
  if (name == "lstrip") return bind([](const std::string& x, const call_args&) { return str(trim(x, true, false)); });
  if (name == "rstrip") return bind([](const std::string& x, const call_args&) { return str(trim(x, false, true)); });
  if (name == "title") return bind([](const std::string& x, const call_args&) { return str(title_case(x)); });
  if (name == "capitalize") return bind([](const std::string& x, const call_args&) { return str(capitalize(x)); });
  if (name == "startswith")
    return bind([](const std::string& x, const call_args& a) { return boolean(affix(x, a, true, "startswith")); });
  if (name == "endswith")
    return bind([](const std::string& x, const call_args& a) { return boolean(affix(x, a, false, "endswith")); });
  if (name == "split") return bind([](const std::string& x, const call_args& a) { return split(x, a); });
  if (name == "replace") return bind([](const std::string& x, const call_args& a) { return string_replace(x, a); });
  return value();
}

value dictsort(const value& obj, const call_args& a) {
  const bool case_sensitive = flag(a.get(0, "case_sensitive"), false, "case_sensitive");
  const value* by = a.get(1, "by");
  if (by && !by->is(kind::string)) fail("by must be a string");
  const std::string by_what = by ? by->as_string() : "key";
  if (by_what != "key" && by_what != "value") fail("by must be either 'key' or 'value'");
  const bool reverse = flag(a.get(2, "reverse"), false, "reverse");
  value_list pairs = key_value_pairs(obj.map()).items();
  const std::size_t at = by_what == "key" ? 0 : 1;
  std::stable_sort(pairs.begin(), pairs.end(), [&](const value& x, const value& y) {
    const int c = compare(x.items()[at], y.items()[at], case_sensitive);
    return reverse ? c > 0 : c < 0;
  });
  return value::array(std::move(pairs));
}

value object_member(const value& v, std::string_view name) {
  const auto bind = [&](auto f) { return value::callable([v, f](const call_args& a) { return f(v, a); }); };
  if (name == "get")
    return bind([](const value& o, const call_args& a) {
      const value key = a.positional.empty() ? value() : a.positional[0];
      if (!key.is(kind::string)) fail(std::string("Object key must be a string: got ") + key.type_name());
      if (const value* hit = o.map().find(key.as_string())) return *hit;
      return a.positional.size() > 1 ? a.positional[1] : value::none();
    });
  if (name == "items") return bind([](const value& o, const call_args&) { return key_value_pairs(o.map()); });
  if (name == "keys")
    return bind([](const value& o, const call_args&) {
      value_list out;
      for (const auto& [k, x] : o.map().entries) out.push_back(str(k));
      return value::array(std::move(out));
    });
  if (name == "values")
    return bind([](const value& o, const call_args&) {
      value_list out;
      for (const auto& [k, x] : o.map().entries) out.push_back(x);
      return value::array(std::move(out));
    });
  if (name == "dictsort") return bind(dictsort);
  return value();
}

// Array.prototype.join over raw values.
std::string join_raw(const value_list& items, const std::string& sep) {
  std::string out;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += sep;
    if (!items[i].is_nullish()) out += items[i].is_list() || items[i].is_map() ? "[object]" : items[i].raw_text();
  }
  return out;
}

value unique(const value_list& items) {
  value_list out;
  for (const value& v : items)
    if (std::none_of(out.begin(), out.end(), [&](const value& o) { return o.strict_equals(v); })) out.push_back(v);
  return value::array(std::move(out));
}

value list_filter(const value& v, std::string_view name) {
  const value_list& items = v.items();
  if (name == "list") return v;
  if ((name == "first" || name == "last") && items.empty()) fail("'" + std::string(name) + "' of an empty list");
  if (name == "first") return items.front();
  if (name == "last") return items.back();
  if (name == "length") return value::integer(static_cast<double>(items.size()));
  if (name == "reverse") return value::array(value_list(items.rbegin(), items.rend()));
  if (name == "sort") return sorted(v, false, false, nullptr);
  if (name == "join") return str(join_raw(items, ""));
  if (name == "string") return str(to_json(v, {.undefined_as_null = false}));
  if (name == "unique") return unique(items);
  fail("Unknown ArrayValue filter: " + std::string(name));
}

value string_filter(const value& v, std::string_view name) {
  const std::string& s = v.as_string();
  if (name == "length" || name == "upper" || name == "lower" || name == "title" || name == "capitalize") {
    const value m = string_member(v, name);
    return m.is(kind::callable) ? m.fn()(call_args{}) : m;
  }
  if (name == "trim") return str(trim(s, true, true));
  if (name == "indent") return str(indent_lines(s, "    ", false, false));
  if (name == "join" || name == "string") return v;
  if (name == "int") return value::integer(std::trunc(parse_prefix(s, true).value_or(0)));
  if (name == "float") return value::floating(parse_prefix(s, false).value_or(0));
  fail("Unknown StringValue filter: " + std::string(name));
}

value number_filter(const value& v, std::string_view name) {
  const double d = v.as_number();
  if (name == "abs") return v.is(kind::integer) ? value::integer(std::fabs(d)) : value::floating(std::fabs(d));
  if (name == "int") return value::integer(std::trunc(d) + 0.0);
  if (name == "float") return value::floating(d);
  if (name == "string") return str(v.render());
  fail("Unknown NumericValue filter: " + std::string(name));
}

value object_filter(const value& v, std::string_view name) {
  if (name == "items") return key_value_pairs(v.map());
  if (name == "length") return value::integer(static_cast<double>(v.map().entries.size()));
  const value m = object_member(v, name);
  if (m.is(kind::callable)) return m.fn()(call_args{});
  fail("Unknown ObjectValue filter: " + std::string(name));
}

value boolean_filter(const value& v, std::string_view name) {
  const bool b = v.as_bool();
  if (name == "bool") return v;
  if (name == "int") return value::integer(b ? 1 : 0);
  if (name == "float") return value::floating(b ? 1 : 0);
  if (name == "string") return str(b ? "true" : "false");
  fail("Unknown BooleanValue filter: " + std::string(name));
}

value tojson(const value& v, const call_args& a) {
  json_options o;
  for (const auto& [k, x] : a.keywords) {
    if (k == "indent") {
      if (!x.is(kind::integer) && !x.is(kind::none)) fail("tojson: if set, indent must be a number");
      o.indent = x.is(kind::integer) ? static_cast<int>(x.as_number()) : -1;
    } else if (k == "ensure_ascii") {
      o.ensure_ascii = flag(&x, false, "tojson: if set, ensure_ascii");
    } else if (k == "sort_keys") {
      o.sort_keys = flag(&x, false, "tojson: if set, sort_keys");
    } else if (k == "separators" && !x.is(kind::none)) {
      if (!x.is_list() || x.items().size() != 2 || !x.items()[0].is(kind::string) || !x.items()[1].is(kind::string))
        fail("tojson: separators must be a tuple of two strings");
      o.item_separator = x.items()[0].as_string();
      o.key_separator = x.items()[1].as_string();
    }
  }
  return str(to_json(v, o));
}

value select_by_attribute(const value& v, std::string_view name, const call_args& a, bool literal_strings) {
  for (const value& item : v.items())
    if (!item.is_map()) fail("`" + std::string(name) + "` can only be applied to array of objects");
  if (!literal_strings) fail("arguments of `" + std::string(name) + "` must be strings");
  const bool select = name == "selectattr";
  const std::string attr = a.positional.empty() ? "" : a.positional[0].as_string();
  const value* test = a.positional.size() > 1 ? &a.positional[1] : nullptr;
  const value compare_to = a.positional.size() > 2 ? a.positional[2] : value();
  if (test && !is_test(test->as_string())) fail("Unknown test: " + test->as_string());
  value_list out;
  for (const value& item : v.items()) {
    const value* x = item.map().find(attr);
    bool hit = false;
    if (x) {
      const std::string t = test ? test->as_string() : "";
      hit = !test ? x->truthy() : (t == "equalto" || t == "eq") ? x->strict_equals(compare_to) : apply_test(*x, t);
    }
    if (hit == select) out.push_back(item);
  }
  return value::array(std::move(out));
}

value map_attribute(const value& v, const call_args& a) {
  const value* attr = nullptr;
  const value* fallback = nullptr;
  for (const auto& [k, x] : a.keywords) {
    if (k == "attribute") attr = &x;
    if (k == "default") fallback = &x;
  }
  if (!attr) fail("`map` expressions without `attribute` set are not currently supported.");
  if (!attr->is(kind::string)) fail("map: attribute must be a string");
  value_list out;
  for (const value& item : v.items()) {
    if (!item.is_map()) fail("items in map must be an object");
    value x = attribute_path(item, attr->as_string());
    out.push_back(x.is(kind::undefined) && fallback ? *fallback : x);
  }
  return value::array(std::move(out));
}

value indent(const value& v, const call_args& a) {
  const value* width = a.get(0, "width");
  if (width && !width->is(kind::integer) && !width->is(kind::string))
    fail("indent: width must be an integer or a string");
  const std::string pad = !width ? "    "
                          : width->is(kind::string)
                              ? width->as_string()
                              : std::string(static_cast<std::size_t>(std::max(0.0, width->as_number())), ' ');
  const value* first = a.get(1, "first");
  const value* blank = a.get(2, "blank");
  return str(indent_lines(v.as_string(), pad, first && first->truthy(), blank && blank->truthy()));
}

value number_conversion(const value& v, std::string_view name, const call_args& a) {
  const bool integer = name == "int";
  const value* d = a.get(0, "default");
  const value fallback = d ? *d : integer ? value::integer(0) : value::floating(0);
  if (v.is(kind::string)) {
    const auto parsed = parse_prefix(v.as_string(), integer);
    if (!parsed) return fallback;
    return integer ? value::integer(std::trunc(*parsed)) : value::floating(*parsed);
  }
  if (v.is_number()) return integer ? value::integer(std::trunc(v.as_number()) + 0.0) : value::floating(v.as_number());
  if (v.is(kind::boolean)) return integer ? value::integer(v.as_bool()) : value::floating(v.as_bool());
  fail("Cannot apply filter \"" + std::string(name) + "\" to type: " + v.type_name());
}

}  // namespace

value apply_filter(const value& v, std::string_view name) {
  if (name == "safe") return v;
  if (name == "tojson") return str(to_json(v));
  if (v.is_list()) return list_filter(v, name);
  if (v.is(kind::string)) return string_filter(v, name);
  if (v.is_number()) return number_filter(v, name);
  if (v.is(kind::object)) return object_filter(v, name);
  if (v.is(kind::boolean)) return boolean_filter(v, name);
  fail("Cannot apply filter \"" + std::string(name) + "\" to type: " + v.type_name());
}

value apply_filter(const value& v, std::string_view name, const call_args& a, bool literal_strings) {
  if (name == "tojson") return tojson(v, a);
  if (name == "join") {
    if (!v.is(kind::string) && !v.is_list())
      fail("Cannot apply filter \"join\" to type: " + std::string(v.type_name()));
    const value* sep = a.get(0, "separator");
    if (sep && !sep->is(kind::string)) fail("join: separator must be a string");
    const std::string s = sep ? sep->as_string() : "";
    if (v.is_list()) return str(join_raw(v.items(), s));
    value_list chars;
    for (std::string_view cp : code_points(v.as_string())) chars.push_back(str(std::string(cp)));
    return str(join_raw(chars, s));
  }
  if (name == "int" || name == "float") return number_conversion(v, name, a);
  if (name == "default") {
    const value fallback = a.positional.empty() ? str("") : a.positional[0];
    const bool when_false = flag(a.get(1, "boolean"), false, "`default` filter flag");
    return v.is(kind::undefined) || (when_false && !v.truthy()) ? fallback : v;
  }
  if (v.is_list()) {
    if (name == "sort")
      return sorted(v, flag(a.get(0, "reverse"), false, "reverse"),
                    flag(a.get(1, "case_sensitive"), false, "case_sensitive"), a.get(2, "attribute"));
    if (name == "selectattr" || name == "rejectattr") return select_by_attribute(v, name, a, literal_strings);
    if (name == "map") return map_attribute(v, a);
    fail("Unknown ArrayValue filter: " + std::string(name));
  }
  if (v.is(kind::string)) {
    if (name == "indent") return indent(v, a);
    if (name == "replace") return string_replace(v.as_string(), a);
    fail("Unknown StringValue filter: " + std::string(name));
  }
  if (v.is(kind::object)) {
    const value m = object_member(v, name);
    if (m.is(kind::callable)) return m.fn()(a);
    fail("Unknown ObjectValue filter: " + std::string(name));
  }
  fail("Cannot apply filter \"" + std::string(name) + "\" to type: " + v.type_name());
}

bool is_test(std::string_view n) {
  static constexpr std::string_view kTests[] = {
      "boolean",  "callable", "odd",      "even",  "false", "true",    "none",      "string",  "number", "integer",
      "iterable", "mapping",  "sequence", "lower", "upper", "defined", "undefined", "equalto", "eq"};
  return std::find(std::begin(kTests), std::end(kTests), n) != std::end(kTests);
}

bool apply_test(const value& v, std::string_view n) {
  if (n == "boolean") return v.is(kind::boolean);
  if (n == "callable") return v.is(kind::callable);
  if (n == "odd" || n == "even") {
    if (!v.is(kind::integer)) fail("cannot " + std::string(n) + " on " + v.type_name());
    const bool odd = std::fmod(v.as_number(), 2) != 0;
    return n == "odd" ? odd : !odd;
  }
  if (n == "false" || n == "true") return v.is(kind::boolean) && v.as_bool() == (n == "true");
  if (n == "none") return v.is(kind::none);
  if (n == "string") return v.is(kind::string);
  if (n == "number") return v.is_number();
  if (n == "integer") return v.is(kind::integer);
  if (n == "iterable") return v.is(kind::array) || v.is(kind::string);
  if (n == "mapping") return v.is(kind::object);
  if (n == "sequence") return v.is_list() || v.is(kind::object) || v.is(kind::string);
  if (n == "lower") return v.is(kind::string) && v.as_string() == to_lower(v.as_string());
  if (n == "upper") return v.is(kind::string) && v.as_string() == to_upper(v.as_string());
  if (n == "defined") return !v.is(kind::undefined);
  if (n == "undefined") return v.is(kind::undefined);
  if (n == "equalto" || n == "eq") return v.strict_equals(value());
  fail("Unknown test: " + std::string(n));
}

value builtin_member(const value& v, std::string_view name) {
  if (v.is(kind::string)) return string_member(v, name);
  if (v.is(kind::object)) return object_member(v, name);
  if (v.is_list() && name == "length") return value::integer(static_cast<double>(v.items().size()));
  return value();
}

namespace {

value make_namespace(const call_args& a) {
  if (a.positional.size() > 1)
    fail("namespace expected at most 1 argument, got " + std::to_string(a.positional.size()));
  object_map m;
  if (!a.positional.empty()) {
    const value& src = a.positional[0];
    if (src.is(kind::object)) {
      m = src.map();
    } else if (src.is_list()) {
      for (const value& pair : src.items()) {
        if (!pair.is_list() || pair.items().size() != 2)
          fail("namespace expected an object or an iterable of [key, value] pairs");
        if (!pair.items()[0].is(kind::string)) fail("namespace keys must be strings");
        m.set(pair.items()[0].as_string(), pair.items()[1]);
      }
    } else {
      fail(std::string("'") + src.type_name() + "' object is not iterable");
    }
  }
  for (const auto& [k, v] : a.keywords) m.set(k, v);
  return value::object(std::move(m), kind::name_space);
}

value range(const call_args& a) {
  const auto num = [&](std::size_t i) { return a.positional[i].as_number(); };
  if (a.positional.empty()) fail("range() expects at least 1 argument");
  for (const value& x : a.positional)
    if (!x.is_number()) fail(std::string("range() arguments must be numbers, got ") + x.type_name());
  double start = 0, stop = num(0), step = 1;
  if (a.positional.size() > 1) start = num(0), stop = num(1);
  if (a.positional.size() > 2) step = num(2);
  if (step == 0) fail("range() step must not be zero");
  value_list out;
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    if (out.size() >= kMaxRange) fail("range() of more than " + std::to_string(kMaxRange) + " numbers");
    out.push_back(value::number(i));
  }
  return value::array(std::move(out));
}

// strftime_now's formats (%Y %m %d %b %B %H %M %%), in English as the reference prints them.
std::string strftime_at(std::chrono::system_clock::time_point now, const std::string& format) {
  static constexpr const char* kLong[] = {"January", "February", "March",     "April",   "May",      "June",
                                          "July",    "August",   "September", "October", "November", "December"};
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm tm{};
  localtime_r(&t, &tm);
  const auto pad2 = [](int n) { return (n < 10 ? "0" : "") + std::to_string(n); };
  std::string out;
  for (std::size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out += format[i];
      continue;
    }
    const char c = format[++i];
    switch (c) {
      case 'Y':
        out += std::to_string(tm.tm_year + 1900);
        break;
      case 'm':
        out += pad2(tm.tm_mon + 1);
        break;
      case 'd':
        out += pad2(tm.tm_mday);
        break;
      case 'b':
        out += std::string(kLong[tm.tm_mon]).substr(0, 3);
        break;
      case 'B':
        out += kLong[tm.tm_mon];
        break;
      case 'H':
        out += pad2(tm.tm_hour);
        break;
      case 'M':
        out += pad2(tm.tm_min);
        break;
      case '%':
        out += '%';
        break;
      default:
        out += '%';
        out += c;
    }
  }
  return out;
}

}  // namespace

object_map globals(std::chrono::system_clock::time_point now) {
  object_map g;
  g.set("namespace", value::callable(make_namespace));
  g.set("range", value::callable(range));
  g.set("raise_exception", value::callable([](const call_args& a) -> value {
          throw raised(a.positional.empty() ? "undefined" : a.positional[0].raw_text());
        }));
  g.set("strftime_now", value::callable([now](const call_args& a) {
          return str(strftime_at(now, a.positional.empty() ? "" : a.positional[0].raw_text()));
        }));
  for (const char* t : {"true", "True"}) g.set(t, boolean(true));
  for (const char* f : {"false", "False"}) g.set(f, boolean(false));
  for (const char* n : {"none", "None"}) g.set(n, value::none());
  return g;
}

}  // namespace binserve::jinja
