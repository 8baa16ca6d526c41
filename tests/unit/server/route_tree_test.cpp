// route_tree: matching raw paths against the parsed route patterns.
#include <asyncrest/core/method.hpp>
#include <asyncrest/server/detail/path_pattern.hpp>
#include <asyncrest/server/detail/route_tree.hpp>
#include <asyncrest/server/detail/workspace.hpp>

#include <doctest/doctest.h>

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using asyncrest::method;
using asyncrest::detail::mask_of;
using asyncrest::detail::method_mask;
using asyncrest::detail::parse_path_pattern;
using asyncrest::detail::route_match;
using asyncrest::detail::route_tree;

// A path from pieces. (`"literal" + std::string(...)`, a temporary on the right, draws a false
// -Wrestrict error from g++ 12 at -O2.)
std::string joined(std::initializer_list<std::string_view> pieces) {
  std::string path;
  for (const std::string_view piece : pieces) path += piece;
  return path;
}

struct fixture {
  route_tree tree;
  asyncrest::detail::workspace space;

  void add(std::string_view path, method verb, std::uint16_t index) {
    const auto pattern = parse_path_pattern(path);
    REQUIRE(pattern.error == asyncrest::detail::pattern_error::none);
    tree.insert(pattern, verb, index);
  }
  route_match find(std::string_view raw_path, method verb = method::get) { return tree.match(raw_path, verb, space); }
};

constexpr std::string_view uuid = "123e4567-e89b-12d3-a456-426614174000";

}  // namespace

TEST_CASE("route_tree: the root path") {
  fixture routes;
  routes.add("/", method::get, 0);
  routes.add("/a", method::get, 1);

  const route_match root = routes.find("/");
  REQUIRE(root.found());
  CHECK(root.route == 0);
  CHECK(root.parameter_count == 0);

  const route_match a = routes.find("/a");
  REQUIRE(a.found());
  CHECK(a.route == 1);

  CHECK_FALSE(routes.find("/b").found());
  CHECK_FALSE(routes.find("/a/").found());
}

TEST_CASE("route_tree: a literal segment beats a parameter") {
  fixture routes;
  routes.add("/users/{id}", method::get, 0);  // inserted first on purpose
  routes.add("/users/me", method::get, 1);

  const route_match me = routes.find("/users/me");
  REQUIRE(me.found());
  CHECK(me.route == 1);
  CHECK(me.parameter_count == 0);

  const route_match other = routes.find("/users/ada");
  REQUIRE(other.found());
  CHECK(other.route == 0);
  REQUIRE(other.parameter_count == 1);
  CHECK(other.values[0] == "ada");
}

TEST_CASE("route_tree: typed parameters are tried uuid, int, float, then str") {
  fixture routes;
  // Inserted least specific first: the order of declaration must not matter.
  routes.add("/v/{a:str}", method::get, 3);
  routes.add("/v/{a:float}", method::get, 2);
  routes.add("/v/{a:int}", method::get, 1);
  routes.add("/v/{a:uuid}", method::get, 0);

  struct expectation {
    std::string_view path;
    std::uint16_t route;
    std::string_view value;
  };
  const expectation cases[] = {
      {"/v/123e4567-e89b-12d3-a456-426614174000", 0, uuid},
      {"/v/12345678-1234-1234-1234-123456789012", 0, "12345678-1234-1234-1234-123456789012"},
      {"/v/42", 1, "42"},
      {"/v/-7", 1, "-7"},
      {"/v/4.5", 2, "4.5"},
      {"/v/1e3", 2, "1e3"},
      {"/v/-0.25", 2, "-0.25"},
      {"/v/abc", 3, "abc"},
      {"/v/inf", 3, "inf"},
      {"/v/nan", 3, "nan"},
      {"/v/99999999999999999999", 2, "99999999999999999999"},  // too large for int64: a number still
  };
  for (const expectation& expected : cases) {
    CAPTURE(expected.path);
    const route_match match = routes.find(expected.path);
    REQUIRE(match.found());
    CHECK(match.route == expected.route);
    REQUIRE(match.parameter_count == 1);
    CHECK(match.values[0] == expected.value);
  }

  // An empty segment is no str, no number and no uuid.
  const route_match empty = routes.find("/v/");
  CHECK_FALSE(empty.found());
  CHECK(empty.allowed == 0);
}

