// parse_path_pattern and same_shape: the compile-time parsing of route paths.
#include <asyncrest/server/detail/path_pattern.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace {

using asyncrest::detail::parameter_type;
using asyncrest::detail::parse_path_pattern;
using asyncrest::detail::path_pattern;
using asyncrest::detail::pattern_error;
using asyncrest::detail::same_shape;
using asyncrest::detail::segment_kind;

constexpr pattern_error error_of(std::string_view path) { return parse_path_pattern(path).error; }

// Compile-time checks: parse_path_pattern is constexpr, and routes rely on that.
static_assert(error_of("/") == pattern_error::none);
static_assert(parse_path_pattern("/").segment_count == 0);
static_assert(parse_path_pattern("/users/{id:int}").segment_count == 2);
static_assert(parse_path_pattern("/users/{id:int}").parameter_count == 1);
static_assert(parse_path_pattern("/users/{id:int}").segments[1].type == parameter_type::integer);
static_assert(parse_path_pattern("/users/{id:int}").parameter(0).text == "id");
static_assert(error_of("users") == pattern_error::not_absolute);
static_assert(error_of("/a/{b:path}/c") == pattern_error::catch_all_not_last);
static_assert(same_shape(parse_path_pattern("/a/{x}"), parse_path_pattern("/a/{y}")));
static_assert(!same_shape(parse_path_pattern("/a/{x:int}"), parse_path_pattern("/a/{x:str}")));

std::string many_segments(std::size_t count) {
  std::string path;
  for (std::size_t index = 0; index < count; ++index) path += "/s";
  return path;
}

std::string many_parameters(std::size_t count) {
  std::string path;
  for (std::size_t index = 0; index < count; ++index) path += "/{p" + std::to_string(index) + "}";
  return path;
}

}  // namespace

TEST_CASE("parse_path_pattern: the root path has no segments") {
  const path_pattern root = parse_path_pattern("/");
  CHECK(root.error == pattern_error::none);
  CHECK(root.segment_count == 0);
  CHECK(root.parameter_count == 0);
}

TEST_CASE("parse_path_pattern: literal segments") {
  const path_pattern pattern = parse_path_pattern("/api/v1/users");
  REQUIRE(pattern.error == pattern_error::none);
  REQUIRE(pattern.segment_count == 3);
  CHECK(pattern.parameter_count == 0);
  CHECK(pattern.segments[0].kind == segment_kind::literal);
  CHECK(pattern.segments[0].text == "api");
  CHECK(pattern.segments[1].kind == segment_kind::literal);
  CHECK(pattern.segments[1].text == "v1");
  CHECK(pattern.segments[2].kind == segment_kind::literal);
  CHECK(pattern.segments[2].text == "users");
}

TEST_CASE("parse_path_pattern: every allowed literal character") {
  const path_pattern pattern = parse_path_pattern("/aZ09_-.~!$&'()*+,;=:@");
  REQUIRE(pattern.error == pattern_error::none);
  REQUIRE(pattern.segment_count == 1);
  CHECK(pattern.segments[0].text == "aZ09_-.~!$&'()*+,;=:@");
}

TEST_CASE("parse_path_pattern: a trailing slash is an empty last segment") {
  const path_pattern pattern = parse_path_pattern("/users/");
  REQUIRE(pattern.error == pattern_error::none);
  REQUIRE(pattern.segment_count == 2);
  CHECK(pattern.segments[0].text == "users");
  CHECK(pattern.segments[1].kind == segment_kind::literal);
  CHECK(pattern.segments[1].text == "");
  CHECK_FALSE(same_shape(pattern, parse_path_pattern("/users")));
}

TEST_CASE("parse_path_pattern: an untyped parameter is deduced from the handler") {
  const path_pattern pattern = parse_path_pattern("/users/{name}");
  REQUIRE(pattern.error == pattern_error::none);
  REQUIRE(pattern.segment_count == 2);
  CHECK(pattern.parameter_count == 1);
  CHECK(pattern.segments[1].kind == segment_kind::parameter);
  CHECK(pattern.segments[1].type == parameter_type::deduced);
  CHECK(pattern.segments[1].text == "name");
}

TEST_CASE("parse_path_pattern: typed parameters") {
  struct expectation {
    std::string_view path;
    segment_kind kind;
    parameter_type type;
  };
  const expectation cases[] = {
      {"/x/{v:int}", segment_kind::parameter, parameter_type::integer},
      {"/x/{v:float}", segment_kind::parameter, parameter_type::number},
      {"/x/{v:str}", segment_kind::parameter, parameter_type::string},
      {"/x/{v:uuid}", segment_kind::parameter, parameter_type::uuid},
      {"/x/{v:path}", segment_kind::catch_all, parameter_type::path},
  };
  for (const expectation& expected : cases) {
    CAPTURE(expected.path);
    const path_pattern pattern = parse_path_pattern(expected.path);
    REQUIRE(pattern.error == pattern_error::none);
    REQUIRE(pattern.segment_count == 2);
    CHECK(pattern.parameter_count == 1);
    CHECK(pattern.segments[1].kind == expected.kind);
    CHECK(pattern.segments[1].type == expected.type);
    CHECK(pattern.segments[1].text == "v");
  }
}

TEST_CASE("parse_path_pattern: parameter() walks parameters in path order") {
  const path_pattern pattern = parse_path_pattern("/orgs/{org}/repos/{repo:str}/files/{rest:path}");
  REQUIRE(pattern.error == pattern_error::none);
  CHECK(pattern.segment_count == 6);
  CHECK(pattern.parameter_count == 3);
  CHECK(pattern.parameter(0).text == "org");
  CHECK(pattern.parameter(0).type == parameter_type::deduced);
  CHECK(pattern.parameter(1).text == "repo");
  CHECK(pattern.parameter(1).type == parameter_type::string);
  CHECK(pattern.parameter(2).text == "rest");
  CHECK(pattern.parameter(2).kind == segment_kind::catch_all);
}

