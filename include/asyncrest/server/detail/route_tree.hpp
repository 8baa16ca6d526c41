// The matching structure built from the routes' compile-time patterns: a tree of path segments
// walked once per request, literal children before typed parameters before catch-alls.
#pragma once

#include <asyncrest/core/method.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <algorithm>
#include <array>
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
  route_tree() { nodes_.emplace_back(); }

  /// Adds a route; a second route with the same method and shape is a programming error that
  /// `routes(...)` already rejects at compile time.
  void insert(const path_pattern& pattern, method verb, std::uint16_t route_index) {
    std::uint32_t current = 0;
    for (std::size_t position = 0; position < pattern.segment_count; ++position) {
      const pattern_segment& segment = pattern.segments[position];
      current = child_for(current, segment);
    }
    node& target = nodes_[current];
    std::uint16_t& slot = target.routes[static_cast<std::size_t>(verb)];
    if (slot != route_match::no_route) throw std::logic_error("asyncrest: two routes share a method and path");
    slot = route_index;
    target.methods |= mask_of(verb);
    all_methods_ |= mask_of(verb);
    remember_if_literal(pattern, current);
  }

  /// Finds the route for `verb` and `raw_path` (percent-encoded, already checked to decode).
  /// HEAD falls back to GET. Decoded segments are kept in `space`.
  [[nodiscard]] route_match match(std::string_view raw_path, method verb, workspace& space) const {
    route_match result;
    const bool encoded = raw_path.find('%') != std::string_view::npos;
    // A path that is all literal segments is looked up whole first; the walk, which would find
    // the same node, is still needed when that node lacks the method (a parameter route may take
    // it) or the path is percent-encoded.
    if (!encoded && raw_path.size() + 1 < length_starts_.size()) {
      // Only the paths of the same length are searched; for most lengths there are none.
      const auto first = literal_paths_.begin() + length_starts_[raw_path.size()];
      const auto last = literal_paths_.begin() + length_starts_[raw_path.size() + 1];
      const auto found = std::lower_bound(first, last, raw_path, literal_path_before);
      if (found != last && found->first == raw_path && settle(nodes_[found->second], verb, result)) return result;
      result = route_match{};
    }
    std::string_view rest = raw_path.size() > 1 ? raw_path.substr(1) : std::string_view{};
    const bool has_segment = raw_path.size() > 1;
    match_from(0, rest, has_segment, encoded, verb, space, result);
    return result;
  }

  /// Every method some route declares.
  [[nodiscard]] method_mask all_methods() const noexcept { return all_methods_; }

 private:
  static constexpr std::uint32_t none = 0xFFFFFFFF;

  struct node {
    std::vector<std::pair<std::string_view, std::uint32_t>> literals;  // by length, then bytes
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

  std::uint32_t child_for(std::uint32_t parent, const pattern_segment& segment) {
    const auto fresh = [this] {
      nodes_.emplace_back();
      return static_cast<std::uint32_t>(nodes_.size() - 1);
    };
    switch (segment.kind) {
      case segment_kind::literal: {
        auto& literals = nodes_[parent].literals;
        auto found = std::lower_bound(literals.begin(), literals.end(), segment.text, literal_before);
        if (found != literals.end() && found->first == segment.text) return found->second;
        const std::size_t at = static_cast<std::size_t>(found - literals.begin());
        const std::uint32_t child = fresh();
        auto& same_literals = nodes_[parent].literals;  // fresh() may have moved the nodes
        same_literals.insert(same_literals.begin() + static_cast<std::ptrdiff_t>(at), {segment.text, child});
        return child;
      }
      case segment_kind::parameter: {
        for (const auto& [type, child] : nodes_[parent].parameters) {
          if (type == segment.type) return child;
        }
        const std::uint32_t child = fresh();
        auto& parameters = nodes_[parent].parameters;
        parameters.emplace_back(segment.type, child);
        std::stable_sort(parameters.begin(), parameters.end(),
                         [](const auto& left, const auto& right) { return left.first < right.first; });
        return child;
      }
      case segment_kind::catch_all: {
        if (nodes_[parent].catch_all == none) {
          const std::uint32_t child = fresh();
          nodes_[parent].catch_all = child;
        }
        return nodes_[parent].catch_all;
      }
    }
    return parent;
  }

  // Adds the whole path of a pattern made only of literal segments to literal_paths_.
  void remember_if_literal(const path_pattern& pattern, std::uint32_t target) {
    std::string whole;
    for (std::size_t position = 0; position < pattern.segment_count; ++position) {
      if (pattern.segments[position].kind != segment_kind::literal) return;
      whole.push_back('/');
      whole.append(pattern.segments[position].text);
    }
    if (whole.empty()) whole.push_back('/');  // the root
    const auto at = std::lower_bound(literal_paths_.begin(), literal_paths_.end(), whole, literal_path_before);
    if (at != literal_paths_.end() && at->first == whole) return;  // another method of the same path
    literal_paths_.insert(at, {std::move(whole), target});
    // length_starts_[n] is the index of the first path of length n or more.
    length_starts_.assign(literal_paths_.back().first.size() + 2, 0);
    std::size_t index = 0;
    for (std::size_t length = 0; length < length_starts_.size(); ++length) {
      while (index < literal_paths_.size() && literal_paths_[index].first.size() < length) ++index;
      length_starts_[length] = static_cast<std::uint32_t>(index);
    }
  }

  static bool literal_path_before(const std::pair<std::string, std::uint32_t>& entry, std::string_view text) noexcept {
    return literal_before({entry.first, entry.second}, text);
  }

  // Literals are ordered by length first: most comparisons in a lookup are then settled by the
  // lengths, without comparing bytes.
  static bool literal_before(const std::pair<std::string_view, std::uint32_t>& entry, std::string_view text) noexcept {
    if (entry.first.size() != text.size()) return entry.first.size() < text.size();
    return !text.empty() && std::memcmp(entry.first.data(), text.data(), text.size()) < 0;
  }

  static std::string_view decoded(std::string_view raw, bool encoded, workspace& space) {
    if (!encoded || raw.find('%') == std::string_view::npos) return raw;
    std::string text;
    text.reserve(raw.size());
    append_percent_decoded(raw, text, false);  // the connection checked that it decodes
    return space.keep(std::move(text));
  }

  // Tries literal, then typed parameters, then the catch-all, backtracking on a dead end.
  bool match_from(std::uint32_t index, std::string_view rest, bool has_segment, bool encoded, method verb,
                  workspace& space, route_match& result) const {
    const node& current = nodes_[index];
    if (!has_segment) return settle(current, verb, result);

    const std::size_t slash = rest.find('/');
    const std::string_view raw_segment = rest.substr(0, slash);
    const std::string_view after = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    const bool more = slash != std::string_view::npos;
    const std::string_view segment = decoded(raw_segment, encoded, space);

    if (!current.literals.empty()) {
      auto found = std::lower_bound(current.literals.begin(), current.literals.end(), segment, literal_before);
      if (found != current.literals.end() && found->first == segment &&
          match_from(found->second, after, more, encoded, verb, space, result)) {
        return true;
      }
    }
    for (const auto& [type, child] : current.parameters) {
      if (!parameter_accepts(type, segment) || result.parameter_count == max_parameters) continue;
      result.values[result.parameter_count++] = segment;
      if (match_from(child, after, more, encoded, verb, space, result)) return true;
      --result.parameter_count;
    }
    if (current.catch_all != none && result.parameter_count < max_parameters) {
      result.values[result.parameter_count++] = decoded(rest, encoded, space);
      if (settle(nodes_[current.catch_all], verb, result)) return true;
      --result.parameter_count;
    }
    return false;
  }

  static bool settle(const node& target, method verb, route_match& result) {
    result.allowed |= target.methods;
    std::uint16_t route = target.routes[static_cast<std::size_t>(verb)];
    if (route == route_match::no_route && verb == method::head) {
      route = target.routes[static_cast<std::size_t>(method::get)];
    }
    if (route == route_match::no_route) return false;
    result.route = route;
    return true;
  }

  std::vector<node> nodes_;
  // The paths of routes without parameters, whole, by length then bytes, with their nodes.
  std::vector<std::pair<std::string, std::uint32_t>> literal_paths_;
  std::vector<std::uint32_t> length_starts_;  // where each length begins in literal_paths_
  method_mask all_methods_ = 0;
};

}  // namespace asyncrest::detail
