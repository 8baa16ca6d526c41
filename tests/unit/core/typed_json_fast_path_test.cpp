// Typed JSON's fast paths: a document that fits is read On-Demand and must give the value the
// DOM reader gives; one that does not, or that On-Demand cannot vouch for (unknown members,
// duplicates, text after the root, invalid JSON in a member), must get the DOM reader's answer.
// The writer's cursor output and compile-time quoted names must write what json_writer writes.
#include <asyncrest/core/typed_json.hpp>

#include <simdjson.h>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

enum class color { red, green };

struct point {
  std::int32_t x;
  std::uint16_t y;
};

struct drawing {
  std::string title;
  std::optional<std::string> note;
  std::optional<int> layer;
  color stroke;
  bool visible;
  double scale;
  float opacity;
  std::vector<point> points;
  std::vector<bool> flags;
  std::map<std::string, std::vector<int>> groups;
  std::chrono::sys_seconds created;
  std::optional<std::chrono::sys_time<std::chrono::milliseconds>> edited;
};

struct limited {
  std::string name;
  int count;
};

struct odd_member_names {
  int quoted;
  int accented;
  int control;
};

struct tree {
  int value;
  std::vector<tree> children;
};

struct only_optionals {
  std::optional<int> first;
  std::optional<int> second;
};

struct with_any {
  ar::json_value any;
};

struct circle {
  double radius;
};
using shape = std::variant<circle>;
struct with_shape {
  shape outline;
};

}  // namespace

template <>
struct asyncrest::json_fields<limited> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&limited::count>{.minimum = 0, .maximum = 9});
};

template <>
struct asyncrest::json_fields<odd_member_names> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&odd_member_names::quoted>{.name = "say \"hi\""},
                                                  asyncrest::field<&odd_member_names::accented>{.name = "café"},
                                                  asyncrest::field<&odd_member_names::control>{.name = "tab\there"});
};

template <>
struct asyncrest::json_variant_tags<shape> {
  static constexpr std::string_view key = "kind";
  static constexpr std::array<std::string_view, 1> values = {"circle"};
};

namespace {

constexpr std::string_view drawing_text =
    R"({"title":"plan \"A\" \u00e9","note":null,"layer":3,"stroke":"green","visible":true,"scale":1.5,)"
    R"("opacity":0.25,"points":[{"x":-7,"y":65535},{"y":1,"x":2}],"flags":[true,false],)"
    R"("groups":{"a":[1,2],"b/c":[]},"created":"2024-05-01T14:00:00+02:00","edited":"2024-05-01T12:00:00.125Z"})";

/// What the DOM reader makes of `text`, the reference the fast path must match.
template <class Value>
ar::json_read_result<Value> read_through_dom(std::string_view text) {
  simdjson::dom::parser parser;
  simdjson::dom::element document;
  REQUIRE(parser.parse(text.data(), text.size()).get(document) == simdjson::SUCCESS);
  return ar::read_json<Value>(document);
}

/// The fast path's own answer: whether it read `text` itself.
template <class Value>
bool fast_path_reads(std::string_view text) {
  return ar::detail::read_json_on_demand<Value>(text).has_value();
}

template <class Value>
std::vector<ar::json_field_error> errors_of(std::string_view text, ar::json_read_settings settings = {}) {
  ar::json_read_result<Value> read = ar::read_json<Value>(text, settings);
  CHECK_FALSE(read.has_value());
  return read.errors();
}

using error_list = std::vector<ar::json_field_error>;

}  // namespace

TEST_CASE("typed JSON fast path: the types it reads, and those it leaves to the DOM reader") {
  static_assert(ar::detail::on_demand_readable<drawing>());
  static_assert(ar::detail::on_demand_readable<std::vector<point>>());
  static_assert(!ar::detail::on_demand_readable<with_any>());
  static_assert(!ar::detail::on_demand_readable<with_shape>());
  static_assert(!ar::detail::on_demand_readable<tree>(), "a recursive struct never ends the check");

  CHECK(fast_path_reads<drawing>(drawing_text));
  CHECK(fast_path_reads<std::vector<point>>(R"([{"x":1,"y":2}])"));
  CHECK_FALSE(fast_path_reads<with_any>(R"({"any":[1]})"));
  CHECK_FALSE(fast_path_reads<tree>(R"({"value":1,"children":[]})"));
  // Those still read, by the DOM reader.
  CHECK(ar::read_json<with_any>(R"({"any":[1]})").has_value());
  CHECK(ar::read_json<tree>(R"({"value":1,"children":[{"value":2,"children":[]}]})")->children.at(0).value == 2);
}

TEST_CASE("typed JSON fast path: a document that fits gives what the DOM reader gives") {
  const ar::json_read_result<drawing> fast = ar::read_json<drawing>(drawing_text);
  const ar::json_read_result<drawing> reference = read_through_dom<drawing>(drawing_text);
  REQUIRE(fast.has_value());
  REQUIRE(reference.has_value());
  CHECK(ar::to_json(*fast) == ar::to_json(*reference));
  CHECK(fast->title == "plan \"A\" \u00e9");
  CHECK_FALSE(fast->note.has_value());
  CHECK(fast->layer == 3);
  CHECK(fast->stroke == color::green);
  CHECK(fast->points.size() == 2);
  CHECK(fast->points[1].x == 2);
  CHECK(fast->points[0].y == 65535);
  CHECK(fast->flags == std::vector<bool>{true, false});
  CHECK(fast->groups.at("b/c").empty());
  CHECK(fast->created == std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h);
  CHECK(fast->edited == std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 125ms);
}

