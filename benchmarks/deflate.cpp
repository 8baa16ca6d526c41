// Microbenchmarks of WebSocket compression (permessage-deflate): a message compressed and
// decompressed by zlib level, with the context kept and without, for a chat message (about 280
// bytes of JSON) and a table (about 3.7 KB). The counter `ratio` is compressed size / size.
//   deflate_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncrest/websocket/detail/permessage_deflate.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <string>
#include <vector>

namespace {

using asyncrest::detail::inflate_error;
using asyncrest::detail::message_deflater;
using asyncrest::detail::message_inflater;

// Messages of one kind, different enough that the context helps without repeating them whole.
std::vector<std::string> chat_messages() {
  static constexpr const char* words[] = {"hello", "world",  "the",    "quick", "brown",
                                          "fox",   "deploy", "status", "ok",    "error"};
  std::mt19937 random(1);
  std::vector<std::string> messages;
  for (int index = 0; index < 256; ++index) {
    std::string text;
    for (unsigned count = 5 + random() % 55; count > 0; --count) (text += words[random() % 10]) += ' ';
    messages.push_back(R"({"type":"message","room":"general","id":)" + std::to_string(index) + R"(,"user":{"id":)" +
                       std::to_string(random() % 9999) + R"(,"name":"ada"},"text":")" + text + R"(","ts":)" +
                       std::to_string(1700000000 + index) + "}");
  }
  return messages;
}

std::vector<std::string> table_messages() {
  static constexpr const char* names[] = {"ada", "grace", "linus", "ken", "dennis", "barbara", "edsger", "donald"};
  std::mt19937 random(2);
  std::vector<std::string> messages;
  for (int index = 0; index < 64; ++index) {
    std::string table = "[";
    for (unsigned row = 20 + random() % 60; row > 0; --row) {
      table += R"({"id":)" + std::to_string(random() % 100000) + R"(,"name":")" + names[random() % 8] +
               R"(","score":)" + std::to_string(random() % 1000) + R"(.5,"active":)" +
               (random() % 2 ? "true" : "false") + R"(,"tags":["a)" + std::to_string(random() % 50) + R"(","b"]},)";
    }
    table.back() = ']';
    messages.push_back(std::move(table));
  }
  return messages;
}

// Arguments: zlib level, context takeover (1) or not (0).
void compress(benchmark::State& state, const std::vector<std::string>& messages) {
  const bool takeover = state.range(1) != 0;
  message_deflater deflater({.enabled = true, .level = static_cast<int>(state.range(0))}, {15, !takeover});
  std::string out;
  std::size_t index = 0, bytes = 0, compressed = 0;
  for (auto _ : state) {
    const std::string& message = messages[index++ % messages.size()];
    out.clear();
    deflater.compress(message, out);
    bytes += message.size();
    compressed += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
  state.counters["ratio"] = bytes == 0 ? 0.0 : static_cast<double>(compressed) / static_cast<double>(bytes);
}

void decompress(benchmark::State& state, const std::vector<std::string>& messages) {
  const bool takeover = state.range(1) != 0;
  message_deflater deflater({.enabled = true, .level = static_cast<int>(state.range(0))}, {15, !takeover});
  std::vector<std::string> payloads;
  std::size_t total = 0;
  for (const std::string& message : messages) {
    deflater.compress(message, payloads.emplace_back());
    total += message.size();
  }
  std::string out;
  std::size_t bytes = 0;
  for (auto _ : state) {
    // The context must follow the sender's: a whole round of messages, in order, each time.
    message_inflater inflater({15, !takeover}, std::size_t{1} << 20);
    for (const std::string& payload : payloads) {
      out.clear();
      if (inflater.decompress(payload, true, out) != inflate_error::none) state.SkipWithError("corrupt");
    }
    bytes += total;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(bytes));
}

void compress_chat(benchmark::State& state) { compress(state, chat_messages()); }
void compress_table(benchmark::State& state) { compress(state, table_messages()); }
void decompress_chat(benchmark::State& state) { decompress(state, chat_messages()); }
void decompress_table(benchmark::State& state) { decompress(state, table_messages()); }

void levels(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"level", "takeover"});
  for (const int takeover : {1, 0})
    for (const int level : {1, 4, 6, 9}) benchmark->Args({level, takeover});
}

BENCHMARK(compress_chat)->Apply(levels);
BENCHMARK(compress_table)->Apply(levels);
BENCHMARK(decompress_chat)->Args({6, 1})->Args({6, 0})->ArgNames({"level", "takeover"});
BENCHMARK(decompress_table)->Args({6, 1})->Args({6, 0})->ArgNames({"level", "takeover"});

}  // namespace

BENCHMARK_MAIN();
