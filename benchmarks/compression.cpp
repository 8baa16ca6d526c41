// Microbenchmarks of HTTP compression: a 100 KiB JSON response compressed whole by gzip (zlib
// level) and br (brotli quality), as the compression middleware compresses an in-memory body;
// the same document written as a stream of 100 pieces, each flushed; and decompressing it, as a
// request body or by the client. The counter `ratio` is compressed size / size.
//   compression_benchmarks --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncrest/http/detail/content_coding.hpp>

#include <benchmark/benchmark.h>

#include <cstddef>
#include <random>
#include <string>
#include <string_view>

namespace {

using asyncrest::detail::content_coding;
using asyncrest::detail::content_decoder;
using asyncrest::detail::content_encoder;

// A list of records as an API returns them: repetitive keys, varied values.
const std::string& document() {
  static const std::string text = [] {
    static constexpr const char* names[] = {"ada", "grace", "linus", "ken", "dennis", "barbara", "edsger", "donald"};
    std::mt19937 random(3);
    std::string made = "[";
    while (made.size() < 100 * 1024) {
      made += R"({"id":)" + std::to_string(random() % 1000000) + R"(,"name":")" + names[random() % 8] +
              R"(","email":")" + names[random() % 8] + std::to_string(random() % 1000) + R"(@example.com","score":)" +
              std::to_string(random() % 1000) + R"(.25,"active":)" + (random() % 2 ? "true" : "false") +
              R"(,"created":"2026-0)" + std::to_string(1 + random() % 9) + "-1" + std::to_string(random() % 10) +
              R"(T12:00:00Z"},)";
    }
    made.back() = ']';
    return made;
  }();
  return text;
}

void whole(benchmark::State& state, content_coding coding) {
  const int level = static_cast<int>(state.range(0));
  std::size_t size = 0;
  for (auto _ : state) {
    std::string compressed = asyncrest::detail::encode_whole(coding, level, document());
    size = compressed.size();
    benchmark::DoNotOptimize(compressed.data());
  }
  state.counters["ratio"] = static_cast<double>(size) / static_cast<double>(document().size());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * document().size()));
}

void streamed(benchmark::State& state, content_coding coding) {
  const int level = static_cast<int>(state.range(0));
  const std::string_view text = document();
  const std::size_t piece = text.size() / 100 + 1;
  std::size_t size = 0;
  for (auto _ : state) {
    content_encoder encoder(coding, level);
    std::string out;
    size = 0;
    for (std::size_t at = 0; at < text.size(); at += piece) {
      out.clear();
      encoder.write(text.substr(at, piece), out, content_encoder::step::flush);
      size += out.size();
    }
    out.clear();
    encoder.write({}, out, content_encoder::step::finish);
    size += out.size();
    benchmark::DoNotOptimize(out.data());
  }
  state.counters["ratio"] = static_cast<double>(size) / static_cast<double>(document().size());
}

void decode(benchmark::State& state, content_coding coding) {
  const std::string compressed = asyncrest::detail::encode_whole(coding, static_cast<int>(state.range(0)), document());
  for (auto _ : state) {
    std::string out;
    out.reserve(document().size());
    if (asyncrest::detail::decode_whole(coding, compressed, 1 << 20, out) != content_decoder::outcome::done) {
      state.SkipWithError("the document did not decode");
    }
    benchmark::DoNotOptimize(out.data());
  }
}

void gzip_whole(benchmark::State& state) { whole(state, content_coding::gzip); }
void gzip_streamed(benchmark::State& state) { streamed(state, content_coding::gzip); }
void gzip_decode(benchmark::State& state) { decode(state, content_coding::gzip); }
BENCHMARK(gzip_whole)->Arg(1)->Arg(4)->Arg(6)->Arg(9)->Unit(benchmark::kMicrosecond);
BENCHMARK(gzip_streamed)->Arg(6)->Unit(benchmark::kMicrosecond);
BENCHMARK(gzip_decode)->Arg(6)->Unit(benchmark::kMicrosecond);

#if defined(ASYNCREST_WITH_BROTLI) && ASYNCREST_WITH_BROTLI
void br_whole(benchmark::State& state) { whole(state, content_coding::br); }
void br_streamed(benchmark::State& state) { streamed(state, content_coding::br); }
void br_decode(benchmark::State& state) { decode(state, content_coding::br); }
BENCHMARK(br_whole)->Arg(1)->Arg(4)->Arg(5)->Arg(6)->Arg(9)->Arg(11)->Unit(benchmark::kMicrosecond);
BENCHMARK(br_streamed)->Arg(4)->Unit(benchmark::kMicrosecond);
BENCHMARK(br_decode)->Arg(4)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace

BENCHMARK_MAIN();
