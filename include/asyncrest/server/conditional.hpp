// Conditional requests for any response (RFC 9110 §13): a handler sets an ETag or a
// Last-Modified, and the client's If-None-Match / If-Modified-Since turn it into a 304 without
// a body, its If-Match / If-Unmodified-Since into a 412.
//
//     ar::get<"/items/{id:int}">([](ar::request& req, std::int64_t id) {
//       const item& found = catalog.at(id);
//       ar::response res = ar::json(to_json(found));
//       res.headers.set("ETag", "\"" + std::to_string(found.version) + "\"");
//       return ar::conditional(req, std::move(res));       // 304 when the client has this version
//     })
//
// or for every route at once, as an app middleware: `ar::app app{routes, ar::conditional_requests{}}`.
//
// A write must check its preconditions before it changes anything (a 412 after the change
// would be a lie): `ar::check_preconditions(req, current_etag)` throws 412 when If-Match,
// If-Unmodified-Since or If-None-Match refuse the current version.
//
// Only 2xx answers to GET and HEAD are made conditional: an error is sent as it is, and the
// body of a POST's answer is not a version of anything the client holds. A 304 keeps the
// fields a cache updates from it (ETag, Last-Modified, Cache-Control, Expires, Vary,
// Content-Location) and drops the body. An ETag that does not parse (no quotes) is ignored.
#pragma once

#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/conditional_request.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace asyncrest {

/// `res`, or a 304 or 412 in its place when the request's preconditions say so against the
/// ETag and Last-Modified fields `res` carries.
[[nodiscard]] response conditional(const request& req, response res);

/// Throws `http_error` 412 when the request's preconditions refuse the current version of the
/// resource, given by its entity tag (with its quotes: "\"v7\"") and/or its modification time.
/// `etag` is empty for a resource that does not exist, so that `If-None-Match: *` (create only)
/// passes and `If-Match: *` (update only) fails.
void check_preconditions(const request& req, std::string_view etag,
                         std::optional<std::chrono::system_clock::time_point> last_modified = std::nullopt);

/// The app middleware that runs `conditional()` on every response.
struct conditional_requests {
  void after(const request& req, response& res) const { res = conditional(req, std::move(res)); }
};

}  // namespace asyncrest

// ---------------------------------------------------------------------------------------------
// Implementation.

namespace asyncrest {

inline response conditional(const request& req, response res) {
  if (req.method() != method::get && req.method() != method::head) return res;
  const unsigned code = to_number(res.status);
  if (code < 200 || code > 299) return res;
  detail::validators current;
  if (const auto tag = res.headers.get("ETag")) current.tag = detail::parse_entity_tag(*tag);
  if (const auto modified = res.headers.get("Last-Modified"))
    current.last_modified = detail::parse_http_date(*modified);
  if (!current.tag && !current.last_modified) return res;
  switch (detail::evaluate_preconditions(req.method(), req.headers(), current)) {
    case detail::precondition_outcome::proceed: return res;
    case detail::precondition_outcome::precondition_failed:
      return problem(status::precondition_failed, "the resource does not match the request's preconditions");
    case detail::precondition_outcome::not_modified: break;
  }
  response unchanged = empty(status::not_modified);
  static constexpr std::array<std::string_view, 6> kept = {"ETag",    "Last-Modified", "Cache-Control",
                                                           "Expires", "Vary",          "Content-Location"};
  for (const std::string_view name : kept) {
    for (const auto [field_name, value] : res.headers) {
      if (iequals(field_name, name)) unchanged.headers.add(field_name, value);
    }
  }
  return unchanged;
}

inline void check_preconditions(const request& req, std::string_view etag,
                                std::optional<std::chrono::system_clock::time_point> last_modified) {
  detail::validators current;
  const bool exists = !etag.empty() || last_modified.has_value();
  if (!etag.empty()) current.tag = detail::parse_entity_tag(etag);
  if (last_modified) {
    current.last_modified = std::chrono::duration_cast<std::chrono::seconds>(last_modified->time_since_epoch()).count();
  }
  const request_headers& fields = req.headers();
  bool refused = false;
  if (const auto if_match = fields.get("If-Match")) {
    refused = !exists || !detail::tag_list_matches(*if_match, current.tag, exists, detail::tag_comparison::strong);
  } else if (const auto if_unmodified_since = fields.get("If-Unmodified-Since")) {
    const auto date = detail::parse_http_date(*if_unmodified_since);
    refused = date && current.last_modified && *current.last_modified > *date;
  }
  if (const auto if_none_match = fields.get("If-None-Match"); if_none_match && !refused) {
    refused = detail::tag_list_matches(*if_none_match, current.tag, exists, detail::tag_comparison::weak);
  }
  if (refused) throw http_error(status::precondition_failed, "the resource does not match the request's preconditions");
}

}  // namespace asyncrest