TEST_CASE("route_tree: a more specific parameter that leads nowhere gives way to the next") {
  fixture routes;
  routes.add("/w/{a:uuid}/x", method::get, 0);
  routes.add("/w/{a:int}/y", method::get, 1);
  routes.add("/w/{a:str}/z", method::get, 2);

  const route_match x = routes.find("/w/123e4567-e89b-12d3-a456-426614174000/x");
  REQUIRE(x.found());
  CHECK(x.route == 0);

  const route_match z = routes.find("/w/123e4567-e89b-12d3-a456-426614174000/z");
  REQUIRE(z.found());
  CHECK(z.route == 2);
  REQUIRE(z.parameter_count == 1);
  CHECK(z.values[0] == uuid);

  const route_match y = routes.find("/w/5/y");
  REQUIRE(y.found());
  CHECK(y.route == 1);
  CHECK(y.values[0] == "5");

  CHECK_FALSE(routes.find("/w/5/x").found());
}

TEST_CASE("route_tree: backtracking from a literal to a parameter") {
  fixture routes;
  routes.add("/users/me/x", method::get, 0);
  routes.add("/users/{id}/y", method::get, 1);

  const route_match literal = routes.find("/users/me/x");
  REQUIRE(literal.found());
  CHECK(literal.route == 0);
  CHECK(literal.parameter_count == 0);

  const route_match backtracked = routes.find("/users/me/y");
  REQUIRE(backtracked.found());
  CHECK(backtracked.route == 1);
  REQUIRE(backtracked.parameter_count == 1);
  CHECK(backtracked.values[0] == "me");

  const route_match neither = routes.find("/users/me/z");
  CHECK_FALSE(neither.found());
  CHECK(neither.allowed == 0);
  CHECK(neither.route == route_match::no_route);
}

TEST_CASE("route_tree: backtracking drops the values of the abandoned branch") {
  fixture routes;
  routes.add("/a/{x:int}/{y:int}/z", method::get, 0);
  routes.add("/a/{x:int}/{y:str}/w", method::get, 1);

  const route_match match = routes.find("/a/1/2/w");
  REQUIRE(match.found());
  CHECK(match.route == 1);
  REQUIRE(match.parameter_count == 2);
  CHECK(match.values[0] == "1");
  CHECK(match.values[1] == "2");
}

TEST_CASE("route_tree: a catch-all takes the rest of the path") {
  fixture routes;
  routes.add("/files/{rest:path}", method::get, 0);

  const route_match empty_rest = routes.find("/files/");
  REQUIRE(empty_rest.found());
  CHECK(empty_rest.route == 0);
  REQUIRE(empty_rest.parameter_count == 1);
  CHECK(empty_rest.values[0] == "");

  const route_match nested = routes.find("/files/a/b");
  REQUIRE(nested.found());
  REQUIRE(nested.parameter_count == 1);
  CHECK(nested.values[0] == "a/b");

  const route_match trailing = routes.find("/files/a/b/");
  REQUIRE(trailing.found());
  CHECK(trailing.values[0] == "a/b/");

  const route_match decoded = routes.find("/files/a%20b/c%2Fd");
  REQUIRE(decoded.found());
  CHECK(decoded.values[0] == "a b/c/d");

  const route_match bare = routes.find("/files");
  CHECK_FALSE(bare.found());
  CHECK(bare.allowed == 0);
}

TEST_CASE("route_tree: literals and parameters beat a catch-all at the same position") {
  fixture routes;
  routes.add("/files/{rest:path}", method::get, 0);
  routes.add("/files/readme", method::get, 1);
  routes.add("/files/{name:str}/meta", method::get, 2);

  CHECK(routes.find("/files/readme").route == 1);
  CHECK(routes.find("/files/x/meta").route == 2);

  const route_match fallback = routes.find("/files/readme/x");
  REQUIRE(fallback.found());
  CHECK(fallback.route == 0);
  REQUIRE(fallback.parameter_count == 1);
  CHECK(fallback.values[0] == "readme/x");

  const route_match deeper = routes.find("/files/x/meta/more");
  REQUIRE(deeper.found());
  CHECK(deeper.route == 0);
  REQUIRE(deeper.parameter_count == 1);
  CHECK(deeper.values[0] == "x/meta/more");
}

