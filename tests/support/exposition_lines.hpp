// Reading a metrics exposition (the Prometheus text format) line by line, for the tests that
// check exact series.
#pragma once

#include <string>
#include <string_view>

namespace asyncrest::testing {

/// The lines of `text` that start with `prefix`, each ending with a newline.
inline std::string lines_starting(std::string_view text, std::string_view prefix) {
  std::string found;
  while (!text.empty()) {
    const std::size_t end = text.find('\n');
    const std::string_view line = text.substr(0, end);
    if (line.starts_with(prefix)) found.append(line).append("\n");
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
  }
  return found;
}

/// Whether `line` is one whole line of `text`.
inline bool has_line(std::string_view text, std::string_view line) {
  return ("\n" + std::string(text)).find("\n" + std::string(line) + "\n") != std::string::npos;
}

}  // namespace asyncrest::testing
