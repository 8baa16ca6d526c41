// How a typed client call is made from a route's description (server/detail/route_description.hpp,
// the same one the OpenAPI document is made from): the route found by its key "GET /todos/{id}",
// the arguments checked against the handler's parameters, the path, query, header fields and
// JSON body written from them, and the answer read back as the handler's result type.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/client/forms.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_type_traits.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/reflection.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/detail/handler_call.hpp>
#include <asyncrest/server/detail/handler_results.hpp>
#include <asyncrest/server/detail/parameter_reading.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_description.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/typed_parameters.hpp>
#include <asyncrest/server/typed_results.hpp>

#include <array>
#include <charconv>
#include <concepts>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest::detail {

// ---- the route a key names ------------------------------------------------------------------

/// A call's key, "GET /todos/{id}": a method, one space, a path.
struct route_key {
  method verb = method::other;
  std::string_view path;
};

[[nodiscard]] consteval route_key parse_route_key(std::string_view key) {
  const std::size_t space = find_character(key, ' ');
  if (space == std::string_view::npos) return {};
  const method verb = method_from_name(key.substr(0, space));
  if (verb == method::head || verb == method::other) return {};
  return {verb, key.substr(space + 1)};
}

/// Whether two route paths are the same once each parameter's type is left out, so that
/// "/todos/{id}" names the route "/todos/{id:int}".
[[nodiscard]] constexpr bool same_route_path(std::string_view left, std::string_view right) noexcept {
  std::size_t left_index = 0;
  std::size_t right_index = 0;
  bool in_parameter = false;
  const auto skip_type = [&](std::string_view text, std::size_t& index) {
    if (in_parameter && index < text.size() && text[index] == ':') {
      while (index < text.size() && text[index] != '}') ++index;
    }
  };
  while (true) {
    skip_type(left, left_index);
    skip_type(right, right_index);
    if (left_index == left.size() || right_index == right.size()) {
      return left_index == left.size() && right_index == right.size();
    }
    const char character = left[left_index];
    if (character != right[right_index]) return false;
    if (character == '{') in_parameter = true;
    if (character == '}') in_parameter = false;
    ++left_index;
    ++right_index;
  }
}

/// The position of the route `Key` names among `Routes`; their count when none does.
template <fixed_string Key, class... Routes>
consteval std::size_t route_index_of() {
  constexpr route_key key = parse_route_key(Key.view());
  const bool matches[] = {false, (Routes::route_method == key.verb && same_route_path(Routes::path, key.path))...};
  for (std::size_t index = 0; index < sizeof...(Routes); ++index) {
    if (matches[index + 1]) return index;
  }
  return sizeof...(Routes);
}

// ---- the arguments --------------------------------------------------------------------------

template <class Tuple, class Other>
struct joined_tuple;
template <class... First, class... Second>
struct joined_tuple<std::tuple<First...>, std::tuple<Second...>> {
  using type = std::tuple<First..., Second...>;
};

/// What a call passes for each handler parameter after `request&`: its path parameters, then
/// its json_body, query and header parameters, in the handler's order.
template <class Described>
using call_parameters = typename joined_tuple<typename Described::signature::path_arguments,
                                              typename Described::signature::typed_arguments>::type;

/// Whether `Argument` may stand for the handler parameter `Parameter`: an integer for an integer,
/// a number for a floating-point one, a string for a string; for json_body<T>, query<T> and
/// header<"Name", T>, the parameter's own type or a value that converts to its T.
template <class Parameter, class Argument>
inline constexpr bool argument_fits = [] {
  using parameter = std::remove_cvref_t<Parameter>;
  using argument = std::remove_cvref_t<Argument>;
  if constexpr (typed_kind_of<parameter> != typed_parameter_kind::none) {
    using value_type = typename typed_parameter_traits<parameter>::value_type;
    return std::same_as<argument, parameter> || std::is_convertible_v<Argument, value_type>;
  } else if constexpr (is_integer_parameter<parameter>) {
    return is_integer_parameter<argument>;
  } else if constexpr (is_number_parameter<parameter>) {
    return is_integer_parameter<argument> || is_number_parameter<argument>;
  } else {
    return std::is_convertible_v<Argument, std::string_view>;
  }
}();