TEST_CASE("route_tree: segments are compared percent-decoded") {
  fixture routes;
  routes.add("/users/Ada", method::get, 0);
  routes.add("/users/{name:str}", method::get, 1);

  const route_match literal = routes.find("/users/%41da");
  REQUIRE(literal.found());
  CHECK(literal.route == 0);

  const route_match slash_inside = routes.find("/users/a%2Fb");
  REQUIRE(slash_inside.found());
  CHECK(slash_inside.route == 1);
  REQUIRE(slash_inside.parameter_count == 1);
  CHECK(slash_inside.values[0] == "a/b");

  const route_match space = routes.find("/users/J%C3%B6rg%20M");
  REQUIRE(space.found());
  CHECK(space.route == 1);
  CHECK(space.values[0] == "J\xC3\xB6rg M");

  // An encoded slash does not split the segment.
  CHECK_FALSE(routes.find("/users%2FAda").found());
}

TEST_CASE("route_tree: an int parameter is checked after decoding") {
  fixture routes;
  routes.add("/n/{v:int}", method::get, 0);
  const route_match match = routes.find("/n/%34%32");
  REQUIRE(match.found());
  CHECK(match.values[0] == "42");
  CHECK_FALSE(routes.find("/n/4%2E2").found());
}

TEST_CASE("route_tree: HEAD falls back to GET") {
  fixture routes;
  routes.add("/x", method::get, 0);
  routes.add("/y", method::get, 1);
  routes.add("/y", method::head, 2);
  routes.add("/z", method::post, 3);

  const route_match x = routes.find("/x", method::head);
  REQUIRE(x.found());
  CHECK(x.route == 0);

  const route_match y = routes.find("/y", method::head);
  REQUIRE(y.found());
  CHECK(y.route == 2);  // a route of its own comes first

  const route_match z = routes.find("/z", method::head);
  CHECK_FALSE(z.found());
  CHECK(z.allowed == mask_of(method::post));

  // GET does not fall back to anything.
  CHECK_FALSE(routes.find("/z", method::get).found());
}

TEST_CASE("route_tree: allowed collects the methods of every route whose path matched") {
  fixture routes;
  routes.add("/items", method::get, 0);
  routes.add("/items", method::post, 1);
  routes.add("/items/{id:int}", method::delete_, 2);
  routes.add("/items/special", method::put, 3);

  const route_match wrong_method = routes.find("/items", method::delete_);
  CHECK_FALSE(wrong_method.found());
  CHECK(wrong_method.allowed == static_cast<method_mask>(mask_of(method::get) | mask_of(method::post)));

  const route_match parameter = routes.find("/items/5", method::put);
  CHECK_FALSE(parameter.found());
  CHECK(parameter.allowed == mask_of(method::delete_));

  CHECK(routes.find("/items/abc", method::put).allowed == 0);

  const route_match found = routes.find("/items", method::post);
  REQUIRE(found.found());
  CHECK(found.route == 1);
  CHECK(found.allowed == static_cast<method_mask>(mask_of(method::get) | mask_of(method::post)));
}

TEST_CASE("route_tree: allowed gathers methods across a literal and a parameter branch") {
  fixture routes;
  routes.add("/users/me", method::get, 0);
  routes.add("/users/{id}", method::post, 1);

  const route_match refused = routes.find("/users/me", method::delete_);
  CHECK_FALSE(refused.found());
  CHECK(refused.allowed == static_cast<method_mask>(mask_of(method::get) | mask_of(method::post)));

  const route_match post = routes.find("/users/me", method::post);
  REQUIRE(post.found());
  CHECK(post.route == 1);
  REQUIRE(post.parameter_count == 1);
  CHECK(post.values[0] == "me");
}

