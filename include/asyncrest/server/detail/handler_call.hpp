// How a route calls its handler: the path checked against the handler's parameters at compile
// time (each mistake a static_assert naming the route's path), the matched parameters converted
// to the handler's types, the typed parameters read (parameter_reading.hpp), its dependencies
// made or found (dependency_resolution.hpp), and the handler called, its response or its task
// left in an `answer` (a typed result made a response first).
#pragma once

#include <asyncrest/core/detail/callable_traits.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/dependency_resolution.hpp>
#include <asyncrest/server/detail/error_response.hpp>
#include <asyncrest/server/detail/handler_results.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/detail/parameter_reading.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncrest {

namespace detail {

template <class Parameter>
using bare = std::remove_cvref_t<Parameter>;

template <class Parameter>
inline constexpr bool is_request_parameter = std::same_as<bare<Parameter>, request>;

template <class Parameter>
inline constexpr bool is_string_parameter =
    std::same_as<bare<Parameter>, std::string_view> || std::same_as<bare<Parameter>, std::string>;

template <class Parameter>
inline constexpr bool is_integer_parameter =
    std::integral<bare<Parameter>> && !std::same_as<bare<Parameter>, bool> && !std::same_as<bare<Parameter>, char>;

template <class Parameter>
inline constexpr bool is_number_parameter = std::floating_point<bare<Parameter>>;

/// The matching type a handler parameter asks for when its path parameter names none.
template <class Parameter>
constexpr parameter_type deduced_type() {
  if constexpr (is_integer_parameter<Parameter>)
    return parameter_type::integer;
  else if constexpr (is_number_parameter<Parameter>)
    return parameter_type::number;
  else if constexpr (is_string_parameter<Parameter>)
    return parameter_type::string;
  else
    return parameter_type::deduced;
}

/// Converts a matched segment to the handler's parameter type; nothing when it does not fit
/// (an integer out of the parameter type's range, say), which is answered with 404.
template <class Parameter>
std::optional<bare<Parameter>> convert_parameter(std::string_view text) {
  using value_type = bare<Parameter>;
  if constexpr (is_string_parameter<Parameter>) {
    return value_type(text);
  } else {
    value_type value{};
    const char* const end = text.data() + text.size();
    const auto [stop, error] = std::from_chars(text.data(), end, value);
    if (error != std::errc{} || stop != end) return std::nullopt;
    return value;
  }
}

template <fixed_string Path>
constexpr void check_pattern() {
  constexpr pattern_error error = parse_path_pattern(Path.view()).error;
  static_assert(error != pattern_error::not_absolute, "asyncrest: a route path must start with '/'");
  static_assert(error != pattern_error::unbalanced_brace, "asyncrest: a route path has an unbalanced '{' or '}'");
  static_assert(error != pattern_error::empty_name, "asyncrest: a path parameter needs a name, as in {id}");
  static_assert(
      error != pattern_error::invalid_name,
      "asyncrest: a path parameter's name is made of letters, digits and '_', and starts with a letter or '_'");
  static_assert(error != pattern_error::unknown_type,
                "asyncrest: a path parameter's type must be one of int, float, str, uuid or path");
  static_assert(error != pattern_error::partial_segment,
                "asyncrest: a path parameter must fill a whole segment, as in /files/{name}, not /files/x{name}");
  static_assert(error != pattern_error::catch_all_not_last,
                "asyncrest: a {name:path} parameter takes the rest of the path, so it must be the last segment");
  static_assert(error != pattern_error::duplicate_name, "asyncrest: two path parameters have the same name");
  static_assert(error != pattern_error::too_many_segments, "asyncrest: a route path may have at most 32 segments");
  static_assert(error != pattern_error::too_many_parameters, "asyncrest: a route path may have at most 16 parameters");
  static_assert(
      error != pattern_error::invalid_character,
      "asyncrest: a literal path segment may hold letters, digits and -._~!$&'()*+,;=:@ only (no '%', '?', '#')");
}

template <fixed_string Path, std::size_t Index, class Parameter>
constexpr parameter_type checked_parameter_type() {
  constexpr pattern_segment segment = parse_path_pattern(Path.view()).parameter(Index);
  static_assert(!is_request_parameter<Parameter>,
                "asyncrest: `request&` must be the handler's first parameter, before the path parameters");
  static_assert(typed_kind_of<Parameter> == typed_parameter_kind::none,
                "asyncrest: json_body, query and header parameters come after the path parameters");
  static_assert(segment.type != parameter_type::integer || is_integer_parameter<Parameter>,
                "asyncrest: an {name:int} path parameter needs an integer handler parameter");
  static_assert(segment.type != parameter_type::number || is_number_parameter<Parameter>,
                "asyncrest: a {name:float} path parameter needs a floating-point handler parameter");
  static_assert(segment.type == parameter_type::deduced || segment.type == parameter_type::integer ||
                    segment.type == parameter_type::number || is_string_parameter<Parameter>,
                "asyncrest: a {name:str}, {name:uuid} or {name:path} parameter needs a std::string_view or "
                "std::string handler parameter");
  static_assert(typed_kind_of<Parameter> != typed_parameter_kind::none || segment.type != parameter_type::deduced ||
                    deduced_type<Parameter>() != parameter_type::deduced,
                "asyncrest: a path parameter can be passed as an integer, a floating-point number, "
                "std::string_view or std::string only");
  static_assert(!std::is_reference_v<Parameter> || std::is_const_v<std::remove_reference_t<Parameter>>,
                "asyncrest: path parameters are passed by value or const reference");
  return segment.type == parameter_type::deduced ? deduced_type<Parameter>() : segment.type;
}

template <class Arguments, std::size_t Offset, class Sequence>
struct tail_arguments;
template <class Arguments, std::size_t Offset, std::size_t... Index>
struct tail_arguments<Arguments, Offset, std::index_sequence<Index...>> {
  using type = std::tuple<std::tuple_element_t<Offset + Index, Arguments>...>;
};

/// Checks one typed parameter (after the path parameters) of the route's handler.
template <class Parameter>
constexpr bool check_typed_parameter() {
  constexpr typed_parameter_kind kind = typed_kind_of<Parameter>;
  static_assert(kind != typed_parameter_kind::none,
                "asyncrest: a handler parameter after the path parameters must be json_body<T>, query<T> or "
                "header<\"Name\", T> (typed_parameters.hpp), or depends<T> (dependencies.hpp); before them come "
                "`request&` (optional) and one parameter per path parameter, in the order of the path");
  static_assert(!std::is_reference_v<Parameter> || std::is_const_v<std::remove_reference_t<Parameter>>,
                "asyncrest: json_body, query, header and depends parameters are passed by value or const reference");
  using traits = typed_parameter_traits<std::remove_cvref_t<Parameter>>;
  if constexpr (kind == typed_parameter_kind::query) {
    using parameters = typename traits::value_type;
    static_assert(reflectable_aggregate<parameters>,
                  "asyncrest: query<T> needs a struct (an aggregate) whose members are the query parameters");
    if constexpr (reflectable_aggregate<parameters>) {
      constexpr std::size_t unsupported = first_unsupported_query_member<parameters>();
      if constexpr (unsupported < member_count<parameters>) {
        unsupported_query_member<parameters, unsupported> refused;
        (void)refused;
      }
    }
  } else if constexpr (kind == typed_parameter_kind::header) {
    static_assert(is_field_name(traits::name),
                  "asyncrest: header<\"Name\", T> needs a field name: letters, digits and !#$%&'*+-.^_`|~");
    static_assert(is_header_value<typename traits::value_type>,
                  "asyncrest: header<\"Name\", T> holds bool, an integer, a floating-point number, std::string or "
                  "an enum, or a std::optional of one");
  }
  return true;
}

/// How many of `Arguments` (a std::tuple) are typed parameters of kind `Kind`.
template <typed_parameter_kind Kind, class Arguments>
consteval std::size_t count_typed() {
  return []<std::size_t... Index>(std::index_sequence<Index...>) {
    return (std::size_t{0} + ... + (typed_kind_of<std::tuple_element_t<Index, Arguments>> == Kind ? 1 : 0));
  }
  (std::make_index_sequence<std::tuple_size_v<Arguments>>{});
}

/// The value types of the `depends<T>` among `Arguments` (a std::tuple), as a std::tuple.
template <class Parameter>
struct dependency_value_list {
  using type = std::tuple<>;
};
template <class Value>
struct dependency_value_list<depends<Value>> {
  using type = std::tuple<Value>;
};
template <class Arguments, class Sequence = std::make_index_sequence<std::tuple_size_v<Arguments>>>
struct dependency_values;
template <class Arguments, std::size_t... Index>
struct dependency_values<Arguments, std::index_sequence<Index...>> {
  using type = decltype(std::tuple_cat(
      std::declval<typename dependency_value_list<bare<std::tuple_element_t<Index, Arguments>>>::type>()...));
};

template <class Values>
inline constexpr bool values_are_distinct = true;
template <class First, class... Rest>
inline constexpr bool values_are_distinct<std::tuple<First, Rest...>> =
    (!std::is_same_v<First, Rest> && ...) && values_are_distinct<std::tuple<Rest...>>;

/// Everything the route needs to know about its handler, checked against its path.
template <fixed_string Path, class Handler>
struct route_signature {
  static_assert(callable_traits<Handler>::known,
                "asyncrest: a handler must be a function, a lambda or a function object with one call "
                "operator whose parameters are spelled out (not `auto`)");
  using traits = callable_traits<Handler>;
  using arguments = typename traits::arguments;
  using result = typename traits::result;