/// Instantiated for an argument that does not fit its parameter: the compiler shows the
/// argument's position, the handler's parameter type and the argument's type above the message.
template <std::size_t Position, class Parameter, class Argument>
struct typed_call_argument_mismatch {
  static_assert(dependent_false<Argument>,
                "asyncrest: a typed_client call's argument does not fit the route handler's parameter (its "
                "position, the parameter's type and the argument's type are named above): an integer for an "
                "integer path parameter, a number for a floating-point one, a string for a string; a T or the "
                "json_body<T>, query<T> or header<\"Name\", T> itself for those");
};

template <class Parameters, class... Arguments>
constexpr bool check_call_arguments() {
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    return ([]<std::size_t Position>() {
      using parameter = std::tuple_element_t<Position, Parameters>;
      using argument = std::tuple_element_t<Position, std::tuple<Arguments...>>;
      if constexpr (!argument_fits<parameter, argument>) {
        typed_call_argument_mismatch<Position, std::remove_cvref_t<parameter>, argument> shown;
        (void)shown;
        return false;
      } else {
        return true;
      }
    }.template operator()<Index>() &&
            ... && true);
  }
  (std::index_sequence_for<Arguments...>{});
}

// ---- the request ----------------------------------------------------------------------------

/// A query parameter's or a header field's text, as the server reads it back (parameter_reading.hpp).
template <class Value>
std::string text_of(const Value& value) {
  if constexpr (std::same_as<Value, bool>) {
    return value ? "true" : "false";
  } else if constexpr (std::is_enum_v<Value>) {
    return std::string(enum_name(value));
  } else if constexpr (std::is_arithmetic_v<Value>) {
    std::array<char, 64> digits{};
    const auto written = std::to_chars(digits.data(), digits.data() + digits.size(), value);
    return std::string(digits.data(), written.ptr);
  } else {
    return std::string(std::string_view(value));
  }
}

/// `text` percent-encoded for a path: unreserved characters (RFC 3986 §2.3) as they are, and
/// '/' too for a `{name:path}` parameter, which spans segments; every other byte as `%XX`.
inline void append_path_encoded(std::string_view text, bool keep_slash, std::string& out) {
  constexpr std::string_view hex = "0123456789ABCDEF";
  for (const char character : text) {
    const bool unreserved = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                            (character >= '0' && character <= '9') || character == '-' || character == '.' ||
                            character == '_' || character == '~' || (keep_slash && character == '/');
    if (unreserved) {
      out.push_back(character);
    } else {
      const auto byte = static_cast<unsigned char>(character);
      out.push_back('%');
      out.push_back(hex[byte >> 4U]);
      out.push_back(hex[byte & 0x0FU]);
    }
  }
}

/// The route's path with each `{...}` replaced by its argument, encoded.
template <std::size_t Count>
std::string fill_path(std::string_view pattern, const std::array<std::string, Count>& values) {
  std::string out;
  std::size_t next = 0;
  for (std::size_t index = 0; index < pattern.size(); ++index) {
    if (pattern[index] != '{') {
      out.push_back(pattern[index]);
      continue;
    }
    const std::size_t close = pattern.find('}', index);
    const std::string_view inside = pattern.substr(index + 1, close - index - 1);
    const bool catch_all = inside.ends_with(":path");
    if (next < Count) append_path_encoded(values[next++], catch_all, out);
    index = close;
  }
  return out;
}

/// Adds a query<T> argument's members to `fields`: an empty optional left out, a vector's items
/// each under the member's name.
template <class Parameters>
void add_query_fields(const Parameters& parameters, std::vector<std::pair<std::string, std::string>>& fields) {
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (
        [&] {
          using member = json_member<Parameters, Index>;
          const auto& value = get_member<Index>(parameters);
          if constexpr (is_optional<typename member::type>::value) {
            if (value) fields.emplace_back(member::name, text_of(*value));
          } else if constexpr (is_json_vector<typename member::type>::value) {
            for (const auto& item : value) fields.emplace_back(member::name, text_of(item));
          } else {
            fields.emplace_back(member::name, text_of(value));
          }
        }(),
        ...);
  }
  (std::make_index_sequence<member_count<Parameters>>{});
}