TEST_CASE("route_tree: no match") {
  fixture routes;
  routes.add("/a/b", method::get, 0);

  for (const std::string_view path : {"/nothing", "/a", "/a/b/c", "/a/c", "/b"}) {
    CAPTURE(path);
    const route_match match = routes.find(path);
    CHECK_FALSE(match.found());
    CHECK(match.route == route_match::no_route);
    CHECK(match.allowed == 0);
  }
}

TEST_CASE("route_tree: empty segments") {
  fixture routes;
  routes.add("/", method::get, 0);
  routes.add("/a/b", method::get, 1);
  routes.add("/s/{x:str}/t", method::get, 2);
  routes.add("/users", method::get, 3);

  CHECK_FALSE(routes.find("//").found());
  CHECK_FALSE(routes.find("/a//b").found());
  CHECK_FALSE(routes.find("//a/b").found());
  CHECK_FALSE(routes.find("/s//t").found());
  CHECK_FALSE(routes.find("/users/").found());  // a trailing slash is another path

  fixture explicit_empty;
  explicit_empty.add("/a//b", method::get, 0);
  explicit_empty.add("/users/", method::get, 1);
  CHECK(explicit_empty.find("/a//b").route == 0);
  CHECK(explicit_empty.find("/users/").route == 1);
  CHECK_FALSE(explicit_empty.find("/users").found());
  CHECK_FALSE(explicit_empty.find("/a/b").found());
}

TEST_CASE("route_tree: all_methods and duplicate routes") {
  fixture routes;
  CHECK(routes.tree.all_methods() == 0);
  routes.add("/a", method::get, 0);
  routes.add("/b/{x}", method::delete_, 1);
  CHECK(routes.tree.all_methods() == static_cast<method_mask>(mask_of(method::get) | mask_of(method::delete_)));

  CHECK_THROWS_AS(routes.tree.insert(parse_path_pattern("/b/{y}"), method::delete_, 2), std::logic_error);
  // Same path, another method: fine.
  CHECK_NOTHROW(routes.tree.insert(parse_path_pattern("/b/{y}"), method::get, 3));
  CHECK(routes.find("/b/q").route == 3);
  CHECK(routes.find("/b/q", method::delete_).route == 1);
}

TEST_CASE("route_tree: mask_of") {
  CHECK(mask_of(method::get) == 0x01);
  CHECK(mask_of(method::head) == 0x02);
  CHECK(mask_of(method::post) == 0x04);
  CHECK(mask_of(method::options) == 0x40);
}

TEST_CASE("is_integer_text") {
  for (const std::string_view text : {"0", "7", "-12", "9223372036854775807", "-9223372036854775808", "007"}) {
    CAPTURE(text);
    CHECK(asyncrest::detail::is_integer_text(text));
  }
  for (const std::string_view text :
       {"", "-", "+1", "1.0", "1e3", " 1", "1 ", "12a", "0x10", "18446744073709551616", "inf"}) {
    CAPTURE(text);
    CHECK_FALSE(asyncrest::detail::is_integer_text(text));
  }
}

TEST_CASE("is_number_text") {
  for (const std::string_view text :
       {"0", "-1", "1.5", "-1.5", ".5", "1.", "1e10", "-2.5E-3", "99999999999999999999"}) {
    CAPTURE(text);
    CHECK(asyncrest::detail::is_number_text(text));
  }
  for (const std::string_view text : {"", "-", ".", "inf", "-inf", "infinity", "INF", "nan", "NaN", "-nan", "+1", "1e",
                                      "0x10", "1,5", " 1", "1 ", "abc"}) {
    CAPTURE(text);
    CHECK_FALSE(asyncrest::detail::is_number_text(text));
  }
}

