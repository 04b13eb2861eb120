// binserve: errors as values.
//
// Every boundary of the product (loaders, backends, config, network, the
// embedding API) reports failure as a `status` or a `status_or<T>` carrying
// one of the codes below and a message meant for the person who caused it.
// Nothing throws across these boundaries.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace binserve {

enum class error_code {
  ok = 0,
  invalid_argument,    // a caller passed a value outside its contract
  config_invalid,      // a deployment file or option is wrong
  model_invalid,       // a model or tokenizer file is truncated, foreign or inconsistent
  io_error,            // a file could not be opened or read
  protocol_malformed,  // a client sent something that is not the protocol
  input_too_large,     // a prompt, line or request exceeds a configured limit
  overloaded,          // the service is full and rejects new work explicitly
  cancelled,           // the request was cancelled by its client
  timed_out,           // the request passed its deadline
  out_of_memory,       // weights or KV cache do not fit the memory budget
  backend_failure,     // the model-execution backend failed (e.g. a CUDA error)
  shutting_down,       // the service no longer accepts work
  internal,            // a broken invariant inside binserve
};

// Returns the stable lower_snake_case name of `code` ("overloaded", ...).
// These names are part of the wire protocol.
inline const char* to_string(error_code code) {
  switch (code) {
    case error_code::ok:
      return "ok";
    case error_code::invalid_argument:
      return "invalid_argument";
    case error_code::config_invalid:
      return "config_invalid";
    case error_code::model_invalid:
      return "model_invalid";
    case error_code::io_error:
      return "io_error";
    case error_code::protocol_malformed:
      return "protocol_malformed";
    case error_code::input_too_large:
      return "input_too_large";
    case error_code::overloaded:
      return "overloaded";
    case error_code::cancelled:
      return "cancelled";
    case error_code::timed_out:
      return "timed_out";
    case error_code::out_of_memory:
      return "out_of_memory";
    case error_code::backend_failure:
      return "backend_failure";
    case error_code::shutting_down:
      return "shutting_down";
    case error_code::internal:
      return "internal";
  }
  return "unknown";
}

class [[nodiscard]] status {
 public:
  status() = default;  // ok
  status(error_code code, std::string message) : code_(code), message_(std::move(message)) {}

  static status ok_status() { return {}; }

  bool ok() const { return code_ == error_code::ok; }
  error_code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "model_invalid: stories.bin: file is truncated (...)"
  std::string to_string() const {
    if (ok()) return "ok";
    return std::string(binserve::to_string(code_)) + ": " + message_;
  }

 private:
  error_code code_ = error_code::ok;
  std::string message_;
};

// Either a value or a non-ok status.
template <class T>
class [[nodiscard]] status_or {
 public:
  status_or(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  // From an error. An ok status holds no value to return: that is the
  // caller's bug, so it becomes `internal` (and asserts in debug builds)
  // instead of a status_or that is neither a value nor an error.
  status_or(status s)  // NOLINT: implicit by design
      : status_(s.ok() ? status(error_code::internal, "status_or made from an ok status, without a value")
                       : std::move(s)) {
    assert(!s.ok() && "status_or needs a value or an error");
  }

  bool ok() const { return value_.has_value(); }
  const status& error() const { return status_; }

  // Preconditions: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  status status_{error_code::internal, "status_or holds no value"};
};

}  // namespace binserve
