// Errors are values: Result<T> = std::expected<T, Error>.
#pragma once

#include <fmt/format.h>

#include <cerrno>
#include <expected>
#include <string>
#include <utility>

namespace berth {

enum class ErrorKind {
  Internal,
  InvalidArgument,
  NotFound,
  Conflict,
  Unavailable,
  PermissionDenied,
};

class Error {
 public:
  Error(ErrorKind kind, std::string message, int err = 0)
      : kind_(kind), message_(std::move(message)), errno_(err) {}

  ErrorKind kind() const { return kind_; }
  int sys_errno() const { return errno_; }
  // The full text: "outer context: inner context: message: strerror".
  std::string message() const;

  // Prepends a context, e.g. .context("mount {}", dst).
  template <typename... Args>
  Error context(fmt::format_string<Args...> f, Args&&... args) && {
    message_ = fmt::format(f, std::forward<Args>(args)...) + ": " + message_;
    return std::move(*this);
  }

 private:
  ErrorKind kind_;
  std::string message_;
  int errno_;
};

template <typename T>
using Result = std::expected<T, Error>;
using Status = std::expected<void, Error>;

template <typename... Args>
std::unexpected<Error> fail(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
  return std::unexpected(Error(kind, fmt::format(f, std::forward<Args>(args)...)));
}

// A failed system call: captures errno at the call site.
template <typename... Args>
std::unexpected<Error> sys_fail(fmt::format_string<Args...> f, Args&&... args) {
  int e = errno;
  ErrorKind kind = ErrorKind::Internal;
  if (e == ENOENT) kind = ErrorKind::NotFound;
  if (e == EPERM || e == EACCES) kind = ErrorKind::PermissionDenied;
  if (e == EEXIST || e == EBUSY) kind = ErrorKind::Conflict;
  if (e == EINVAL) kind = ErrorKind::InvalidArgument;
  return std::unexpected(Error(kind, fmt::format(f, std::forward<Args>(args)...), e));
}

inline Status ok() {
  return {};
}

}  // namespace berth

#define BERTH_CONCAT_INNER(a, b) a##b
#define BERTH_CONCAT(a, b) BERTH_CONCAT_INNER(a, b)

// Returns the error of a Status/Result expression from the enclosing function.
#define BERTH_TRY(expr)                                                       \
  do {                                                                        \
    auto&& berth_try_r = (expr);                                              \
    if (!berth_try_r) return std::unexpected(std::move(berth_try_r).error()); \
  } while (0)

// Declares/assigns lhs from a Result expression or returns its error. (__COUNTER__, not
// __LINE__: g++ gives __LINE__ different values within one invocation spanning lines.)
#define BERTH_ASSIGN(lhs, expr) BERTH_ASSIGN_IMPL(BERTH_CONCAT(berth_r_, __COUNTER__), lhs, expr)
#define BERTH_ASSIGN_IMPL(tmp, lhs, expr)                   \
  auto tmp = (expr);                                        \
  if (!tmp) return std::unexpected(std::move(tmp).error()); \
  lhs = std::move(*tmp)
