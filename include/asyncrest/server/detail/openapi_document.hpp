// The OpenAPI 3.1 document of a route table: each route's operation made from its compile-time
// description (route_description.hpp) and its metadata, schemas from json_schema.hpp.
#pragma once

#include <asyncrest/core/detail/json_members.hpp>
#include <asyncrest/core/detail/json_schema.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/reflection.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_description.hpp>
#include <asyncrest/server/route_metadata.hpp>

#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// A route path in OpenAPI's syntax: "/todos/{id:int}" is "/todos/{id}".
[[nodiscard]] inline std::string openapi_path(std::string_view path) {
  std::string out;
  bool in_parameter = false;
  bool in_type = false;
  for (const char character : path) {
    if (character == '{') in_parameter = true;
    if (character == '}') in_parameter = in_type = false;
    if (in_parameter && character == ':') in_type = true;
    if (!in_type) out.push_back(character);
  }
  return out;
}

/// A method as an OpenAPI path item's key: "get", "delete".
[[nodiscard]] inline std::string openapi_method(method verb) {
  std::string name(to_string(verb));
  for (char& character : name) {
    if (character >= 'A' && character <= 'Z') character = static_cast<char>(character - 'A' + 'a');
  }
  return name;
}

/// The operation id a route gets when its metadata names none: "get_todos_id".
[[nodiscard]] inline std::string default_operation_id(method verb, std::string_view path) {
  std::string id = openapi_method(verb);
  bool separate = true;
  for (const char character : openapi_path(path)) {
    if (is_identifier_character(character)) {
      if (separate) id.push_back('_');
      separate = false;
      id.push_back(character);
    } else {
      separate = true;
    }
  }
  return id;
}

inline constexpr char problem_schema_key = 0;
inline constexpr char validation_problem_schema_key = 0;

/// The RFC 9457 body every error answer has (response.hpp's `problem`).
[[nodiscard]] inline std::string problem_schema_reference(schema_components& components) {
  return components.reference_to_named(
      &problem_schema_key, "Problem",
      R"json({"type":"object","description":"An error, as RFC 9457 problem details","properties":{)json"
      R"json("type":{"type":"string"},"title":{"type":"string"},"status":{"type":"integer","format":"int32"},)json"
      R"json("detail":{"type":"string"}},"required":["type","title","status"]})json");
}

/// The 422 body of typed handler parameters (typed_parameters.hpp): each body error with its JSON
/// Pointer, each query or header error with `in` and `name`.
[[nodiscard]] inline std::string validation_problem_schema_reference(schema_components& components) {
  const std::string problem = problem_schema_reference(components);
  return components.reference_to_named(
      &validation_problem_schema_key, "ValidationProblem",
      R"json({"description":"422: every part of the request that does not fit, listed","allOf":[{"$ref":)json" +
          json_text(problem) +
          R"json(}],"type":"object","properties":{"errors":{"type":"array","items":{"oneOf":[)json"
          R"json({"type":"object","description":"A body value, by its JSON Pointer (RFC 6901)","properties":{)json"
          R"json("pointer":{"type":"string"},"detail":{"type":"string"}},"required":["pointer","detail"]},)json"
          R"json({"type":"object","description":"A query parameter or header field, by its name","properties":{)json"
          R"json("in":{"type":"string","enum":["query","header"]},"name":{"type":"string"},)json"
          R"json("detail":{"type":"string"}},"required":["in","name","detail"]}]}}},"required":["errors"]})json");
}

/// `{"application/json": {"schema": ...}}` with the media type given.
[[nodiscard]] inline std::string content_of(std::string_view media_type, const std::string& schema) {
  json_object_text media;
  media.set("schema", schema);
  json_object_text content;
  content.set(media_type, media.text());
  return content.text();
}

[[nodiscard]] inline std::string response_object(std::string_view description, std::string_view media_type = {},
                                                 const std::string& schema = {}) {
  json_object_text answer;
  answer.set("description", json_text(description));
  if (!media_type.empty()) answer.set("content", content_of(media_type, schema));
  return answer.text();
}

