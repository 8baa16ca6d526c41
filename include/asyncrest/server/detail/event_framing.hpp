// The text of server-sent events (WHATWG HTML, "Server-sent events"): how an event's fields are
// written as lines, and the checks that keep a value from breaking the framing.
#pragma once

#include <charconv>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Appends `prefix`, the line and LF for each line of `text`. Lines end at CR, LF or CRLF, as a
/// reader splits them; a text that ends with a line end has an empty last line, so the reader
/// gets the same text back.
inline void append_event_lines(std::string& out, std::string_view prefix, std::string_view text) {
  for (;;) {
    const std::size_t end = text.find_first_of("\r\n");
    out.append(prefix);
    out.append(text.substr(0, end));
    out.push_back('\n');
    if (end == std::string_view::npos) return;
    const bool crlf = text[end] == '\r' && end + 1 < text.size() && text[end + 1] == '\n';
    text.remove_prefix(end + (crlf ? 2 : 1));
  }
}

inline void append_retry_field(std::string& out, std::chrono::milliseconds delay) {
  if (delay.count() < 0) throw std::invalid_argument("asyncrest: an event stream's retry delay must not be negative");
  char digits[24];
  const auto end = std::to_chars(digits, digits + sizeof digits, delay.count()).ptr;
  out.append("retry: ");
  out.append(digits, end);
  out.push_back('\n');
}

/// One event, whole: its fields, its data lines and the blank line that dispatches it. Throws
/// `std::invalid_argument` for a name with CR or LF or an id with CR, LF or NUL: such a value
/// would end its field early, and what follows would be read as other fields.
inline std::string frame_event(std::string_view name, std::string_view data, std::optional<std::string_view> id,
                               std::optional<std::chrono::milliseconds> retry) {
  if (name.find_first_of("\r\n") != std::string_view::npos) {
    throw std::invalid_argument(
        "asyncrest: an event name must not contain CR or LF: it would break the stream's framing");
  }
  if (id && id->find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
    throw std::invalid_argument(
        "asyncrest: an event id must not contain CR, LF or NUL: it would break the stream's framing");
  }
  std::string out;
  out.reserve(name.size() + data.size() + (id ? id->size() : 0) + 48);
  if (!name.empty()) {
    out.append("event: ");
    out.append(name);
    out.push_back('\n');
  }
  if (id) {
    out.append("id: ");
    out.append(*id);
    out.push_back('\n');
  }
  if (retry) append_retry_field(out, *retry);
  append_event_lines(out, "data: ", data);
  out.push_back('\n');
  return out;
}

/// A comment: lines a reader skips. A multi-line text becomes several comment lines.
inline std::string frame_comment(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 4);
  append_event_lines(out, ": ", text);
  return out;
}

}  // namespace asyncrest::detail
