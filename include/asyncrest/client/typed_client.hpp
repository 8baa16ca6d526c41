// A client typed by a server's route table: each call names its route by method and path, takes
// the handler's arguments, checked at compile time, and returns the handler's result type.
//
//     // todos_api.hpp, shared by the server and its clients: the handlers declared, not defined
//     class todo_service {
//      public:
//       ar::typed_response<todo> add(ar::json_body<new_todo> made);
//       std::vector<todo> list(ar::query<todo_filter> filter);
//       todo find(std::int64_t id);
//     };
//     inline auto todo_routes(todo_service& service) {
//       return ar::routes(ar::post<"/todos">(&todo_service::add, &service),
//                         ar::get<"/todos">(&todo_service::list, &service),
//                         ar::get<"/todos/{id:int}">(&todo_service::find, &service));
//     }
//     using todo_api = decltype(todo_routes(std::declval<todo_service&>()));
//
//     // a client
//     ar::client http{co_await asio::this_coro::executor};
//     ar::typed_client<todo_api> todos{http, "http://127.0.0.1:8080"};
//     todo one = co_await todos.call<"GET /todos/{id}">(42);
//     ar::typed_response<todo> made = co_await todos.call<"POST /todos">(new_todo{.title = "tea"});
//     std::vector<todo> open = co_await todos.call<"GET /todos">(todo_filter{.done = false});
//
// Why the table's type, not a second declaration of the API: the server's `routes(...)` already
// holds each route's method, path and handler signature, so a client made from its type cannot
// drift from it. The client needs the handlers' signatures, never their bodies: declare them in
// the shared header (free functions, or member functions of a service as above) and define them
// in the server's sources; a client that only names the table's type (`decltype`) neither calls
// `todo_routes` nor links the handlers. A handler that must stay a lambda makes its table
// server-only.
//
// A call's key is the route's method and path; a parameter's type may be left out
// ("GET /todos/{id}" names "/todos/{id:int}"). Its arguments are the handler's parameters after
// `request&`, in order: one per path parameter (an integer, a number or a string, percent-encoded
// into the path), then, in the handler's order, a value for each json_body<T> (sent as JSON),
// query<T> (its members as query parameters; an empty optional left out, a vector's items
// repeated) and header<"Name", T> (a field; an empty optional left out), each passed as its T or
// as the wrapper itself. An unknown key, a missing or extra argument or one of the wrong type is
// a compile error that says so.
//
// The answer is read as the handler returns it: a struct (or vector, or map) as that type,
// `std::pair<status, T>` and `typed_response<T>` with the status (and the header fields) of the
// answer, and a `response` the handler makes itself as the `client_response`. A 4xx or 5xx
// answer throws `api_error`, which carries the status and the problem+json body read (its
// `errors` listed, as a 422 of typed parameters sends them); `try_call` returns it in a
// `result` instead. A 2xx body that does not fit the type throws `protocol_error`
// (`client_errc::invalid_json`), and the transport's own failures (connect, timeouts) are thrown
// as the client throws them.
//
// The transport is an `asyncrest::client` or, for an app's own tests, a `test_client`
// (server/test_client.hpp), whose calls then run in process: the same calls give the same values
// either way. It must outlive the typed client. This header needs the server's route types, so
// it is part of <asyncrest/asyncrest.hpp>, not of the client-only <asyncrest/client.hpp>.
#pragma once

#include <asyncrest/client/client.hpp>
#include <asyncrest/client/detail/typed_call.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/result.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/typed_json.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/router.hpp>

#include <concepts>
#include <cstddef>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// One entry of a problem's `errors`: a body misfit has a JSON Pointer (`pointer`); a query or
/// header misfit has `in` ("query" or "header") and the parameter's `name`.
struct problem_error_entry {
  std::string pointer;
  std::string in;
  std::string name;
  std::string detail;

  friend bool operator==(const problem_error_entry&, const problem_error_entry&) = default;
};

/// An application/problem+json body (RFC 9457) as a typed call read it; members the body did
/// not have are empty.
struct problem_details {
  std::string type;
  std::string title;
  std::string detail;
  std::string instance;
  std::vector<problem_error_entry> errors;

  friend bool operator==(const problem_details&, const problem_details&) = default;
};

/// A 4xx or 5xx answer to a typed call: its status (`status()`, as any `http_status_error`),
/// its problem+json body read (`problem()`) and the body as it came (`body()`).
class api_error : public http_status_error {
 public:
  api_error(asyncrest::status code, const std::string& what, problem_details problem, std::string body)
      : http_status_error(code, what), problem_(std::move(problem)), body_(std::move(body)) {}

  [[nodiscard]] const problem_details& problem() const noexcept { return problem_; }
  [[nodiscard]] const std::string& body() const noexcept { return body_; }

 private:
  problem_details problem_;
  std::string body_;
};

/// What a typed client sends its requests through: `asyncrest::client` (`request`) or
/// `test_client` (`async_request`), each returning a `task<client_response>`.
template <class Transport>
concept typed_client_transport = requires(Transport& transport, client_request request) {
  requires requires {
    { transport.async_request(std::move(request)) } -> std::same_as<task<client_response>>;
  } || requires {
    { transport.request(std::move(request)) } -> std::same_as<task<client_response>>;
  };
};

/// A client whose calls are the routes of `Table` (a route table's type: `decltype(ar::routes(...))`),
/// sent through `Transport`.
template <class Table, class Transport = client>
class typed_client {
  static_assert(detail::dependent_false<Table>,
                "asyncrest: typed_client<Table> takes a route table's type, decltype(ar::routes(...)), such as "
                "`using api = decltype(make_routes(std::declval<service&>()));`");
};

