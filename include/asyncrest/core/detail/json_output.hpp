// Where typed JSON is written: a cursor into the string's own storage, so a write is one room
// check and plain stores (std::string's append and push_back each check and may reallocate);
// and member names quoted and escaped at compile time, so a member's `,"name":` is one copy.
#pragma once

#include <asyncrest/core/detail/json_escape.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <concepts>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// Appends to a string through a cursor. The string is grown ahead of the cursor (its size is
/// the room made), and cut back to what was written when the output is destroyed.
class json_output {
 public:
  /// Writes after what `out` holds, with room for `expected_size` characters made at once.
  json_output(std::string& out, std::size_t expected_size) : out_(out), start_(out.size()) {
    out_.resize(start_ + expected_size);
    cursor_ = out_.data() + start_;
    end_ = out_.data() + out_.size();
  }
  json_output(const json_output&) = delete;
  json_output& operator=(const json_output&) = delete;
  ~json_output() {
    if (cursor_ != nullptr) out_.resize(static_cast<std::size_t>(cursor_ - out_.data()));
  }

  /// How many characters this output has written.
  [[nodiscard]] std::size_t written() const noexcept {
    return static_cast<std::size_t>(cursor_ - out_.data()) - start_;
  }

  /// Room for `size` characters at the returned place; `advance` says how many were used.
  [[nodiscard]] char* room(std::size_t size) {
    if (static_cast<std::size_t>(end_ - cursor_) < size) grow(size);
    return cursor_;
  }
  void advance(std::size_t size) noexcept { cursor_ += size; }

  void put(char character) {
    *room(1) = character;
    ++cursor_;
  }
  void put(std::string_view text) {
    char* at = room(text.size());
    if (!text.empty()) std::memcpy(at, text.data(), text.size());
    cursor_ += text.size();
  }

  /// Calls `append(std::string&)` with the string as written so far, for code that appends to
  /// a std::string (a json_value's writer, the escaping of an uncommon string); then goes on.
  template <class Append>
  void through_string(Append&& append) {
    out_.resize(static_cast<std::size_t>(cursor_ - out_.data()));
    cursor_ = nullptr;  // should `append` throw, the string keeps what it holds
    append(out_);
    const std::size_t used = out_.size();
    out_.resize(std::max(out_.capacity(), used + minimum_growth));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

 private:
  static constexpr std::size_t minimum_growth = 256;

  void grow(std::size_t size) {
    const auto used = static_cast<std::size_t>(cursor_ - out_.data());
    out_.resize(std::max(out_.size() * 2, used + size + minimum_growth));
    cursor_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  std::string& out_;
  std::size_t start_;
  char* cursor_ = nullptr;
  char* end_ = nullptr;
};

/// Writes `text` as a quoted JSON string of printable ASCII only, as append_json_string does.
inline void write_json_string(json_output& out, std::string_view text) {
  const std::size_t plain = plain_json_prefix(text);
  char* at = out.room(text.size() + 2);
  at[0] = '"';
  if (plain != 0) std::memcpy(at + 1, text.data(), plain);
  if (plain == text.size()) {  // nothing to escape, as for nearly every name and most values
    at[plain + 1] = '"';
    out.advance(plain + 2);
    return;
  }
  out.advance(plain + 1);
  // text[index] needs escaping; after it, the longest run that does not is copied in one go.
  for (std::size_t index = plain; index < text.size();) {
    out.advance(write_escaped_character(out.room(longest_json_escape), text, index));
    const std::size_t run = plain_json_prefix(text.substr(index));
    out.put(text.substr(index, run));
    index += run;
  }
  out.put('"');
}

template <std::integral Integer>
void write_json_integer(json_output& out, Integer number) {
  constexpr std::size_t longest = 24;  // 20 digits and a sign
  char* at = out.room(longest);
  out.advance(static_cast<std::size_t>(std::to_chars(at, at + longest, number).ptr - at));
}

/// Shortest text that reads back as the same double; NaN and infinities become null.
inline void write_json_double(json_output& out, double number) {
  if (!std::isfinite(number)) {
    out.put("null");
    return;
  }
  constexpr std::size_t longest = 32;  // "-1.2345678901234567e-308" and more
  char* at = out.room(longest);
  out.advance(static_cast<std::size_t>(std::to_chars(at, at + longest, number).ptr - at));
}

/// The length of `text` once escaped for a JSON string, without the quotes.
constexpr std::size_t escaped_json_length(std::string_view text) noexcept {
  std::size_t length = 0;
  for (std::size_t index = 0; index < text.size();) {
    if (plain_json_characters[static_cast<unsigned char>(text[index])]) {
      ++length;
      ++index;
    } else {
      char escape[longest_json_escape]{};
      length += write_escaped_character(escape, text, index);
    }
  }
  return length;
}

/// `,"name":` for a JSON member name, made at compile time; `with_comma` and `without_comma`
/// are the two ways a member starts.
template <const std::string_view& Name>
struct quoted_json_name {
  static constexpr std::size_t length = escaped_json_length(Name) + 4;
  static constexpr std::array<char, length> text = [] {
    std::array<char, length> quoted{};
    std::size_t at = 0;
    quoted[at++] = ',';
    quoted[at++] = '"';
    for (std::size_t index = 0; index < Name.size();) {
      if (plain_json_characters[static_cast<unsigned char>(Name[index])]) {
        quoted[at++] = Name[index++];
      } else {
        at += write_escaped_character(quoted.data() + at, Name, index);
      }
    }
    quoted[at++] = '"';
    quoted[at++] = ':';
    return quoted;
  }();
  static constexpr std::string_view with_comma{text.data(), length};
  static constexpr std::string_view without_comma{text.data() + 1, length - 1};
};

}  // namespace asyncrest::detail