TEST_CASE("typed JSON fast path: what it cannot vouch for gets the DOM reader's answer") {
  const std::string_view fits = R"({"name":"a","count":1})";
  CHECK(fast_path_reads<limited>(fits));

  SUBCASE("text after the root value is not JSON") {
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":1} x)"));
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":1}})"));
    const error_list errors = errors_of<limited>(R"({"name":"a","count":1} x)");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].pointer.empty());
    CHECK(errors[0].detail.starts_with("not valid JSON"));
  }
  SUBCASE("invalid JSON inside a member nobody reads is still not JSON") {
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":1,"extra":[1,,2]})"));
    const error_list errors = errors_of<limited>(R"({"name":"a","count":1,"extra":[1,,2]})");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].detail.starts_with("not valid JSON"));
  }
  SUBCASE("an unknown member is ignored or refused as the settings say") {
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":1,"extra":2})"));
    CHECK(ar::read_json<limited>(R"({"name":"a","count":1,"extra":2})").has_value());
    CHECK(errors_of<limited>(R"({"name":"a","count":1,"extra":2})",
                             {.unknown_fields = ar::json_unknown_fields::refuse}) ==
          error_list{{"/extra", "unknown field"}});
  }
  SUBCASE("a duplicate, a broken rule, a wrong type and a missing member are all listed") {
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","name":"b","count":1})"));
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":10})"));
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a","count":1.5})"));
    CHECK_FALSE(fast_path_reads<limited>(R"({"name":"a"})"));
    CHECK(errors_of<limited>(R"({"name":1,"name":"b","count":10})") ==
          error_list{{"/name", "expected a string"}, {"/name", "duplicate field"}, {"/count", "must be at most 9"}});
    CHECK(errors_of<limited>(R"({"count":1.5})") ==
          error_list{{"/count", "expected an integer"}, {"/name", "required"}});
  }
  SUBCASE("a number out of its member's range") {
    CHECK_FALSE(fast_path_reads<point>(R"({"x":1,"y":65536})"));
    CHECK_FALSE(fast_path_reads<point>(R"({"x":1,"y":-1})"));
    CHECK(errors_of<point>(R"({"x":2147483648,"y":-1})") ==
          error_list{{"/x", "must be an integer from -2147483648 to 2147483647"},
                     {"/y", "must be an integer from 0 to 65535"}});
  }
}

TEST_CASE("typed JSON writer: names quoted at compile time, and the output grown as it writes") {
  SUBCASE("member names that need escaping are escaped as json_writer escapes them") {
    std::string expected;
    ar::json_writer writer{expected};
    writer.begin_object();
    writer.key("say \"hi\"");
    writer.value(1);
    writer.key("café");
    writer.value(2);
    writer.key("tab\there");
    writer.value(3);
    writer.end_object();
    CHECK(ar::to_json(odd_member_names{1, 2, 3}) == expected);
    CHECK(expected == R"({"say \"hi\"":1,"caf\u00e9":2,"tab\there":3})");
    CHECK(ar::read_json<odd_member_names>(expected).has_value());
  }
  SUBCASE("a value is appended after what the string holds, however long it grows") {
    std::string out = "prefix:";
    limited large{std::string(100'000, 'x'), 1};
    large.name += "\"\n\u00e9";
    ar::write_json(large, out);
    std::string expected = "prefix:";
    ar::json_writer writer{expected};
    writer.begin_object();
    writer.key("name");
    writer.value(large.name);
    writer.key("count");
    writer.value(1);
    writer.end_object();
    CHECK(out == expected);
    CHECK(out.ends_with(R"(xx\"\n\u00e9","count":1})"));
    // The next, smaller value of the type starts from the room the last one took.
    out.clear();
    ar::write_json(limited{"a", 2}, out);
    CHECK(out == R"({"name":"a","count":2})");
  }
  SUBCASE("an empty optional is left out, with the commas right") {
    CHECK(ar::to_json(drawing{}).starts_with(R"({"title":"","stroke":"red","visible":false,"scale":0,)"));
    CHECK(ar::to_json(only_optionals{}) == "{}");
    CHECK(ar::to_json(only_optionals{std::nullopt, 2}) == R"({"second":2})");
    CHECK(ar::to_json(only_optionals{1, 2}) == R"({"first":1,"second":2})");
  }
  SUBCASE("json_value members, variants, non-finite numbers") {
    CHECK(ar::to_json(with_any{ar::json_value{{"a", ar::json_value::array({1, "two"})}}}) ==
          R"({"any":{"a":[1,"two"]}})");
    CHECK(ar::to_json(std::vector<with_any>{{1}, {nullptr}}) == R"([{"any":1},{"any":null}])");
    CHECK(ar::to_json(with_shape{circle{2}}) == R"({"outline":{"kind":"circle","radius":2}})");
    CHECK(ar::to_json(std::vector<double>{std::numeric_limits<double>::infinity(), 0.5}) == "[null,0.5]");
  }
}
