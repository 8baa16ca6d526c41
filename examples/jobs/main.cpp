// The jobs example: submit work, poll it, long-poll it, see the result.
//
//   curl -si -X POST localhost:8080/jobs -d '{"text": "to be or not to be", "seconds": 3}'
//   curl -s localhost:8080/jobs/<id>            # queued or running
//   curl -s 'localhost:8080/jobs/<id>?wait=10'  # answers as soon as it has finished
#include <asyncrest/jobs.hpp>
#include <asyncrest/server.hpp>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string_view>
#include <thread>

namespace ar = asyncrest;

// A CPU-bound job: it runs on the queue's thread pool, so the server's threads keep answering.
ar::json_value count_words(ar::job_context& job) {
  auto input = job.json();
  std::string_view text = input["text"].get_string();  // a missing "text" fails the job with a message
  std::int64_t seconds = 0;
  if (input["seconds"].get(seconds) != simdjson::SUCCESS) seconds = 0;  // optional: pretend the work takes that long
  for (std::int64_t tick = 0; tick < seconds * 10 && !job.stop_requested(); ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::int64_t words = 0;
  bool in_word = false;
  for (const char each : text) {
    const bool letter = each != ' ' && each != '\n' && each != '\t';
    if (letter && !in_word) ++words;
    in_word = letter;
  }
  return {{"words", words}, {"characters", text.size()}};
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

  ar::app app{
      ar::routes(ar::get<"/">([](ar::request&) -> ar::response { return ar::text("POST /jobs to count words\n"); }),
                 ar::job_routes<"/jobs">(queue))};
  app.attach(queue);  // Ctrl-C: refuse new jobs, finish the queued ones within the drain deadline
  app.run({.host = "127.0.0.1", .port = 8080});
}
