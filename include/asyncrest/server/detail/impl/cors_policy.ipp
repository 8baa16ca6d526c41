// The CORS policy's definitions: after cors_settings, which they read, is complete.
#pragma once

#include <asyncrest/server/cors.hpp>
#include <asyncrest/server/detail/cors_policy.hpp>

#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Headers a page may send without naming them in a preflight in most cases; a browser still
/// names them when their value is unusual (Content-Type: application/json), and they are
/// always allowed (Starlette does the same): what guards a preflight is its origin.
inline constexpr std::array<std::string_view, 4> cors_safelisted_headers{"accept", "accept-language",
                                                                         "content-language", "content-type"};

inline void append_list_item(std::string& list, std::string_view item) {
  if (!list.empty()) list += ", ";
  list += item;
}

inline cors_policy::cors_policy(const cors_settings& settings, bool has_origin_rule)
    : credentials_(settings.allow_credentials) {
  for (const std::string& origin : settings.allowed_origins) {
    if (origin == "*") {
      if (settings.allowed_origins.size() != 1) {
        throw std::invalid_argument("asyncrest::cors: \"*\" allows every origin: list no other origin beside it");
      }
      if (credentials_) {
        throw std::invalid_argument(
            "asyncrest::cors: allow_credentials needs explicit origins, not \"*\": with credentials any site's "
            "page could act as the user; list the origins in allowed_origins");
      }
      any_origin_ = true;
    } else if (origin == "null") {
      if (credentials_) {
        throw std::invalid_argument(
            "asyncrest::cors: the origin \"null\" cannot be allowed with credentials: sandboxed frames, data: URLs "
            "and local files send it, and any page can make one");
      }
      allow_null_ = true;
    } else {
      origins_.push_back(normalize_allowed_origin(origin));
    }
  }
  if (!any_origin_ && !allow_null_ && origins_.empty() && !has_origin_rule) {
    throw std::invalid_argument(
        "asyncrest::cors: no origin is allowed: name them in allowed_origins (or \"*\" for any, without "
        "credentials), or give an origin rule");
  }

  for (const std::string& method : settings.allowed_methods) {
    if (method == "*") {
      any_method_ = true;
      continue;
    }
    if (!is_token(method)) {
      throw std::invalid_argument(joined({"asyncrest::cors: \"", method, "\" in allowed_methods is not a method name"}));
    }
    methods_.push_back(normalize_method(method));
    append_list_item(methods_value_, methods_.back());
  }

  for (const std::string& name : settings.allowed_headers) {
    if (name == "*") {
      any_header_ = true;
      continue;
    }
    if (!is_token(name)) {
      throw std::invalid_argument(joined({"asyncrest::cors: \"", name, "\" in allowed_headers is not a header name"}));
    }
    headers_.push_back(to_lower_ascii(name));
  }
  for (const std::string_view safelisted : cors_safelisted_headers) {
    bool listed = false;
    for (const std::string& each : headers_) listed = listed || each == safelisted;
    if (!listed) headers_.emplace_back(safelisted);
  }
  for (const std::string& each : headers_) append_list_item(headers_value_, each);

  for (const std::string& name : settings.exposed_headers) {
    if (name == "*" && credentials_) {
      throw std::invalid_argument(
          "asyncrest::cors: with allow_credentials, browsers read \"*\" in exposed_headers as a header named \"*\": "
          "list the headers to expose");
    }
    if (name != "*" && !is_token(name)) {
      throw std::invalid_argument(joined({"asyncrest::cors: \"", name, "\" in exposed_headers is not a header name"}));
    }
    append_list_item(exposed_value_, name);
  }

  if (settings.max_age.count() < 0) throw std::invalid_argument("asyncrest::cors: max_age must not be negative");
  max_age_value_ = std::to_string(settings.max_age.count());
}

inline bool cors_policy::method_allowed(std::string_view method) const noexcept {
  if (any_method_ || method == "GET" || method == "HEAD" || method == "POST") return true;
  for (const std::string& each : methods_) {
    if (each == method) return true;
  }
  return false;
}

inline bool cors_policy::header_allowed(std::string_view lowered) const noexcept {
  if (any_header_) return true;
  for (const std::string& each : headers_) {
    if (each == lowered) return true;
  }
  return false;
}

inline response cors_policy::preflight(const request& req, std::string_view origin, bool origin_allowed) const {
  const std::string_view requested_method = req.header("Access-Control-Request-Method").value_or(std::string_view{});
  const std::string method = normalize_method(requested_method);
  std::string refused;
  std::string requested_headers;  // lower case, for an answer that echoes them
  if (!origin_allowed) {
    refused = "the origin is not allowed";
  } else if (!is_token(method) || !method_allowed(method)) {
    refused = joined({"the method ", method, " is not allowed"});
  } else {
    for (const header_view& field : req.headers()) {
      if (!iequals(field.name, "Access-Control-Request-Headers")) continue;
      const bool refused_one = find_list_item(field.value, [&](std::string_view name) {
        std::string lowered = to_lower_ascii(name);
        if (!is_token(lowered) || !header_allowed(lowered)) {
          refused = joined({"the header ", lowered, " is not allowed"});
          return true;
        }
        append_list_item(requested_headers, lowered);
        return false;
      });
      if (refused_one) break;
    }
  }

  if (!refused.empty()) {
    response refusal = problem(status::forbidden, joined({"CORS preflight refused: ", refused}));
    if (!any_origin_) add_vary(refusal.headers, "Origin");
    return refusal;
  }

  response answer = empty(status::no_content);
  answer.headers.set("Access-Control-Allow-Origin", any_origin_ ? std::string_view("*") : origin);
  if (credentials_) answer.headers.set("Access-Control-Allow-Credentials", "true");
  answer.headers.set("Access-Control-Allow-Methods",
                     any_method_ || methods_value_.empty() ? std::string_view(method) : methods_value_);
  if (!any_header_) {
    answer.headers.set("Access-Control-Allow-Headers", headers_value_);
  } else if (!requested_headers.empty()) {
    answer.headers.set("Access-Control-Allow-Headers", requested_headers);
  }
  answer.headers.set("Access-Control-Max-Age", max_age_value_);
  if (!any_origin_) add_vary(answer.headers, "Origin");
  if (any_method_) add_vary(answer.headers, "Access-Control-Request-Method");
  if (any_header_) add_vary(answer.headers, "Access-Control-Request-Headers");
  return answer;
}

inline void cors_policy::decorate(response& res, std::optional<std::string_view> origin, bool origin_allowed) const {
  if (any_origin_) {
    // The same fields for every request, with an Origin or without: nothing to vary on, and a
    // cached answer serves every origin.
    res.headers.set("Access-Control-Allow-Origin", "*");
    if (!exposed_value_.empty()) res.headers.set("Access-Control-Expose-Headers", exposed_value_);
    return;
  }
  add_vary(res.headers, "Origin");
  if (!origin || !origin_allowed) return;
  res.headers.set("Access-Control-Allow-Origin", *origin);
  if (credentials_) res.headers.set("Access-Control-Allow-Credentials", "true");
  if (!exposed_value_.empty()) res.headers.set("Access-Control-Expose-Headers", exposed_value_);
}

}  // namespace asyncrest::detail