  static constexpr bool takes_request = [] {
    if constexpr (traits::arity == 0)
      return false;
    else
      return is_request_parameter<std::tuple_element_t<0, arguments>>;
  }();
  static constexpr std::size_t offset = takes_request ? 1 : 0;
  static constexpr bool pattern_is_valid = parse_path_pattern(Path.view()).error == pattern_error::none;
  /// The handler's parameters after `request&`: one per path parameter, then the typed ones.
  static constexpr std::size_t declared_arity = traits::arity - offset;
  static constexpr std::size_t path_arity = [] {
    const std::size_t in_path = parse_path_pattern(Path.view()).parameter_count;
    return pattern_is_valid && in_path < declared_arity ? in_path : declared_arity;
  }();
  using path_arguments = typename tail_arguments<arguments, offset, std::make_index_sequence<path_arity>>::type;
  static constexpr std::size_t typed_arity = declared_arity - path_arity;
  using typed_arguments =
      typename tail_arguments<arguments, offset + path_arity, std::make_index_sequence<typed_arity>>::type;

  static_assert(is_handler_result<result>,
                "asyncrest: a handler must return asyncrest::task<asyncrest::response> (a coroutine) or "
                "asyncrest::response, or a value written as JSON: a struct, std::pair<status, T> or "
                "asyncrest::typed_response<T> (typed_results.hpp), each also as a task<...>");
  static_assert(!pattern_is_valid || path_arity == parse_path_pattern(Path.view()).parameter_count,
                "asyncrest: a handler takes `request&` (optional) and then exactly one parameter per path "
                "parameter, in the order of the path, then its json_body, query and header parameters if any");
  static constexpr bool typed_parameters_checked = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return (check_typed_parameter<std::tuple_element_t<Index, typed_arguments>>() && ... && true);
  }
  (std::make_index_sequence<typed_arity>{});

