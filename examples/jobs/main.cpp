// The jobs example: submit work, poll it, long-poll it, see the result.
//
//   curl -si -X POST localhost:8080/jobs -d '{"text": "to be or not to be", "seconds": 3}'
//   curl -s localhost:8080/jobs/<id>            # queued or running
//   curl -s 'localhost:8080/jobs/<id>?wait=10'  # answers as soon as it has finished
//   curl -s localhost:8080/openapi.json         # the routes, their parameters and schemas
#include <asyncrest/jobs.hpp>
#include <asyncrest/server.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

namespace ar = asyncrest;

// What a job is given: {"text": "...", "seconds": 3}, "seconds" optional.
struct count_request {
  std::string text;
  std::optional<std::int64_t> seconds;  // pretend the work takes that long
};

// A CPU-bound job: it runs on the queue's thread pool, so the server's threads keep answering.
ar::json_value count_words(ar::job_context& job) {
  auto read = ar::read_json<count_request>(job.input());
  if (!read) throw std::invalid_argument(R"(the input is {"text": "...", "seconds": 3}, "seconds" optional)");
  const count_request& input = *read;  // the job fails with the message above
  for (std::int64_t tick = 0; tick < input.seconds.value_or(0) * 10 && !job.stop_requested(); ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::int64_t words = 0;
  bool in_word = false;
  for (const char each : input.text) {
    const bool letter = each != ' ' && each != '\n' && each != '\t';
    if (letter && !in_word) ++words;
    in_word = letter;
  }
  return {{"words", words}, {"characters", input.text.size()}};
}

int main() {
  using namespace std::chrono_literals;
  ar::jobs queue{{.workers = 2,
                  .capacity = 100,
                  .result_ttl = 10min,
                  .time_limit = 60s,
                  .on_unfinished =
                      [](const ar::drain_report& report) {
                        // A real service would store these and submit them again after a restart.
                        for (const auto& job : report.unfinished)
                          std::cerr << "unfinished " << job.id << ' ' << job.input << '\n';
                      }},
                 count_words};

  auto api = ar::routes(ar::job_routes<"/jobs">(queue));
  auto document = ar::openapi_route<"/openapi.json">(api, {.title = "Word counts", .version = "1.0.0"});
  ar::app app{
      ar::routes(ar::get<"/">([](ar::request&) -> ar::response { return ar::text("POST /jobs to count words\n"); }),
                 std::move(api), std::move(document))};
  app.attach(queue);  // Ctrl-C: refuse new jobs, finish the queued ones within the drain deadline
  app.run({.host = "127.0.0.1", .port = 8080});
}
