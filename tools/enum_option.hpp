// A command-line option of one of the configuration's enums, spelled by its
// names (binserve/names.hpp): CLI11 rejects any other word and lists them.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "binserve/names.hpp"

namespace binserve::tools {

template <class E>
CLI::Option* add_enum_option(CLI::App& cmd, const std::string& flag, E& value, const std::string& help) {
  // The check runs first, so only a name in the table reaches the callback.
  return cmd
      .add_option_function<std::string>(
          flag, [&value](const std::string& name) { value = from_name<E>(name).value_or(value); }, help)
      ->check(CLI::IsMember(names_of<E>()))
      ->default_str(name_of(value));
}

}  // namespace binserve::tools