  static_assert(count_typed<typed_parameter_kind::body, typed_arguments>() <= 1,
                "asyncrest: a handler takes one json_body at most");
  static_assert(count_typed<typed_parameter_kind::query, typed_arguments>() <= 1,
                "asyncrest: a handler takes one query<T> at most: put every query parameter in its struct");
  /// Whether the handler reads the body as JSON (refused on GET routes, route.hpp).
  static constexpr bool reads_body = count_typed<typed_parameter_kind::body, typed_arguments>() == 1;
  /// The types the handler asks for with depends<T>, in its order (checked by the app).
  using dependencies = typename dependency_values<typed_arguments>::type;
  static_assert(values_are_distinct<dependencies>, "asyncrest: a handler asks for the same depends<T> twice");
};

template <fixed_string Path, class Handler>
constexpr path_pattern checked_pattern() {
  check_pattern<Path>();
  constexpr path_pattern parsed = parse_path_pattern(Path.view());
  path_pattern pattern = parsed;
  if (pattern.error != pattern_error::none) return pattern;
  using signature = route_signature<Path, Handler>;
  if constexpr (signature::path_arity == parsed.parameter_count) {
    [&]<std::size_t... Index>(std::index_sequence<Index...>) {
      const parameter_type types[] = {
          parameter_type::deduced,
          checked_parameter_type<Path, Index, std::tuple_element_t<Index, typename signature::path_arguments>>()...};
      std::size_t parameter = 0;
      for (std::size_t position = 0; position < pattern.segment_count; ++position) {
        if (pattern.segments[position].kind != segment_kind::literal) {
          pattern.segments[position].type = types[1 + parameter++];
        }
      }
    }
    (std::make_index_sequence<signature::path_arity>{});
  }
  return pattern;
}

