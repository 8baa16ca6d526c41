// What a route says about itself for documentation: a summary, a description, tags, an
// operation id and the status it answers with when it succeeds. Set on the route, read by the
// OpenAPI document (openapi.hpp); never looked at while a request is served.
//
//     ar::post<"/todos">(add_todo)
//         .summary("Add a todo")
//         .tags("todos")
//         .success_status(ar::status::created)
#pragma once

#include <asyncrest/core/status.hpp>

#include <optional>
#include <string>
#include <vector>

namespace asyncrest {

/// A route's documentation; every part may be left empty.
struct route_metadata {
  /// One line: what the operation does.
  std::string summary{};
  /// Longer text; OpenAPI renders CommonMark.
  std::string description{};
  /// Groups the operation with others of the same tag in a documentation page.
  std::vector<std::string> tags{};
  /// A name unique among the app's operations, for client generators; made from the method and
  /// path when empty.
  std::string operation_id{};
  /// The status a successful answer has, when it is not 200: a handler sets the status it sends
  /// at run time (typed_response, std::pair), so documentation cannot learn it from the types.
  std::optional<status> success_status{};
  /// Marks an operation clients should stop using.
  bool deprecated = false;
};

}  // namespace asyncrest
