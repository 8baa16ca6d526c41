// The typed client against a todos app whose handlers are a service's member functions (what a
// header shared by server and client declares): every route called with typed arguments, over
// a socket through asyncrest::client and in process through the test client, and the two
// transcripts compared; values, statuses, header fields, a 404 and 422s from the body and the
// query, path parameters percent-encoded (a catch-all's slashes kept), query parameters of
// every kind and an optional header field.
#include <asyncrest/asyncrest.hpp>

#include <support/client_runner.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <exception>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ar = asyncrest;
using ar::task;

namespace todos {

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

struct todo_changes {
  std::optional<std::string> title{};
  std::optional<bool> done{};
};

struct todo_filter {
  std::optional<bool> done{};
  int limit = 100;
};

enum class shade { red, green, blue };

struct word_options {
  std::vector<std::string> tag{};
  std::optional<double> weight{};
  shade colour = shade::red;
};

/// What the server saw of a path parameter, a query and a header field.
struct word_echo {
  std::string word;
  std::vector<std::string> tags;
  std::optional<double> weight;
  shade colour = shade::red;
  std::optional<std::string> tenant;
};

}  // namespace todos

template <>
struct asyncrest::json_fields<todos::new_todo> {
  static constexpr auto rules = ar::fields(ar::field<&todos::new_todo::title>{.length = {1, 200}});
};
template <>
struct asyncrest::json_fields<todos::todo_filter> {
  static constexpr auto rules = ar::fields(ar::field<&todos::todo_filter::limit>{.minimum = 1, .maximum = 1000});
};

namespace todos {

// What a shared header holds: the service's handlers declared, and its route table.
class service {
 public:
  ar::typed_response<todo> add(ar::json_body<new_todo> made);
  std::vector<todo> list(ar::query<todo_filter> filter);
  todo find(std::int64_t id);
  todo change(std::int64_t id, const ar::json_body<todo_changes>& changes);
  ar::response remove(std::int64_t id);
  std::pair<ar::status, word_echo> word(std::string word, ar::query<word_options> options,
                                        ar::header<"X-Tenant", std::optional<std::string>> tenant);
  word_echo file(std::string_view path);

 private:
  std::map<std::int64_t, todo> todos_;
  std::int64_t next_id_ = 1;
};

inline auto routes(service& todos) {
  return ar::routes(
      ar::post<"/todos">(&service::add, &todos), ar::get<"/todos">(&service::list, &todos),
      ar::get<"/todos/{id:int}">(&service::find, &todos), ar::patch<"/todos/{id:int}">(&service::change, &todos),
      ar::delete_<"/todos/{id:int}">(&service::remove, &todos), ar::get<"/words/{word}">(&service::word, &todos),
      ar::get<"/files/{rest:path}">(&service::file, &todos));
}

using api = decltype(routes(std::declval<service&>()));

// What the server's sources define.
ar::typed_response<todo> service::add(ar::json_body<new_todo> made) {
  todo added{next_id_++, made->title, false, made->due};
  todos_.emplace(added.id, added);
  ar::typed_response<todo> answer{.body = added, .status = ar::status::created};
  answer.headers.set("Location", "/todos/" + std::to_string(added.id));
  return answer;
}

std::vector<todo> service::list(ar::query<todo_filter> filter) {
  std::vector<todo> found;
  for (const auto& [id, each] : todos_) {
    if (found.size() == static_cast<std::size_t>(filter->limit)) break;
    if (!filter->done || each.done == *filter->done) found.push_back(each);
  }
  return found;
}

todo service::find(std::int64_t id) {
  const auto found = todos_.find(id);
  if (found == todos_.end()) throw ar::http_error(ar::status::not_found, "no todo has that id");
  return found->second;
}

todo service::change(std::int64_t id, const ar::json_body<todo_changes>& changes) {
  todo& changed = todos_.at(find(id).id);
  if (changes->title) changed.title = *changes->title;
  if (changes->done) changed.done = *changes->done;
  return changed;
}

ar::response service::remove(std::int64_t id) {
  if (todos_.erase(id) == 0) throw ar::http_error(ar::status::not_found, "no todo has that id");
  return ar::empty();
}

std::pair<ar::status, word_echo> service::word(std::string word, ar::query<word_options> options,
                                               ar::header<"X-Tenant", std::optional<std::string>> tenant) {
  return {ar::status::accepted, {std::move(word), options->tag, options->weight, options->colour, *tenant}};
}

word_echo service::file(std::string_view path) { return {std::string(path), {}, {}, shade::red, {}}; }

}  // namespace todos

