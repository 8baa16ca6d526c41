// Background jobs over real sockets: concurrency up to the worker count, FIFO starts,
// backpressure at capacity, failures, cancellation, result expiry, long-poll, CPU-bound jobs
// beside other requests, time limits and ids.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/jobs_helpers.hpp>
#include <support/raw_client.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <poll.h>

#include <atomic>
#include <chrono>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::app_runner;
using ar::testing::event_log;
using ar::testing::exchange;
using ar::testing::gate;
using ar::testing::get_request;
using ar::testing::http_reply;
using ar::testing::json_string;
using ar::testing::post_request;
using ar::testing::raw_client;
using ar::testing::submit_job;

namespace {

/// A CPU-bound job that records its start, blocks on the gate named by its input's "gate"
/// member (when there is one), and returns its input's "name".
struct gated_work {
  event_log* log;
  std::vector<gate>* gates;

  ar::json_value operator()(ar::job_context& job) const {
    auto input = job.json();
    std::string_view name = input["name"].get_string().value();
    log->record("start " + std::string(name));
    int64_t which = 0;
    if (input["gate"].get(which) == simdjson::SUCCESS) (*gates)[static_cast<std::size_t>(which)].wait();
    if (input["fail"].get_bool().value_unsafe() == true) throw std::runtime_error("boom: " + std::string(name));
    log->record("end " + std::string(name));
    return {{"name", name}};
  }
};

std::string job_input(std::string_view name, int gate_index = -1, bool fail = false) {
  std::string body = "{\"name\":\"" + std::string(name) + "\",\"fail\":" + (fail ? "true" : "false");
  if (gate_index >= 0) body += ",\"gate\":" + std::to_string(gate_index);
  return body + "}";
}

ar::response health(ar::request&) { return ar::text("ok"); }

/// Waits (bounded) until the job reports `state`.
bool wait_for_state(std::uint16_t port, const std::string& id, std::string_view state) {
  for (int round = 0; round < 3000; ++round) {
    if (json_string(ar::testing::job_status(port, id).body, "status") == state) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

}  // namespace

TEST_CASE("jobs run concurrently up to the worker count, and start in FIFO order") {
  event_log log;
  std::vector<gate> gates(5);
  ar::jobs queue{{.workers = 3, .capacity = 10}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::get<"/health">(health), ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  std::vector<std::string> ids;
  for (int index = 0; index < 5; ++index) {
    ids.push_back(submit_job(server.port(), job_input("j" + std::to_string(index), index)));
    REQUIRE(ids.back().size() == 32);
  }
  log.wait_for_count(3);
  // Three workers, all blocked: the other two jobs must still be queued.
  CHECK(queue.counters().running == 3);
  CHECK(queue.counters().queued == 2);
  CHECK(json_string(ar::testing::job_status(server.port(), ids[3]).body, "status") == "queued");
  CHECK(json_string(ar::testing::job_status(server.port(), ids[4]).body, "status") == "queued");
  const auto first_three = log.events();
  CHECK(std::set<std::string>(first_three.begin(), first_three.end()) ==
        std::set<std::string>{"start j0", "start j1", "start j2"});

  gates[0].open();  // j0 ends; the next to start must be j3, then j4
  log.wait_for_count(5);
  CHECK(log.events()[4] == "start j3");
  gates[3].open();
  log.wait_for_count(7);
  CHECK(log.events()[6] == "start j4");
  for (auto& each : gates) each.open();
  for (const auto& id : ids) CHECK(wait_for_state(server.port(), id, "succeeded"));
  CHECK(queue.counters().succeeded == 5);
  CHECK(queue.counters().running == 0);
}

TEST_CASE("one worker starts jobs in the order they were submitted") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1, .capacity = 10}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  REQUIRE(!submit_job(server.port(), job_input("first", 0)).empty());
  log.wait_for_count(1);
  std::vector<std::string> ids;
  for (const char* name : {"a", "b", "c", "d", "e", "f"}) ids.push_back(submit_job(server.port(), job_input(name)));
  gates[0].open();
  log.wait_for_count(14);
  CHECK(log.events() == std::vector<std::string>{"start first", "end first", "start a", "end a", "start b", "end b",
                                                 "start c", "end c", "start d", "end d", "start e", "end e", "start f",
                                                 "end f"});
}

TEST_CASE("the queue refuses with 503 and Retry-After exactly at capacity, and accepts again once there is room") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1, .capacity = 2, .retry_after = 7s}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  REQUIRE(!submit_job(server.port(), job_input("running", 0)).empty());
  log.wait_for_count(1);  // taken off the queue: two places left
  CHECK(!submit_job(server.port(), job_input("q1")).empty());
  CHECK(!submit_job(server.port(), job_input("q2")).empty());
  const http_reply refused = exchange(server.port(), post_request("/jobs", job_input("q3")));
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "7");
  CHECK(json_string(refused.body, "detail") == "the job queue is full");
  CHECK(queue.counters().rejected == 1);
  CHECK(queue.counters().queued == 2);

  gates[0].open();
  log.wait_for_count(6);  // all three ran
  const std::string again = submit_job(server.port(), job_input("again"));
  CHECK(again.size() == 32);
  CHECK(wait_for_state(server.port(), again, "succeeded"));
}

