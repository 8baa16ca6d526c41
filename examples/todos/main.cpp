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
// SWAGGER_UI_DIR (default node_modules/swagger-ui-dist).
#include <asyncrest/asyncrest.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ar = asyncrest;

namespace todos {

struct new_todo {
  std::string title;
  std::optional<std::chrono::sys_seconds> due;
};

struct todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  std::optional<std::chrono::sys_seconds> due;
};

/// What a PATCH may change; a member left out stays as it is.
struct todo_changes {
  std::optional<std::string> title;
  std::optional<bool> done;
  std::optional<std::chrono::sys_seconds> due;
};

struct todo_filter {
  std::optional<bool> done;
  int limit = 100;
};

}  // namespace todos

template <>
struct asyncrest::json_fields<todos::new_todo> {
  static constexpr auto rules = ar::fields(ar::field<&todos::new_todo::title>{.length = {1, 200}});
};
template <>
struct asyncrest::json_fields<todos::todo_changes> {
  static constexpr auto rules = ar::fields(ar::field<&todos::todo_changes::title>{.length = {1, 200}});
};
template <>
struct asyncrest::json_fields<todos::todo_filter> {
  static constexpr auto rules = ar::fields(ar::field<&todos::todo_filter::limit>{.minimum = 1, .maximum = 1000});
};

namespace todos {

/// The todos, in memory, shared by the server's threads.
class store {
 public:
  todo add(const new_todo& made) {
    const std::lock_guard lock(mutex_);
    todo added{next_id_++, made.title, false, made.due};
    todos_.emplace(added.id, added);
    return added;
  }

  std::vector<todo> list(const todo_filter& filter) const {
    const std::lock_guard lock(mutex_);
    std::vector<todo> found;
    for (const auto& [id, each] : todos_) {
      if (found.size() == static_cast<std::size_t>(filter.limit)) break;
      if (!filter.done || each.done == *filter.done) found.push_back(each);
    }
    return found;
  }

  todo find(std::int64_t id) const {
    const std::lock_guard lock(mutex_);
    const auto found = todos_.find(id);
    if (found == todos_.end()) throw unknown();
    return found->second;
  }

  todo change(std::int64_t id, const todo_changes& changes) {
    const std::lock_guard lock(mutex_);
    const auto found = todos_.find(id);
    if (found == todos_.end()) throw unknown();
    todo& changed = found->second;
    if (changes.title) changed.title = *changes.title;
    if (changes.done) changed.done = *changes.done;
    if (changes.due) changed.due = changes.due;
    return changed;
  }

  void remove(std::int64_t id) {
    const std::lock_guard lock(mutex_);
    if (todos_.erase(id) == 0) throw unknown();
  }

 private:
  static ar::http_error unknown() { return ar::http_error(ar::status::not_found, "no todo has that id"); }

  mutable std::mutex mutex_;
  std::map<std::int64_t, todo> todos_;
  std::int64_t next_id_ = 1;
};

auto api(store& todos) {
  return ar::routes(ar::post<"/todos">([&todos](ar::json_body<new_todo> made) {
                      ar::typed_response<todo> answer{.body = todos.add(*made), .status = ar::status::created};
                      answer.headers.set("Location", "/todos/" + std::to_string(answer.body.id));
                      return answer;
                    })
                        .summary("Add a todo")
                        .tags("todos")
                        .success_status(ar::status::created),
                    ar::get<"/todos">([&todos](ar::query<todo_filter> filter) { return todos.list(*filter); })
                        .summary("List todos, oldest first")
                        .tags("todos"),
                    ar::get<"/todos/{id:int}">([&todos](std::int64_t id) { return todos.find(id); })
                        .summary("One todo")
                        .tags("todos"),
                    ar::patch<"/todos/{id:int}">([&todos](std::int64_t id, ar::json_body<todo_changes> changes) {
                      return todos.change(id, *changes);
                    })
                        .summary("Change a todo")
                        .tags("todos"),
                    ar::delete_<"/todos/{id:int}">([&todos](std::int64_t id) {
                      todos.remove(id);
                      return ar::empty();
                    })
                        .summary("Delete a todo")
                        .tags("todos")
                        .success_status(ar::status::no_content));
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

  todos::store store;
  auto api = todos::api(store);
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
