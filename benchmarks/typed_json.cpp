// The echo scenario's work without the network: the 1,031-byte document echo_body.json parsed
// and written back, through the simdjson DOM (what `json(req.json())` does) and through a struct
// (read_json and write_json), side by side.
//   typed_json_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncrest/core/typed_json.hpp>

#include <benchmark/benchmark.h>
#include <simdjson.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace ar = asyncrest;

namespace {

enum class issue_state { open, closed };

struct person {
  std::string login;
  std::int64_t id;
  std::optional<bool> site_admin;
  std::optional<std::string> type;
};

struct label {
  std::int64_t id;
  std::string name;
  std::string color;
  bool is_default;
};

struct milestone_info {
  std::int64_t id;
  int number;
  issue_state state;
  std::string title;
  int open_issues;
  int closed_issues;
};

struct reaction_counts {
  int total_count;
  int plus_one;
  int minus_one;
  int laugh;
  int hooray;
  int confused;
  int heart;
};

struct issue {
  std::int64_t id;
  int number;
  issue_state state;
  std::string title;
  std::string body;
  person user;
  std::vector<label> labels;
  std::vector<person> assignees;
  std::optional<milestone_info> milestone;
  bool locked;
  int comments;
  double score;
  std::chrono::sys_seconds created_at;
  std::chrono::sys_seconds updated_at;
  std::optional<std::chrono::sys_seconds> closed_at;
  reaction_counts reactions;
  std::string url;
  std::vector<std::string> tags;
  std::string html_url;
};

}  // namespace

template <>
struct asyncrest::json_fields<label> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&label::is_default>{.name = "default"});
};
template <>
struct asyncrest::json_fields<reaction_counts> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&reaction_counts::plus_one>{.name = "+1"},
                                                  asyncrest::field<&reaction_counts::minus_one>{.name = "-1"});
};

namespace {

std::string echo_body() {
  std::ifstream file(ECHO_BODY_FILE, std::ios::binary);
  if (!file) throw std::runtime_error("cannot read " ECHO_BODY_FILE);
  std::string text{std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  return text;
}

// What the echo route does: parse, then minify the DOM into the response body.
void echo_dom(benchmark::State& state) {
  const std::string text = echo_body();
  simdjson::dom::parser parser;
  std::string out;
  for (auto _ : state) {
    simdjson::dom::element document = parser.parse(text.data(), text.size());
    out = simdjson::minify(document);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(echo_dom);

// The same document read into `issue` (every member checked) and written back.
void echo_typed(benchmark::State& state) {
  const std::string text = echo_body();
  simdjson::dom::parser parser;
  std::string out;
  for (auto _ : state) {
    simdjson::dom::element document = parser.parse(text.data(), text.size());
    ar::json_read_result<issue> read = ar::read_json<issue>(document);
    if (!read) throw std::runtime_error(read.errors().front().pointer + ": " + read.errors().front().detail);
    out.clear();
    ar::write_json(*read, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(echo_typed);

// The two halves of the typed path apart.
void typed_read_only(benchmark::State& state) {
  const std::string text = echo_body();
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element document = parser.parse(text.data(), text.size());
    ar::json_read_result<issue> read = ar::read_json<issue>(document);
    benchmark::DoNotOptimize(read.has_value());
  }
}
BENCHMARK(typed_read_only);

void typed_write_only(benchmark::State& state) {
  const issue value = ar::read_json<issue>(echo_body()).value();
  std::string out;
  for (auto _ : state) {
    out.clear();
    ar::write_json(value, out);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(typed_write_only);

}  // namespace

BENCHMARK_MAIN();