namespace {

using todos::new_todo;
using todos::todo;
using todos::todo_changes;
using todos::todo_filter;

/// A line for a failed call: what the transcript compares.
std::string describe(const ar::api_error& error) {
  std::string text = "error " + std::to_string(ar::to_number(error.status())) + " " + error.problem().title + ": " +
                     error.problem().detail;
  for (const ar::problem_error_entry& entry : error.problem().errors) {
    text.append(" [").append(entry.pointer).append("|").append(entry.in).append("|").append(entry.name);
    text.append("|").append(entry.detail).append("]");
  }
  return text;
}

/// The api_error `call` fails with.
template <class Value>
task<ar::api_error> expect_api_error(task<Value> call) {
  try {
    co_await std::move(call);
  } catch (const ar::api_error& error) {
    co_return error;
  }
  FAIL("the call did not fail");
  co_return ar::api_error(ar::status::ok, "", {}, "");
}

/// Every route called once or more, each outcome checked and written down.
template <class Transport>
task<std::vector<std::string>> exercise(const ar::typed_client<todos::api, Transport>& api) {
  std::vector<std::string> transcript;

  // Arguments that hold strings are named before the co_await: g++ 12 miscompiles an aggregate
  // temporary holding strings made inside a co_await expression (docs/architecture.md).
  const new_todo tea_made{.title = "tea"};
  ar::typed_response<todo> tea = co_await api.template call<"POST /todos">(tea_made);
  CHECK(tea.status == ar::status::created);
  CHECK(tea.body.id == 1);
  CHECK(tea.body.title == "tea");
  CHECK(tea.headers.get("Location") == "/todos/1");
  transcript.push_back("added " + ar::to_json(tea.body) + " at " +
                       std::string(tea.headers.get("Location").value_or("")));

  const auto due = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
  ar::json_body<new_todo> milk{{.title = "milk", .due = due}};
  ar::typed_response<todo> milk_added = co_await api.template call<"POST /todos">(milk);
  CHECK(milk_added.body.due == due);
  transcript.push_back("added " + ar::to_json(milk_added.body));

  todo found = co_await api.template call<"GET /todos/{id}">(1);
  CHECK(found.title == "tea");
  transcript.push_back("found " + ar::to_json(found));

  const todo_changes finished{.done = true};
  todo changed = co_await api.template call<"PATCH /todos/{id:int}">(std::int64_t{2}, finished);
  CHECK(changed.done);
  CHECK(changed.title == "milk");
  transcript.push_back("changed " + ar::to_json(changed));

  std::vector<todo> done = co_await api.template call<"GET /todos">(todo_filter{.done = true});
  REQUIRE(done.size() == 1);
  CHECK(done[0].id == 2);
  transcript.push_back("done " + ar::to_json(done));

  std::vector<todo> first = co_await api.template call<"GET /todos">(ar::query<todo_filter>{{.limit = 1}});
  REQUIRE(first.size() == 1);
  CHECK(first[0].id == 1);
  transcript.push_back("first " + ar::to_json(first));

  ar::client_response removed = co_await api.template call<"DELETE /todos/{id}">(1);
  CHECK(removed.status == ar::status::no_content);
  CHECK(removed.body.empty());
  transcript.push_back("removed " + std::to_string(ar::to_number(removed.status)));

  // A handler's http_error: 404, its detail in the problem.
  const ar::api_error missing = co_await expect_api_error(api.template call<"GET /todos/{id}">(1));
  CHECK(missing.status() == ar::status::not_found);
  CHECK(missing.problem().detail == "no todo has that id");
  CHECK(missing.problem().title == "Not Found");
  CHECK(missing.code() == ar::client_errc::http_status);
  transcript.push_back(describe(missing));

  // A body that breaks its rules: 422, the misfit's JSON Pointer listed.
  const new_todo untitled{.title = ""};
  const ar::api_error empty_title = co_await expect_api_error(api.template call<"POST /todos">(untitled));
  CHECK(empty_title.status() == ar::status::unprocessable_content);
  REQUIRE(empty_title.problem().errors.size() == 1);
  CHECK(empty_title.problem().errors[0].pointer == "/title");
  transcript.push_back(describe(empty_title));

  // A query parameter out of its range: 422, listed by where it is and its name.
  const ar::api_error no_limit = co_await expect_api_error(api.template call<"GET /todos">(todo_filter{.limit = 0}));
  CHECK(no_limit.status() == ar::status::unprocessable_content);
  REQUIRE(no_limit.problem().errors.size() == 1);
  CHECK(no_limit.problem().errors[0].in == "query");
  CHECK(no_limit.problem().errors[0].name == "limit");
  transcript.push_back(describe(no_limit));

  // The error-code form.
  ar::result<todo> absent = co_await api.template try_call<"GET /todos/{id}">(99);
  CHECK(!absent.has_value());
  CHECK(absent.error() == ar::client_errc::http_status);
  // The message names the URL that answered, its path included (the test client's too).
  CHECK(absent.error_details().message.find("/todos/99: no todo has that id") != std::string::npos);
  transcript.push_back("try_call " + std::to_string(absent.error().value()));

  // A path parameter with characters a path cannot carry, a query of every kind, a header.
  const std::string word_text = "a b/c?d#e%f&é";
  const std::optional<std::string> tenant = "acme";
  const todos::word_options options{.tag = {"x y", "z&w=1", "+"}, .weight = 2.5, .colour = todos::shade::blue};
  std::pair<ar::status, todos::word_echo> word =
      co_await api.template call<"GET /words/{word}">(word_text, options, tenant);
  CHECK(word.first == ar::status::accepted);
  CHECK(word.second.word == "a b/c?d#e%f&é");
  CHECK(word.second.tags == std::vector<std::string>{"x y", "z&w=1", "+"});
  CHECK(word.second.weight == 2.5);
  CHECK(word.second.colour == todos::shade::blue);
  CHECK(word.second.tenant == "acme");
  transcript.push_back("word " + std::to_string(ar::to_number(word.first)) + " " + ar::to_json(word.second));

  // Empty optionals are left out: no weight, no header field.
  const std::string plain_text = "plain";
  const todos::word_options no_options{};
  std::pair<ar::status, todos::word_echo> plain =
      co_await api.template call<"GET /words/{word}">(plain_text, no_options, std::nullopt);
  CHECK(plain.second.word == "plain");
  CHECK(plain.second.tags.empty());
  CHECK(!plain.second.weight);
  CHECK(!plain.second.tenant);
  transcript.push_back("plain " + ar::to_json(plain.second));

  // A catch-all keeps its slashes.
  const std::string file_path = "docs/a b/c.txt";
  todos::word_echo file = co_await api.template call<"GET /files/{rest:path}">(file_path);
  CHECK(file.word == "docs/a b/c.txt");
  transcript.push_back("file " + ar::to_json(file));

  co_return transcript;
}

/// Runs `body()` on an event loop of its own until it is done; rethrows what it threw.
template <class Body>
void run_coroutine(Body body) {
  asio::io_context io;
  std::exception_ptr failure;
  bool finished = false;
  asio::co_spawn(io, body(), [&](std::exception_ptr error) {
    failure = error;
    finished = true;
  });
  io.run();
  REQUIRE(finished);
  if (failure) std::rethrow_exception(failure);
}

}  // namespace

