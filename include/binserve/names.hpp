// The configuration's enums by name, as YAML, the command line, JSON and
// error messages spell them: one table per enum (its values in order, each
// with its name), and the conversions both ways. The names are the API of
// the text formats; code uses the enums.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "binserve/config.hpp"

namespace binserve {

template <class E>
struct enum_names;  // `table`: every value of E with its name

template <>
struct enum_names<policy_kind> {
  static constexpr std::array<std::pair<policy_kind, std::string_view>, 6> table{{
      {policy_kind::vanilla, "vanilla"},
      {policy_kind::multibin, "multibin"},
      {policy_kind::sequence, "sequence"},
      {policy_kind::continuous, "continuous"},
      {policy_kind::continuous_sjf, "continuous-sjf"},
      {policy_kind::continuous_srpt, "continuous-srpt"},
  }};
};

template <>
struct enum_names<retry_mode> {
  static constexpr std::array<std::pair<retry_mode, std::string_view>, 2> table{{
      {retry_mode::restart, "restart"},
      {retry_mode::resume, "resume"},
  }};
};

template <>
struct enum_names<kv_admission> {
  static constexpr std::array<std::pair<kv_admission, std::string_view>, 2> table{{
      {kv_admission::max, "max"},
      {kv_admission::predicted, "predicted"},
  }};
};

template <>
struct enum_names<backend_kind> {
  static constexpr std::array<std::pair<backend_kind, std::string_view>, 3> table{{
      {backend_kind::cpu, "cpu"},
      {backend_kind::cuda, "cuda"},
      {backend_kind::null, "null"},
  }};
};

template <>
struct enum_names<data_type> {
  static constexpr std::array<std::pair<data_type, std::string_view>, 3> table{{
      {data_type::fp32, "fp32"},
      {data_type::fp16, "fp16"},
      {data_type::bf16, "bf16"},
  }};
};

template <class E>
std::string name_of(E value) {
  for (const auto& [v, name] : enum_names<E>::table)
    if (v == value) return std::string(name);
  return "?";  // never: every value has a name
}

template <class E>
std::optional<E> from_name(std::string_view name) {
  for (const auto& [v, n] : enum_names<E>::table)
    if (n == name) return v;
  return std::nullopt;
}

// Every name, in the table's order.
template <class E>
std::vector<std::string> names_of() {
  std::vector<std::string> out;
  for (const auto& [v, name] : enum_names<E>::table) out.emplace_back(name);
  return out;
}

}  // namespace binserve
