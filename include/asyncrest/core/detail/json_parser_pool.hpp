// A per-thread pool of simdjson parsers. A parser's document lives as long as the parser, so a
// request keeps its own while it is handled (a shared one would be overwritten by the next
// request on the thread while the first is suspended); the pool makes that free after warm-up.
#pragma once

#include <simdjson.h>

#include <memory>
#include <vector>

namespace asyncrest::detail {

struct json_parser_returner {
  void operator()(simdjson::dom::parser* parser) const noexcept;
};

using pooled_json_parser = std::unique_ptr<simdjson::dom::parser, json_parser_returner>;

inline std::vector<std::unique_ptr<simdjson::dom::parser>>& thread_json_parsers() {
  thread_local std::vector<std::unique_ptr<simdjson::dom::parser>> parsers;
  return parsers;
}

inline pooled_json_parser acquire_json_parser() {
  auto& parsers = thread_json_parsers();
  if (parsers.empty()) return pooled_json_parser(new simdjson::dom::parser());
  pooled_json_parser reused(parsers.back().release());
  parsers.pop_back();
  return reused;
}

inline void json_parser_returner::operator()(simdjson::dom::parser* parser) const noexcept {
  constexpr std::size_t max_pooled = 64;
  // A parser that grew for a large document gives its memory back instead of keeping it.
  constexpr std::size_t pooled_capacity_limit = 1 << 20;
  auto& parsers = thread_json_parsers();
  if (parsers.size() >= max_pooled || parser->capacity() > pooled_capacity_limit) {
    delete parser;
    return;
  }
  try {
    parsers.emplace_back(parser);
  } catch (...) {
    delete parser;
  }
}

}  // namespace asyncrest::detail
