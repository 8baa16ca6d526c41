// Typed JSON: round trips of every supported member type; every error reported at once with its
// JSON Pointer; integer ranges, enums, tagged variants, RFC 3339, renames, constraints, unknown
// fields, pointer escaping, and the limit on errors.
#include <asyncrest/core/json_pattern.hpp>
#include <asyncrest/core/typed_json.hpp>

#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;

namespace {

enum class priority { low, normal, urgent };

struct tag {
  std::string name;
  std::uint8_t weight;
};

struct circle {
  double radius;
};
struct rectangle {
  double width;
  double height;
};
using shape = std::variant<circle, rectangle>;

struct everything {
  bool flag;
  std::int8_t tiny;
  std::uint16_t small;
  std::int64_t big;
  std::uint64_t huge;
  float ratio;
  double precise;
  std::string text;
  priority level;
  tag nested;
  std::optional<std::string> maybe;
  std::optional<int> absent;
  std::vector<tag> tags;
  std::map<std::string, int> counts;
  std::unordered_map<std::string, std::vector<std::string>> groups;
  shape outline;
  std::chrono::sys_seconds created;
  std::chrono::sys_time<std::chrono::milliseconds> updated;
  ar::json_value extra;
};

struct new_todo {
  std::string title;
  std::optional<std::chrono::sys_seconds> due;
  int priority;
};

struct account {
  std::string user_name;
  std::optional<std::string> nickname;
  std::vector<std::string> roles;
  std::map<std::string, std::string> labels;
  std::string plan;
  int seats;
  double discount;
};

struct odd_names {
  int slash;
  int tilde;
  std::map<std::string, int> table;
};

struct item_list {
  std::vector<tag> items;
};

struct numbers {
  std::uint8_t byte;
  std::int8_t signed_byte;
  std::uint32_t unsigned_word;
  std::int64_t wide;
};

struct floats {
  float single;
  double twice;
};

struct with_level {
  priority level;
};

struct drawing {
  std::vector<shape> shapes;
};

struct stamp {
  std::chrono::sys_seconds at;
};

struct fine_stamp {
  std::chrono::sys_time<std::chrono::nanoseconds> at;
};

}  // namespace

template <>
struct asyncrest::json_variant_tags<shape> {
  static constexpr std::string_view key = "kind";
  static constexpr std::array<std::string_view, 2> values = {"circle", "rectangle"};
};

template <>
struct asyncrest::json_fields<new_todo> {
  static constexpr auto rules =
      asyncrest::fields(asyncrest::field<&new_todo::title>{.length = {1, 200}},
                        asyncrest::field<&new_todo::priority>{.name = "prio", .minimum = 0, .maximum = 5});
};

template <>
struct asyncrest::json_fields<account> {
  static constexpr auto rules = asyncrest::fields(
      asyncrest::field<&account::user_name>{
          .name = "userName", .length = {.minimum = 3}, .pattern = "^[a-z][a-z0-9]*$"},
      asyncrest::field<&account::nickname>{.length = {.maximum = 4}},
      asyncrest::field<&account::roles>{.length = {1, 2}}, asyncrest::field<&account::labels>{.length = {.maximum = 1}},
      asyncrest::field<&account::plan>{.one_of = {"free", "team"}},
      asyncrest::field<&account::seats>{.one_of = {1, 5, 10}},
      asyncrest::field<&account::discount>{.minimum = 0, .maximum = 0.5});
};

template <>
struct asyncrest::json_fields<odd_names> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&odd_names::slash>{.name = "a/b"},
                                                  asyncrest::field<&odd_names::tilde>{.name = "c~d"});
};

