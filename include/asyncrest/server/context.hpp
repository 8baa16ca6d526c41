// Typed values that live as long as a request: what a middleware found out, for the handler
// and the middleware after it to read.
//
//     struct principal { std::string user; std::vector<std::string> roles; };
//
//     // in an authentication middleware
//     req.context().emplace<principal>(user, roles);
//     // in the handler
//     const principal& who = req.context().get<principal>();
//
// A handler may take the value as a parameter instead, `depends<principal>`, which the app checks
// at compile time against what its middleware declare they provide (dependencies.hpp).
//
// One value per type: a second emplace of the same type replaces the first. Values are kept in
// the request's pooled memory when they fit (256 bytes in all), so setting one costs no
// allocation; they are destroyed when the response has been sent.
#pragma once

#include <asyncrest/core/detail/context_storage.hpp>

#include <cxxabi.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace asyncrest {

namespace detail {
/// `type`'s name as written in C++, where the compiler can say it; else the mangled name.
inline std::string readable_type_name(const std::type_info& type) {
  int outcome = 0;
  std::unique_ptr<char, void (*)(void*)> readable(abi::__cxa_demangle(type.name(), nullptr, nullptr, &outcome),
                                                  &std::free);
  return outcome == 0 && readable ? std::string(readable.get()) : std::string(type.name());
}
}  // namespace detail

/// Thrown by `request_context::get<T>()` when no middleware set a `T`: a bug in how the app
/// is put together, which the client sees as a 500.
class missing_context : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// A request's typed values: `req.context()`.
class request_context {
 public:
  explicit request_context(detail::context_storage& storage) noexcept : storage_(&storage) {}

  /// Makes a `T` from `arguments`, replacing any `T` already set, and returns it.
  template <class T, class... Arguments>
  T& emplace(Arguments&&... arguments) {
    static_assert(std::is_object_v<T> && !std::is_const_v<T>,
                  "request_context::emplace<T>: T is the type of the value kept, not a reference or const");
    return storage_->emplace<T>(std::forward<Arguments>(arguments)...);
  }

  /// The `T` a middleware set, or nullptr.
  template <class T>
  [[nodiscard]] T* find() const noexcept {
    return storage_->find<T>();
  }

  /// The `T` a middleware set; throws `missing_context` when there is none.
  template <class T>
  [[nodiscard]] T& get() const {
    if (T* value = storage_->find<T>()) return *value;
    throw missing_context("no middleware set a value of type " + detail::readable_type_name(typeid(T)) +
                          " in the request's context");
  }

  template <class T>
  [[nodiscard]] bool contains() const noexcept {
    return storage_->find<T>() != nullptr;
  }

  /// Removes the `T`, if there is one; returns whether there was.
  template <class T>
  bool erase() noexcept {
    return storage_->erase<T>();
  }

 private:
  detail::context_storage* storage_;
};

}  // namespace asyncrest
