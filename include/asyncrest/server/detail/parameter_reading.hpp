// How typed handler parameters are read from a request: the JSON body by typed JSON, the query
// string into a struct's members, a header field into a scalar; each misfit collected, so that
// one 422 lists them all. Which types are allowed is decided here too, for the route's checks.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_read.hpp>
#include <asyncrest/core/detail/json_read_on_demand.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/detail/percent_encoding.hpp>
#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/reflection.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/detail/form_syntax.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/typed_parameters.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <iterator>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// What a handler parameter after the path parameters is: read from the request (body, query,
/// header), or a dependency (dependencies.hpp), found after those are read.
enum class typed_parameter_kind { none, body, query, header, dependency };

template <class Parameter>
struct typed_parameter_traits {
  static constexpr typed_parameter_kind kind = typed_parameter_kind::none;
};
template <class Body>
struct typed_parameter_traits<json_body<Body>> {
  static constexpr typed_parameter_kind kind = typed_parameter_kind::body;
  using value_type = Body;
};
template <class Parameters>
struct typed_parameter_traits<query<Parameters>> {
  static constexpr typed_parameter_kind kind = typed_parameter_kind::query;
  using value_type = Parameters;
};
template <fixed_string Name, class Value>
struct typed_parameter_traits<header<Name, Value>> {
  static constexpr typed_parameter_kind kind = typed_parameter_kind::header;
  static constexpr std::string_view name = Name.view();
  using value_type = Value;
};
template <class Value>
struct typed_parameter_traits<depends<Value>> {
  static constexpr typed_parameter_kind kind = typed_parameter_kind::dependency;
  using value_type = Value;
};

/// What kind of typed parameter a handler parameter is, if any (references and const removed).
template <class Parameter>
inline constexpr typed_parameter_kind typed_kind_of = typed_parameter_traits<std::remove_cvref_t<Parameter>>::kind;

/// The types a query parameter or a header field is converted to from its text.
template <class Value>
concept text_scalar = requires {
  requires std::same_as<Value, bool> || json_integer<Value> || std::floating_point<Value> ||
      std::same_as<Value, std::string> || std::is_enum_v<Value>;
};

/// What a `query<T>` member may be: a scalar, an optional one or a vector of them.
template <class Member>
inline constexpr bool is_query_member = [] {
  if constexpr (text_scalar<Member>) {
    return true;
  } else if constexpr (is_optional<Member>::value || is_json_vector<Member>::value) {
    return text_scalar<typename Member::value_type>;
  } else {
    return false;
  }
}();

/// What a `header<Name, T>` may hold: a scalar or an optional one.
template <class Value>
inline constexpr bool is_header_value = [] {
  if constexpr (text_scalar<Value>) {
    return true;
  } else if constexpr (is_optional<Value>::value) {
    return text_scalar<typename Value::value_type>;
  } else {
    return false;
  }
}();

/// The index of the first member of `Parameters` a query cannot fill; the member count if none.
template <class Parameters>
consteval std::size_t first_unsupported_query_member() {
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    std::size_t found = sizeof...(Index);
    const bool supported[] = {true, is_query_member<typename json_member<Parameters, Index>::type>...};
    for (std::size_t index = sizeof...(Index); index > 0; --index) {
      if (!supported[index]) found = index - 1;
    }
    return found;
  }
  (std::make_index_sequence<member_count<Parameters>>{});
}

/// Instantiated for a `query<T>` member no query parameter converts to: the compiler shows the
/// struct and the member's index above the message.
template <class Parameters, std::size_t MemberIndex>
struct unsupported_query_member {
  static_assert(dependent_false<Parameters>,
                "asyncrest: a query<T> member (T and the member's index are named above) must be bool, an integer, "
                "a floating-point number, std::string or an enum, or a std::optional or std::vector of one");
};

/// Whether `name` can name a header field: a token (RFC 9110 §5.1).
consteval bool is_field_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char character : name) {
    if (!is_token_character(character)) return false;
  }
  return true;
}

/// Whether a media type is JSON: application/json or a structured syntax suffix such as
/// application/problem+json (RFC 6839).
[[nodiscard]] constexpr bool is_json_media_type(std::string_view media_type) noexcept {
  if (ascii_iequals(media_type, "application/json")) return true;
  constexpr std::string_view prefix = "application/";
  constexpr std::string_view suffix = "+json";
  return media_type.size() > prefix.size() + suffix.size() &&
         ascii_iequals(media_type.substr(0, prefix.size()), prefix) &&
         ascii_iequals(media_type.substr(media_type.size() - suffix.size()), suffix);
}

