# Finds the C++ Actor Framework 0.17 as Debian packages it (no CMake config
# shipped) and defines CAF::core and CAF::io, the target names CAF 0.18+ exports.
# With CAF_ROOT set, only that prefix is searched: the TSan build points it at
# the CAF that scripts/build-caf-tsan.sh built, never falling back to the
# system's uninstrumented one.
if(CAF_ROOT)
  set(_caf_search PATHS "${CAF_ROOT}" PATH_SUFFIXES include lib NO_DEFAULT_PATH)
  # Forget a CAF found earlier outside CAF_ROOT (a reconfigured build dir).
  foreach(_var CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY)
    string(FIND "${${_var}}" "${CAF_ROOT}/" _at)
    if(NOT _at EQUAL 0)
      unset(${_var} CACHE)
    endif()
  endforeach()
endif()
find_path(CAF_INCLUDE_DIR caf/config.hpp ${_caf_search})
find_library(CAF_CORE_LIBRARY caf_core ${_caf_search})
find_library(CAF_IO_LIBRARY caf_io ${_caf_search})
if(CAF_INCLUDE_DIR)
  file(STRINGS "${CAF_INCLUDE_DIR}/caf/config.hpp" _caf_version_line
       REGEX "^#define CAF_VERSION [0-9]+")
  string(REGEX REPLACE ".*CAF_VERSION ([0-9]+).*" "\\1" _caf_version "${_caf_version_line}")
  math(EXPR _major "${_caf_version} / 10000")
  math(EXPR _minor "(${_caf_version} / 100) % 100")
  math(EXPR _patch "${_caf_version} % 100")
  set(CAF_VERSION "${_major}.${_minor}.${_patch}")
endif()
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(CAF REQUIRED_VARS CAF_INCLUDE_DIR CAF_CORE_LIBRARY CAF_IO_LIBRARY
                                  VERSION_VAR CAF_VERSION)
if(CAF_FOUND AND NOT TARGET CAF::core)
  add_library(CAF::core UNKNOWN IMPORTED)
  set_target_properties(CAF::core PROPERTIES IMPORTED_LOCATION "${CAF_CORE_LIBRARY}"
                        INTERFACE_INCLUDE_DIRECTORIES "${CAF_INCLUDE_DIR}")
  add_library(CAF::io UNKNOWN IMPORTED)
  set_target_properties(CAF::io PROPERTIES IMPORTED_LOCATION "${CAF_IO_LIBRARY}"
                        INTERFACE_LINK_LIBRARIES CAF::core)
endif()