namespace {

template <class Value>
std::vector<ar::json_field_error> errors_of(std::string_view text, ar::json_read_settings settings = {}) {
  ar::json_read_result<Value> read = ar::read_json<Value>(text, settings);
  CHECK_FALSE(read.has_value());
  return read.errors();
}

template <class Value>
Value read_ok(std::string_view text, ar::json_read_settings settings = {}) {
  ar::json_read_result<Value> read = ar::read_json<Value>(text, settings);
  for (const ar::json_field_error& error : read.errors()) INFO(error.pointer, ": ", error.detail);
  REQUIRE(read.has_value());
  return std::move(read).value();
}

using error_list = std::vector<ar::json_field_error>;

everything sample() {
  everything value{};
  value.flag = true;
  value.tiny = -128;
  value.small = 65535;
  value.big = -9'223'372'036'854'775'807 - 1;
  value.huge = 18'446'744'073'709'551'615ULL;
  value.ratio = 0.5F;
  value.precise = 3.141592653589793;
  value.text = "quote \" slash / tilde ~ é";
  value.level = priority::urgent;
  value.nested = {"inner", 9};
  value.maybe = "here";
  value.tags = {{"a", 1}, {"b", 2}};
  value.counts = {{"x", 1}, {"y/z", 2}};
  value.groups = {{"admins", {"ada", "grace"}}};
  value.outline = rectangle{2, 3.5};
  value.created = std::chrono::sys_days{std::chrono::year{2024} / 2 / 29} + 23h + 59min + 58s;
  value.updated = std::chrono::sys_days{std::chrono::year{1969} / 12 / 31} + 1h + 7ms;
  value.extra = ar::json_value{{"list", ar::json_value::array({1, "two", nullptr, true, 2.5})}};
  return value;
}

}  // namespace

TEST_CASE("typed JSON: every supported member type survives a round trip") {
  const everything original = sample();
  const std::string text = ar::to_json(original);
  CHECK(text.find("\"absent\"") == std::string::npos);  // an empty optional is left out
  CHECK(text.find(R"("level":"urgent")") != std::string::npos);
  CHECK(text.find(R"("outline":{"kind":"rectangle","width":2,"height":3.5})") != std::string::npos);
  CHECK(text.find(R"("created":"2024-02-29T23:59:58Z")") != std::string::npos);
  CHECK(text.find(R"("updated":"1969-12-31T01:00:00.007Z")") != std::string::npos);
  CHECK(text.find(R"("extra":{"list":[1,"two",null,true,2.5]})") != std::string::npos);

  const everything back = read_ok<everything>(text);
  CHECK(back.flag == original.flag);
  CHECK(back.tiny == original.tiny);
  CHECK(back.small == original.small);
  CHECK(back.big == original.big);
  CHECK(back.huge == original.huge);
  CHECK(back.text == original.text);
  CHECK(back.level == original.level);
  CHECK(back.tags.size() == 2);
  CHECK(back.counts == original.counts);
  CHECK(back.groups == original.groups);
  CHECK(std::get<rectangle>(back.outline).height == 3.5);
  CHECK(back.created == original.created);
  CHECK(back.updated == original.updated);
  CHECK(back.extra.dump() == original.extra.dump());
  CHECK(ar::to_json(back) == text);
}

TEST_CASE("typed JSON: an optional is empty when absent or null, and a value when given") {
  const new_todo absent = read_ok<new_todo>(R"({"title":"a","prio":1})");
  CHECK_FALSE(absent.due.has_value());
  const new_todo null = read_ok<new_todo>(R"({"title":"a","due":null,"prio":1})");
  CHECK_FALSE(null.due.has_value());
  const new_todo given = read_ok<new_todo>(R"({"title":"a","due":"2024-05-01T12:00:00Z","prio":1})");
  REQUIRE(given.due.has_value());
  CHECK(*given.due == std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h);
  CHECK(ar::to_json(given) == R"({"title":"a","due":"2024-05-01T12:00:00Z","prio":1})");
  CHECK(ar::to_json(absent) == R"({"title":"a","prio":1})");
}

TEST_CASE("typed JSON: nested, array and missing members are all reported at once") {
  const error_list errors = errors_of<everything>(
      R"({"flag":"yes","tiny":1,"small":1,"big":1,"huge":1,"ratio":1,"precise":"x","text":1,
          "level":"low","nested":{"name":2},"tags":[{"name":"a","weight":1},{"name":"b","weight":1},{"weight":"w"}],
          "counts":[],"groups":{"g":["a",3]},"outline":{"kind":"circle"},"created":"2024-01-01T00:00:00Z",
          "updated":"2024-01-01T00:00:00Z","extra":null})");
  const error_list expected{
      {"/flag", "expected a boolean"},      {"/precise", "expected a number"},
      {"/text", "expected a string"},       {"/nested/name", "expected a string"},
      {"/nested/weight", "required"},       {"/tags/2/weight", "expected an integer"},
      {"/tags/2/name", "required"},         {"/counts", "expected an object"},
      {"/groups/g/1", "expected a string"}, {"/outline/radius", "required"},
  };
  CHECK(errors == expected);
  CHECK(errors_of<item_list>(R"({})") == error_list{{"/items", "required"}});
  CHECK(errors_of<item_list>(R"([])") == error_list{{"", "expected an object"}});
}