TEST_CASE(
    "POST answers 202 with Location; GET shows the result with RFC 3339 times; bad input is 400, a bad wait 422") {
  event_log log;
  std::vector<gate> gates;
  ar::jobs queue{{.workers = 1}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/api/v1/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  const http_reply accepted = exchange(server.port(), post_request("/api/v1/jobs", job_input("x")));
  REQUIRE(accepted.status == 202);
  const std::string id = json_string(accepted.body, "id");
  CHECK(json_string(accepted.body, "status") == "queued");
  CHECK(accepted.header("Location") == "/api/v1/jobs/" + id);
  CHECK(accepted.header("Content-Type") == "application/json");

  const http_reply done = exchange(server.port(), get_request("/api/v1/jobs/" + id + "?wait=10"));
  REQUIRE(done.status == 200);
  CHECK(json_string(done.body, "status") == "succeeded");
  CHECK(done.body.find("\"result\":{\"name\":\"x\"}") != std::string::npos);
  for (const char* stamp : {"submitted_at", "started_at", "finished_at"}) {
    const std::string text = json_string(done.body, stamp);
    REQUIRE(text.size() == 24);
    CHECK(text[4] == '-');
    CHECK(text[10] == 'T');
    CHECK(text[19] == '.');
    CHECK(text.back() == 'Z');
  }

  CHECK(exchange(server.port(), post_request("/api/v1/jobs", "{not json")).status == 400);
  for (const char* wait : {"?wait=soon", "?wait=-1", "?wait=", "?wait=1.5"}) {
    CAPTURE(wait);
    const http_reply refused = exchange(server.port(), get_request("/api/v1/jobs/" + id + wait));
    CHECK(refused.status == 422);
    CHECK(refused.header("Content-Type") == "application/problem+json");
    CHECK(refused.body.find("{\"in\":\"query\",\"name\":\"wait\",\"detail\":") != std::string::npos);
  }
  // A wait above max_wait is clamped, not refused: the job has ended, so it answers at once.
  CHECK(exchange(server.port(), get_request("/api/v1/jobs/" + id + "?wait=100000")).status == 200);
}

TEST_CASE("a failing job is failed with its message and the worker carries on") {
  event_log log;
  std::vector<gate> gates;
  ar::jobs queue{{.workers = 1}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  const std::string bad = submit_job(server.port(), job_input("bad", -1, true));
  const std::string good = submit_job(server.port(), job_input("good"));
  const http_reply failed = ar::testing::job_status(server.port(), bad, "?wait=10");
  CHECK(json_string(failed.body, "status") == "failed");
  CHECK(json_string(failed.body, "error") == "boom: bad");
  CHECK(failed.body.find("\"result\"") == std::string::npos);
  const http_reply succeeded = ar::testing::job_status(server.port(), good, "?wait=10");
  CHECK(json_string(succeeded.body, "status") == "succeeded");
  CHECK(queue.counters().failed == 1);
  CHECK(queue.counters().succeeded == 1);
}

TEST_CASE("DELETE cancels a queued job; a running or finished one is 409; unknown and malformed ids are 404") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  const std::string running = submit_job(server.port(), job_input("running", 0));
  log.wait_for_count(1);
  const std::string queued = submit_job(server.port(), job_input("queued"));

  const http_reply cancelled = exchange(server.port(), ar::testing::delete_request("/jobs/" + queued));
  CHECK(cancelled.status == 200);
  CHECK(json_string(cancelled.body, "status") == "cancelled");
  CHECK(exchange(server.port(), ar::testing::delete_request("/jobs/" + queued)).status == 409);
  const http_reply busy = exchange(server.port(), ar::testing::delete_request("/jobs/" + running));
  CHECK(busy.status == 409);
  CHECK(json_string(busy.body, "detail") == "the job is running and cannot be cancelled");
  CHECK(exchange(server.port(), ar::testing::delete_request("/jobs/0123456789abcdef0123456789abcdef")).status == 404);
  CHECK(exchange(server.port(), ar::testing::delete_request("/jobs/nope")).status == 404);
  CHECK(exchange(server.port(), get_request("/jobs/0123456789ABCDEF0123456789ABCDEF")).status == 404);
  CHECK(exchange(server.port(), get_request("/jobs/" + running + "0")).status == 404);

  gates[0].open();
  CHECK(wait_for_state(server.port(), running, "succeeded"));
  CHECK(exchange(server.port(), ar::testing::delete_request("/jobs/" + running)).status == 409);
  const auto events = log.events();
  CHECK(std::find(events.begin(), events.end(), "start queued") == events.end());
  CHECK(queue.counters().cancelled == 1);
  CHECK(queue.counters().queued == 0);
}

TEST_CASE("results expire after their time to live, and only max_results are kept") {
  SUBCASE("time to live") {
    event_log log;
    std::vector<gate> gates;
    ar::jobs queue{{.workers = 1, .result_ttl = 0s}, gated_work{&log, &gates}};
    ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
    app.attach(queue);
    app_runner server{app};
    const std::string id = submit_job(server.port(), job_input("short-lived"));
    log.wait_for_count(2);
    while (queue.counters().succeeded == 0) std::this_thread::sleep_for(1ms);
    CHECK(ar::testing::job_status(server.port(), id).status == 404);
  }
  SUBCASE("most results kept") {
    event_log log;
    std::vector<gate> gates;
    ar::jobs queue{{.workers = 1, .max_results = 2}, gated_work{&log, &gates}};
    ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
    app.attach(queue);
    app_runner server{app};
    std::vector<std::string> ids;
    for (const char* name : {"one", "two", "three"}) ids.push_back(submit_job(server.port(), job_input(name)));
    CHECK(json_string(ar::testing::job_status(server.port(), ids[2], "?wait=10").body, "status") == "succeeded");
    CHECK(ar::testing::job_status(server.port(), ids[0]).status == 404);
    CHECK(ar::testing::job_status(server.port(), ids[1]).status == 200);
    CHECK(ar::testing::job_status(server.port(), ids[2]).status == 200);
  }
}

TEST_CASE("a long-poll answers as soon as the job finishes, without holding the server's thread") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::get<"/health">(health), ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};  // one server thread

  const std::string id = submit_job(server.port(), job_input("slow", 0));
  log.wait_for_count(1);
  raw_client poller(server.port());
  poller.send(get_request("/jobs/" + id + "?wait=30"));
  // Nothing comes back while the job runs, and the one server thread still answers others.
  pollfd ready{poller.descriptor(), POLLIN, 0};
  CHECK(::poll(&ready, 1, 200) == 0);
  CHECK(exchange(server.port(), get_request("/health")).status == 200);

  gates[0].open();
  const http_reply reply = poller.read_response();
  log.record("reply");
  CHECK(json_string(reply.body, "status") == "succeeded");
  CHECK(log.position("end slow") >= 0);
  CHECK(log.position("end slow") < log.position("reply"));
}

