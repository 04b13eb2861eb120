// binserve::jinja: the filters, tests, methods and global functions templates
// call, as @huggingface/jinja defines them (which is not always as Python's
// Jinja does: strip() ignores its argument, `default` needs parentheses,
// booleans print lower-case). Each throws jinja::error naming the filter,
// test or method and the value's type when it does not apply.
#pragma once

#include <chrono>
#include <string_view>

#include "chat/jinja_value.hpp"

namespace binserve::jinja {

// `v | name` (written without parentheses).
value apply_filter(const value& v, std::string_view name);

// `v | name(args)`. `literal_strings`: every argument was a string literal
// (selectattr and rejectattr accept nothing else).
value apply_filter(const value& v, std::string_view name, const call_args& args, bool literal_strings);

// `v is name`.
bool apply_test(const value& v, std::string_view name);
// Whether `name` is a known test.
bool is_test(std::string_view name);

// `v.name`: a method bound to `v` (strings' strip, split, ...; objects' get,
// items, ...) or a property (length); undefined when `v` has none.
value builtin_member(const value& v, std::string_view name);

// The names every template sees: namespace, range, raise_exception,
// strftime_now (reading `now` in the local time zone), true/false/none and
// True/False/None.
object_map globals(std::chrono::system_clock::time_point now);

}  // namespace binserve::jinja