/// Whether `text` is an optional '-' and digits: an integer, if one out of range.
[[nodiscard]] constexpr bool looks_like_integer(std::string_view text) noexcept {
  if (!text.empty() && text.front() == '-') text.remove_prefix(1);
  if (text.empty()) return false;
  for (const char character : text) {
    if (character < '0' || character > '9') return false;
  }
  return true;
}

/// Converts a query parameter's or a header field's text to `Value`; on failure leaves `out`
/// as it was and puts the reason in `reason`.
template <class Value>
bool convert_text(std::string_view text, Value& out, std::string& reason) {
  if constexpr (std::same_as<Value, std::string>) {
    out.assign(text);
    return true;
  } else if constexpr (std::same_as<Value, bool>) {
    if (text == "true" || text == "1") {
      out = true;
    } else if (text == "false" || text == "0") {
      out = false;
    } else {
      reason = "expected true, false, 1 or 0";
      return false;
    }
    return true;
  } else if constexpr (json_integer<Value>) {
    Value number{};
    const char* const end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, number);
    if (error == std::errc{} && stop == end) {
      out = number;
      return true;
    }
    reason = looks_like_integer(text) ? "must be an integer from " + std::to_string(std::numeric_limits<Value>::min()) +
                                            " to " + std::to_string(std::numeric_limits<Value>::max())
                                      : "expected an integer";
    return false;
  } else if constexpr (std::floating_point<Value>) {
    double number = 0;
    const char* const end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, number);
    if (error != std::errc{} || stop != end || !std::isfinite(number)) {
      reason = "expected a number";
      return false;
    }
    if (std::abs(number) > static_cast<double>(std::numeric_limits<Value>::max())) {
      reason = "is too large for a " + std::string(sizeof(Value) == sizeof(float) ? "32" : "64") + "-bit number";
      return false;
    }
    out = static_cast<Value>(number);
    return true;
  } else {
    static_assert(std::is_enum_v<Value>);
    if (const auto value = enum_from_name<Value>(text)) {
      out = *value;
      return true;
    }
    reason = "must be one of: ";
    bool first = true;
    for (const std::string_view name : enum_names<Value>()) {
      if (!first) reason.append(", ");
      reason.append(name);
      first = false;
    }
    return false;
  }
}

/// Reads one occurrence of a query parameter into its member; false with a reason on a misfit.
template <class Member>
bool read_query_value(Member& member, std::string_view text, bool repeated, std::string& reason) {
  if constexpr (is_json_vector<Member>::value) {
    typename Member::value_type item{};
    if (!convert_text(text, item, reason)) return false;
    member.push_back(std::move(item));
    return true;
  } else if (repeated) {
    reason = "given more than once; this parameter takes one value";
    return false;
  } else if constexpr (is_optional<Member>::value) {
    if (convert_text(text, member.emplace(), reason)) return true;
    member.reset();
    return false;
  } else {
    return convert_text(text, member, reason);
  }
}

/// A query parameter's name or value, decoded into `storage` when it holds escapes.
inline std::string_view decoded_query_text(std::string_view raw, std::string& storage) {
  if (raw.find_first_of("%+") == std::string_view::npos) return raw;
  storage.clear();
  if (!append_percent_decoded(raw, storage, true)) {
    throw http_error(status::bad_request, "malformed percent-encoding in the query string");
  }
  return storage;
}