TEST_CASE("typed_client: every route over a socket and in process, with the same results") {
  std::vector<std::string> over_the_wire;
  {
    todos::service served;
    const ar::testing::test_server server([&] { return ar::app{todos::routes(served)}; });
    ar::testing::run_client({}, [&](ar::client& http) -> task<void> {
      const ar::typed_client<todos::api> api{http, "http://127.0.0.1:" + std::to_string(server.port()) + "/"};
      over_the_wire = co_await exercise(api);
    });
  }

  todos::service in_process;
  ar::app app{todos::routes(in_process)};
  ar::test_client local{app};
  std::vector<std::string> in_process_transcript;
  run_coroutine([&]() -> task<void> {
    const ar::typed_client<todos::api, ar::test_client> api{local};
    in_process_transcript = co_await exercise(api);
  });

  REQUIRE(over_the_wire.size() == 14);
  REQUIRE(in_process_transcript.size() == over_the_wire.size());
  for (std::size_t index = 0; index < over_the_wire.size(); ++index) {
    CAPTURE(index);
    CHECK(in_process_transcript[index] == over_the_wire[index]);
  }
}

TEST_CASE("typed_client: the request a call sends") {
  todos::service unused;
  ar::app app{todos::routes(unused)};
  ar::test_client local{app};
  const ar::typed_client<todos::api, ar::test_client> api{local, "http://example.com"};

  const ar::client_request word = api.request_for<"GET /words/{word}">(
      "a b", todos::word_options{.tag = {"x", "y z"}, .weight = 0.5}, std::optional<std::string>("t"));
  CHECK(word.method == ar::method::get);
  CHECK(word.url == "http://example.com/words/a%20b?tag=x&tag=y+z&weight=0.5&colour=red");
  CHECK(word.headers.get("X-Tenant") == "t");
  CHECK(word.body.empty());

  const ar::client_request made = api.request_for<"POST /todos">(new_todo{.title = "tea"});
  CHECK(made.method == ar::method::post);
  CHECK(made.url == "http://example.com/todos");
  CHECK(made.headers.get("Content-Type") == "application/json");
  CHECK(made.body == R"({"title":"tea"})");

  const ar::client_request file = api.request_for<"GET /files/{rest}">("a/b c/%");
  CHECK(file.url == "http://example.com/files/a/b%20c/%25");
}

TEST_CASE("typed_client: a success body that does not fit its type is the other service's failure") {
  // A server whose /todos/{id} answers with a todo's shape broken, and a client typed by the
  // table the real service declares.
  auto liar = [] {
    return ar::app{
        ar::routes(ar::get<"/todos/{id:int}">([](std::int64_t) { return ar::raw_json(R"({"id":"one"})"); }))};
  };
  todos::service unused;
  ar::app broken = liar();
  ar::test_client local{broken};
  run_coroutine([&]() -> task<void> {
    const ar::typed_client<todos::api, ar::test_client> api{local};
    try {
      co_await api.call<"GET /todos/{id}">(1);
      FAIL("a todo was read");
    } catch (const ar::protocol_error& error) {
      CHECK(error.code() == ar::client_errc::invalid_json);
      CHECK(std::string(error.what()).find("/id: expected an integer") != std::string::npos);
    }
  });
}
