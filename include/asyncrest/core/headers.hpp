// Header fields: an owning list for responses and a viewing list for requests, both looked up
// without regard to case, as HTTP field names require.
#pragma once

#include <asyncrest/core/detail/field_rules.hpp>
#include <asyncrest/core/detail/field_storage.hpp>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

/// Compares two field names the way HTTP does: ASCII letters without regard to case.
[[nodiscard]] constexpr bool iequals(std::string_view left, std::string_view right) noexcept {
  return detail::ascii_iequals(left, right);
}

/// One field of a request, viewing the bytes the connection received.
struct header_view {
  std::string_view name;
  std::string_view value;
};

/// A request's fields in the order received. The views stay valid while the request is handled.
class request_headers {
 public:
  using const_iterator = std::span<const header_view>::iterator;

  request_headers() = default;
  explicit request_headers(std::span<const header_view> fields) noexcept : fields_(fields) {}

  /// The first field named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const header_view& field : fields_) {
      if (iequals(field.name, name)) return field.value;
    }
    return std::nullopt;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  /// How many fields are named `name` (several are allowed for list-valued fields).
  [[nodiscard]] std::size_t count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(std::count_if(fields_.begin(), fields_.end(),
                                                  [&](const header_view& field) { return iequals(field.name, name); }));
  }

  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }

 private:
  std::span<const header_view> fields_;
};

namespace detail {
struct headers_access;
}  // namespace detail

/// The fields of a response or of a client's request, owned and in order. A response's
/// Content-Length, Transfer-Encoding, Date and Connection are written by the server, and a field
/// that is no valid field (a name that is not a token, a control character in the value) is
/// not sent: a handler cannot make the framing lie or split the response.
///
/// A few short fields (a Content-Type, or a Content-Type and a Location) are kept inside the
/// object, so a typical response allocates nothing for them; more move to the heap.
class headers {
 public:
  using field = std::pair<std::string_view, std::string_view>;
  /// Yields each field as a `field`, a pair of views valid until the list changes.
  using const_iterator = detail::field_storage::iterator;
  using iterator = const_iterator;

  headers() noexcept = default;
  headers(const headers&) = default;
  headers& operator=(const headers&) = default;
  /// Leaves `other` empty.
  headers(headers&& other) noexcept
      : fields_(std::move(other.fields_)), unsendable_(std::exchange(other.unsendable_, 0)) {}
  headers& operator=(headers&& other) noexcept {
    fields_ = std::move(other.fields_);
    unsendable_ = std::exchange(other.unsendable_, 0);
    return *this;
  }
  ~headers() = default;

  /// Replaces every field named `name` with one field, in the place of the first.
  headers& set(std::string_view name, std::string_view value) {
    return set(name, value, detail::is_sendable_field(name, value));
  }
  /// Adds a field, keeping any others of the same name (for Set-Cookie and list-valued fields).
  headers& add(std::string_view name, std::string_view value) {
    const bool sendable = detail::is_sendable_field(name, value);  // before adding moves what they view
    fields_.push_back(name, value);
    if (!sendable) ++unsendable_;
    return *this;
  }
  /// Removes every field named `name`.
  headers& erase(std::string_view name) {
    // Removing moves the bytes that a view of this list's own fields points at.
    if (fields_.holds(name)) return erase(std::string(name));
    erase_named(name, false);
    return *this;
  }
  /// The first field named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const auto& [field_name, value] : fields_) {
      if (iequals(field_name, name)) return value;
    }
    return std::nullopt;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

  [[nodiscard]] const_iterator begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.size() == 0; }

 private:
  friend struct detail::headers_access;

  // `sendable`: whether a response head may carry the field, worked out once, here. The list
  // counts the fields it would drop, so that a head whose fields are all sendable, the usual
  // case, copies them in one piece without looking at them again.
  headers& set(std::string_view name, std::string_view value, bool sendable) {
    // Replacing moves the bytes that views of this list's own fields point at.
    if (fields_.holds(name) || fields_.holds(value)) return set(std::string(name), std::string(value), sendable);
    for (auto position = fields_.begin(); position != fields_.end(); ++position) {
      const auto [field_name, field_value] = *position;
      if (iequals(field_name, name)) {
        // Counted only once the value is replaced: replacing may throw, and leaves the old one.
        const bool replaced_sendable = detail::is_sendable_field(field_name, field_value);
        fields_.replace_value(position, value);
        if (!replaced_sendable) --unsendable_;
        if (!sendable) ++unsendable_;
        erase_named(name, true);
        return *this;
      }
    }
    fields_.push_back(name, value);
    if (!sendable) ++unsendable_;
    return *this;
  }
  void forget(std::string_view name, std::string_view value) noexcept {
    if (!detail::is_sendable_field(name, value)) --unsendable_;
  }
  // Removes the fields named `name`, all of them or all but the first.
  void erase_named(std::string_view name, bool keep_first) {
    fields_.erase_if([&](std::string_view field_name, std::string_view field_value) {
      if (!iequals(field_name, name)) return false;
      if (std::exchange(keep_first, false)) return false;
      forget(field_name, field_value);
      return true;
    });
  }

  detail::field_storage fields_;
  std::uint32_t unsendable_ = 0;  // fields a response head drops
};

/// What the library itself needs of a field list; not for applications.
struct detail::headers_access {
  /// Every field as it is sent, `\r\nName: value` after `\r\nName: value`.
  [[nodiscard]] static std::string_view bytes(const headers& list) noexcept { return list.fields_.bytes(); }
  /// Whether every field may be sent as it is, so that `bytes` can be copied whole.
  [[nodiscard]] static bool all_sendable(const headers& list) noexcept { return list.unsendable_ == 0; }
  /// `headers::set` of a field checked while compiling. A helper sets its Content-Type on a
  /// response that has no fields yet: there is nothing to replace, and nothing to look for.
  static headers& set(headers& list, constant_field field) {
    if (list.fields_.size() == 0) {
      list.fields_.push_first_small(field.name, field.value);
      return list;
    }
    return list.set(field.name, field.value, true);
  }
};

}  // namespace asyncrest