/// A member function bound to the object it is called on: `get<"/x">(&service::list, &my_service)`.
template <class Object, class MemberFunction>
struct bound_member {
  Object* object;
  MemberFunction function;
};

template <class Object, class MemberFunction>
struct callable_traits<bound_member<Object, MemberFunction>, void> : callable_traits<MemberFunction> {};

/// Calls the handler with the path parameters converted, or answers 404 when one does not convert;
/// with its typed parameters read, or answers 422 listing every misfit.
template <fixed_string Path, class Handler>
struct handler_call {
  using signature = route_signature<Path, Handler>;
  static_assert(signature::typed_parameters_checked);
  Handler handler;

  task<response> operator()(request& req) const {
    answer out;
    respond(req, out);
    return as_task(std::move(out));
  }

  /// A plain handler's response goes to `out.value`; a coroutine handler's task to `out.pending`.
  void respond(request& req, answer& out) const { respond(req, out, std::tuple<>{}); }

  /// The same, with the steps of the route's chain, among which are its providers (and the
  /// app's, which the app adds to the routes that need them).
  template <class Steps>
  void respond(request& req, answer& out, const Steps& steps) const {
    respond(req, out, steps, std::make_index_sequence<signature::path_arity>{},
            std::make_index_sequence<signature::typed_arity>{});
  }

 private:
  using result = typename signature::result;
  static constexpr bool returns_task = task_traits<result>::is_task;
  using typed_arguments = typename signature::typed_arguments;