TEST_CASE("is_uuid_text") {
  CHECK(asyncrest::detail::is_uuid_text(uuid));
  CHECK(asyncrest::detail::is_uuid_text("123E4567-E89B-12D3-A456-426614174000"));
  CHECK(asyncrest::detail::is_uuid_text("00000000-0000-0000-0000-000000000000"));

  CHECK_FALSE(asyncrest::detail::is_uuid_text(""));
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567-e89b-12d3-a456-42661417400"));    // 35 characters
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567-e89b-12d3-a456-4266141740000"));  // 37 characters
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567-e89b-12d3-a456-42661417400g"));   // not hex
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567e-89b-12d3-a456-426614174000"));   // dash moved
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567-e89b-12d3-a456_426614174000"));   // '_' for '-'
  CHECK_FALSE(asyncrest::detail::is_uuid_text("123e4567ae89bb12d3ba456b426614174000"));   // no dashes
}

TEST_CASE("route_tree: paths without parameters are found whole, and fall back to the walk") {
  fixture routes;
  // Same lengths with different bytes, and nested literal paths: the whole-path table is
  // ordered by length, then bytes.
  const std::string_view paths[] = {"/ab", "/aa", "/ba", "/a/b", "/a", "/b/a", "/abc/def", "/abd/def", "/"};
  std::uint16_t index = 0;
  for (const std::string_view path : paths) routes.add(path, method::get, index++);
  routes.add("/a/{name}", method::post, index);

  index = 0;
  for (const std::string_view path : paths) {
    CAPTURE(path);
    const route_match found = routes.find(path);
    REQUIRE(found.found());
    CHECK(found.route == index++);
  }
  CHECK_FALSE(routes.find("/ac").found());
  CHECK_FALSE(routes.find("/abc/deg").found());

  // /a/b has no POST of its own: the walk finds the parameter route behind it.
  const route_match post = routes.find("/a/b", method::post);
  REQUIRE(post.found());
  CHECK(post.route == index);
  CHECK(post.values[0] == "b");
  // No DELETE anywhere: both routes' methods are reported for the 405.
  const route_match none = routes.find("/a/b", method::delete_);
  CHECK_FALSE(none.found());
  CHECK(none.allowed == (mask_of(method::get) | mask_of(method::post)));
  // Percent-encoded paths take the walk, which decodes.
  const route_match encoded = routes.find("/a%2Fb");
  CHECK_FALSE(encoded.found());
  const route_match decoded = routes.find("/%61b");
  REQUIRE(decoded.found());
  CHECK(decoded.route == 0);
}

TEST_CASE("route_tree: literal children of the same length told apart by any byte") {
  // Literals are compared by length, then their first eight bytes, then the rest: these share
  // lengths, first bytes and first eight bytes, and differ in the last byte of a word or past it.
  fixture routes;
  std::deque<std::string> kept;  // the patterns view these while they are inserted
  const std::string_view names[] = {"a",
                                    "b",
                                    "ab",
                                    "ba",
                                    "abcdefg",
                                    "abcdefh",
                                    "abcdefgh",
                                    "abcdefgi",
                                    "bbcdefgh",
                                    "abcdefghi",
                                    "abcdefghj",
                                    "abcdefghijklmnop",
                                    "abcdefghijklmnoq",
                                    "xbcdefghijklmnop",
                                    "abcdefghijklmnopq",
                                    "abcdefghijklmnopr",
                                    "abcdefghXjklmnopq",
                                    ""};
  std::uint16_t index = 0;
  for (const std::string_view name : names) {
    routes.add(kept.emplace_back(joined({"/x/", name, "/y"})), method::get, index);
    routes.add(kept.emplace_back(joined({"/", name})), method::get, static_cast<std::uint16_t>(100 + index));
    ++index;
  }
  index = 0;
  for (const std::string_view name : names) {
    CAPTURE(name);
    const std::string nested = joined({"/x/", name, "/y"});
    CHECK(routes.find(nested).route == index);
    const std::string alone = joined({"/", name});
    CHECK(routes.find(alone).route == 100 + index);
    ++index;
  }
  for (const std::string_view missing : {"c", "abcdef", "abcdefgj", "abcdefghk", "abcdefghijklmnoz",
                                         "abcdefghijklmnopqr", "Abcdefghijklmnop", "abcdefghijklmno"}) {
    CAPTURE(missing);
    CHECK_FALSE(routes.find(joined({"/x/", missing, "/y"})).found());
    CHECK_FALSE(routes.find(joined({"/", missing})).found());
  }
}

