#pragma once
// Errors as values. A Status is either ok or carries a message a user can act
// on; Result<T> is a value or the Status explaining why there is none. Nothing
// in shardswarm throws across a module boundary.

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace ss {

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(std::move(message)); }

  bool ok() const { return !message_.has_value(); }
  const std::string& message() const {
    static const std::string kOk = "ok";
    return message_ ? *message_ : kOk;
  }
  // Prefixes context ("reading x.gguf: ") to an error; ok stays ok.
  Status Context(const std::string& prefix) const { return ok() ? *this : Error(prefix + ": " + *message_); }

 private:
  explicit Status(std::string m) : message_(std::move(m)) {}
  std::optional<std::string> message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}                                  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) { assert(!status_.ok()); }  // NOLINT

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace ss

// Returns early from the enclosing function when an expression yields an error.
#define SS_RETURN_IF_ERROR(expr)             \
  do {                                       \
    ::ss::Status ss_status_ = (expr);        \
    if (!ss_status_.ok()) return ss_status_; \
  } while (0)
