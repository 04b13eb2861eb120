#include "chat/jinja_interpreter.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <unordered_map>

#include "chat/jinja_builtins.hpp"
#include "chat/jinja_text.hpp"

namespace binserve::jinja {

namespace {

constexpr int kMaxMacroDepth = 64;

// Thrown by raise_exception-style failures that carry their own message; the
// others get the line of the statement they happened in.
struct located : error {
  using error::error;
};

struct scope {
  std::unordered_map<std::string, value> vars;
  scope* parent = nullptr;

  value lookup(const std::string& name) const {
    for (const scope* s = this; s; s = s->parent)
      if (auto it = s->vars.find(name); it != s->vars.end()) return it->second;
    return value();
  }
};

enum class flow { normal, break_loop, continue_loop };

class interpreter {
 public:
  std::string run_program(const program& p, object_map variables) {
    scope* top = new_scope(nullptr);
    for (auto& [k, v] : variables.entries) top->vars[k] = std::move(v);
    std::string out;
    if (run(p.body, top, out) != flow::normal) throw error("{% break %} or {% continue %} outside a for loop");
    return out;
  }

 private:
  scope* new_scope(scope* parent) {
    scopes_.push_back(std::make_unique<scope>());
    scopes_.back()->parent = parent;
    return scopes_.back().get();
  }

  flow run(const stmt_list& body, scope* s, std::string& out) {
    for (const auto& st : body)
      if (const flow f = run(*st, s, out); f != flow::normal) return f;
    return flow::normal;
  }

  flow run(const stmt& st, scope* s, std::string& out) {
    try {
      return run_unlocated(st, s, out);
    } catch (const located&) {
      throw;
    } catch (const raised&) {
      throw;
    } catch (const error& e) {
      throw located("line " + std::to_string(st.line) + ": " + e.what());
    }
  }

  flow run_unlocated(const stmt& st, scope* s, std::string& out);
  flow run_for(const stmt& st, scope* s, std::string& out);
  void run_set(const stmt& st, scope* s);
  void define_macro(const stmt& st, scope* s);
  value call_block(const stmt& st, scope* s);
  void bind_parameters(const stmt& macro, const call_args& a, scope* body);

  value eval(const expr& e, scope* s);
  value eval_binary(const expr& e, scope* s);
  value eval_member(const expr& e, scope* s);
  value eval_slice(const value& object, const expr& slice, scope* s);
  value eval_unary(const expr& e, scope* s);
  value filter(const value& operand, const expr& e, scope* s);
  call_args eval_args(const std::vector<argument>& args, scope* s);

