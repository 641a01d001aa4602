#pragma once
// Errors as values. A Status is either ok or carries a message a user can act
// on, and a code for the callers that must tell errors apart (the gateway maps
// codes to HTTP statuses without parsing messages); Result<T> is a value or
// the Status explaining why there is none. Nothing in shardswarm throws across
// a module boundary.

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace ss {

enum class StatusCode {
  kOk,
  kError,            // anything callers need not tell apart
  kInvalidArgument,  // the request itself is wrong (HTTP 400)
  kNotReady,         // the swarm cannot serve yet: a shard has no node (503)
  kBusy,             // over a limit that frees up by itself: queue full (429)
  kRefused,          // a peer or caller is not allowed (403)
  kUnavailable,      // a peer failed or stopped answering mid-request (502)
};

class Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(std::string message) { return Status(StatusCode::kError, std::move(message)); }
  static Status InvalidArgument(std::string m) { return Status(StatusCode::kInvalidArgument, std::move(m)); }
  static Status NotReady(std::string m) { return Status(StatusCode::kNotReady, std::move(m)); }
  static Status Busy(std::string m) { return Status(StatusCode::kBusy, std::move(m)); }
  static Status Refused(std::string m) { return Status(StatusCode::kRefused, std::move(m)); }
  static Status Unavailable(std::string m) { return Status(StatusCode::kUnavailable, std::move(m)); }

  bool ok() const { return !message_.has_value(); }
  StatusCode code() const { return code_; }
  const std::string& message() const {
    static const std::string kOk = "ok";
    return message_ ? *message_ : kOk;
  }
  // Prefixes context ("reading x.gguf: ") to an error; ok stays ok.
  Status Context(const std::string& prefix) const {
    return ok() ? *this : Status(code_, prefix + ": " + *message_);
  }

 private:
  Status(StatusCode code, std::string m) : code_(code), message_(std::move(m)) {}
  StatusCode code_ = StatusCode::kOk;
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
  const T& operator*() const { return *value_; }

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

// `SS_ASSIGN_OR_RETURN(auto x, F());` declares x from a Result's value, or
// returns the Result's error from the enclosing function.
#define SS_CONCAT_INNER_(a, b) a##b
#define SS_CONCAT_(a, b) SS_CONCAT_INNER_(a, b)
#define SS_ASSIGN_OR_RETURN(lhs, expr) SS_ASSIGN_OR_RETURN_IMPL_(SS_CONCAT_(ss_result_, __LINE__), lhs, expr)
#define SS_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                              \
  if (!tmp.ok()) return tmp.status();             \
  lhs = std::move(tmp).value()
