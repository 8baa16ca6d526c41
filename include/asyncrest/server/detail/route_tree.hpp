// The matching structure built from the routes' compile-time patterns: a tree of path segments
// walked once per request, literal children before typed parameters before catch-alls.
#pragma once

#include <asyncrest/core/detail/byte_words.hpp>
#include <asyncrest/core/detail/config.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <charconv>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

using method_mask = std::uint8_t;

[[nodiscard]] constexpr method_mask mask_of(method value) noexcept {
  return static_cast<method_mask>(1u << static_cast<unsigned>(value));
}

struct route_match {
  static constexpr std::uint16_t no_route = 0xFFFF;
  std::uint16_t route = no_route;
  method_mask allowed = 0;  // methods of every route whose path matched, for 405 and OPTIONS
  std::size_t parameter_count = 0;
  std::array<std::string_view, max_parameters> values{};

  [[nodiscard]] bool found() const noexcept { return route != no_route; }
};

/// An integer that fits std::int64_t or std::uint64_t; the handler's own type is checked when
/// the value is converted.
[[nodiscard]] inline bool is_integer_text(std::string_view text) noexcept {
  const char* const end = text.data() + text.size();
  std::int64_t value = 0;
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (error == std::errc{} && stop == end) return true;
  std::uint64_t unsigned_value = 0;
  const auto [unsigned_stop, unsigned_error] = std::from_chars(text.data(), end, unsigned_value);
  return unsigned_error == std::errc{} && unsigned_stop == end;
}

[[nodiscard]] inline bool is_number_text(std::string_view text) noexcept {
  if (text.empty()) return false;
  // from_chars also reads "inf" and "nan", which are no numbers in a URL.
  const char first = text[0] == '-' ? (text.size() > 1 ? text[1] : '\0') : text[0];
  if (!((first >= '0' && first <= '9') || first == '.')) return false;
  double value = 0;
  const char* const end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  return error == std::errc{} && stop == end;
}

[[nodiscard]] inline bool is_uuid_text(std::string_view text) noexcept {
  if (text.size() != 36) return false;
  for (std::size_t index = 0; index < text.size(); ++index) {
    const bool dash_position = index == 8 || index == 13 || index == 18 || index == 23;
    if (dash_position ? text[index] != '-' : hex_digit_value(text[index]) < 0) return false;
  }
  return true;
}

[[nodiscard]] inline bool parameter_accepts(parameter_type type, std::string_view value) noexcept {
  switch (type) {
    case parameter_type::uuid: return is_uuid_text(value);
    case parameter_type::integer: return is_integer_text(value);
    case parameter_type::number: return is_number_text(value);
    case parameter_type::string: return !value.empty();
    case parameter_type::path:
    case parameter_type::deduced: return true;
  }
  return false;
}

class route_tree {
 public:
  route_tree();

  /// Adds a route, ready for match(); a second route with the same method and shape is a
  /// programming error that `routes(...)` already rejects at compile time.
  void insert(const path_pattern& pattern, method verb, std::uint16_t route_index);

  /// Adds a route, not yet seen by match(): for many routes, add() each, then prepare() once
  /// (insert() lays the whole tree out each time).
  void add(const path_pattern& pattern, method verb, std::uint16_t route_index);

  /// Makes the routes add()ed so far seen by match().
  void prepare() { lay_out(); }

  /// Finds the route for `verb` and `raw_path` (percent-encoded, already checked to decode).
  /// HEAD falls back to GET. Decoded segments are kept in `space`.
  [[nodiscard]] route_match match(std::string_view raw_path, method verb, workspace& space) const;

  /// Every method some route declares.
  [[nodiscard]] method_mask all_methods() const noexcept { return all_methods_; }

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFF;
  static constexpr bool little_endian = std::endian::native == std::endian::little;

  // The tree as routes are added: easy to grow, and laid out in the flat form below by lay_out().
  struct building_node {
    std::vector<std::pair<std::string, std::uint32_t>> literals;       // by length, then bytes
    std::vector<std::pair<parameter_type, std::uint32_t>> parameters;  // most specific first
    std::uint32_t catch_all = none;
    std::array<std::uint16_t, method_count> routes = filled_routes();
    method_mask methods = 0;

    static constexpr std::array<std::uint16_t, method_count> filled_routes() {
      std::array<std::uint16_t, method_count> slots{};
      slots.fill(route_match::no_route);
      return slots;
    }
  };

  // The tree a lookup walks: nodes, edges and texts each in one array, children of a node side
  // by side, so that a lookup touches few cache lines and never follows a pointer.
  struct node {
    std::uint32_t by_length = 0;      // where this node's row begins in length_starts_
    std::uint32_t literal_limit = 0;  // one more than the longest literal child's length; 0 if none
    std::uint32_t parameters = 0;     // the first of parameter_count entries in parameters_
    std::uint32_t catch_all = none;
    std::uint32_t routes = none;  // the row of method_count route indexes in routes_, if any
    std::uint8_t parameter_count = 0;
    method_mask methods = 0;
  };

  // A literal child: its length is known from its place in the node's length row. `head` holds
  // the first eight bytes (fewer, zero-filled, for a shorter literal), so most candidates are
  // told apart by one comparison; the bytes past those are compared only for a longer one.
  struct literal_edge {
    std::uint64_t head = 0;
    std::uint32_t child = 0;
    std::uint32_t text = 0;  // where the whole literal is in text_
  };

  struct parameter_edge {
    parameter_type type = parameter_type::deduced;
    std::uint32_t child = 0;
  };

  // A path of a route without parameters; length known from its place, as for literal_edge.
  struct whole_path {
    std::uint64_t tail = 0;  // the last eight bytes (the whole path, zero-filled, if shorter)
    std::uint32_t node = 0;
    std::uint32_t text = 0;
  };

