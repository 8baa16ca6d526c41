// The todos example: a CRUD service with typed handlers, its OpenAPI document and a
// documentation page. A template for a JSON API whose contract is checked and published.
//
//   POST   /todos             {"title": "...", "due"?: RFC 3339} → 201, the todo, Location
//   GET    /todos?done=true&limit=10
//   GET    /todos/{id}        the todo, or 404 (problem+json)
//   PATCH  /todos/{id}        {"title"?, "done"?, "due"?} → the todo changed
//   DELETE /todos/{id}        204
//   GET    /openapi.json      the OpenAPI 3.1 document of the routes above
//   GET    /docs              Swagger UI (npm's swagger-ui-dist, in SWAGGER_UI_DIR)
//
// A body that does not fit (a title that is not a string, say) is answered 422 with every
// misfit listed by its JSON Pointer. Environment: PORT (default 8080; 0 picks a free port),
// SWAGGER_UI_DIR (default node_modules/swagger-ui-dist). The API is declared in todos_api.hpp,
// which client.cpp shares: a client typed by the route table.
#include "todos_api.hpp"

#include <asyncrest/asyncrest.hpp>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

namespace ar = asyncrest;

namespace todos {

namespace {
ar::http_error unknown() { return ar::http_error(ar::status::not_found, "no todo has that id"); }
}  // namespace

ar::typed_response<todo> service::add(ar::json_body<new_todo> made) {
  const std::lock_guard lock(mutex_);
  todo added{next_id_++, made->title, false, made->due};
  todos_.emplace(added.id, added);
  ar::typed_response<todo> answer{.body = added, .status = ar::status::created};
  answer.headers.set("Location", "/todos/" + std::to_string(added.id));
  return answer;
}

std::vector<todo> service::list(ar::query<todo_filter> filter) const {
  const std::lock_guard lock(mutex_);
  std::vector<todo> found;
  for (const auto& [id, each] : todos_) {
    if (found.size() == static_cast<std::size_t>(filter->limit)) break;
    if (!filter->done || each.done == *filter->done) found.push_back(each);
  }
  return found;
}

todo service::find(std::int64_t id) const {
  const std::lock_guard lock(mutex_);
  const auto found = todos_.find(id);
  if (found == todos_.end()) throw unknown();
  return found->second;
}

todo service::change(std::int64_t id, ar::json_body<todo_changes> changes) {
  const std::lock_guard lock(mutex_);
  const auto found = todos_.find(id);
  if (found == todos_.end()) throw unknown();
  todo& changed = found->second;
  if (changes->title) changed.title = *changes->title;
  if (changes->done) changed.done = *changes->done;
  if (changes->due) changed.due = changes->due;
  return changed;
}

ar::response service::remove(std::int64_t id) {
  const std::lock_guard lock(mutex_);
  if (todos_.erase(id) == 0) throw unknown();
  return ar::empty();
}

}  // namespace todos

int main() {
  std::uint16_t port = 8080;
  if (const char* text = std::getenv("PORT")) {
    const auto [end, error] = std::from_chars(text, text + std::strlen(text), port);
    if (error != std::errc{} || *end != '\0') {
      std::fprintf(stderr, "todos: PORT must be a port number, not \"%s\"\n", text);
      return 2;
    }
  }
  const char* swagger_ui_directory = std::getenv("SWAGGER_UI_DIR");

  todos::service todos;
  auto api = todos::routes(todos);
  auto document = ar::openapi_route<"/openapi.json">(
      api, {.title = "Todos", .version = "1.0.0", .description = "A list of things to do."});
  ar::app app{ar::routes(std::move(api), std::move(document),
                         ar::swagger_ui<"/docs">(
                             {.directory = swagger_ui_directory ? swagger_ui_directory : "node_modules/swagger-ui-dist",
                              .title = "Todos"}))};

  port = app.listen({.port = port});
  std::printf("todos: listening on http://127.0.0.1:%u\n", static_cast<unsigned>(port));
  std::fflush(stdout);
  app.run();  // until SIGINT or SIGTERM
}