TEST_CASE("typed JSON: integers are range-checked against their type") {
  CHECK(errors_of<numbers>(R"({"byte":300,"signed_byte":-129,"unsigned_word":-1,"wide":9223372036854775808})") ==
        error_list{{"/byte", "must be an integer from 0 to 255"},
                   {"/signed_byte", "must be an integer from -128 to 127"},
                   {"/unsigned_word", "must be an integer from 0 to 4294967295"},
                   {"/wide", "must be an integer from -9223372036854775808 to 9223372036854775807"}});
  CHECK(errors_of<numbers>(R"({"byte":1.5,"signed_byte":1.0,"unsigned_word":"1","wide":true})") ==
        error_list{{"/byte", "expected an integer"},
                   {"/signed_byte", "expected an integer"},
                   {"/unsigned_word", "expected an integer"},
                   {"/wide", "expected an integer"}});
  const numbers edge = read_ok<numbers>(R"({"byte":255,"signed_byte":-128,"unsigned_word":4294967295,"wide":-1})");
  CHECK(edge.byte == 255);
  CHECK(edge.signed_byte == -128);
  CHECK(edge.unsigned_word == 4294967295U);

  CHECK(errors_of<floats>(R"({"single":1e39,"twice":"1"})") ==
        error_list{{"/single", "is too large for a 32-bit number"}, {"/twice", "expected a number"}});
  CHECK(read_ok<floats>(R"({"single":7,"twice":18446744073709551615})").single == 7.0F);
}

TEST_CASE("typed JSON: enums are their enumerators' names") {
  CHECK(errors_of<with_level>(R"({"level":"critical"})") ==
        error_list{{"/level", "must be one of: low, normal, urgent"}});
  CHECK(errors_of<with_level>(R"({"level":1})") == error_list{{"/level", "must be one of: low, normal, urgent"}});
  CHECK(read_ok<with_level>(R"({"level":"normal"})").level == priority::normal);
}

TEST_CASE("typed JSON: a variant is chosen by its tag") {
  const drawing read =
      read_ok<drawing>(R"({"shapes":[{"kind":"circle","radius":1},{"width":2,"kind":"rectangle","height":3}]})",
                       {.unknown_fields = ar::json_unknown_fields::refuse});  // the tag is no unknown field
  REQUIRE(read.shapes.size() == 2);
  CHECK(std::get<circle>(read.shapes[0]).radius == 1);
  CHECK(std::get<rectangle>(read.shapes[1]).height == 3);

  CHECK(errors_of<drawing>(R"({"shapes":[{"kind":"triangle"},{"radius":1},{"kind":7},3]})") ==
        error_list{{"/shapes/0/kind", "must be one of: circle, rectangle"},
                   {"/shapes/1/kind", "required"},
                   {"/shapes/2/kind", "must be one of: circle, rectangle"},
                   {"/shapes/3", "expected an object"}});
  CHECK(errors_of<drawing>(R"({"shapes":[{"kind":"rectangle","width":"w"}]})") ==
        error_list{{"/shapes/0/width", "expected a number"}, {"/shapes/0/height", "required"}});
}

