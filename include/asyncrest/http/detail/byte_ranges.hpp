// The Range field (RFC 9110 §14.2): which byte ranges of a representation a client asks for,
// resolved against its length, sorted and coalesced.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace asyncrest::detail {

/// A satisfiable range: `first` to `last`, both included, within the representation.
struct byte_range {
  std::uint64_t first = 0;
  std::uint64_t last = 0;

  [[nodiscard]] constexpr std::uint64_t length() const noexcept { return last - first + 1; }
  friend constexpr bool operator==(const byte_range&, const byte_range&) = default;
};

/// What a Range field asks of a representation of a known length.
struct range_request {
  enum class outcome {
    whole,          // no field, another unit, a malformed field or too many ranges: send it all (200)
    partial,        // `ranges` holds at least one satisfiable range (206)
    unsatisfiable,  // every range lies past the end (416)
  };
  outcome result = outcome::whole;
  std::vector<byte_range> ranges{};  // sorted, without overlaps or ranges that touch
};

namespace byte_range_syntax {
[[nodiscard]] constexpr bool is_space(char character) noexcept { return character == ' ' || character == '\t'; }

[[nodiscard]] constexpr std::string_view trimmed(std::string_view text) noexcept {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

/// A run of digits as a number; nothing for an empty run, another character or an overflow.
[[nodiscard]] constexpr std::optional<std::uint64_t> number(std::string_view digits) noexcept {
  if (digits.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (const char digit : digits) {
    if (digit < '0' || digit > '9') return std::nullopt;
    const auto added = static_cast<std::uint64_t>(digit - '0');
    if (value > (std::numeric_limits<std::uint64_t>::max() - added) / 10) return std::nullopt;
    value = value * 10 + added;
  }
  return value;
}
}  // namespace byte_range_syntax

/// Reads `field` (the Range field's value) for a representation of `length` bytes.
///
/// A field that does not parse is ignored, as RFC 9110 §14.2 says, and so is one with more than
/// `most_ranges` ranges: a client that asks for many small pieces of a file costs the server a
/// part head each, for no use a download has. Overlapping and touching ranges are merged (the RFC
/// allows it, §14.2), so no byte is sent twice.
[[nodiscard]] inline range_request parse_range_field(std::string_view field, std::uint64_t length,
                                                     std::size_t most_ranges) {
  using namespace byte_range_syntax;
  range_request answer;
  field = trimmed(field);
  constexpr std::string_view unit = "bytes=";
  if (field.size() < unit.size()) return answer;
  for (std::size_t index = 0; index < unit.size(); ++index) {
    char letter = field[index];
    if (letter >= 'A' && letter <= 'Z') letter = static_cast<char>(letter - 'A' + 'a');
    if (letter != unit[index]) return answer;
  }
  field.remove_prefix(unit.size());

  std::vector<byte_range> satisfiable;
  std::size_t listed = 0;
  while (true) {
    const std::size_t comma = field.find(',');
    const std::string_view spec = trimmed(field.substr(0, comma));
    // Empty list elements are allowed (RFC 9110 §5.6.1), a list without a range is not.
    if (!spec.empty()) {
      if (++listed > most_ranges) return answer;
      const std::size_t dash = spec.find('-');
      if (dash == std::string_view::npos) return range_request{};
      const std::string_view before = spec.substr(0, dash);
      const std::string_view after = spec.substr(dash + 1);
      if (before.empty()) {  // "-N": the last N bytes
        const std::optional<std::uint64_t> suffix = number(after);
        if (!suffix) return range_request{};
        if (*suffix > 0 && length > 0) satisfiable.push_back({length - std::min(*suffix, length), length - 1});
      } else {
        const std::optional<std::uint64_t> first = number(before);
        if (!first) return range_request{};
        std::uint64_t last = std::numeric_limits<std::uint64_t>::max();  // "N-": to the end
        if (!after.empty()) {
          const std::optional<std::uint64_t> given = number(after);
          if (!given || *given < *first) return range_request{};
          last = *given;
        }
        if (*first < length) satisfiable.push_back({*first, std::min(last, length - 1)});
      }
    }
    if (comma == std::string_view::npos) break;
    field.remove_prefix(comma + 1);
  }
  if (listed == 0) return answer;
  if (satisfiable.empty()) {
    answer.result = range_request::outcome::unsatisfiable;
    return answer;
  }
  std::sort(satisfiable.begin(), satisfiable.end(),
            [](const byte_range& left, const byte_range& right) { return left.first < right.first; });
  for (const byte_range& range : satisfiable) {
    if (!answer.ranges.empty() && range.first <= answer.ranges.back().last + 1) {
      answer.ranges.back().last = std::max(answer.ranges.back().last, range.last);
    } else {
      answer.ranges.push_back(range);
    }
  }
  answer.result = range_request::outcome::partial;
  return answer;
}

}  // namespace asyncrest::detail