[[nodiscard]] inline std::string parameter_object(std::string_view name, std::string_view in, bool required,
                                                  std::string schema, std::string_view description = {}) {
  json_object_text parameter;
  parameter.set("name", json_text(name));
  parameter.set("in", json_text(in));
  if (!description.empty()) parameter.set("description", json_text(description));
  if (required) parameter.set("required", "true");
  parameter.set("schema", std::move(schema));
  return parameter.text();
}

/// The default of a query member as JSON text, or empty when it has none worth showing (an
/// optional or a list).
template <class Value>
[[nodiscard]] std::string query_default_text(const Value& value) {
  if constexpr (is_optional<Value>::value || is_json_vector<Value>::value) {
    return {};
  } else if constexpr (std::is_enum_v<Value>) {
    const std::string_view name = enum_name(value);
    return name.empty() ? std::string{} : json_text(name);
  } else if constexpr (std::is_same_v<Value, bool> || std::is_arithmetic_v<Value> ||
                       std::is_same_v<Value, std::string>) {
    return json_text(value);
  } else {
    return {};
  }
}

template <class Query>
void add_query_parameters(std::vector<std::string>& parameters, schema_components& components) {
  const Query defaults{};
  visit_json_members<Query>([&]<class Member>(Member) {
    json_object_text schema = member_schema<Member>(components);
    const std::string default_text = query_default_text(get_member<Member::index>(defaults));
    if (!default_text.empty()) schema.set("default", default_text);
    json_object_text parameter;
    parameter.set("name", json_text(Member::name));
    parameter.set("in", json_text("query"));
    if constexpr (is_json_vector<typename Member::type>::value) {
      parameter.set("description", json_text("repeat the key for each value: ?" + std::string(Member::name) + "=a&" +
                                             std::string(Member::name) + "=b"));
      parameter.set("style", json_text("form"));
      parameter.set("explode", "true");
    }
    parameter.set("schema", schema.text());
    parameters.push_back(parameter.text());
  });
}

template <class Headers, std::size_t... Index>
void add_header_parameters(std::vector<std::string>& parameters, schema_components& components,
                           std::index_sequence<Index...>) {
  [[maybe_unused]] const auto add = [&]<class Header>(std::type_identity<Header>) {
    using value_type = decltype(Header::value);
    parameters.push_back(parameter_object(Header::name, "header", !is_optional<value_type>::value,
                                          schema_of<value_type>(components).text()));
  };
  (add(std::type_identity<std::tuple_element_t<Index, Headers>>{}), ...);
}

template <class Route, std::size_t... Index>
void add_path_parameters(std::vector<std::string>& parameters, schema_components& components,
                         std::index_sequence<Index...>) {
  using described = route_description<Route>;
  [[maybe_unused]] const auto add = [&]<std::size_t Position>(std::integral_constant<std::size_t, Position>) {
    constexpr pattern_segment segment = Route::pattern.parameter(Position);
    json_object_text schema;
    if constexpr (Position < std::tuple_size_v<typename described::path_parameters>) {
      schema = schema_of<std::tuple_element_t<Position, typename described::path_parameters>>(components);
    } else if constexpr (segment.type == parameter_type::integer) {
      schema.set("type", json_text("integer"));
    } else if constexpr (segment.type == parameter_type::number) {
      schema.set("type", json_text("number"));
    } else {
      schema.set("type", json_text("string"));
    }
    if constexpr (segment.type == parameter_type::uuid) schema.set("format", json_text("uuid"));
    const std::string_view description =
        segment.kind == segment_kind::catch_all ? "the rest of the path, slashes included" : "";
    parameters.push_back(parameter_object(segment.text, "path", true, schema.text(), description));
  };
  (add(std::integral_constant<std::size_t, Index>{}), ...);
}

/// The operation id of a route: its metadata's, which must be unique in the document, or one made
/// from its method and path, numbered when another operation has it already ("get_a_x_2").
[[nodiscard]] inline std::string unique_operation_id(const route_metadata& metadata, method verb, std::string_view path,
                                                     std::vector<std::string>& taken) {
  const auto is_taken = [&](const std::string& id) {
    for (const std::string& each : taken) {
      if (each == id) return true;
    }
    return false;
  };
  std::string id = metadata.operation_id;
  if (!id.empty()) {
    if (is_taken(id)) {
      throw std::logic_error("asyncrest: two routes have the operation id \"" + id +
                             "\"; an OpenAPI document needs each once (.operation_id(...))");
    }
  } else {
    const std::string made = default_operation_id(verb, path);
    id = made;
    for (int number = 2; is_taken(id); ++number) id = made + "_" + std::to_string(number);
  }
  taken.push_back(id);
  return id;
}

