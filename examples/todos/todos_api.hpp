// The todos API as its server and its clients share it: the types, the service whose member
// functions are the handlers (declared here, defined in main.cpp), and the route table. A client
// includes this header for `todos::api`, the table's type, and links none of the handlers.
#pragma once

#include <asyncrest/asyncrest.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace todos {

namespace ar = asyncrest;

struct new_todo {
  std::string title;
  std::optional<std::chrono::sys_seconds> due{};
};

struct todo {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  std::optional<std::chrono::sys_seconds> due{};
};

/// What a PATCH may change; a member left out stays as it is.
struct todo_changes {
  std::optional<std::string> title{};
  std::optional<bool> done{};
  std::optional<std::chrono::sys_seconds> due{};
};

struct todo_filter {
  std::optional<bool> done{};
  int limit = 100;
};

}  // namespace todos

template <>
struct asyncrest::json_fields<todos::new_todo> {
  static constexpr auto rules = fields(field<&todos::new_todo::title>{.length = {1, 200}});
};
template <>
struct asyncrest::json_fields<todos::todo_changes> {
  static constexpr auto rules = fields(field<&todos::todo_changes::title>{.length = {1, 200}});
};
template <>
struct asyncrest::json_fields<todos::todo_filter> {
  static constexpr auto rules = fields(field<&todos::todo_filter::limit>{.minimum = 1, .maximum = 1000});
};

namespace todos {

/// The todos, in memory, shared by the server's threads; each member function is a route's handler.
class service {
 public:
  ar::typed_response<todo> add(ar::json_body<new_todo> made);
  std::vector<todo> list(ar::query<todo_filter> filter) const;
  todo find(std::int64_t id) const;
  todo change(std::int64_t id, ar::json_body<todo_changes> changes);
  ar::response remove(std::int64_t id);

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, todo> todos_;
  std::int64_t next_id_ = 1;
};

/// The routes of `todos`, which must outlive them.
inline auto routes(service& todos) {
  return ar::routes(
      ar::post<"/todos">(&service::add, &todos).summary("Add a todo").tags("todos").success_status(ar::status::created),
      ar::get<"/todos">(&service::list, &todos).summary("List todos, oldest first").tags("todos"),
      ar::get<"/todos/{id:int}">(&service::find, &todos).summary("One todo").tags("todos"),
      ar::patch<"/todos/{id:int}">(&service::change, &todos).summary("Change a todo").tags("todos"),
      ar::delete_<"/todos/{id:int}">(&service::remove, &todos)
          .summary("Delete a todo")
          .tags("todos")
          .success_status(ar::status::no_content));
}

/// The route table's type, which a typed client is made from: `ar::typed_client<todos::api>`.
using api = decltype(routes(std::declval<service&>()));

}  // namespace todos