  template <class Steps, std::size_t... Index, std::size_t... TypedIndex>
  void respond(request& req, answer& out, const Steps& steps, std::index_sequence<Index...>,
               std::index_sequence<TypedIndex...>) const {
    const auto parameters = req.path_parameters();
    auto converted = std::tuple{
        convert_parameter<std::tuple_element_t<Index, typename signature::path_arguments>>(parameters[Index].value)...};
    if (!(std::get<Index>(converted).has_value() && ...)) {
      out.value = problem(status::not_found, "no route matches this path");
      return;
    }
    if constexpr (signature::typed_arity == 0) {
      std::tuple<> none;
      call(req, out, converted, none, std::index_sequence<Index...>{}, std::index_sequence<>{});
    } else {
      request_misfits misfits;
      // Braces: read in the order of the handler's parameters, so the 422 lists them that way.
      auto typed =
          std::tuple{read_typed_parameter<bare<std::tuple_element_t<TypedIndex, typename signature::typed_arguments>>>(
              req, misfits)...};
      if (!misfits.empty()) {
        out.value = validation_problem(misfits.body, misfits.parameters);
        return;
      }
      // Dependencies after the request has been found to fit: a provider does no work (opens no
      // database session) for a request answered 422.
      if constexpr (waits_for_a_provider<Steps>) {
        out.pending = call_after_providers(req, steps, std::move(converted), std::move(typed),
                                           std::index_sequence<Index...>{}, std::index_sequence<TypedIndex...>{});
        return;
      } else if constexpr (std::tuple_size_v<typename signature::dependencies> != 0) {
        if (!(bind_ready_dependency<TypedIndex>(req, steps, typed) && ...)) {
          out.value = missing_dependency_response();
          return;
        }
      }
      call(req, out, converted, typed, std::index_sequence<Index...>{}, std::index_sequence<TypedIndex...>{});
    }
  }

  template <std::size_t TypedIndex>
  static constexpr bool is_dependency_at =
      typed_kind_of<std::tuple_element_t<TypedIndex, typed_arguments>> == typed_parameter_kind::dependency;

  // The `T` of the depends<T> at `TypedIndex` (only named where there is one).
  template <std::size_t TypedIndex>
  using dependency_at =
      typename typed_parameter_traits<bare<std::tuple_element_t<TypedIndex, typed_arguments>>>::value_type;

  template <std::size_t TypedIndex, class Steps>
  static constexpr bool waits_at = [] {
    if constexpr (is_dependency_at<TypedIndex>) {
      return provider_waits<dependency_at<TypedIndex>, Steps>;
    } else {
      return false;
    }
  }();

  template <class Steps>
  static constexpr bool waits_for_a_provider = []<std::size_t... TypedIndex>(std::index_sequence<TypedIndex...>) {
    return (waits_at<TypedIndex, Steps> || ... || false);
  }
  (std::make_index_sequence<signature::typed_arity>{});

  static response missing_dependency_response() {
    return problem(status::internal_server_error, "the server could not complete the request");
  }

  // The typed parameter at `TypedIndex`, when it is a dependency made at once or set by a
  // middleware, pointed at its value; false (logged) when a middleware broke its promise.
  template <std::size_t TypedIndex, class Steps, class Typed>
  static bool bind_ready_dependency(request& req, const Steps& steps, Typed& typed) {
    if constexpr (is_dependency_at<TypedIndex>) {
      using value_type = dependency_at<TypedIndex>;
      value_type* value = ready_dependency<value_type>(req, steps);
      if (value == nullptr) {
        log_failure("a broken dependency promise", req, missing_dependency_reason<value_type>());
        return false;
      }
      dependency_access::bind(std::get<TypedIndex>(typed), *value);
    }
    return true;
  }

  // The dependencies from `TypedIndex` on, in the handler's order, a waiting provider awaited.
  template <std::size_t TypedIndex, class Steps, class Typed>
  static task<bool> bind_dependencies_from(request& req, const Steps& steps, Typed& typed) {
    if constexpr (TypedIndex == signature::typed_arity) {
      co_return true;
    } else {
      if constexpr (is_dependency_at<TypedIndex>) {
        using value_type = dependency_at<TypedIndex>;
        if constexpr (provider_waits<value_type, Steps>) {
          const auto& provider = std::get<provider_index<value_type, Steps>()>(steps);
          value_type& made = req.context().emplace<value_type>(co_await provider(req));
          dependency_access::bind(std::get<TypedIndex>(typed), made);
        } else if (!bind_ready_dependency<TypedIndex>(req, steps, typed)) {
          co_return false;
        }
      }
      co_return co_await bind_dependencies_from<TypedIndex + 1>(req, steps, typed);
    }
  }