template <class... Routes, class Transport>
class typed_client<router<Routes...>, Transport> {
  static_assert(typed_client_transport<Transport>,
                "asyncrest: typed_client<Table, Transport>: the transport is an asyncrest::client or an "
                "asyncrest::test_client (or has their request(client_request) -> task<client_response>)");

 public:
  /// Calls through `transport` (which must outlive this), to routes under `base_url`
  /// ("http://127.0.0.1:8080"; empty: the transport's own base URL, or a test client's app).
  explicit typed_client(Transport& transport, std::string base_url = {})
      : transport_(&transport), base_url_(std::move(base_url)) {
    while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  }

  /// Calls the route `Key` ("GET /todos/{id}") with `arguments`, and returns its handler's
  /// result (a `client_response` for a handler that returns a `response`). Throws `api_error`
  /// for a 4xx or 5xx answer.
  template <fixed_string Key, class... Arguments>
  [[nodiscard]] auto call(Arguments... arguments) const {
    using described = described_route<Key>;
    if constexpr (std::is_void_v<described>) {
      return task<void>{};
    } else if constexpr (!arguments_fit<described, Arguments...>()) {
      return task<void>{};
    } else {
      return exchange<typename described::result>(transport_,
                                                  detail::make_typed_request<described>(base_url_, arguments...));
    }
  }

  /// The same, with an error (`api_error`, or the transport's) returned in the result rather
  /// than thrown.
  template <fixed_string Key, class... Arguments>
  [[nodiscard]] auto try_call(Arguments... arguments) const {
    return detail::capture(call<Key>(std::move(arguments)...));
  }

  /// The request `call<Key>(arguments...)` sends, for a look at it or to send it another way.
  template <fixed_string Key, class... Arguments>
  [[nodiscard]] client_request request_for(Arguments... arguments) const {
    using described = described_route<Key>;
    if constexpr (std::is_void_v<described> || !arguments_fit<described, Arguments...>()) {
      return {};
    } else {
      return detail::make_typed_request<described>(base_url_, arguments...);
    }
  }

  [[nodiscard]] Transport& transport() const noexcept { return *transport_; }
  [[nodiscard]] const std::string& base_url() const noexcept { return base_url_; }

 private:
  /// The description of the route `Key` names, or void (after the compile error) when none does.
  template <fixed_string Key>
  static consteval auto find_route() {
    constexpr detail::route_key key = detail::parse_route_key(Key.view());
    static_assert(key.verb != method::other,
                  "asyncrest: a typed_client call's key is a method (GET, POST, PUT, PATCH, DELETE or OPTIONS), "
                  "one space and a route's path: call<\"GET /todos/{id}\">(...)");
    constexpr std::size_t index = detail::route_index_of<Key, Routes...>();
    static_assert(key.verb == method::other || index < sizeof...(Routes),
                  "asyncrest: no route of the typed_client's table has the method and path of this call's key "
                  "(the key is named above); a parameter's type may be left out: \"GET /todos/{id}\" names "
                  "the route \"/todos/{id:int}\"");
    if constexpr (index < sizeof...(Routes)) {
      return std::type_identity<detail::route_description<std::tuple_element_t<index, std::tuple<Routes...>>>>{};
    } else {
      return std::type_identity<void>{};
    }
  }
  template <fixed_string Key>
  using described_route = typename decltype(find_route<Key>())::type;

  template <class Described, class... Arguments>
  static consteval bool arguments_fit() {
    using parameters = detail::call_parameters<Described>;
    constexpr std::size_t expected = std::tuple_size_v<parameters>;
    static_assert(sizeof...(Arguments) == expected,
                  "asyncrest: a typed_client call takes one argument per parameter of its route's handler after "
                  "`request&`: the path parameters in the order of the path, then a value for each json_body<T>, "
                  "query<T> and header<\"Name\", T>, in the handler's order");
    if constexpr (sizeof...(Arguments) == expected) {
      return detail::check_call_arguments<parameters, Arguments...>();
    } else {
      return false;
    }
  }

  template <class Result>
  static task<detail::typed_call_value<Result>> exchange(Transport* transport, client_request request) {
    client_response answer = co_await send(*transport, std::move(request));
    if (to_number(answer.status) >= 400) throw error_from(answer);
    co_return detail::read_typed_answer<Result>(std::move(answer));
  }

  static task<client_response> send(Transport& transport, client_request request) {
    if constexpr (requires { transport.async_request(std::move(request)); }) {
      return transport.async_request(std::move(request));
    } else {
      return transport.request(std::move(request));
    }
  }

  static api_error error_from(const client_response& answer) {
    problem_details problem;
    json_read_result<detail::problem_document> read = read_json<detail::problem_document>(answer.body);
    if (read) {
      problem.type = read->type.value_or("");
      problem.title = read->title.value_or("");
      problem.detail = read->detail.value_or("");
      problem.instance = read->instance.value_or("");
      if (read->errors) {
        for (const detail::problem_entry_document& entry : *read->errors) {
          problem.errors.push_back(
              {entry.pointer.value_or(""), entry.in.value_or(""), entry.name.value_or(""), entry.detail.value_or("")});
        }
      }
    }
    std::string what = std::to_string(to_number(answer.status)) + " " + std::string(reason_phrase(answer.status)) +
                       " from " + answer.url;
    if (!problem.detail.empty()) what.append(": ").append(problem.detail);
    return api_error(answer.status, what, std::move(problem), answer.body);
  }

  Transport* transport_;
  std::string base_url_;
};

}  // namespace asyncrest