  // What stays the same during one lookup.
  struct walk {
    const char* begin;  // the raw path
    const char* end;
    method verb;
    workspace& space;
    route_match& result;
  };

  std::uint32_t child_for(std::uint32_t parent, const pattern_segment& segment);

  // Adds the whole path of a pattern made only of literal segments to literal_paths_.
  void remember_if_literal(const path_pattern& pattern, std::uint32_t target);

  // Literals are ordered by length first, as the compiled rows want them.
  static bool literal_before(const std::pair<std::string, std::uint32_t>& entry, std::string_view text) noexcept {
    if (entry.first.size() != text.size()) return entry.first.size() < text.size();
    return !text.empty() && std::memcmp(entry.first.data(), text.data(), text.size()) < 0;
  }

  // Lays the tree out again in the flat arrays match() reads, breadth first.
  void lay_out();

  // The first eight bytes of `text`, zero-filled: what literal_edge::head holds.
  static std::uint64_t head_of(std::string_view text) noexcept {
    if (text.size() >= 8) return load_word(text.data());
    return short_word(text.data(), text.size());
  }

  // The last eight bytes of `text`, zero-filled: what whole_path::tail holds.
  static std::uint64_t tail_of(std::string_view text) noexcept {
    if (text.size() >= 8) return load_word(text.data() + text.size() - 8);
    return short_word(text.data(), text.size());
  }

  // Fewer than eight bytes as the low bytes of a word, as a little-endian load would place them.
  static std::uint64_t short_word(const char* at, std::size_t size) noexcept {
    std::uint64_t word = 0;
    for (std::size_t index = 0; index < size; ++index) {
      word |= static_cast<std::uint64_t>(static_cast<unsigned char>(at[index])) << (8 * index);
    }
    return word;
  }

  // head_of(segment), reading whole words where [lowest, highest) allows it.
  static std::uint64_t segment_head(const char* at, std::size_t size, const char* lowest,
                                    const char* highest) noexcept {
    if (size >= 8) return load_word(at);
    if (size == 0) return 0;
    if constexpr (little_endian) {
      const std::uint64_t mask = (std::uint64_t{1} << (8 * size)) - 1;
      if (highest - at >= 8) return load_word(at) & mask;
      if (highest - lowest >= 8) return (load_word(highest - 8) >> (8 * (at - (highest - 8)))) & mask;
    }
    return short_word(at, size);
  }

  // Whether the `size` bytes at `left` and `right` are the same, given that the first eight are.
  static bool same_after_head(const char* left, const char* right, std::size_t size) noexcept {
    std::size_t index = 8;
    for (; index + 8 <= size; index += 8) {
      if (load_word(left + index) != load_word(right + index)) return false;
    }
    // The remaining bytes, read as the word that ends them (overlapping ones already compared).
    return index == size || load_word(left + size - 8) == load_word(right + size - 8);
  }

  // The bytes of `word` that are '/' or '%' flagged: a borrow flags bytes only above a true one,
  // so the lowest flag is exact.
  static constexpr std::uint64_t separators(std::uint64_t word) noexcept {
    return bytes_equal(word, '/') | bytes_equal(word, '%');
  }

  // The first '/' or '%' from `at` on, or `end`; eight bytes at a time.
  static const char* find_separator(const char* at, const char* begin, const char* end) noexcept {
    if constexpr (little_endian) {
      for (; end - at >= 8; at += 8) {
        const std::uint64_t found = separators(load_word(at));
        if (found != 0) return at + std::countr_zero(found) / 8;
      }
      if (at == end) return end;
      if (end - begin >= 8) {
        // The last bytes, as part of the word that ends the path; earlier bytes shifted out.
        const std::uint64_t found = separators(load_word(end - 8) >> (8 * (at - (end - 8))));
        const std::size_t ahead = found == 0 ? 8 : static_cast<std::size_t>(std::countr_zero(found) / 8);
        return ahead < static_cast<std::size_t>(end - at) ? at + ahead : end;
      }
    }
    while (at != end && *at != '/' && *at != '%') ++at;
    return at;
  }

  std::uint32_t find_whole(std::string_view path) const noexcept;

  // The literal child of `current` named `segment`, or none.
  std::uint32_t find_literal(const node& current, std::string_view segment, const char* lowest,
                             const char* highest) const noexcept;

  static std::string_view decoded(std::string_view raw, workspace& space);

  // Tries literal, then typed parameters, then the catch-all, backtracking on a dead end. `at` is
  // where the next segment begins, or nullptr after the last one. A branch that fails may leave
  // values behind: each caller restores the count it had.
  bool match_from(std::uint32_t index, const char* at, const walk& state) const;

  bool settle(const node& target, method verb, route_match& result) const;

  std::vector<building_node> building_;
  // The paths of routes without parameters, whole, by length then bytes, with their nodes.
  std::vector<std::pair<std::string, std::uint32_t>> literal_paths_;

  std::vector<node> nodes_;
  std::vector<literal_edge> edges_;           // each node's literal children, by length
  std::vector<std::uint32_t> length_starts_;  // per node, where each length begins in edges_
  std::vector<parameter_edge> parameters_;
  std::vector<std::uint16_t> routes_;        // method_count route indexes per node with routes
  std::vector<whole_path> whole_paths_;      // literal_paths_, compiled
  std::vector<std::uint32_t> whole_starts_;  // where each length begins in whole_paths_
  std::string text_;                         // the literals' and whole paths' bytes
  method_mask all_methods_ = 0;
};

}  // namespace asyncrest::detail

#if !defined(ASYNCREST_SEPARATE_COMPILATION)
#include <asyncrest/server/detail/impl/route_tree.ipp>
#endif