TEST_CASE("route_tree: long literal segments and paths") {
  fixture routes;
  const std::string long_segment(300, 'a');
  std::string other_segment = long_segment;
  other_segment[150] = 'b';
  const std::string first = "/" + long_segment + "/{id}";
  const std::string second = "/" + other_segment + "/{id}";
  const std::string whole = "/" + long_segment;
  routes.add(first, method::get, 0);
  routes.add(second, method::get, 1);
  routes.add(whole, method::get, 2);

  const std::string path = "/" + long_segment + "/7";  // the values view it
  const route_match found = routes.find(path);
  REQUIRE(found.found());
  CHECK(found.route == 0);
  CHECK(found.values[0] == "7");
  CHECK(routes.find("/" + other_segment + "/7").route == 1);
  CHECK(routes.find(whole).route == 2);

  std::string near = whole;
  near[1] = 'b';  // the last eight bytes alike: the whole path differs early on
  CHECK_FALSE(routes.find(near).found());
  CHECK_FALSE(routes.find(joined({"/", std::string_view(long_segment).substr(1), "b/7"})).found());
}

TEST_CASE("route_tree: separators found anywhere in a word") {
  // The path is searched for '/' and '%' eight bytes at a time, and its last bytes within the
  // word that ends it: put them at every offset.
  fixture routes;
  routes.add("/{a}/{b}", method::get, 0);
  routes.add("/{a}", method::get, 1);
  for (std::size_t first = 0; first < 20; ++first) {
    for (std::size_t second = 0; second < 12; ++second) {
      const std::string a(first, 'p');
      const std::string b(second, 'q');
      CAPTURE(first);
      CAPTURE(second);
      const std::string path = "/" + a + "/" + b;  // the values view it
      const route_match two = routes.find(path);
      REQUIRE(two.found());
      CHECK(two.route == 0);
      CHECK(two.values[0] == a);
      CHECK(two.values[1] == b);

      const route_match encoded = routes.find("/" + a + "%2F" + b);
      REQUIRE(encoded.found());
      CHECK(encoded.route == 1);
      CHECK(encoded.values[0] == a + "/" + b);
    }
  }
}

TEST_CASE("route_tree: sixteen parameters, and a catch-all after them") {
  fixture routes;
  const std::string sixteen = "/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{p}";
  routes.add(sixteen, method::get, 0);
  routes.add("/{a}/{b}/{c}/{d}/{e}/{f}/{g}/{h}/{i}/{j}/{k}/{l}/{m}/{n}/{o}/{rest:path}", method::get, 1);
  const route_match all = routes.find("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16");
  REQUIRE(all.found());
  CHECK(all.route == 0);
  REQUIRE(all.parameter_count == 16);
  CHECK(all.values[15] == "16");
  const route_match rest = routes.find("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17");
  REQUIRE(rest.found());
  CHECK(rest.route == 1);
  REQUIRE(rest.parameter_count == 16);
  CHECK(rest.values[15] == "16/17");
  const route_match none = routes.find("/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/17/18/19");
  CHECK(none.found() == true);  // the catch-all takes any depth
  CHECK(routes.find("/1/2").found() == false);
  CHECK(routes.find("/1/2").parameter_count == 0);
}

TEST_CASE("route_tree: routes add()ed are matched once prepared") {
  fixture routes;
  routes.add("/a", method::get, 0);
  routes.tree.add(parse_path_pattern("/b/{x}"), method::get, 1);
  routes.tree.add(parse_path_pattern("/c"), method::post, 2);
  CHECK(routes.find("/a").route == 0);
  CHECK_FALSE(routes.find("/b/1").found());
  CHECK(routes.tree.all_methods() == static_cast<method_mask>(mask_of(method::get) | mask_of(method::post)));

  routes.tree.prepare();
  CHECK(routes.find("/a").route == 0);
  CHECK(routes.find("/b/1").route == 1);
  CHECK(routes.find("/c", method::post).route == 2);
}