TEST_CASE("typed JSON: RFC 3339 date-times") {
  using std::chrono::sys_days;
  using std::chrono::year;
  const auto seconds_of = [](std::string_view text) {
    return read_ok<stamp>(std::string(R"({"at":")") + std::string(text) + "\"}").at;
  };
  const auto noon = sys_days{year{2024} / 5 / 1} + 12h;
  SUBCASE("offsets are applied, fractions below the precision dropped") {
    CHECK(seconds_of("2024-05-01T12:00:00Z") == noon);
    CHECK(seconds_of("2024-05-01t12:00:00z") == noon);
    CHECK(seconds_of("2024-05-01T14:00:00+02:00") == noon);
    CHECK(seconds_of("2024-05-01T06:30:00-05:30") == noon);
    CHECK(seconds_of("2024-05-01T12:00:00-00:00") == noon);
    CHECK(seconds_of("2024-05-01T12:00:00.999999Z") == noon);
    CHECK(seconds_of("2024-05-01T00:30:00+01:00") == sys_days{year{2024} / 4 / 30} + 23h + 30min);
    CHECK(seconds_of("2024-02-29T00:00:00Z") == sys_days{year{2024} / 2 / 29});
    CHECK(seconds_of("1900-01-01T00:00:00Z") == sys_days{year{1900} / 1 / 1});
    CHECK(seconds_of("2016-12-31T23:59:60Z") == sys_days{year{2017} / 1 / 1});  // a leap second
  }
  SUBCASE("fractions to the nanosecond, written back with every digit the precision holds") {
    const fine_stamp fine = read_ok<fine_stamp>(R"({"at":"2024-05-01T12:00:00.123456789123+01:00"})");
    CHECK(fine.at == noon - 1h + 123456789ns);
    CHECK(ar::to_json(fine) == R"({"at":"2024-05-01T11:00:00.123456789Z"})");
    CHECK(ar::to_json(fine_stamp{noon + 5ns}) == R"({"at":"2024-05-01T12:00:00.000000005Z"})");
    CHECK(ar::to_json(stamp{noon}) == R"({"at":"2024-05-01T12:00:00Z"})");
  }
  SUBCASE("what is not an RFC 3339 date-time") {
    const std::string reason = "expected an RFC 3339 date-time such as 2024-05-01T12:00:00Z";
    for (const std::string_view text :
         {"2023-02-29T00:00:00Z", "2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:60:00Z",
          "2024-05-01T12:00:00", "2024-05-01 12:00:00Z", "2024-05-01T12:00:00.Z", "2024-05-01T12:00:00+2:00",
          "2024-05-01T12:00:00+24:00", "2024-05-01T12:00:00Zjunk", "24-05-01T12:00:00Z", "", "2024-05-01"}) {
      INFO(text);
      CHECK(errors_of<stamp>(std::string(R"({"at":")") + std::string(text) + "\"}") == error_list{{"/at", reason}});
    }
    CHECK(errors_of<stamp>(R"({"at":1714564800})") == error_list{{"/at", reason}});
    // Nanoseconds in 64 bits reach the year 2262.
    CHECK(errors_of<fine_stamp>(R"({"at":"2300-01-01T00:00:00Z"})") ==
          error_list{{"/at", "is out of the range of dates this field holds"}});
  }
}

TEST_CASE("typed JSON: renamed members are read and written by their JSON names") {
  CHECK(errors_of<new_todo>(R"({"title":"a","priority":1})") == error_list{{"/prio", "required"}});
  const new_todo todo = read_ok<new_todo>(R"({"title":"a","prio":5})");
  CHECK(todo.priority == 5);
  CHECK(ar::to_json(todo) == R"({"title":"a","prio":5})");
}

TEST_CASE("typed JSON: constraints are checked and reported with the other errors") {
  const std::string_view fits =
      R"({"userName":"ada1","nickname":"éàü!","roles":["admin"],"labels":{"a":"b"},"plan":"team","seats":5,"discount":0.5})";
  CHECK(read_ok<account>(fits).nickname == "éàü!");  // four characters, eight bytes

  CHECK(
      errors_of<account>(
          R"({"userName":"Ada","nickname":"toolong","roles":[],"labels":{"a":"","b":""},"plan":"gold","seats":4,"discount":-0.1})") ==
      error_list{{"/userName", "must match the pattern ^[a-z][a-z0-9]*$"},
                 {"/nickname", "must have at most 4 characters"},
                 {"/roles", "must have at least 1 items"},
                 {"/labels", "must have at most 1 members"},
                 {"/plan", "must be one of: free, team"},
                 {"/seats", "must be one of: 1, 5, 10"},
                 {"/discount", "must be at least 0"}});
  CHECK(errors_of<account>(
            R"({"userName":"ab","roles":["a","b","c"],"labels":{},"plan":"free","seats":10,"discount":0.75})") ==
        error_list{{"/userName", "must have at least 3 characters"},
                   {"/roles", "must have at most 2 items"},
                   {"/discount", "must be at most 0.5"}});
  CHECK(errors_of<new_todo>(R"({"title":"","prio":6})") ==
        error_list{{"/title", "must have at least 1 characters"}, {"/prio", "must be at most 5"}});
  CHECK(errors_of<new_todo>(R"({"title":"ok","prio":-1})") == error_list{{"/prio", "must be at least 0"}});
  // A value of the wrong type gets the type's error alone, not the constraint's too.
  CHECK(errors_of<new_todo>(R"({"title":5,"prio":"high"})") ==
        error_list{{"/title", "expected a string"}, {"/prio", "expected an integer"}});
}