TEST_CASE("parse_path_pattern: names may hold digits and '_' after the first character") {
  CHECK(error_of("/{_id}") == pattern_error::none);
  CHECK(error_of("/{user_id2:int}") == pattern_error::none);
  CHECK(parse_path_pattern("/{user_id2:int}").segments[0].text == "user_id2");
}

TEST_CASE("parse_path_pattern: not_absolute") {
  CHECK(error_of("") == pattern_error::not_absolute);
  CHECK(error_of("users") == pattern_error::not_absolute);
  CHECK(error_of("{id}") == pattern_error::not_absolute);
}

TEST_CASE("parse_path_pattern: unbalanced_brace") {
  CHECK(error_of("/{{id}") == pattern_error::unbalanced_brace);
  CHECK(error_of("/{id}}") == pattern_error::unbalanced_brace);
  CHECK(error_of("/{a{b}") == pattern_error::unbalanced_brace);
}

TEST_CASE("parse_path_pattern: empty_name") {
  CHECK(error_of("/{}") == pattern_error::empty_name);
  CHECK(error_of("/{:int}") == pattern_error::empty_name);
}

TEST_CASE("parse_path_pattern: invalid_name") {
  CHECK(error_of("/{1id}") == pattern_error::invalid_name);
  CHECK(error_of("/{user-id}") == pattern_error::invalid_name);
  CHECK(error_of("/{user id}") == pattern_error::invalid_name);
}

TEST_CASE("parse_path_pattern: unknown_type") {
  CHECK(error_of("/{id:integer}") == pattern_error::unknown_type);
  CHECK(error_of("/{id:}") == pattern_error::unknown_type);
  CHECK(error_of("/{id:INT}") == pattern_error::unknown_type);
}

TEST_CASE("parse_path_pattern: partial_segment") {
  CHECK(error_of("/files/x{name}") == pattern_error::partial_segment);
  CHECK(error_of("/files/{name}.txt") == pattern_error::partial_segment);
  CHECK(error_of("/files/{name") == pattern_error::partial_segment);
  CHECK(error_of("/files/name}") == pattern_error::partial_segment);
}

TEST_CASE("parse_path_pattern: catch_all_not_last") {
  CHECK(error_of("/files/{rest:path}/meta") == pattern_error::catch_all_not_last);
  CHECK(error_of("/files/{rest:path}/") == pattern_error::catch_all_not_last);
  CHECK(error_of("/files/{rest:path}") == pattern_error::none);
}

TEST_CASE("parse_path_pattern: duplicate_name") {
  CHECK(error_of("/{id}/{id}") == pattern_error::duplicate_name);
  CHECK(error_of("/{id:int}/x/{id:str}") == pattern_error::duplicate_name);
  CHECK(error_of("/{id}/x/{rest}/{id:path}") == pattern_error::duplicate_name);
  // A literal that happens to spell a parameter's name is no duplicate.
  CHECK(error_of("/id/{id}") == pattern_error::none);
}

TEST_CASE("parse_path_pattern: too_many_segments") {
  CHECK(error_of(many_segments(32)) == pattern_error::none);
  CHECK(parse_path_pattern(many_segments(32)).segment_count == 32);
  CHECK(error_of(many_segments(33)) == pattern_error::too_many_segments);
}

TEST_CASE("parse_path_pattern: too_many_parameters") {
  CHECK(error_of(many_parameters(16)) == pattern_error::none);
  CHECK(parse_path_pattern(many_parameters(16)).parameter_count == 16);
  CHECK(error_of(many_parameters(17)) == pattern_error::too_many_parameters);
}

TEST_CASE("parse_path_pattern: invalid_character") {
  CHECK(error_of("/a%20b") == pattern_error::invalid_character);
  CHECK(error_of("/search?q") == pattern_error::invalid_character);
  CHECK(error_of("/page#top") == pattern_error::invalid_character);
  CHECK(error_of("/with space") == pattern_error::invalid_character);
  CHECK(error_of("/caf\xC3\xA9") == pattern_error::invalid_character);
}

TEST_CASE("same_shape: parameter names aside, the same paths") {
  CHECK(same_shape(parse_path_pattern("/a/{x}"), parse_path_pattern("/a/{y}")));
  CHECK(same_shape(parse_path_pattern("/a/{x:int}/b"), parse_path_pattern("/a/{other:int}/b")));
  CHECK(same_shape(parse_path_pattern("/"), parse_path_pattern("/")));
  CHECK(same_shape(parse_path_pattern("/f/{a:path}"), parse_path_pattern("/f/{b:path}")));

  CHECK_FALSE(same_shape(parse_path_pattern("/a/{x:int}"), parse_path_pattern("/a/{x:float}")));
  CHECK_FALSE(same_shape(parse_path_pattern("/a/{x}"), parse_path_pattern("/a/x")));
  CHECK_FALSE(same_shape(parse_path_pattern("/a/b"), parse_path_pattern("/a/c")));
  CHECK_FALSE(same_shape(parse_path_pattern("/a"), parse_path_pattern("/a/b")));
  CHECK_FALSE(same_shape(parse_path_pattern("/a/{x:str}"), parse_path_pattern("/a/{x:path}")));
  CHECK_FALSE(same_shape(parse_path_pattern("/"), parse_path_pattern("/a")));
}
