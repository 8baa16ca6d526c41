// An OpenAPI 3.1 document made from a route table and the types its handlers read and return,
// and a route that serves it.
//
//     auto api = ar::routes(
//         ar::post<"/todos">(add_todo).summary("Add a todo").tags("todos").success_status(ar::status::created),
//         ar::get<"/todos/{id:int}">(find_todo).summary("One todo").tags("todos"));
//     auto document = ar::openapi_route<"/openapi.json">(api, {.title = "Todos", .version = "1.0.0"});
//     ar::app app{ar::routes(std::move(api), std::move(document), ar::swagger_ui<"/docs">({...}))};
//
// What each operation says:
// - its path with parameters in OpenAPI's syntax (`/todos/{id}`), typed by the handler's
//   parameters (integer, number, string; `{x:uuid}` a uuid string);
// - query parameters from `query<T>`'s members, none required (an absent one keeps its
//   initializer, shown as its default), a std::vector as a repeated key (`explode`);
//   header parameters from `header<"Name", T>`, required unless T is a std::optional;
// - the request body from `json_body<T>`, as application/json;
// - the success status (200, or the route's `.success_status(...)`) with the schema of the
//   value a typed handler returns; 422 with the validation problem typed parameters answer, for
//   a route that reads any; `default`, an application/problem+json body, for every error;
// - the route's summary, description, tags, operation id (made from the method and path when
//   not given) and whether it is deprecated (route_metadata.hpp).
//
// Schemas are JSON Schema 2020-12: each struct once in `components/schemas`, named by its type
// without namespaces or by `json_schema_name<T>` (json_fields.hpp), and referred to with `$ref`;
// json_fields rules become minimum, maximum, minLength/maxLength (minItems, minProperties),
// pattern and enum. A route whose handler takes `request&` and makes its own `response` is
// described by what its signature shows: its path parameters and a generic answer.
//
// The document is made once, when `openapi_route` is called, so a table whose types cannot be
// described fails at startup (two schemas of one name, say) and serving it costs a copy.
#pragma once

#include <asyncrest/core/detail/json_schema.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/server/detail/openapi_document.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace asyncrest {

/// The document's `info` and `servers`.
struct openapi_info {
  std::string title = "API";
  /// The API's version (not OpenAPI's).
  std::string version = "1.0.0";
  /// CommonMark, shown above the operations.
  std::string description{};
  /// Base URLs of the API (`https://api.example.com/v1`); none: relative to where the document is.
  std::vector<std::string> servers{};
};

/// The OpenAPI 3.1 document of `table`, as JSON text.
template <class... Routes>
[[nodiscard]] std::string openapi_document(const router<Routes...>& table, const openapi_info& info) {
  detail::schema_components components;
  detail::openapi_paths paths;
  table.for_each_route([&](const auto& route) { paths.add(route, components); });

  std::string document;
  json_writer out{document};
  out.begin_object();
  out.key("openapi");
  out.value("3.1.0");
  out.key("info");
  out.begin_object();
  out.key("title");
  out.value(info.title);
  out.key("version");
  out.value(info.version);
  if (!info.description.empty()) {
    out.key("description");
    out.value(info.description);
  }
  out.end_object();
  if (!info.servers.empty()) {
    out.key("servers");
    out.begin_array();
    for (const std::string& url : info.servers) {
      out.begin_object();
      out.key("url");
      out.value(url);
      out.end_object();
    }
    out.end_array();
  }
  out.key("paths");
  paths.write(out);
  out.key("components");
  out.begin_object();
  out.key("schemas");
  components.write(out);
  out.end_object();
  out.end_object();
  return document;
}

namespace detail {
/// Answers with the document made once.
struct openapi_document_handler {
  std::shared_ptr<const std::string> document;

  response operator()() const { return raw_json(*document); }
};
}  // namespace detail

/// A GET route at `Path` that answers with the OpenAPI document of `table` (made now, once).
/// Serve it next to the table's routes: `ar::routes(std::move(table), std::move(route))`.
template <fixed_string Path, class... Routes>
[[nodiscard]] auto openapi_route(const router<Routes...>& table, const openapi_info& info) {
  return get<Path>(
      detail::openapi_document_handler{std::make_shared<const std::string>(openapi_document(table, info))});
}

}  // namespace asyncrest
