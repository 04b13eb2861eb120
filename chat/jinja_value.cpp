#include "chat/jinja_value.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "chat/jinja_text.hpp"

namespace binserve::jinja {

const value* object_map::find(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k == key) return &v;
  return nullptr;
}

void object_map::set(const std::string& key, value v) {
  for (auto& [k, old] : entries)
    if (k == key) {
      old = std::move(v);
      return;
    }
  entries.emplace_back(key, std::move(v));
}

const value* call_args::get(std::size_t index, std::string_view name) const {
  if (index < positional.size()) return &positional[index];
  for (const auto& [k, v] : keywords)
    if (k == name) return &v;
  return nullptr;
}

value value::none() {
  value v;
  v.kind_ = kind::none;
  return v;
}

value value::boolean(bool b) {
  value v = scalar(kind::boolean, 0);
  v.b_ = b;
  return v;
}

value value::integer(double i) { return scalar(kind::integer, i); }
value value::floating(double d) { return scalar(kind::floating, d); }

value value::scalar(jinja::kind k, double d) {
  value v;
  v.kind_ = k;
  v.d_ = d;
  return v;
}

value value::number(double d) { return std::isfinite(d) && d == std::trunc(d) ? integer(d) : floating(d); }

value value::string(std::string s) {
  if (s.size() > kMaxStringBytes) throw error("a string passed 64 MiB");
  value v;
  v.kind_ = kind::string;
  v.s_ = std::make_shared<const std::string>(std::move(s));
  return v;
}

value value::array(value_list items, jinja::kind k) {
  value v;
  v.kind_ = k;
  v.a_ = std::make_shared<value_list>(std::move(items));
  return v;
}

value value::object(object_map m, jinja::kind k) {
  value v;
  v.kind_ = k;
  v.o_ = std::make_shared<object_map>(std::move(m));
  return v;
}

value value::callable(function f) {
  value v;
  v.kind_ = kind::callable;
  v.f_ = std::make_shared<const function>(std::move(f));
  return v;
}

value value::from_json(const nlohmann::ordered_json& j) {
  switch (j.type()) {
    case nlohmann::ordered_json::value_t::null:
      return none();
    case nlohmann::ordered_json::value_t::boolean:
      return boolean(j.get<bool>());
    case nlohmann::ordered_json::value_t::number_integer:
    case nlohmann::ordered_json::value_t::number_unsigned:
    case nlohmann::ordered_json::value_t::number_float:
      return number(j.get<double>());
    case nlohmann::ordered_json::value_t::string:
      return string(j.get<std::string>());
    case nlohmann::ordered_json::value_t::array: {
      value_list items;
      for (const auto& e : j) items.push_back(from_json(e));
      return array(std::move(items));
    }
    case nlohmann::ordered_json::value_t::object: {
      object_map m;
      for (const auto& [k, e] : j.items()) m.set(k, from_json(e));
      return object(std::move(m));
    }
    default:
      return value();
  }
}

bool value::truthy() const {
  switch (kind_) {
    case kind::undefined:
    case kind::none:
      return false;
    case kind::boolean:
      return b_;
    case kind::integer:
    case kind::floating:
      return d_ != 0 && !std::isnan(d_);
    case kind::string:
      return !s_->empty();
    case kind::array:
    case kind::tuple:
      return !a_->empty();
    case kind::object:
      return !o_->entries.empty();
    case kind::name_space:
    case kind::callable:
      return true;
  }
  return false;
}

std::string js_number(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d < 0 ? "-Infinity" : "Infinity";
  if (d == 0) return "0";
  // Shortest round-trip digits, then ECMAScript's Number::toString layout.
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, std::fabs(d), std::chars_format::scientific);
  const std::string sci(buf, r.ptr);
  const auto e = sci.find('e');
  std::string digits = sci.substr(0, e);
  digits.erase(std::remove(digits.begin(), digits.end(), '.'), digits.end());
  const int k = static_cast<int>(digits.size());
  const int n = std::stoi(sci.substr(e + 1)) + 1;  // value = 0.digits * 10^n
  std::string out = d < 0 ? "-" : "";
  if (k <= n && n <= 21) return out.append(digits).append(static_cast<std::size_t>(n - k), '0');
  if (0 < n && n <= 21)
    return out.append(digits, 0, static_cast<std::size_t>(n)).append(".").append(digits, static_cast<std::size_t>(n));
  if (-6 < n && n <= 0) return out.append("0.").append(static_cast<std::size_t>(-n), '0').append(digits);
  const int exp = n - 1;
  out.append(digits, 0, 1);
  if (k > 1) out.append(".").append(digits, 1);
  return out.append(exp >= 0 ? "e+" : "e-").append(std::to_string(std::abs(exp)));
}

namespace {

// JavaScript's toFixed(1) for an integral float: "3.0" (exponent form past 1e21).
std::string float_text(double d) {
  if (d == 0 && std::signbit(d)) return "-0.0";
  if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) < 1e21) return js_number(d) + ".0";
  return js_number(d);
}

}  // namespace