/// The operation of one route, as a path item's member.
template <class Route>
[[nodiscard]] std::string describe_operation(const Route& route, schema_components& components,
                                             std::vector<std::string>& operation_ids) {
  using described = route_description<Route>;
  const route_metadata& metadata = route.metadata();
  json_object_text operation;
  if (!metadata.tags.empty()) {
    std::string tags;
    json_writer out{tags};
    out.begin_array();
    for (const std::string& tag : metadata.tags) out.value(tag);
    out.end_array();
    operation.set("tags", std::move(tags));
  }
  if (!metadata.summary.empty()) operation.set("summary", json_text(metadata.summary));
  if (!metadata.description.empty()) operation.set("description", json_text(metadata.description));
  operation.set("operationId",
                json_text(unique_operation_id(metadata, Route::route_method, Route::path, operation_ids)));

  std::vector<std::string> parameters;
  add_path_parameters<Route>(parameters, components, std::make_index_sequence<Route::pattern.parameter_count>{});
  if constexpr (!std::is_void_v<typename described::query>) {
    add_query_parameters<typename described::query>(parameters, components);
  }
  using headers = typename described::headers;
  add_header_parameters<headers>(parameters, components, std::make_index_sequence<std::tuple_size_v<headers>>{});
  if (!parameters.empty()) {
    std::string list = "[";
    for (std::size_t at = 0; at < parameters.size(); ++at) {
      if (at != 0) list.push_back(',');
      list.append(parameters[at]);
    }
    list.push_back(']');
    operation.set("parameters", std::move(list));
  }

  if constexpr (!std::is_void_v<typename described::body>) {
    json_object_text body;
    body.set("required", "true");
    body.set("content", content_of("application/json", schema_of<typename described::body>(components).text()));
    operation.set("requestBody", body.text());
  }

  json_object_text responses;
  const status success = metadata.success_status.value_or(status::ok);
  const std::string success_code = std::to_string(to_number(success));
  if constexpr (!std::is_void_v<typename described::result_body>) {
    responses.set(success_code, response_object(reason_phrase(success), "application/json",
                                                schema_of<typename described::result_body>(components).text()));
  } else {
    responses.set(success_code, response_object(reason_phrase(success)));
  }
  constexpr bool validates = !std::is_void_v<typename described::body> || !std::is_void_v<typename described::query> ||
                             std::tuple_size_v<typename described::headers> != 0;
  if constexpr (validates) {
    responses.set("422", response_object("The request does not fit what this operation accepts; every misfit "
                                         "is listed",
                                         "application/problem+json",
                                         referring_to(validation_problem_schema_reference(components)).text()));
  }
  responses.set("default", response_object("An error, as application/problem+json", "application/problem+json",
                                           referring_to(problem_schema_reference(components)).text()));
  operation.set("responses", responses.text());
  if (metadata.deprecated) operation.set("deprecated", "true");
  return operation.text();
}

/// The path items of a table: each path once, its routes' operations under their methods.
class openapi_paths {
 public:
  template <class Route>
  void add(const Route& route, schema_components& components) {
    if constexpr (Route::route_method != method::head && Route::route_method != method::other) {
      const std::string path = openapi_path(Route::path);
      json_object_text* item = nullptr;
      for (auto& [known, operations] : items_) {
        if (known == path) item = &operations;
      }
      if (item == nullptr) item = &items_.emplace_back(path, json_object_text{}).second;
      item->set(openapi_method(Route::route_method), describe_operation(route, components, operation_ids_));
    }
  }

  void write(json_writer& out) const {
    out.begin_object();
    for (const auto& [path, operations] : items_) {
      out.key(path);
      out.raw(operations.text());
    }
    out.end_object();
  }

 private:
  std::vector<std::pair<std::string, json_object_text>> items_;
  std::vector<std::string> operation_ids_;
};

}  // namespace asyncrest::detail
