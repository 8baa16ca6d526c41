// CORS (Cross-Origin Resource Sharing): which other sites' pages may call this service from a
// browser, with which methods and headers, and whether with the user's cookies.
//
//     ar::app app{routes, ar::cors{{
//         .allowed_origins = {"https://app.example.com", "http://localhost:5173"},
//         .allowed_methods = {"GET", "POST", "PUT", "DELETE"},
//         .allowed_headers = {"Authorization", "Content-Type"},
//         .allow_credentials = true,
//     }}};
//
//     // or an origin rule beside the list, any callable `bool(std::string_view origin)`:
//     ar::cors{{.allowed_methods = {"GET"}}, [](std::string_view origin) {
//       return origin.starts_with("https://") && origin.ends_with(".example.com");
//     }}
//
// An app middleware, not a route's: it answers preflights (OPTIONS with Origin and
// Access-Control-Request-Method) before routing, so they work for every route, including those
// with no OPTIONS handler and paths the router would 404 or 405. A route's own OPTIONS handler
// sees only OPTIONS requests that are not preflights.
//
// - A preflight that is allowed gets 204 with Access-Control-Allow-Origin, -Methods (the allowed
//   ones, or the one asked for when all are), -Headers (the allowed ones, or the ones asked for
//   when all are), -Max-Age and, with credentials, -Credentials. One that is not gets 403 with a
//   problem body saying what was refused, and no Access-Control-Allow-* field. (Starlette answers
//   400 for the same reason: a failure the developer can see in the network panel, rather than
//   a 2xx the browser then rejects. 403 says what happened: the request was understood and the
//   policy refused it.)
// - Other requests from an allowed origin get Access-Control-Allow-Origin (the origin itself),
//   -Credentials and -Expose-Headers, errors included; requests from other origins get none of
//   them; and every response gets `Vary: Origin`, so a cache never hands one origin's answer to
//   another. With "*", every response gets `Access-Control-Allow-Origin: *` (and the exposed
//   headers), with an Origin or without, and no Vary: the answer is the same for all.
// - Origins are compared exactly, as browsers send them: scheme, host and port. The settings
//   are normalised once ("https://Example.com:443" is "https://example.com"); a request's
//   Origin that is not in a browser's form, or a request with two Origin fields, matches none.
// - Methods are compared case-sensitively after the six the Fetch standard normalises (DELETE,
//   GET, HEAD, OPTIONS, POST, PUT); header names without regard to case. GET, HEAD and POST,
//   and the headers Accept, Accept-Language, Content-Language and Content-Type, are always
//   allowed in a preflight, as in Starlette: the origin is what guards a preflight.
//
// Safe by default: credentials need explicit origins. `*` with `allow_credentials`, the origin
// "null" (sent by sandboxed frames and local files, which any page can produce) with
// credentials, and an origin rule that accepts an origin no site can have (a rule that accepts
// anything) with credentials are refused when the middleware is made (std::invalid_argument).
// A rule never sees "null", nor an Origin that is not in a browser's form.
#pragma once

#include <asyncrest/server/detail/cors_policy.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <chrono>
#include <concepts>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// What the CORS middleware allows. Lists are matched as described in cors.hpp.
struct cors_settings {
  /// Origins whose pages may call the service, as browsers send them: "https://app.example.com",
  /// "http://localhost:5173" (no path, not even a trailing '/'). "*" alone: any origin, and then
  /// no credentials.
  std::vector<std::string> allowed_origins{};
  /// Methods a preflight may ask for; "*" allows any (the one asked for is answered).
  std::vector<std::string> allowed_methods{"GET", "HEAD", "POST"};
  /// Request headers a preflight may ask for; "*" allows any (the ones asked for are answered).
  std::vector<std::string> allowed_headers{};
  /// Response headers the page's script may read beyond the safelisted ones (Cache-Control,
  /// Content-Language, Content-Length, Content-Type, Expires, Last-Modified, Pragma).
  std::vector<std::string> exposed_headers{};
  /// Whether the page may send the user's cookies and HTTP authentication and read the answer.
  /// Needs explicit origins.
  bool allow_credentials = false;
  /// How long a browser may keep a preflight's answer (Chromium keeps it 2 hours at most).
  std::chrono::seconds max_age{600};
};

namespace detail {
/// The origin rule of a CORS middleware made from settings alone: the list decides.
struct listed_origins_only {
  constexpr bool operator()(std::string_view) const noexcept { return false; }
};

/// An origin no site can have (".invalid" is reserved, RFC 2606): a rule with credentials that
/// accepts it accepts anything.
inline constexpr std::string_view unreachable_origin = "https://cors-check.invalid";
}  // namespace detail

/// A rule for origins the list does not name: a callable `bool(std::string_view origin) const`.
template <class Rule>
concept origin_rule = std::copy_constructible<Rule> && std::predicate<const Rule&, std::string_view>;

/// The CORS middleware (see the top of this file). Give it to the app, after the middleware
/// that must run for preflights too, before the ones that need not.
template <class OriginRule = detail::listed_origins_only>
class cors {
  static_assert(origin_rule<OriginRule>,
                "asyncrest::cors: the origin rule must be callable as `bool(std::string_view origin) const` "
                "and copyable, such as a lambda [](std::string_view origin) { return ...; }");

 public:
  /// Makes `.use(cors{...})` on a route a compile error: a route's middleware runs after
  /// routing, and the router answers OPTIONS itself, so it would never see a preflight.
  static constexpr bool answers_before_routing = true;

  /// Allows the origins in `settings.allowed_origins`. Throws std::invalid_argument for settings
  /// that are malformed or unsafe, saying what to change.
  explicit cors(cors_settings settings) requires std::same_as<OriginRule, detail::listed_origins_only>
      : policy_(settings, false) {}

  /// Allows the origins in the list, and those `rule` accepts.
  cors(cors_settings settings, OriginRule rule) : policy_(settings, true), rule_(std::move(rule)) {
    if (policy_.allows_credentials() && std::invoke(rule_, detail::unreachable_origin)) {
      throw std::invalid_argument(
          "asyncrest::cors: with allow_credentials, the origin rule must accept only the origins you trust, but it "
          "accepts \"https://cors-check.invalid\", which no site can have: any page could then act as the user");
    }
  }

  /// A preflight is answered here, before routing.
  [[nodiscard]] std::optional<response> before(request& req) const {
    if (!detail::is_preflight(req)) return std::nullopt;
    const std::optional<std::string_view> origin = detail::single_origin(req);
    return policy_.preflight(req, origin.value_or(std::string_view{}), origin && allows(*origin));
  }

  /// Every other response gets the fields its origin is due.
  void after(const request& req, response& res) const {
    if (detail::is_preflight(req)) return;  // answered by before(), allowed or not
    const std::optional<std::string_view> origin = detail::single_origin(req);
    policy_.decorate(res, origin, origin && allows(*origin));
  }

 private:
  [[nodiscard]] bool allows(std::string_view origin) const {
    if (policy_.lists(origin)) return true;
    if constexpr (std::is_same_v<OriginRule, detail::listed_origins_only>) {
      return false;
    } else {
      return origin != "null" && detail::is_serialized_origin(origin) && std::invoke(rule_, origin);
    }
  }

  detail::cors_policy policy_;
  [[no_unique_address]] OriginRule rule_{};
};

cors(cors_settings)->cors<detail::listed_origins_only>;
template <class OriginRule>
cors(cors_settings, OriginRule) -> cors<OriginRule>;

}  // namespace asyncrest

#include <asyncrest/server/detail/impl/cors_policy.ipp>