std::string value::raw_text() const {
  switch (kind_) {
    case kind::undefined:
      return "undefined";
    case kind::none:
      return "null";
    case kind::boolean:
      return b_ ? "true" : "false";
    case kind::integer:
    case kind::floating:
      return js_number(d_);
    case kind::string:
      return *s_;
    default:
      return render();
  }
}

std::string value::render() const {
  switch (kind_) {
    case kind::undefined:
    case kind::none:
      return "";
    case kind::floating:
      return float_text(d_);
    case kind::array:
    case kind::tuple:
    case kind::object:
    case kind::name_space:
      return to_json(*this, {.undefined_as_null = false});
    case kind::callable:
      throw error("cannot print a function");
    default:
      return raw_text();
  }
}

namespace {

// JavaScript's ToNumber for a string (used by == between a number and a string).
double js_to_number(const std::string& s) {
  const std::string t = trim(s, true, true);
  if (t.empty()) return 0;
  double d = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), d);
  return r.ec == std::errc() && r.ptr == t.data() + t.size() ? d : std::nan("");
}

bool same_reference(const value& a, const value& b) {
  if (a.is_list() && b.is_list()) return &a.items() == &b.items();
  if (a.is_map() && b.is_map()) return &a.map() == &b.map();
  if (a.is(kind::callable) && b.is(kind::callable)) return &a.fn() == &b.fn();
  return false;
}

}  // namespace

bool value::strict_equals(const value& o) const {
  if (is_number() && o.is_number()) return d_ == o.d_;
  if (kind_ != o.kind_) return same_reference(*this, o);
  switch (kind_) {
    case kind::undefined:
    case kind::none:
      return true;
    case kind::boolean:
      return b_ == o.b_;
    case kind::string:
      return *s_ == *o.s_;
    default:
      return same_reference(*this, o);
  }
}

bool value::loose_equals(const value& o) const {
  if (is_nullish() || o.is_nullish()) return is_nullish() && o.is_nullish();
  if (is(kind::boolean)) return value::integer(b_ ? 1 : 0).loose_equals(o);
  if (o.is(kind::boolean)) return loose_equals(value::integer(o.b_ ? 1 : 0));
  if (is_number() && o.is(kind::string)) return d_ == js_to_number(*o.s_);
  if (is(kind::string) && o.is_number()) return js_to_number(*s_) == o.d_;
  return strict_equals(o);
}

const char* value::type_name() const {
  switch (kind_) {
    case kind::undefined:
      return "UndefinedValue";
    case kind::none:
      return "NullValue";
    case kind::boolean:
      return "BooleanValue";
    case kind::integer:
      return "IntegerValue";
    case kind::floating:
      return "FloatValue";
    case kind::string:
      return "StringValue";
    case kind::array:
      return "ArrayValue";
    case kind::tuple:
      return "TupleValue";
    case kind::object:
      return "ObjectValue";
    case kind::name_space:
      return "NamespaceValue";
    case kind::callable:
      return "FunctionValue";
  }
  return "?";
}

namespace {

void json_into(std::string& out, const value& v, const json_options& o, int depth) {
  const std::string item_sep = !o.item_separator.empty() ? o.item_separator : o.indent > 0 ? "," : ", ";
  std::string pad, child_pad;  // with indent: a new line, indented to this depth / the next
  if (o.indent > 0) {
    pad.assign(1, '\n').append(static_cast<std::size_t>(o.indent * depth), ' ');
    child_pad = pad;
    child_pad.append(static_cast<std::size_t>(o.indent), ' ');
  }
  switch (v.type()) {
    case kind::undefined:
      out += o.undefined_as_null ? "null" : "undefined";
      return;
    case kind::none:
      out += "null";
      return;
    case kind::boolean:
      out += v.as_bool() ? "true" : "false";
      return;
    case kind::integer:
    case kind::floating:
      out += std::isfinite(v.as_number()) ? js_number(v.as_number()) : "null";
      return;
    case kind::string:
      out += json_quote(v.as_string(), o.ensure_ascii);
      return;
    case kind::tuple:
      throw error("Cannot convert to JSON: TupleValue");
    case kind::array: {
      if (v.items().empty()) {
        out += "[]";
        return;
      }
      out += "[";
      for (std::size_t i = 0; i < v.items().size(); ++i) {
        if (i) out += item_sep;
        out += child_pad;
        json_into(out, v.items()[i], o, depth + 1);
      }
      out += pad + "]";
      return;
    }
    case kind::object:
    case kind::name_space: {
      auto entries = v.map().entries;
      if (entries.empty()) {
        out += "{}";
        return;
      }
      if (o.sort_keys)
        std::stable_sort(entries.begin(), entries.end(),
                         [](const auto& a, const auto& b) { return collates_before(a.first, b.first); });
      out += "{";
      for (std::size_t i = 0; i < entries.size(); ++i) {
        if (i) out += item_sep;
        out += child_pad + json_quote(entries[i].first, o.ensure_ascii) + o.key_separator;
        json_into(out, entries[i].second, o, depth + 1);
      }
      out += pad + "}";
      return;
    }
    case kind::callable:
      throw error("Cannot convert to JSON: FunctionValue");
  }
}

}  // namespace

std::string to_json(const value& v, const json_options& options) {
  std::string out;
  json_into(out, v, options, 0);
  return out;
}

}  // namespace binserve::jinja
