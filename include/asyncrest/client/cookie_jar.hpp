// A cookie jar for the HTTP client (RFC 6265 §5, the user agent's side): it stores what
// responses set with Set-Cookie, redirect hops included, and sends back in a Cookie field what
// each later request may carry.
//
//     auto jar = std::make_shared<ar::cookie_jar>();
//     ar::client http{io, {.cookies = jar}};
//     co_await http.post("https://shop.example/login", form);   // Set-Cookie: session=...
//     co_await http.get("https://shop.example/basket");          // Cookie: session=...
//     jar->save(std::ofstream("cookies.txt"));                   // Netscape format, as curl -b reads
//
// What it follows:
// - Domains: a cookie without Domain is host-only, sent to its host alone. A Domain is refused
//   unless the request's host is that domain or under it, and when it is a public suffix (a
//   single label such as "com"; multi-label suffixes such as "co.uk" are not known) unless it
//   is the host itself. A host that is an IP address only ever gets host-only cookies.
// - Paths: the default Path is the request path's directory; a cookie goes to its path and
//   the paths below it.
// - Lifetimes: Max-Age wins over Expires (parsed as §5.1.1 says, tolerant of old formats); zero
//   or negative deletes. A cookie without either lives as long as the jar ("session").
// - Secure cookies go only over https, and are not accepted from http; an http response cannot
//   replace a Secure cookie either.
// - HttpOnly and SameSite are stored and shown, not enforced: a client has no browsing context,
//   no script and no "site" a request comes from, so every cookie that matches is sent, as
//   aiohttp and curl do.
// - The Cookie field lists longer paths first, then older cookies first (§5.4).
// - Limits (`cookie_jar_limits`, the minimums §6.1 asks for): cookies per domain and in all,
//   the least recently used going first, and the size of one cookie; expired cookies are
//   dropped whenever the jar is used.
//
// A jar is not thread-safe: use it from the executor of the client it belongs to.
#pragma once

#include <asyncrest/client/detail/cookie_rules.hpp>
#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/core/headers.hpp>

#include <chrono>
#include <cstddef>
#include <istream>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest {

namespace detail {
struct cookie_jar_access;
}  // namespace detail

/// One stored cookie.
struct cookie {
  std::string name;
  std::string value;
  /// The host (host-only) or the domain it is sent to, lower case, without a leading dot.
  std::string domain;
  std::string path = "/";
  /// When it expires; none for a session cookie.
  std::optional<std::chrono::system_clock::time_point> expires{};
  /// Sent to `domain` only, not to its subdomains.
  bool host_only = true;
  bool secure = false;
  bool http_only = false;
  /// "Strict", "Lax", "None", or empty when the server said nothing.
  std::string same_site{};
  std::chrono::system_clock::time_point created{};
  std::chrono::system_clock::time_point last_used{};
};

/// How much a jar keeps. A full jar drops its least recently used cookies.
struct cookie_jar_limits {
  std::size_t max_cookies_per_domain = 50;
  std::size_t max_cookies = 3000;
  /// Name and value together, in bytes; a larger cookie is refused.
  std::size_t max_cookie_bytes = 4096;
};

class cookie_jar {
 public:
  using clock = std::chrono::system_clock;

  cookie_jar() = default;
  explicit cookie_jar(cookie_jar_limits limits) : limits_(limits) {}

  /// Stores (or deletes) what a Set-Cookie field in a response from `url` says; returns false
  /// when the jar refused it (see the rules above). Throws `client_error` for a `url` that is not
  /// an absolute http:// or https:// URL.
  bool set_cookie(std::string_view url, std::string_view set_cookie_field, clock::time_point now = clock::now());
  /// The Cookie field a request to `url` carries now: "a=1; b=2", or empty.
  [[nodiscard]] std::string cookie_header(std::string_view url, clock::time_point now = clock::now());

  /// Adds `made` as it is (its `created` set to now when left at zero), replacing a cookie of
  /// the same name, domain and path. Throws `std::invalid_argument` for a name or value a
  /// Cookie field cannot carry, or an empty domain.
  void add(cookie made);
  /// The cookies that have not expired, in the order they were stored.
  [[nodiscard]] std::vector<cookie> cookies(clock::time_point now = clock::now()) const;
  /// The value of the cookie named `name` that a request to `url` would carry.
  [[nodiscard]] std::optional<std::string> get(std::string_view url, std::string_view name,
                                               clock::time_point now = clock::now());
  [[nodiscard]] std::size_t size() const noexcept { return cookies_.size(); }
  [[nodiscard]] const cookie_jar_limits& limits() const noexcept { return limits_; }

  void clear() noexcept { cookies_.clear(); }
  /// Removes the cookies whose domain is `domain` or a subdomain of it.
  void clear(std::string_view domain);
  /// Removes the cookies without an expiry, as a browser does when it closes.
  void clear_session_cookies();

  /// Writes the persistent cookies, and with `include_session` the others too (expiry 0), in the
  /// Netscape cookies.txt format curl and wget read (`#HttpOnly_` marks HttpOnly cookies).
  void save(std::ostream& out, bool include_session = false, clock::time_point now = clock::now()) const;
  void save(std::ostream&& out, bool include_session = false, clock::time_point now = clock::now()) const {
    save(out, include_session, now);
  }
  /// Adds the cookies of a cookies.txt; skips lines that are not cookies and cookies already
  /// expired. Returns how many were added.
  std::size_t load(std::istream& in, clock::time_point now = clock::now());
  std::size_t load(std::istream&& in, clock::time_point now = clock::now()) { return load(in, now); }

 private:
  friend struct detail::cookie_jar_access;

  bool store(const detail::parsed_url& url, std::string_view field, clock::time_point now);
  [[nodiscard]] std::string header_for(const detail::parsed_url& url, clock::time_point now);
  void insert(cookie made, clock::time_point now);
  void drop_expired(clock::time_point now);
  void enforce_limits(const std::string& domain);

  cookie_jar_limits limits_{};
  std::vector<cookie> cookies_;
};

namespace detail {

/// What the client uses: a response's Set-Cookie fields in, a request's Cookie field out.
struct cookie_jar_access {
  static void store_response(cookie_jar& jar, const parsed_url& url, const headers& fields) {
    const auto now = cookie_jar::clock::now();
    for (const auto& [name, value] : fields) {
      if (iequals(name, "Set-Cookie")) jar.store(url, value, now);
    }
  }
  [[nodiscard]] static std::string header_for(cookie_jar& jar, const parsed_url& url) {
    return jar.header_for(url, cookie_jar::clock::now());
  }
};

}  // namespace detail
}  // namespace asyncrest

#include <asyncrest/client/detail/impl/cookie_jar.ipp>