TEST_CASE("typed JSON: unknown members are ignored, or refused when the settings say so") {
  const std::string_view text = R"({"title":"a","prio":1,"color":"red","a/b":{"deep":[1]}})";
  CHECK(read_ok<new_todo>(text).title == "a");
  CHECK(errors_of<new_todo>(text, {.unknown_fields = ar::json_unknown_fields::refuse}) ==
        error_list{{"/color", "unknown field"}, {"/a~1b", "unknown field"}});
}

TEST_CASE("typed JSON: pointer tokens escape ~ as ~0 and / as ~1") {
  CHECK(errors_of<odd_names>(R"({"a/b":"1","c~d":"2","table":{"x/~y":"3","~1":4}})") ==
        error_list{{"/a~1b", "expected an integer"},
                   {"/c~0d", "expected an integer"},
                   {"/table/x~1~0y", "expected an integer"}});
  const odd_names read = read_ok<odd_names>(R"({"a/b":1,"c~d":2,"table":{}})");
  CHECK(read.slash == 1);
  CHECK(read.tilde == 2);
  CHECK(ar::to_json(read) == R"({"a/b":1,"c~d":2,"table":{}})");
}

TEST_CASE("typed JSON: a duplicate member, text that is not JSON, and the limit on errors") {
  CHECK(errors_of<new_todo>(R"({"title":"a","prio":1,"title":"b"})") == error_list{{"/title", "duplicate field"}});
  const error_list broken = errors_of<new_todo>(R"({"title":)");
  REQUIRE(broken.size() == 1);
  CHECK(broken[0].pointer.empty());
  CHECK(broken[0].detail.starts_with("not valid JSON"));

  std::string many = R"({"items":[)";
  for (int index = 0; index < 500; ++index) many.append(index == 0 ? "1" : ",1");
  many.append("]}");
  CHECK(errors_of<item_list>(many).size() == 100);
  CHECK(errors_of<item_list>(many, {.max_errors = 3}) == error_list{{"/items/0", "expected an object"},
                                                                    {"/items/1", "expected an object"},
                                                                    {"/items/2", "expected an object"}});
}

TEST_CASE("typed JSON: top-level arrays and maps, and value() of a failed read") {
  CHECK(read_ok<std::vector<int>>("[1,2,3]") == std::vector<int>{1, 2, 3});
  CHECK(ar::to_json(std::map<std::string, bool>{{"on", true}}) == R"({"on":true})");
  ar::json_read_result<std::vector<int>> failed = ar::read_json<std::vector<int>>(R"([1,"two"])");
  REQUIRE_FALSE(failed);
  try {
    (void)failed.value();
    FAIL("value() of a failed read returned");
  } catch (const ar::json_validation_error& error) {
    CHECK(error.code() == ar::status::unprocessable_content);
    CHECK(error.errors() == error_list{{"/1", "expected an integer"}});
  }
}

TEST_CASE("typed JSON: each member's description, as a schema generator walks it") {
  std::string seen;
  ar::detail::visit_json_members<new_todo>([&]<class Member>(Member) {
    seen.append(std::to_string(Member::index)).append(":").append(Member::name);
    seen.append(Member::required ? " required" : " optional");
    if constexpr (Member::rules.maximum.has_value())
      seen.append(" max=").append(std::to_string(int(*Member::rules.maximum)));
    if constexpr (Member::rules.length.limited())
      seen.append(" length<=").append(std::to_string(Member::rules.length.maximum));
    if constexpr (std::is_same_v<typename Member::type, int>) seen.append(" int");
    seen.append(";");
  });
  CHECK(seen == "0:title required length<=200;1:due optional;2:prio required max=5 int;");
}
