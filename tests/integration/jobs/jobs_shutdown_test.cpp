// Background jobs and the server's graceful stop: new jobs are refused with 503, long-polls end,
// running and queued jobs finish within the drain deadline, and what cannot is reported.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/jobs_helpers.hpp>
#include <support/raw_client.hpp>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::app_runner;
using ar::testing::event_log;
using ar::testing::gate;
using ar::testing::get_request;
using ar::testing::http_reply;
using ar::testing::json_string;
using ar::testing::post_request;
using ar::testing::raw_client;
using ar::testing::submit_job;

namespace {

/// Before the job routes: a request carrying X-Stop-First stops the app and waits until the
/// queue has begun to drain, so that the route sees a server that is stopping.
struct stop_first {
  std::function<void()>* stop_app;
  ar::jobs* queue;

  ar::task<ar::response> operator()(ar::request& req, ar::next next) const {
    if (req.header("X-Stop-First")) {
      (*stop_app)();
      asio::steady_timer pause(co_await asio::this_coro::executor);
      for (int round = 0; round < 5000 && !queue->closing(); ++round) {
        pause.expires_after(1ms);
        co_await pause.async_wait(asio::use_awaitable);
      }
    }
    co_return co_await next(req);
  }
};

ar::json_value numbered(int number) { return ar::json_value::object({{"n", number}}); }

ar::server_settings short_drain(std::chrono::milliseconds drain) {
  ar::server_settings settings = ar::testing::test_settings();
  settings.timeouts.drain = drain;
  return settings;
}

}  // namespace

TEST_CASE("a stopping server refuses new jobs with 503, ends long-polls, and runs the running and queued jobs") {
  event_log log;
  gate release;
  std::mutex report_mutex;
  std::vector<ar::drain_report> reports;
  ar::jobs queue{{.workers = 1,
                  .on_unfinished =
                      [&](const ar::drain_report& report) {
                        std::lock_guard lock(report_mutex);
                        reports.push_back(report);
                      }},
                 [&](ar::job_context& job) -> ar::json_value {
                   log.record("start " + std::string(job.input()));
                   if (job.input() == "\"first\"") release.wait();
                   log.record("end " + std::string(job.input()));
                   return job.input();
                 }};
  std::function<void()> stop_app;
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue)), stop_first{&stop_app, &queue}};
  app.attach(queue);
  app_runner server{app, short_drain(20s)};
  stop_app = [&] { app.stop(); };

  const std::string first = submit_job(server.port(), "\"first\"");
  log.wait_for_count(1);
  const std::string second = submit_job(server.port(), "\"second\"");
  const std::string third = submit_job(server.port(), "\"third\"");
  REQUIRE(second.size() == 32);
  REQUIRE(third.size() == 32);

  raw_client poller(server.port());
  poller.send(get_request("/jobs/" + first + "?wait=30"));
  raw_client late(server.port());
  late.send("POST /jobs HTTP/1.1\r\nHost: test\r\nX-Stop-First: yes\r\nContent-Length: 2\r\n\r\n{}");
  const http_reply refused = late.read_response();
  CHECK(refused.status == 503);
  CHECK(refused.header("Retry-After") == "1");
  CHECK(json_string(refused.body, "detail") == "the server is shutting down");
  // The long-poll ends with the drain, not with the job.
  const http_reply polled = poller.read_response();
  CHECK(json_string(polled.body, "status") == "running");

  release.open();
  server.join();  // run() returns only after the queue has drained
  CHECK(log.events() == std::vector<std::string>{"start \"first\"", "end \"first\"", "start \"second\"",
                                                 "end \"second\"", "start \"third\"", "end \"third\""});
  CHECK(queue.counters().succeeded == 3);
  CHECK(queue.counters().rejected == 1);
  std::lock_guard lock(report_mutex);
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].count() == 0);
}

TEST_CASE("jobs that cannot finish by the drain deadline are reported with their ids and inputs") {
  std::mutex report_mutex;
  std::vector<ar::drain_report> reports;
  event_log log;
  ar::jobs queue{{.workers = 1,
                  .on_unfinished =
                      [&](const ar::drain_report& report) {
                        std::lock_guard lock(report_mutex);
                        reports.push_back(report);
                      }},
                 [&](ar::job_context& job) -> ar::task<ar::json_value> {
                   log.record("start " + std::string(job.input()));
                   asio::steady_timer forever(co_await asio::this_coro::executor);
                   forever.expires_after(std::chrono::hours(1));
                   co_await forever.async_wait(asio::use_awaitable);  // cancelled at the deadline
                   co_return nullptr;
                 }};
  ar::app app{ar::routes(ar::job_routes<"/jobs">(queue))};
  app.attach(queue);
  app_runner server{app, short_drain(300ms)};

  const std::string running = submit_job(server.port(), "{\"n\":1}");
  log.wait_for_count(1);
  const std::string queued_one = submit_job(server.port(), "{\"n\":2}");
  const std::string queued_two = submit_job(server.port(), "{\"n\":3}");
  server.stop();

  std::lock_guard lock(report_mutex);
  REQUIRE(reports.size() == 1);
  const ar::drain_report& report = reports[0];
  REQUIRE(report.count() == 3);
  std::set<std::string> never_started;
  for (const auto& each : report.unfinished) {
    if (each.was_running) {
      CHECK(each.id == running);
      CHECK(each.input == "{\"n\":1}");
    } else {
      never_started.insert(each.id + " " + each.input);
    }
  }
  CHECK(never_started == std::set<std::string>{queued_one + " {\"n\":2}", queued_two + " {\"n\":3}"});
  CHECK(log.events().size() == 1);  // the queued ones never started
  CHECK(queue.counters().queued == 0);
  CHECK(queue.counters().running == 0);
  CHECK(queue.counters().failed == 1);
}

TEST_CASE("a queue drained on its own refuses new jobs and reports the queued ones it could not run") {
  gate release;
  ar::jobs queue{{.workers = 1}, [&](ar::job_context& job) -> ar::json_value {
                   release.wait(job.stop_token());
                   return nullptr;  // a CPU job that gives up when asked still returns: it succeeded
                 }};
  asio::io_context client{1};
  std::string first;
  std::string second;
  asio::co_spawn(
      client,
      [&]() -> ar::task<void> {
        first = (co_await queue.submit(numbered(1))).id;
        second = (co_await queue.submit(numbered(2))).id;
      },
      asio::detached);
  client.run();
  while (queue.counters().running == 0) std::this_thread::sleep_for(1ms);

  const ar::drain_report report = queue.drain(100ms);
  REQUIRE(report.count() == 1);
  CHECK(report.unfinished[0].id == second);
  CHECK(report.unfinished[0].input == "{\"n\":2}");
  CHECK_FALSE(report.unfinished[0].was_running);
  CHECK(queue.counters().succeeded == 1);

  client.restart();
  ar::submit_result after = ar::submit_result::accepted;
  asio::co_spawn(
      client, [&]() -> ar::task<void> { after = (co_await queue.submit(ar::json_value{})).result; }, asio::detached);
  client.run();
  CHECK(after == ar::submit_result::closed);
  CHECK(queue.counters().rejected == 1);
}
