// Reading Sec-WebSocket-Extensions (RFC 6455 §9.1): a list of extensions, each a token with
// parameters, where a parameter has no value, a token or a quoted string.
//
//     extension-list = 1#extension
//     extension      = token *( OWS ";" OWS token [ OWS "=" OWS ( token / quoted-string ) ] )
//
// Empty list elements are skipped (RFC 9110 §5.6.1). An element that breaks the grammar is
// reported as not well formed and reading goes on after the next comma outside a quoted string,
// so one bad offer does not hide the good ones after it. Nothing is copied: names and values are
// views of the header; a quoted value is kept with its escapes, read by `for_each_value_character`.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>

#include <array>
#include <cstddef>
#include <string_view>

namespace asyncrest::detail {

struct extension_parameter {
  std::string_view name;
  std::string_view value;  // between the quotes, escapes still in, when `quoted`
  bool has_value = false;
  bool quoted = false;
};

/// One element of the list: an extension offered (request) or accepted (response).
struct extension_element {
  /// More parameters than any extension defines; an element with more is not well formed.
  static constexpr std::size_t max_parameters = 8;

  std::string_view name;
  std::array<extension_parameter, max_parameters> parameters{};
  std::size_t parameter_count = 0;
  bool well_formed = true;
};

/// Calls `visit(char)` with each character of a parameter's value, escapes removed.
template <class Visit>
constexpr void for_each_value_character(const extension_parameter& parameter, Visit&& visit) {
  for (std::size_t index = 0; index < parameter.value.size(); ++index) {
    if (parameter.quoted && parameter.value[index] == '\\') ++index;  // the reader left none at the end
    visit(parameter.value[index]);
  }
}

/// Reads a Sec-WebSocket-Extensions value element by element. Repeated header fields are read
/// as one, joined with ", " (RFC 9110 §5.3).
class extension_list_reader {
 public:
  constexpr explicit extension_list_reader(std::string_view header) noexcept : text_(header) {}

  /// Reads the next non-empty element into `element`; false at the end of the list.
  constexpr bool next(extension_element& element) noexcept {
    element = extension_element{};
    while (position_ < text_.size() && (is_space(text_[position_]) || text_[position_] == ',')) ++position_;
    if (position_ == text_.size()) return false;
    element.name = read_token();
    if (element.name.empty()) return malformed(element);
    while (true) {
      skip_spaces();
      if (position_ == text_.size() || text_[position_] == ',') return true;
      if (text_[position_] != ';') return malformed(element);
      ++position_;
      skip_spaces();
      extension_parameter parameter;
      parameter.name = read_token();
      if (parameter.name.empty()) return malformed(element);
      skip_spaces();
      if (position_ < text_.size() && text_[position_] == '=') {
        ++position_;
        skip_spaces();
        parameter.has_value = true;
        if (position_ < text_.size() && text_[position_] == '"') {
          parameter.quoted = true;
          if (!read_quoted(parameter.value)) return malformed(element, true);
        } else {
          parameter.value = read_token();
          if (parameter.value.empty()) return malformed(element);
        }
      }
      if (element.parameter_count == extension_element::max_parameters) return malformed(element);
      element.parameters[element.parameter_count++] = parameter;
    }
  }

 private:
  static constexpr bool is_space(char character) noexcept { return character == ' ' || character == '\t'; }

  constexpr void skip_spaces() noexcept {
    while (position_ < text_.size() && is_space(text_[position_])) ++position_;
  }

  constexpr std::string_view read_token() noexcept {
    const std::size_t start = position_;
    while (position_ < text_.size() && is_token_character(text_[position_])) ++position_;
    return text_.substr(start, position_ - start);
  }

  // At the opening quote. qdtext and quoted-pair of RFC 9110 §5.6.4: no control characters.
  constexpr bool read_quoted(std::string_view& value) noexcept {
    const std::size_t start = ++position_;
    while (position_ < text_.size()) {
      const auto character = static_cast<unsigned char>(text_[position_]);
      if (character == '"') {
        value = text_.substr(start, position_ - start);
        ++position_;
        return true;
      }
      if (character == '\\') {
        if (++position_ == text_.size()) return false;
        const auto escaped = static_cast<unsigned char>(text_[position_]);
        if ((escaped < 0x20 && escaped != '\t') || escaped == 0x7F) return false;
      } else if ((character < 0x20 && character != '\t') || character == 0x7F) {
        return false;
      }
      ++position_;
    }
    return false;  // no closing quote
  }

  // Skips to the next comma outside a quoted string: the next element is read from there.
  constexpr bool malformed(extension_element& element, bool inside_quotes = false) noexcept {
    element.well_formed = false;
    bool quoted = inside_quotes;
    for (; position_ < text_.size(); ++position_) {
      const char character = text_[position_];
      if (quoted && character == '\\') {
        ++position_;
      } else if (character == '"') {
        quoted = !quoted;
      } else if (character == ',' && !quoted) {
        break;
      }
    }
    if (position_ > text_.size()) position_ = text_.size();
    return true;
  }

  std::string_view text_;
  std::size_t position_ = 0;
};

}  // namespace asyncrest::detail
