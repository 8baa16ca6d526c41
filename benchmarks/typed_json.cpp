// The echo scenario's work without the network: the 1,031-byte document echo_body.json parsed
// and written back, through the simdjson DOM (what `json(req.json())` does) and through a struct
// (read_json and write_json), side by side.
//   typed_json_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include "echo_issue.hpp"

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

using benchmark_issue::issue;

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

// The same document read into `issue` (every member checked) and written back, as a typed
// handler does with read_json_body and json_response: from the text to the text.
void echo_typed(benchmark::State& state) {
  const std::string text = echo_body();
  std::string out;
  for (auto _ : state) {
    ar::json_read_result<issue> read = ar::read_json<issue>(text);
    if (!read) throw std::runtime_error(read.errors().front().pointer + ": " + read.errors().front().detail);
    out.clear();
    ar::write_json(*read, out);
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["bytes"] = static_cast<double>(out.size());
}
BENCHMARK(echo_typed);

// The parts apart: the DOM parse both paths started from before, the typed read from the text,
// the read from a parsed DOM document (the path that lists every error, taken by a document
// that does not fit), and the write.
void dom_parse_only(benchmark::State& state) {
  const std::string text = echo_body();
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element document = parser.parse(text.data(), text.size());
    benchmark::DoNotOptimize(document);
  }
}
BENCHMARK(dom_parse_only);

void typed_read_only(benchmark::State& state) {
  const std::string text = echo_body();
  for (auto _ : state) {
    ar::json_read_result<issue> read = ar::read_json<issue>(text);
    benchmark::DoNotOptimize(read.has_value());
  }
}
BENCHMARK(typed_read_only);

void typed_read_dom(benchmark::State& state) {
  const std::string text = echo_body();
  simdjson::dom::parser parser;
  for (auto _ : state) {
    simdjson::dom::element document = parser.parse(text.data(), text.size());
    ar::json_read_result<issue> read = ar::read_json<issue>(document);
    benchmark::DoNotOptimize(read.has_value());
  }
}
BENCHMARK(typed_read_dom);

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