/// The value a typed argument carries, whether it was passed as the parameter type or its T.
template <class Parameter, class Argument>
decltype(auto) typed_value(const Argument& argument) {
  using value_type = typename typed_parameter_traits<Parameter>::value_type;
  if constexpr (std::same_as<Argument, Parameter>) {
    return (argument.value);
  } else {
    return value_type(argument);
  }
}

/// The request a call with `arguments` sends to the route `Described` describes.
template <class Described, class... Arguments>
client_request make_typed_request(std::string_view base_url, const Arguments&... arguments) {
  using parameters = call_parameters<Described>;
  constexpr std::size_t path_count = std::tuple_size_v<typename Described::path_parameters>;

  std::array<std::string, path_count> path_values;
  std::vector<std::pair<std::string, std::string>> query_fields;
  client_request made{Described::route_method, std::string(base_url)};
  [&]<std::size_t... Index>(std::index_sequence<Index...>) {
    (
        [&] {
          using parameter = std::remove_cvref_t<std::tuple_element_t<Index, parameters>>;
          const auto& argument = std::get<Index>(std::tie(arguments...));
          using argument_type = std::remove_cvref_t<decltype(argument)>;
          if constexpr (Index < path_count) {
            if constexpr (std::is_convertible_v<const argument_type&, std::string_view>) {
              path_values[Index] = std::string(std::string_view(argument));
            } else {
              path_values[Index] = text_of(argument);
            }
          } else if constexpr (typed_kind_of<parameter> == typed_parameter_kind::body) {
            made.body = to_json(typed_value<parameter>(argument));
            made.headers.set("Content-Type", "application/json");
          } else if constexpr (typed_kind_of<parameter> == typed_parameter_kind::query) {
            add_query_fields(typed_value<parameter>(argument), query_fields);
          } else {
            const auto& value = typed_value<parameter>(argument);
            if constexpr (is_optional<std::remove_cvref_t<decltype(value)>>::value) {
              if (value) made.headers.set(parameter::name, text_of(*value));
            } else {
              made.headers.set(parameter::name, text_of(value));
            }
          }
        }(),
        ...);
  }
  (std::index_sequence_for<Arguments...>{});

  made.url.append(fill_path(Described::path, path_values));
  if (!query_fields.empty()) made.url.append("?").append(url_encode_form(query_fields));
  return made;
}

// ---- the answer -----------------------------------------------------------------------------

/// What a call returns for a handler result: the same type, but a `client_response` for a
/// `response` the handler makes itself (its body has no type the client could read).
template <class Result>
using typed_call_value = std::conditional_t<std::same_as<Result, response>, client_response, Result>;

/// A problem+json body as it may arrive: every member optional, so any error body is read.
struct problem_entry_document {
  std::optional<std::string> pointer;
  std::optional<std::string> in;
  std::optional<std::string> name;
  std::optional<std::string> detail;
};
struct problem_document {
  std::optional<std::string> type;
  std::optional<std::string> title;
  std::optional<std::string> detail;
  std::optional<std::string> instance;
  std::optional<std::vector<problem_entry_document>> errors;
};

/// The body of a successful answer read as `Body`; a body that does not fit is the other
/// service's failure, as client_response::json() reports one.
template <class Body>
Body read_answer_body(const client_response& answer) {
  json_read_result<Body> read = read_json<Body>(answer.body);
  if (read) return std::move(*read);
  std::string reasons;
  for (const json_field_error& error : read.errors()) {
    reasons.append(reasons.empty() ? "" : "; ").append(error.pointer.empty() ? "(the document)" : error.pointer);
    reasons.append(": ").append(error.detail);
  }
  throw protocol_error(client_errc::invalid_json,
                       "the response from " + answer.url + " does not fit its type: " + reasons);
}

/// The answer as the handler's result type.
template <class Result>
typed_call_value<Result> read_typed_answer(client_response answer) {
  if constexpr (std::same_as<Result, response>) {
    return answer;
  } else if constexpr (json_result_value<Result>) {
    return read_answer_body<Result>(answer);
  } else if constexpr (is_typed_response<Result>::value) {
    using body = typename result_traits<Result>::body;
    Result made{read_answer_body<body>(answer), answer.status};
    made.headers = std::move(answer.headers);
    return made;
  } else {
    using body = typename result_traits<Result>::body;
    return Result(answer.status, read_answer_body<body>(answer));
  }
}

}  // namespace asyncrest::detail
