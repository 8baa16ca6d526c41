// The route tree's lookup and layout: compiled once into asyncrest::compiled, or included by
// route_tree.hpp when the library is header-only.
#pragma once

#include <asyncrest/server/detail/route_tree.hpp>

namespace asyncrest::detail {

ASYNCREST_DECL route_tree::route_tree() {
  building_.emplace_back();
  lay_out();
}

ASYNCREST_DECL void route_tree::insert(const path_pattern& pattern, method verb, std::uint16_t route_index) {
  add(pattern, verb, route_index);
  lay_out();
}

ASYNCREST_DECL void route_tree::add(const path_pattern& pattern, method verb, std::uint16_t route_index) {
  std::uint32_t current = 0;
  for (std::size_t position = 0; position < pattern.segment_count; ++position) {
    const pattern_segment& segment = pattern.segments[position];
    current = child_for(current, segment);
  }
  building_node& target = building_[current];
  std::uint16_t& slot = target.routes[static_cast<std::size_t>(verb)];
  if (slot != route_match::no_route) throw std::logic_error("asyncrest: two routes share a method and path");
  slot = route_index;
  target.methods |= mask_of(verb);
  all_methods_ |= mask_of(verb);
  remember_if_literal(pattern, current);
}

ASYNCREST_DECL route_match route_tree::match(std::string_view raw_path, method verb, workspace& space) const {
  route_match result;
  // A path that is all literal segments is looked up whole first; the walk, which would find
  // the same node, is still needed when that node lacks the method (a parameter route may take
  // it) or the path is percent-encoded (no literal path holds a '%', so it is never found here).
  if (raw_path.size() + 1 < whole_starts_.size()) {
    const std::uint32_t whole = find_whole(raw_path);
    if (whole != none && settle(nodes_[whole], verb, result)) return result;
    result.allowed = 0;
  }
  const walk state{raw_path.data(), raw_path.data() + raw_path.size(), verb, space, result};
  const char* const first = raw_path.size() > 1 ? raw_path.data() + 1 : nullptr;
  if (!match_from(0, first, state)) result.parameter_count = 0;
  return result;
}

ASYNCREST_DECL std::uint32_t route_tree::child_for(std::uint32_t parent, const pattern_segment& segment) {
  const auto fresh = [this] {
    building_.emplace_back();
    return static_cast<std::uint32_t>(building_.size() - 1);
  };
  switch (segment.kind) {
    case segment_kind::literal: {
      auto& literals = building_[parent].literals;
      auto found = std::lower_bound(literals.begin(), literals.end(), segment.text, literal_before);
      if (found != literals.end() && found->first == segment.text) return found->second;
      const std::size_t at = static_cast<std::size_t>(found - literals.begin());
      const std::uint32_t child = fresh();
      auto& same_literals = building_[parent].literals;  // fresh() may have moved the nodes
      same_literals.insert(same_literals.begin() + static_cast<std::ptrdiff_t>(at), {std::string(segment.text), child});
      return child;
    }
    case segment_kind::parameter: {
      for (const auto& [type, child] : building_[parent].parameters) {
        if (type == segment.type) return child;
      }
      const std::uint32_t child = fresh();
      auto& parameters = building_[parent].parameters;
      parameters.emplace_back(segment.type, child);
      std::stable_sort(parameters.begin(), parameters.end(),
                       [](const auto& left, const auto& right) { return left.first < right.first; });
      return child;
    }
    case segment_kind::catch_all: {
      if (building_[parent].catch_all == none) {
        const std::uint32_t child = fresh();
        building_[parent].catch_all = child;
      }
      return building_[parent].catch_all;
    }
  }
  return parent;
}

ASYNCREST_DECL void route_tree::remember_if_literal(const path_pattern& pattern, std::uint32_t target) {
  std::string whole;
  for (std::size_t position = 0; position < pattern.segment_count; ++position) {
    if (pattern.segments[position].kind != segment_kind::literal) return;
    whole.push_back('/');
    whole.append(pattern.segments[position].text);
  }
  if (whole.empty()) whole.push_back('/');  // the root
  const auto at = std::lower_bound(literal_paths_.begin(), literal_paths_.end(), whole, literal_before);
  if (at != literal_paths_.end() && at->first == whole) return;  // another method of the same path
  literal_paths_.insert(at, {std::move(whole), target});
}

ASYNCREST_DECL void route_tree::lay_out() {
  nodes_.assign(building_.size(), node{});
  edges_.clear();
  length_starts_.clear();
  parameters_.clear();
  routes_.clear();
  text_.clear();
  std::vector<std::uint32_t> order{0};
  std::vector<std::uint32_t> place(building_.size(), none);
  place[0] = 0;
  const auto visit = [&](std::uint32_t child) {
    place[child] = static_cast<std::uint32_t>(order.size());
    order.push_back(child);
  };
  for (std::size_t next = 0; next < order.size(); ++next) {
    const building_node& from = building_[order[next]];
    for (const auto& literal : from.literals) visit(literal.second);
    for (const auto& parameter : from.parameters) visit(parameter.second);
    if (from.catch_all != none) visit(from.catch_all);
  }
  for (std::size_t index = 0; index < order.size(); ++index) {
    const building_node& from = building_[order[index]];
    node& to = nodes_[index];
    to.methods = from.methods;
    if (from.methods != 0) {
      to.routes = static_cast<std::uint32_t>(routes_.size());
      routes_.insert(routes_.end(), from.routes.begin(), from.routes.end());
    }
    if (!from.literals.empty()) {
      const std::size_t longest = from.literals.back().first.size();
      to.literal_limit = static_cast<std::uint32_t>(longest + 1);
      to.by_length = static_cast<std::uint32_t>(length_starts_.size());
      // length_starts_[by_length + n] is the first edge of a literal of length n or more.
      std::size_t literal = 0;
      for (std::size_t length = 0; length <= longest + 1; ++length) {
        while (literal < from.literals.size() && from.literals[literal].first.size() < length) ++literal;
        length_starts_.push_back(static_cast<std::uint32_t>(edges_.size() + literal));
      }
      for (const auto& [text, child] : from.literals) {
        edges_.push_back({head_of(text), place[child], static_cast<std::uint32_t>(text_.size())});
        text_.append(text);
      }
    }
    to.parameters = static_cast<std::uint32_t>(parameters_.size());
    to.parameter_count = static_cast<std::uint8_t>(from.parameters.size());
    for (const auto& [type, child] : from.parameters) parameters_.push_back({type, place[child]});
    if (from.catch_all != none) to.catch_all = place[from.catch_all];
  }
  whole_paths_.clear();
  whole_starts_.clear();
  if (literal_paths_.empty()) return;
  // whole_starts_[n] is the index of the first path of length n or more.
  whole_starts_.assign(literal_paths_.back().first.size() + 2, 0);
  std::size_t path = 0;
  for (std::size_t length = 0; length < whole_starts_.size(); ++length) {
    while (path < literal_paths_.size() && literal_paths_[path].first.size() < length) ++path;
    whole_starts_[length] = static_cast<std::uint32_t>(path);
  }
  for (const auto& [text, target] : literal_paths_) {
    whole_paths_.push_back({tail_of(text), place[target], static_cast<std::uint32_t>(text_.size())});
    text_.append(text);
  }
}

ASYNCREST_DECL std::uint32_t route_tree::find_whole(std::string_view path) const noexcept {
  const whole_path* candidate = whole_paths_.data() + whole_starts_[path.size()];
  const whole_path* const last = whole_paths_.data() + whole_starts_[path.size() + 1];
  if (candidate == last) return none;
  const std::uint64_t tail =
      path.size() >= 8 ? load_word(path.data() + path.size() - 8) : short_word(path.data(), path.size());
  for (; candidate != last; ++candidate) {
    if (candidate->tail == tail &&
        (path.size() <= 8 || std::memcmp(text_.data() + candidate->text, path.data(), path.size() - 8) == 0)) {
      return candidate->node;
    }
  }
  return none;
}

ASYNCREST_DECL std::uint32_t route_tree::find_literal(const node& current, std::string_view segment, const char* lowest,
                                                      const char* highest) const noexcept {
  if (segment.size() >= current.literal_limit) return none;
  const std::uint32_t* const row = length_starts_.data() + current.by_length + segment.size();
  const literal_edge* edge = edges_.data() + row[0];
  const literal_edge* const last = edges_.data() + row[1];
  if (edge == last) return none;
  const std::uint64_t head = segment_head(segment.data(), segment.size(), lowest, highest);
  for (; edge != last; ++edge) {
    if (edge->head == head &&
        (segment.size() <= 8 || same_after_head(segment.data(), text_.data() + edge->text, segment.size()))) {
      return edge->child;
    }
  }
  return none;
}

ASYNCREST_DECL std::string_view route_tree::decoded(std::string_view raw, workspace& space) {
  std::string text;
  text.reserve(raw.size());
  append_percent_decoded(raw, text, false);  // the connection checked that it decodes
  return space.keep(std::move(text));
}

ASYNCREST_DECL bool route_tree::match_from(std::uint32_t index, const char* at, const walk& state) const {
  route_match& result = state.result;
  for (;;) {
    const node& current = nodes_[index];
    if (at == nullptr) return settle(current, state.verb, result);

    const char* stop = find_separator(at, state.begin, state.end);
    const bool encoded = stop != state.end && *stop == '%';
    if (encoded) stop = std::find(stop, state.end, '/');
    const char* const next = stop == state.end ? nullptr : stop + 1;
    std::string_view segment(at, static_cast<std::size_t>(stop - at));
    const char* lowest = state.begin;
    const char* highest = state.end;
    if (encoded) {
      segment = decoded(segment, state.space);
      lowest = segment.data();
      highest = segment.data() + segment.size();
    }

    const bool last_choice = current.parameter_count == 0 && current.catch_all == none;
    const std::uint32_t literal = find_literal(current, segment, lowest, highest);
    if (literal != none) {
      if (last_choice) {  // nothing to come back to: go on without a frame
        index = literal;
        at = next;
        continue;
      }
      const std::size_t count = result.parameter_count;
      if (match_from(literal, next, state)) return true;
      result.parameter_count = count;
    }
    bool descend = false;
    const parameter_edge* const parameters = parameters_.data() + current.parameters;
    for (std::size_t choice = 0; choice < current.parameter_count && result.parameter_count < max_parameters;
         ++choice) {
      const parameter_edge& parameter = parameters[choice];
      if (!parameter_accepts(parameter.type, segment)) continue;
      const std::size_t count = result.parameter_count;
      result.values[result.parameter_count++] = segment;
      if (choice + 1 == current.parameter_count && current.catch_all == none) {
        index = parameter.child;
        at = next;
        descend = true;
        break;
      }
      if (match_from(parameter.child, next, state)) return true;
      result.parameter_count = count;
    }
    if (descend) continue;  // down the last parameter, with nothing to come back to
    if (current.catch_all == none || result.parameter_count == max_parameters) return false;
    std::string_view rest(at, static_cast<std::size_t>(state.end - at));
    if (rest.find('%') != std::string_view::npos) rest = decoded(rest, state.space);
    result.values[result.parameter_count++] = rest;
    return settle(nodes_[current.catch_all], state.verb, result);
  }
}

ASYNCREST_DECL bool route_tree::settle(const node& target, method verb, route_match& result) const {
  result.allowed |= target.methods;
  if (target.routes == none) return false;
  const std::uint16_t* const slots = routes_.data() + target.routes;
  std::uint16_t route = slots[static_cast<std::size_t>(verb)];
  if (route == route_match::no_route && verb == method::head) route = slots[static_cast<std::size_t>(method::get)];
  if (route == route_match::no_route) return false;
  result.route = route;
  return true;
}

}  // namespace asyncrest::detail