/// The query string read into a `Parameters`; each misfit added to `errors`.
template <class Parameters>
Parameters read_query_parameters(std::string_view query_string, std::vector<parameter_error>& errors) {
  constexpr std::size_t count = member_count<Parameters>;
  static constexpr auto names = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return std::array<std::string_view, count>{json_member<Parameters, Index>::name...};
  }
  (std::make_index_sequence<count>{});
  static_assert(json_members_are_distinct<Parameters>(),
                "json_fields<T>::rules: two members have the same name, or two rules name the same member");

  Parameters out{};
  auto members = tie_members<count>(out);
  std::array<bool, count> seen{};
  std::array<bool, count> failed{};
  std::string name_storage;
  std::string value_storage;
  std::string reason;
  std::string_view rest = query_string;
  std::string_view raw_name;
  std::string_view raw_value;
  while (next_urlencoded_pair(rest, raw_name, raw_value)) {
    const std::string_view name = decoded_query_text(raw_name, name_storage);
    std::size_t index = 0;
    while (index < count && names[index] != name) ++index;
    if (index == count) continue;  // a parameter this route does not read
    const std::string_view value = decoded_query_text(raw_value, value_storage);
    [&]<std::size_t... Index>(std::index_sequence<Index...>) {
      (
          [&] {
            if (index != Index) return;
            if (!read_query_value(std::get<Index>(members), value, seen[Index], reason)) {
              errors.push_back({parameter_source::query, std::string(names[Index]), reason});
              failed[Index] = true;
            }
            seen[Index] = true;
          }(),
          ...);
    }
    (std::make_index_sequence<count>{});
  }
  // The rules apply to what the client gave: a member's own initializer is the route's choice.
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (
        [&] {
          if (!seen[Index] || failed[Index]) return;
          check_member_rules<json_member<Parameters, Index>>(std::get<Index>(members), [&](std::string_view detail) {
            errors.push_back({parameter_source::query, std::string(names[Index]), std::string(detail)});
          });
        }(),
        ...);
  }
  (std::make_index_sequence<count>{});
  return out;
}

/// The header field a `header<Name, Value>` names, read as its `Value`; a misfit or a missing
/// required field added to `errors`.
template <class Parameter>
Parameter read_header_parameter(const request& req, std::vector<parameter_error>& errors) {
  using Value = typename typed_parameter_traits<Parameter>::value_type;
  constexpr std::string_view name = Parameter::name;
  Parameter out{};
  const std::optional<std::string_view> field = req.header(name);
  std::string reason;
  if constexpr (is_optional<Value>::value) {
    if (!field) return out;
    if (!convert_text(*field, out.value.emplace(), reason)) {
      out.value.reset();
      errors.push_back({parameter_source::header, std::string(name), reason});
    }
  } else {
    if (!field) {
      errors.push_back({parameter_source::header, std::string(name), "required"});
    } else if (!convert_text(*field, out.value, reason)) {
      errors.push_back({parameter_source::header, std::string(name), reason});
    }
  }
  return out;
}

/// The body read as `Body`: 415 without a JSON Content-Type and 400 for a body that is not JSON
/// are thrown at once; misfits are added to `errors`.
template <class Body>
json_body<Body> read_body_parameter(const request& req, std::vector<json_field_error>& errors) {
  if (!is_json_media_type(media_type_of(req.header("Content-Type").value_or("")))) {
    throw http_error(status::unsupported_media_type, "expected a Content-Type of application/json");
  }
  // A body that fits is read as it is parsed; any other is parsed whole to list its misfits.
  if (std::optional<Body> value = read_json_on_demand<Body>(req.body())) return json_body<Body>{std::move(*value)};
  json_read_result<Body> read = read_json<Body>(req.json());
  if (!read) {
    std::vector<json_field_error> found = std::move(read).errors();
    errors.insert(errors.end(), std::make_move_iterator(found.begin()), std::make_move_iterator(found.end()));
    return {};
  }
  return json_body<Body>{std::move(read).value()};
}

/// Every misfit of one request, listed together in the 422.
struct request_misfits {
  std::vector<json_field_error> body;
  std::vector<parameter_error> parameters;

  [[nodiscard]] bool empty() const noexcept { return body.empty() && parameters.empty(); }
};

/// Reads the typed parameter `Parameter` (references and const removed) from `req`; a
/// dependency is left empty, to be found once every parameter has been read.
template <class Parameter>
Parameter read_typed_parameter(const request& req, request_misfits& misfits) {
  using traits = typed_parameter_traits<Parameter>;
  if constexpr (traits::kind == typed_parameter_kind::dependency) {
    return Parameter{};
  } else if constexpr (traits::kind == typed_parameter_kind::body) {
    return read_body_parameter<typename traits::value_type>(req, misfits.body);
  } else if constexpr (traits::kind == typed_parameter_kind::query) {
    return Parameter{read_query_parameters<typename traits::value_type>(req.query_string(), misfits.parameters)};
  } else {
    return read_header_parameter<Parameter>(req, misfits.parameters);
  }
}

}  // namespace asyncrest::detail