TEST_CASE("a long-poll on a job that does not finish answers its current state after the wait") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1, .max_wait = 1s}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};
  const std::string id = submit_job(server.port(), job_input("stuck", 0));
  log.wait_for_count(1);
  const http_reply reply = ar::testing::job_status(server.port(), id, "?wait=3600");  // capped to 1 s
  CHECK(reply.status == 200);
  CHECK(json_string(reply.body, "status") == "running");
  gates[0].open();
}

TEST_CASE("a CPU-bound job does not stall other requests") {
  event_log log;
  std::vector<gate> gates(1);
  ar::jobs queue{{.workers = 1}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::get<"/health">(health), ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};  // one server thread

  const std::string id = submit_job(server.port(), job_input("cpu", 0));
  log.wait_for_count(1);
  for (int round = 0; round < 3; ++round) CHECK(exchange(server.port(), get_request("/health")).body == "ok");
  CHECK(json_string(ar::testing::job_status(server.port(), id).body, "status") == "running");
  gates[0].open();
  CHECK(wait_for_state(server.port(), id, "succeeded"));
}

TEST_CASE("coroutine jobs run on the queue's event loop, and a time limit fails a job that runs too long") {
  ar::jobs queue{{.workers = 2, .time_limit = 50ms}, [](ar::job_context& job) -> ar::task<ar::json_value> {
                   asio::steady_timer pause(co_await asio::this_coro::executor);
                   const std::string_view kind = job.json()["kind"].get_string().value();
                   pause.expires_after(kind == "forever" ? std::chrono::hours(1) : std::chrono::milliseconds(1));
                   co_await pause.async_wait(asio::use_awaitable);
                   co_return ar::json_value{{"kind", kind}};
                 }};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};

  const std::string quick = submit_job(server.port(), R"({"kind":"quick"})");
  const std::string forever = submit_job(server.port(), R"({"kind":"forever"})");
  const http_reply quick_done = ar::testing::job_status(server.port(), quick, "?wait=10");
  CHECK(json_string(quick_done.body, "status") == "succeeded");
  const http_reply limited = ar::testing::job_status(server.port(), forever, "?wait=10");
  CHECK(json_string(limited.body, "status") == "failed");
  CHECK(json_string(limited.body, "error") == "the job exceeded its time limit");
}

TEST_CASE("a CPU job sees its stop token when its time limit passes") {
  ar::jobs queue{{.workers = 1, .time_limit = 20ms}, [](ar::job_context& job) -> ar::json_value {
                   gate never;
                   never.wait(job.stop_token());
                   return nullptr;
                 }};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};
  const std::string id = submit_job(server.port(), "null");
  const http_reply reply = ar::testing::job_status(server.port(), id, "?wait=10");
  CHECK(json_string(reply.body, "status") == "failed");
  CHECK(json_string(reply.body, "error") == "the job exceeded its time limit");
  CHECK(queue.counters().failed == 1);
}

TEST_CASE("job ids are unique 32-digit lowercase hex") {
  event_log log;
  std::vector<gate> gates;
  ar::jobs queue{{.workers = 2, .capacity = 1000}, gated_work{&log, &gates}};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app};
  std::set<std::string> seen;
  raw_client client(server.port());
  for (int index = 0; index < 200; ++index) {
    client.send(post_request("/jobs", job_input("n")));
    const std::string id = json_string(client.read_response().body, "id");
    CHECK(ar::detail::is_job_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 200);
}