  std::vector<std::unique_ptr<scope>> scopes_;
  int macro_depth_ = 0;
};

void append(std::string& out, std::string_view text) {
  if (out.size() + text.size() > kMaxStringBytes) throw error("the rendered text passed 64 MiB");
  out += text;
}

flow interpreter::run_unlocated(const stmt& st, scope* s, std::string& out) {
  switch (st.k) {
    case stmt::kind::text:
      append(out, st.text);
      return flow::normal;
    case stmt::kind::output: {
      const value v = eval(*st.e, s);
      if (!v.is_nullish()) append(out, v.render());
      return flow::normal;
    }
    case stmt::kind::if_:
      return run(eval(*st.e, s).truthy() ? st.body : st.else_body, s, out);
    case stmt::kind::for_:
      return run_for(st, s, out);
    case stmt::kind::set:
      run_set(st, s);
      return flow::normal;
    case stmt::kind::macro:
      define_macro(st, s);
      return flow::normal;
    case stmt::kind::call: {
      const value v = call_block(st, s);
      if (!v.is_nullish()) append(out, v.render());
      return flow::normal;
    }
    case stmt::kind::filter: {
      std::string body;
      run(st.body, s, body);
      append(out, filter(value::string(std::move(body)), *st.e, s).render());
      return flow::normal;
    }
    case stmt::kind::break_:
      return flow::break_loop;
    case stmt::kind::continue_:
      return flow::continue_loop;
  }
  return flow::normal;
}

void bind_targets(const std::vector<std::string>& targets, const value& item, scope* s) {
  if (targets.size() == 1) {
    s->vars[targets[0]] = item;
    return;
  }
  for (std::size_t j = 0; j < targets.size(); ++j) s->vars[targets[j]] = item.items()[j];
}

value loop_object(std::size_t i, const value_list& items) {
  const double n = static_cast<double>(items.size()), x = static_cast<double>(i);
  object_map m;
  m.set("index", value::integer(x + 1));
  m.set("index0", value::integer(x));
  m.set("revindex", value::integer(n - x));
  m.set("revindex0", value::integer(n - x - 1));
  m.set("first", value::boolean(i == 0));
  m.set("last", value::boolean(i + 1 == items.size()));
  m.set("length", value::integer(n));
  m.set("previtem", i > 0 ? items[i - 1] : value());
  m.set("nextitem", i + 1 < items.size() ? items[i + 1] : value());
  return value::object(std::move(m));
}

flow interpreter::run_for(const stmt& st, scope* s, std::string& out) {
  scope* loop = new_scope(s);
  value iterable = eval(*st.e, loop);
  value_list candidates;
  if (iterable.is_list()) {
    candidates = iterable.items();
  } else if (iterable.is(kind::object)) {
    for (const auto& [k, v] : iterable.map().entries) candidates.push_back(value::string(k));
  } else {
    throw error(std::string("Expected iterable or object type in for loop: got ") + iterable.type_name());
  }
  value_list items;
  for (const value& item : candidates) {
    if (st.targets.size() > 1) {
      if (!item.is(kind::array)) throw error(std::string("Cannot unpack non-iterable type: ") + item.type_name());
      if (item.items().size() != st.targets.size())
        throw error(std::string("Too ") + (st.targets.size() > item.items().size() ? "few" : "many") +
                    " items to unpack");
    }
    if (st.test) {
      scope* probe = new_scope(loop);
      bind_targets(st.targets, item, probe);
      if (!eval(*st.test, probe).truthy()) continue;
    }
    items.push_back(item);
  }
  bool iterated = false;
  for (std::size_t i = 0; i < items.size(); ++i) {
    loop->vars["loop"] = loop_object(i, items);
    bind_targets(st.targets, items[i], loop);
    // break and continue drop what their iteration printed, and an iteration
    // they end does not count against the else block (as the reference does).
    std::string printed;
    const flow f = run(st.body, loop, printed);
    if (f == flow::continue_loop) continue;
    if (f == flow::break_loop) break;
    append(out, printed);
    iterated = true;
  }
  if (!iterated) return run(st.else_body, loop, out);
  return flow::normal;
}

void interpreter::run_set(const stmt& st, scope* s) {
  value rhs;
  if (st.e) {
    rhs = eval(*st.e, s);
  } else {
    std::string text;
    run(st.body, s, text);
    rhs = value::string(std::move(text));
  }
  const expr& target = *st.target;
  if (target.k == expr::kind::name) {
    s->vars[target.text] = std::move(rhs);
  } else if (target.k == expr::kind::tuple) {
    if (!rhs.is_list()) throw error(std::string("Cannot unpack non-iterable type in set: ") + rhs.type_name());
    if (rhs.items().size() != target.items.size())
      throw error(std::string("Too ") + (target.items.size() > rhs.items().size() ? "few" : "many") +
                  " items to unpack in set");
    for (std::size_t i = 0; i < target.items.size(); ++i) {
      if (target.items[i]->k != expr::kind::name) throw error("Cannot unpack to non-identifier in set");
      s->vars[target.items[i]->text] = rhs.items()[i];
    }
  } else if (target.k == expr::kind::member) {
    const value object = eval(*target.a, s);
    if (!object.is(kind::name_space)) throw error("cannot assign attribute on non-namespace object");
    if (target.computed || target.b->k != expr::kind::name)
      throw error("Cannot assign to member with non-identifier property");
    object.map().set(target.b->text, std::move(rhs));
  } else {
    throw error("{% set %} assigns to a name, names or a namespace attribute");
  }
}

// Arguments bind by position, then by name, then to their defaults (each
// default evaluated in the call's scope, after the rest are bound); extra ones
// go to varargs and kwargs when the body reads them, else are an error.
void interpreter::bind_parameters(const stmt& macro, const call_args& a, scope* body) {
  const std::string name = macro.k == stmt::kind::macro ? "'" + macro.text + "'" : "None";
  std::vector<std::pair<std::string, value>> keywords = a.keywords;
  std::vector<const argument*> pending;
  for (std::size_t i = 0; i < macro.params.size(); ++i) {
    const argument& p = macro.params[i];
    value v;
    if (i < a.positional.size()) {
      v = a.positional[i];
    } else if (auto it = std::find_if(keywords.begin(), keywords.end(), [&](auto& k) { return k.first == p.name; });
               it != keywords.end()) {
      v = it->second;
      keywords.erase(it);
    } else if (p.value) {
      pending.push_back(&p);
    }
    body->vars[p.name] = v;
  }
  if (macro.uses.kwargs) {
    object_map extra;
    for (auto& [k, v] : keywords) extra.set(k, v);
    body->vars["kwargs"] = value::object(std::move(extra));
  } else if (!keywords.empty()) {
    throw error("macro " + name + " takes no keyword argument '" + keywords.front().first + "'");
  }
  if (macro.uses.varargs) {
    value_list extra;
    for (std::size_t i = macro.params.size(); i < a.positional.size(); ++i) extra.push_back(a.positional[i]);
    body->vars["varargs"] = value::array(std::move(extra));
  } else if (a.positional.size() > macro.params.size()) {
    throw error("macro " + name + " takes not more than " + std::to_string(macro.params.size()) + " argument(s)");
  }
  for (const argument* p : pending) body->vars[p->name] = eval(*p->value, body);
}

void interpreter::define_macro(const stmt& st, scope* s) {
  const stmt* macro = &st;
  s->vars[st.text] = value::callable([this, macro, s](const call_args& a) {
    if (macro_depth_ >= kMaxMacroDepth) throw error("macros nested deeper than " + std::to_string(kMaxMacroDepth));
    scope* body = new_scope(s);
    if (macro->uses.caller) body->vars["caller"] = a.caller ? *a.caller : value();
    bind_parameters(*macro, a, body);
    ++macro_depth_;
    std::string out;
    run(macro->body, body, out);
    --macro_depth_;
    return value::string(std::move(out));
  });
}

// {% call m(args) %}body{% endcall %}: m(args) with caller() rendering body.
value interpreter::call_block(const stmt& st, scope* s) {
  const stmt* block = &st;
  const value caller = value::callable([this, block, s](const call_args& a) {
    scope* body = new_scope(s);
    bind_parameters(*block, a, body);
    std::string out;
    run(block->body, body, out);
    return value::string(std::move(out));
  });
  call_args args = eval_args(st.e->args, s);
  args.caller = &caller;
  const value fn = eval(*st.e->a, s);
  if (!fn.is(kind::callable))
    throw error(std::string("Cannot call something that is not a function: got ") + fn.type_name());
  return fn.fn()(args);
}

call_args interpreter::eval_args(const std::vector<argument>& args, scope* s) {
  call_args out;
  for (const argument& a : args)
    if (a.name.empty()) out.positional.push_back(eval(*a.value, s));
  for (const argument& a : args) {
    if (a.name.empty()) continue;
    for (const auto& [k, v] : out.keywords)
      if (k == a.name) throw error("Got multiple values for keyword argument '" + a.name + "'");
    out.keywords.emplace_back(a.name, eval(*a.value, s));
  }
  return out;
}

value interpreter::eval(const expr& e, scope* s) {
  switch (e.k) {
    case expr::kind::literal:
      return e.constant;
    case expr::kind::name:
      return s->lookup(e.text);
    case expr::kind::list:
    case expr::kind::tuple: {
      value_list items;
      for (const auto& item : e.items) items.push_back(eval(*item, s));
      return value::array(std::move(items), e.k == expr::kind::list ? kind::array : kind::tuple);
    }
    case expr::kind::dict: {
      object_map m;
      for (std::size_t i = 0; i + 1 < e.items.size(); i += 2) {
        const value key = eval(*e.items[i], s);
        if (!key.is(kind::string)) throw error(std::string("Object keys must be strings: got ") + key.type_name());
        m.set(key.as_string(), eval(*e.items[i + 1], s));
      }
      return value::object(std::move(m));
    }
    case expr::kind::member:
      return eval_member(e, s);
    case expr::kind::slice:
      throw error("a slice outside '[]'");
    case expr::kind::call: {
      const call_args args = eval_args(e.args, s);
      const value fn = eval(*e.a, s);
      if (!fn.is(kind::callable))
        throw error(std::string("Cannot call something that is not a function: got ") + fn.type_name());
      return fn.fn()(args);
    }
    case expr::kind::filter:
      return filter(eval(*e.a, s), e, s);
    case expr::kind::test: {
      const value v = eval(*e.a, s);
      if (!is_test(e.text)) throw error("Unknown test: " + e.text);
      return value::boolean(apply_test(v, e.text) != e.negate);
    }
    case expr::kind::unary:
      return eval_unary(e, s);
    case expr::kind::binary:
      return eval_binary(e, s);
    case expr::kind::ternary:
      return eval(*e.a, s).truthy() ? eval(*e.b, s) : eval(*e.c, s);
    case expr::kind::select:
      return eval(*e.b, s).truthy() ? eval(*e.a, s) : value();
  }
  return value();
}

value interpreter::filter(const value& operand, const expr& e, scope* s) {
  if (!e.has_args) return apply_filter(operand, e.text);
  bool literal_strings = true;
  for (const argument& a : e.args)
    literal_strings =
        literal_strings && a.name.empty() && a.value->k == expr::kind::literal && a.value->constant.is(kind::string);
  return apply_filter(operand, e.text, eval_args(e.args, s), literal_strings);
}

value interpreter::eval_unary(const expr& e, scope* s) {
  const value v = eval(*e.a, s);
  if (e.text == "not") return value::boolean(!v.truthy());
  const double sign = e.text == "-" ? -1 : 1;
  if (v.is(kind::boolean)) return value::integer(sign * (v.as_bool() ? 1 : 0));
  if (v.is(kind::integer)) return value::integer(sign * v.as_number());
  if (v.is(kind::floating)) return value::floating(sign * v.as_number());
  throw error("Unknown operator \"" + e.text + "\" for " + v.type_name());
}

// JavaScript's s.at(i): indexes count UTF-16 code units; half of a
// surrogate pair prints as U+FFFD.
value utf16_unit(const std::string& s, double index) {
  const double n = static_cast<double>(utf16_length(s));
  const double i = index < 0 ? index + n : index;
  if (i < 0 || i >= n) return value();
  double unit = 0;
  for (std::string_view cp : code_points(s)) {
    const double width = cp.size() == 4 ? 2 : 1;
    if (i < unit + width) return value::string(width == 2 ? "\xEF\xBF\xBD" : std::string(cp));
    unit += width;
  }
  return value();
}

// What JavaScript's String(x.value) gives inside + and ~.
std::string concat_text(const value& v) {
  if (v.is_map()) return "[object Map]";
  if (!v.is_list()) return v.raw_text();
  std::string out;
  for (std::size_t i = 0; i < v.items().size(); ++i) {
    const value& x = v.items()[i];
    if (i) out += ',';
    out += x.is_nullish() ? x.raw_text() : x.render();
  }
  return out;
}

value interpreter::eval_binary(const expr& e, scope* s) {
  const std::string& op = e.text;
  const value left = eval(*e.a, s);
  if (op == "and") return left.truthy() ? eval(*e.b, s) : left;
  if (op == "or") return left.truthy() ? left : eval(*e.b, s);
  const value right = eval(*e.b, s);
  if (op == "==") return value::boolean(left.loose_equals(right));
  if (op == "!=") return value::boolean(!left.loose_equals(right));
  const bool floats = left.is(kind::floating) || right.is(kind::floating);
  const auto num = [&](double d) { return floats ? value::floating(d) : value::integer(d); };
  if (left.is_number() && right.is_number() && op != "~" && op != "**") {
    const double a = left.as_number(), b = right.as_number();
    if (op == "+") return num(a + b);
    if (op == "-") return num(a - b);
    if (op == "*") return num(a * b);
    if (op == "/") return value::floating(a / b);
    if (op == "//") return num(std::floor(a / b));
    if (op == "%") return num(std::fmod(a, b));
    if (op == "<") return value::boolean(a < b);
    if (op == ">") return value::boolean(a > b);
    if (op == "<=") return value::boolean(a <= b);
    if (op == ">=") return value::boolean(a >= b);
  } else if (left.is(kind::undefined) || right.is(kind::undefined)) {
    if (right.is(kind::undefined) && (op == "in" || op == "not in")) return value::boolean(op == "not in");
    if (op == "~" && !left.is(kind::none) && !right.is(kind::none))
      return value::string((left.is(kind::undefined) ? "" : concat_text(left)) +
                           (right.is(kind::undefined) ? "" : concat_text(right)));
    throw error("Cannot perform operation " + op + " on undefined values");
  } else if (left.is(kind::none) || right.is(kind::none)) {
    throw error("Cannot perform operation on null values");
  } else if (op == "~") {
    return value::string(concat_text(left) + concat_text(right));
  } else if (op == "**" && (left.is_number() || left.is(kind::boolean)) &&
             (right.is_number() || right.is(kind::boolean))) {
    const auto n = [](const value& v) { return v.is(kind::boolean) ? (v.as_bool() ? 1.0 : 0.0) : v.as_number(); };
    const double a = n(left), b = n(right);
    if (a == 0 && b < 0) throw error("0.0 cannot be raised to a negative power");
    const double r = std::pow(a, b);
    if (!std::isfinite(r)) throw error("Exponentiation result is not a finite real number");
    return floats || b < 0 ? value::floating(r) : value::integer(r);
  } else if (left.is_list() && right.is_list()) {
    if (op == "+") {
      value_list joined = left.items();
      joined.insert(joined.end(), right.items().begin(), right.items().end());
      return value::array(std::move(joined));
    }
  } else if (right.is_list()) {
    bool member = false;
    for (const value& x : right.items()) member = member || x.strict_equals(left);
    if (op == "in") return value::boolean(member);
    if (op == "not in") return value::boolean(!member);
  }
  if ((left.is(kind::string) || right.is(kind::string)) && op == "+")
    return value::string(concat_text(left) + concat_text(right));
  if (left.is(kind::string) && right.is(kind::string) && (op == "in" || op == "not in"))
    return value::boolean((right.as_string().find(left.as_string()) != std::string::npos) == (op == "in"));
  if (left.is(kind::string) && right.is(kind::object) && (op == "in" || op == "not in"))
    return value::boolean((right.map().find(left.as_string()) != nullptr) == (op == "in"));
  throw error("Unknown operator \"" + op + "\" between " + left.type_name() + " and " + right.type_name());
}

value interpreter::eval_member(const expr& e, scope* s) {
  const value object = eval(*e.a, s);
  if (e.computed && e.b->k == expr::kind::slice) return eval_slice(object, *e.b, s);
  const value property = e.computed                   ? eval(*e.b, s)
                         : e.b->k == expr::kind::name ? value::string(e.b->text)
                                                      : e.b->constant;
  if (object.is_map()) {
    if (!property.is(kind::string))
      throw error(std::string("Cannot access property with non-string: got ") + property.type_name());
    if (const value* hit = object.map().find(property.as_string())) return *hit;
    return object.is(kind::object) ? builtin_member(object, property.as_string()) : value();
  }
  if (object.is_list() || object.is(kind::string)) {
    if (property.is(kind::integer)) {
      if (object.is(kind::string)) return utf16_unit(object.as_string(), property.as_number());
      const double n = static_cast<double>(object.items().size());
      const double i = property.as_number() < 0 ? property.as_number() + n : property.as_number();
      return i >= 0 && i < n ? object.items()[static_cast<std::size_t>(i)] : value();
    }
    if (property.is(kind::string)) return builtin_member(object, property.as_string());
    throw error(std::string("Cannot access property with non-string/non-number: got ") + property.type_name());
  }
  if (!property.is(kind::string))
    throw error(std::string("Cannot access property with non-string: got ") + property.type_name());
  return value();
}

// Python's slicing (utils.ts slice), over items or code points.
value interpreter::eval_slice(const value& object, const expr& slice, scope* s) {
  if (!object.is_list() && !object.is(kind::string)) throw error("Slice object must be an array or string");
  const auto part = [&](const expr_ptr& p, const char* what) -> std::optional<double> {
    if (!p) return std::nullopt;
    const value v = eval(*p, s);
    if (v.is(kind::undefined)) return std::nullopt;
    if (!v.is(kind::integer)) throw error(std::string("Slice ") + what + " must be numeric or undefined");
    return v.as_number();
  };
  const auto start_in = part(slice.a, "start"), stop_in = part(slice.b, "stop"), step_in = part(slice.c, "step");
  std::vector<std::string_view> cps;
  if (object.is(kind::string)) cps = code_points(object.as_string());
  const double n = static_cast<double>(object.is(kind::string) ? cps.size() : object.items().size());
  const double step = step_in.value_or(1);
  if (step == 0) throw error("slice step cannot be zero");
  double start, stop;
  if (step > 0) {
    start = start_in.value_or(0), stop = stop_in.value_or(n);
    start = start < 0 ? std::max(n + start, 0.0) : std::min(start, n);
    stop = stop < 0 ? std::max(n + stop, 0.0) : std::min(stop, n);
  } else {
    start = start_in.value_or(n - 1), stop = stop_in.value_or(-1);
    start = start < 0 ? std::max(n + start, -1.0) : std::min(start, n - 1);
    stop = stop < -1 ? std::max(n + stop, -1.0) : std::min(stop, n - 1);
  }
  value_list items;
  std::string text;
  for (double i = start; step > 0 ? i < stop : i > stop; i += step) {
    const auto k = static_cast<std::size_t>(i);
    if (object.is(kind::string))
      text += cps[k];
    else
      items.push_back(object.items()[k]);
  }
  return object.is(kind::string) ? value::string(std::move(text)) : value::array(std::move(items));
}

}  // namespace

std::string render(const program& p, object_map variables) {
  return interpreter().run_program(p, std::move(variables));
}

}  // namespace binserve::jinja
