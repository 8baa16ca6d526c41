// Cookies: reading the ones a request carries, and the options of the ones a response sets.
//
//     std::optional<std::string_view> theme = req.cookie("theme");
//     for (const received_cookie& each : req.cookies()) { ... }
//
//     response res = text("ok");
//     res.set_cookie("theme", "dark", {.max_age = std::chrono::days(30)});
//     res.delete_cookie("session");
//
// A name or value that could break the Set-Cookie field (RFC 6265) is refused with
// std::invalid_argument, never sent: a value holding `;`, a space or CR LF could otherwise add
// attributes or fields. Encode what is not plain ASCII (base64url, percent-encoding) before
// setting it. Signed cookies are in signed_cookies.hpp.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/http/detail/cookie_syntax.hpp>

#include <chrono>
#include <cstddef>
#include <iterator>
#include <optional>
#include <string_view>

namespace asyncrest {

/// Whether the browser sends the cookie with requests that another site started.
enum class same_site {
  strict,  ///< never: not even when a link on another site is followed
  lax,     ///< with top-level navigations only (links, GET forms), not with a cross-site fetch or POST
  none,    ///< always; needs `secure`, which browsers require of it
};

/// The attributes of a Set-Cookie field. The defaults are the safe ones: the whole site (`/`),
/// this host only (no Domain), hidden from scripts (HttpOnly), not sent with cross-site
/// requests other than navigations (SameSite=Lax), kept for the browser session.
///
/// Refused with std::invalid_argument when set: SameSite=None or Partitioned without `secure`,
/// a path that does not start with '/', a domain that is not a host name, a negative max_age,
/// expires before 1970 or after 9999, a `__Secure-` name without `secure` and a `__Host-` name
/// without `secure`, with a domain, or with another path than '/' (browsers drop those cookies
/// silently; refusing them shows the mistake where it is made).
struct cookie_options {
  std::string_view path = "/";
  /// Empty: sent to this host only. A domain sends it to the subdomains too.
  std::string_view domain = {};
  /// Lifetime from now (Max-Age); none: until the browser session ends, unless `expires` is set.
  std::optional<std::chrono::seconds> max_age = std::nullopt;
  /// A date of expiry (Expires), for old clients; browsers prefer Max-Age when both are set.
  std::optional<std::chrono::system_clock::time_point> expires = std::nullopt;
  /// Sent over HTTPS only.
  bool secure = false;
  /// Hidden from the page's scripts, so a cross-site scripting flaw cannot read it.
  bool http_only = true;
  asyncrest::same_site same_site = asyncrest::same_site::lax;
  /// Kept per top-level site (CHIPS): for a cookie set inside a frame embedded by other sites.
  bool partitioned = false;
};

/// A cookie a request carries, viewing the request's bytes.
struct received_cookie {
  std::string_view name;
  /// As sent, without the double quotes around it if it had them; not decoded otherwise.
  std::string_view value;
};

/// The cookies of a request, read from its Cookie fields as they are iterated: nothing is parsed
/// or stored until asked for. Malformed pieces are skipped (see `detail::next_cookie_pair`).
/// Names are compared exactly; when a name comes more than once (a cookie set for two paths or
/// domains), the first is the one the browser deems most specific.
class request_cookies {
 public:
  class iterator;

  explicit request_cookies(const request_headers& fields) noexcept : fields_(&fields) {}

  /// The value of the first cookie named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept;
  /// How many cookies are named `name`.
  [[nodiscard]] std::size_t count(std::string_view name) const noexcept;

  [[nodiscard]] iterator begin() const noexcept;
  [[nodiscard]] std::default_sentinel_t end() const noexcept { return {}; }

 private:
  const request_headers* fields_;
};

/// Walks every pair of every Cookie field (a client may send several).
class request_cookies::iterator {
 public:
  using value_type = received_cookie;
  using difference_type = std::ptrdiff_t;

  iterator() noexcept = default;
  explicit iterator(const request_headers& fields) noexcept
      : field_(fields.begin()), last_(fields.end()), done_(false) {
    advance();
  }

  [[nodiscard]] const received_cookie& operator*() const noexcept { return current_; }
  [[nodiscard]] const received_cookie* operator->() const noexcept { return &current_; }
  iterator& operator++() noexcept {
    advance();
    return *this;
  }
  void operator++(int) noexcept { advance(); }
  [[nodiscard]] friend bool operator==(const iterator& position, std::default_sentinel_t) noexcept {
    return position.done_;
  }

 private:
  void advance() noexcept {
    detail::cookie_pair pair;
    for (;;) {
      if (detail::next_cookie_pair(rest_, pair)) {
        current_ = {pair.name, pair.value};
        return;
      }
      while (field_ != last_ && !iequals(field_->name, "Cookie")) ++field_;
      if (field_ == last_) {
        done_ = true;
        return;
      }
      rest_ = field_->value;
      ++field_;
    }
  }

  request_headers::const_iterator field_{};
  request_headers::const_iterator last_{};
  std::string_view rest_;
  received_cookie current_;
  bool done_ = true;
};

inline request_cookies::iterator request_cookies::begin() const noexcept { return iterator(*fields_); }

inline std::optional<std::string_view> request_cookies::get(std::string_view name) const noexcept {
  for (const received_cookie& each : *this) {
    if (each.name == name) return each.value;
  }
  return std::nullopt;
}

inline std::size_t request_cookies::count(std::string_view name) const noexcept {
  std::size_t found = 0;
  for (const received_cookie& each : *this) found += each.name == name ? 1 : 0;
  return found;
}

}  // namespace asyncrest
