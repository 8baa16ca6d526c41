// The route tree against a plain reference: for any path, the route found must be the one a
// pattern-by-pattern match picks (literal before typed parameter before catch-all, segment by
// segment), with the same parameter values.
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_tree.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <array>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using ar::detail::parameter_type;
using ar::detail::segment_kind;

namespace {

constexpr std::array<std::string_view, 18> table{
    "/",
    "/users",
    "/users/{id:int}",
    "/users/{id:uuid}",
    "/users/{name:str}",
    "/users/{id:int}/posts",
    "/users/{id:int}/posts/{post:int}",
    "/users/me/posts",
    "/users/{name:str}/posts/latest",
    "/files/{rest:path}",
    "/files/readme",
    "/prices/{value:float}",
    "/a/b/c/d",
    "/a/{x:str}/c/{y:str}",
    "/a/b/{z:str}/d",
    "/repos/{owner:str}/{repo:str}/issues/{number:int}",
    "/repos/{owner:str}/{repo:str}/issues",
    "/static/{rest:path}",
};

/// The patterns, each with the rank of its segments: 0 literal, 1 + type for a parameter, 9 the
/// catch-all. Of the patterns that match, the lowest ranks, compared segment by segment, win.
struct reference_route {
  ar::detail::path_pattern pattern;
  std::vector<int> ranks;
};

std::vector<reference_route> build_reference(ar::detail::route_tree& tree) {
  std::vector<reference_route> routes;
  for (std::size_t index = 0; index < table.size(); ++index) {
    reference_route route{ar::detail::parse_path_pattern(table[index]), {}};
    if (route.pattern.error != ar::detail::pattern_error::none) std::abort();
    for (std::size_t position = 0; position < route.pattern.segment_count; ++position) {
      const auto& segment = route.pattern.segments[position];
      route.ranks.push_back(segment.kind == segment_kind::literal     ? 0
                            : segment.kind == segment_kind::catch_all ? 9
                                                                      : 1 + static_cast<int>(segment.type));
    }
    tree.insert(route.pattern, ar::method::get, static_cast<std::uint16_t>(index));
    routes.push_back(std::move(route));
  }
  return routes;
}

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() <= 1) return segments;
  std::string_view rest = path.substr(1);
  for (;;) {
    const std::size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return segments;
}

/// Whether `route` matches: its parameter values, or nothing.
std::optional<std::vector<std::string_view>> matches(const reference_route& route, std::string_view path) {
  const auto segments = split_segments(path);
  std::vector<std::string_view> values;
  const auto& pattern = route.pattern;
  for (std::size_t position = 0; position < pattern.segment_count; ++position) {
    const auto& segment = pattern.segments[position];
    if (segment.kind == segment_kind::catch_all) {
      if (position >= segments.size()) return std::nullopt;  // a catch-all takes at least a segment
      const char* start = segments[position].data();
      values.emplace_back(start, static_cast<std::size_t>(path.data() + path.size() - start));
      return values;
    }
    if (position >= segments.size()) return std::nullopt;
    if (segment.kind == segment_kind::literal) {
      if (segments[position] != segment.text) return std::nullopt;
    } else {
      if (!ar::detail::parameter_accepts(segment.type, segments[position])) return std::nullopt;
      values.push_back(segments[position]);
    }
  }
  if (segments.size() != pattern.segment_count) return std::nullopt;
  return values;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static ar::detail::route_tree tree;
  static const std::vector<reference_route> routes = build_reference(tree);
  std::string path = "/";
  path.append(reinterpret_cast<const char*>(data), size);
  // Percent-decoding and the query are the connection's business, tested there.
  if (path.find_first_of("%?#") != std::string::npos) return 0;

  ar::detail::workspace space;
  const ar::detail::route_match found = tree.match(path, ar::method::get, space);

  std::optional<std::size_t> best;
  std::vector<std::string_view> best_values;
  for (std::size_t index = 0; index < routes.size(); ++index) {
    auto values = matches(routes[index], path);
    if (!values) continue;
    if (!best || routes[index].ranks < routes[*best].ranks) {
      best = index;
      best_values = std::move(*values);
    }
  }
  if (found.found() != best.has_value()) std::abort();
  if (!best) return 0;
  if (found.route != *best) std::abort();
  if (found.parameter_count != best_values.size()) std::abort();
  for (std::size_t index = 0; index < best_values.size(); ++index) {
    if (found.values[index] != best_values[index]) std::abort();
  }
  return 0;
}