  // A handler with a provider that waits: the values move into this frame, the providers are
  // awaited, then the handler is called as it would have been at once.
  template <class Steps, class Converted, class Typed, std::size_t... Index, std::size_t... TypedIndex>
  task<response> call_after_providers(request& req, const Steps& steps, Converted converted, Typed typed,
                                      std::index_sequence<Index...>, std::index_sequence<TypedIndex...>) const {
    if (!co_await bind_dependencies_from<0>(req, steps, typed)) co_return missing_dependency_response();
    answer out;
    call(req, out, converted, typed, std::index_sequence<Index...>{}, std::index_sequence<TypedIndex...>{});
    if (out.pending.valid()) co_return co_await std::move(out.pending);
    co_return std::move(out.value);
  }

  template <class Converted, class Typed, std::size_t... Index, std::size_t... TypedIndex>
  void call(request& req, answer& out, Converted& converted, Typed& typed, std::index_sequence<Index...>,
            std::index_sequence<TypedIndex...>) const {
    if constexpr (returns_task && takes_references) {
      out.pending = call_keeping_values(req, std::move(converted), std::move(typed), std::index_sequence<Index...>{},
                                        std::index_sequence<TypedIndex...>{});
    } else if constexpr (std::same_as<result, task<response>>) {
      out.pending = invoke(req, std::move(*std::get<Index>(converted))..., std::move(std::get<TypedIndex>(typed))...);
    } else if constexpr (returns_task) {
      out.pending = to_response_task(
          invoke(req, std::move(*std::get<Index>(converted))..., std::move(std::get<TypedIndex>(typed))...));
    } else if constexpr (std::same_as<result, response>) {
      respond_in_place(out.value, [&] {
        return invoke(req, std::move(*std::get<Index>(converted))..., std::move(std::get<TypedIndex>(typed))...);
      });
    } else {
      respond_in_place(out.value, [&] {
        return to_response(
            invoke(req, std::move(*std::get<Index>(converted))..., std::move(std::get<TypedIndex>(typed))...));
      });
    }
  }

  template <class Arguments>
  static constexpr bool any_reference = []<std::size_t... Index>(std::index_sequence<Index...>) {
    return (std::is_reference_v<std::tuple_element_t<Index, Arguments>> || ... || false);
  }
  (std::make_index_sequence<std::tuple_size_v<Arguments>>{});
  static constexpr bool takes_references =
      any_reference<typename signature::path_arguments> || any_reference<typename signature::typed_arguments>;

  // A coroutine handler taking `const T&` keeps the reference until it finishes, so the values
  // must live in a frame of their own rather than in this function's locals.
  template <class Converted, class Typed, std::size_t... Index, std::size_t... TypedIndex>
  task<response> call_keeping_values(request& req, Converted converted, Typed typed, std::index_sequence<Index...>,
                                     std::index_sequence<TypedIndex...>) const {
    if constexpr (std::same_as<result, task<response>>) {
      co_return co_await invoke(req, *std::get<Index>(converted)..., std::move(std::get<TypedIndex>(typed))...);
    } else {
      co_return to_response(
          co_await invoke(req, *std::get<Index>(converted)..., std::move(std::get<TypedIndex>(typed))...));
    }
  }

  template <class... Values>
  result invoke(request& req, Values&&... values) const {
    if constexpr (requires { handler.object; }) {
      if constexpr (signature::takes_request) {
        return (handler.object->*handler.function)(req, std::forward<Values>(values)...);
      } else {
        return (handler.object->*handler.function)(std::forward<Values>(values)...);
      }
    } else if constexpr (signature::takes_request) {
      return handler(req, std::forward<Values>(values)...);
    } else {
      return handler(std::forward<Values>(values)...);
    }
  }
};

}  // namespace detail
}  // namespace asyncrest
