// Header fields: an owning list for responses and a viewing list for requests, both looked up
// without regard to case, as HTTP field names require.
#pragma once

#include <algorithm>
#include <array>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// Compares two field names the way HTTP does: ASCII letters without regard to case.
[[nodiscard]] constexpr bool iequals(std::string_view left, std::string_view right) noexcept {
  if (left.size() != right.size()) return false;
  for (std::size_t index = 0; index < left.size(); ++index) {
    char a = left[index];
    char b = right[index];
    if (a >= 'A' && a <= 'Z') a = static_cast<char>(a + ('a' - 'A'));
    if (b >= 'A' && b <= 'Z') b = static_cast<char>(b + ('a' - 'A'));
    if (a != b) return false;
  }
  return true;
}

namespace detail {
/// A byte-indexed table of the letters, digits and `symbols`: the character classes the
/// request path checks byte by byte (tokens, Host) are lookups rather than comparisons.
consteval std::array<bool, 256> alphanumeric_table_with(std::string_view symbols) {
  std::array<bool, 256> allowed{};
  for (char letter = 'A'; letter <= 'Z'; ++letter) allowed[static_cast<unsigned char>(letter)] = true;
  for (char letter = 'a'; letter <= 'z'; ++letter) allowed[static_cast<unsigned char>(letter)] = true;
  for (char digit = '0'; digit <= '9'; ++digit) allowed[static_cast<unsigned char>(digit)] = true;
  for (const char symbol : symbols) allowed[static_cast<unsigned char>(symbol)] = true;
  return allowed;
}

/// tchar (RFC 9110 §5.6.2), asked once per byte of every field name written. At namespace
/// scope, so that it is not rebuilt on each call.
inline constexpr std::array<bool, 256> token_characters = alphanumeric_table_with("!#$%&'*+-.^_`|~");

/// tchar of RFC 9110 §5.6.2: what field names and methods are made of.
[[nodiscard]] constexpr bool is_token_character(char character) noexcept {
  return token_characters[static_cast<unsigned char>(character)];
}
}  // namespace detail

/// One field of a request, viewing the bytes the connection received.
struct header_view {
  std::string_view name;
  std::string_view value;
};

/// A request's fields in the order received. The views stay valid while the request is handled.
class request_headers {
 public:
  request_headers() = default;
  explicit request_headers(std::span<const header_view> fields) noexcept : fields_(fields) {}

  /// The first field named `name`, if any.
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const header_view& field : fields_) {
      if (iequals(field.name, name)) return field.value;
    }
    return std::nullopt;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return get(name).has_value(); }
  /// How many fields are named `name` (several are allowed for list-valued fields).
  [[nodiscard]] std::size_t count(std::string_view name) const noexcept {
    return static_cast<std::size_t>(std::count_if(fields_.begin(), fields_.end(),
                                                  [&](const header_view& field) { return iequals(field.name, name); }));
  }

  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }

 private:
  std::span<const header_view> fields_;
};

/// The fields of a response, owned. Content-Length, Date and Connection are written by the server
/// and ignored here, so a handler cannot make the framing lie.
class headers {
 public:
  using field = std::pair<std::string, std::string>;

  /// Replaces every field named `name` with one field.
  headers& set(std::string_view name, std::string_view value) {
    for (auto it = fields_.begin(); it != fields_.end(); ++it) {
      if (iequals(it->first, name)) {
        it->second.assign(value);
        fields_.erase(std::remove_if(std::next(it), fields_.end(),
                                     [&](const field& other) { return iequals(other.first, name); }),
                      fields_.end());
        return *this;
      }
    }
    fields_.emplace_back(std::string(name), std::string(value));
    return *this;
  }
  /// Adds a field, keeping any others of the same name (for Set-Cookie and list-valued fields).
  headers& add(std::string_view name, std::string_view value) {
    fields_.emplace_back(std::string(name), std::string(value));
    return *this;
  }
  /// Removes every field named `name`.
  headers& erase(std::string_view name) {
    fields_.erase(
        std::remove_if(fields_.begin(), fields_.end(), [&](const field& other) { return iequals(other.first, name); }),
        fields_.end());
    return *this;
  }
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const field& entry : fields_) {
      if (iequals(entry.first, name)) return std::string_view(entry.second);
    }
    return std::nullopt;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

  [[nodiscard]] auto begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] auto end() const noexcept { return fields_.end(); }
  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }

 private:
  std::vector<field> fields_;
};

}  // namespace asyncrest
