// A value or the error that took its place: what the error-code form of the client's calls and
// the concurrency helpers (gather, when_all, bounded_map) return, so that one failure is a value
// to look at rather than an exception that loses the other results.
#pragma once

#include <asyncrest/client/error.hpp>

#include <exception>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace asyncrest {

/// Why an operation failed: an error code, a message for people, and the exception itself.
struct failure {
  std::error_code code;
  std::string message;
  std::exception_ptr exception;

  /// Describes the exception `error` (a `client_error`, another `std::system_error`, any
  /// `std::exception`, or anything else).
  [[nodiscard]] static failure from(std::exception_ptr error) {
    failure described{{}, {}, error};
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& thrown) {
      described.code = thrown.code();
      described.message = thrown.what();
    } catch (const std::exception& thrown) {
      described.code = std::make_error_code(std::errc::io_error);
      described.message = thrown.what();
    } catch (...) {
      described.code = std::make_error_code(std::errc::io_error);
      described.message = "unknown exception";
    }
    return described;
  }
};

/// Either a `Value` or a `failure`. `result<void>` holds nothing on success.
template <class Value>
class [[nodiscard]] result {
  using stored = std::conditional_t<std::is_void_v<Value>, std::monostate, Value>;

 public:
  result() requires std::is_void_v<Value> : outcome_(std::in_place_index<0>) {}
  result(stored value) : outcome_(std::in_place_index<0>, std::move(value)) {}
  result(failure error) : outcome_(std::in_place_index<1>, std::move(error)) {}

  [[nodiscard]] bool has_value() const noexcept { return outcome_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; rethrows the original exception when there is none.
  decltype(auto) value() & { return get(*this); }
  decltype(auto) value() const& { return get(*this); }
  decltype(auto) value() && { return std::move(get(*this)); }
  auto* operator->() requires(!std::is_void_v<Value>) { return &get(*this); }
  const auto* operator->() const requires(!std::is_void_v<Value>) { return &get(*this); }
  auto& operator*() requires(!std::is_void_v<Value>) { return get(*this); }
  const auto& operator*() const requires(!std::is_void_v<Value>) { return get(*this); }

  /// The error code (empty on success): a `client_errc` for the client's own failures.
  [[nodiscard]] std::error_code error() const noexcept { return has_value() ? std::error_code{} : failed().code; }
  /// The failure; only when `!has_value()`.
  [[nodiscard]] const failure& error_details() const noexcept { return failed(); }

 private:
  [[nodiscard]] const failure& failed() const noexcept { return *std::get_if<1>(&outcome_); }

  template <class Self>
  static decltype(auto) get(Self& self) {
    if (!self.has_value()) std::rethrow_exception(self.failed().exception);
    if constexpr (std::is_void_v<Value>) {
      return;
    } else {
      return (*std::get_if<0>(&self.outcome_));
    }
  }

  std::variant<stored, failure> outcome_;
};

}  // namespace asyncrest
