// Reflection: member counts, members by index, member names and enumerator names, at compile time.
#include <asyncrest/core/reflection.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace {

struct empty_struct {};
struct one_member {
  int only;
};
struct inner {
  int a;
  double b;
};
struct mixed {
  int number;
  std::optional<int> maybe;
  std::vector<std::string> list;
  std::string text;
  std::map<std::string, int> table;
  std::variant<int, inner> either;
  inner nested;  // initialized as one member, not as two by brace elision
  std::chrono::sys_seconds when;
  std::optional<inner> maybe_nested;
  int with_default = 7;
};
struct thirty_two {
  int m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12, m13, m14, m15;
  int m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, last_of_32;
};
struct sixty_four {
  int m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12, m13, m14, m15;
  int m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31;
  int m32, m33, m34, m35, m36, m37, m38, m39, m40, m41, m42, m43, m44, m45, m46, m47;
  int m48, m49, m50, m51, m52, m53, m54, m55, m56, m57, m58, m59, m60, m61, m62, last_of_64;
};
struct sixty_five {
  sixty_four first;
  int m00, m01, m02, m03, m04, m05, m06, m07, m08, m09, m10, m11, m12, m13, m14, m15;
  int m16, m17, m18, m19, m20, m21, m22, m23, m24, m25, m26, m27, m28, m29, m30, m31;
  int m32, m33, m34, m35, m36, m37, m38, m39, m40, m41, m42, m43, m44, m45, m46, m47;
  int m48, m49, m50, m51, m52, m53, m54, m55, m56, m57, m58, m59, m60, m61, m62, m63;
};
class not_aggregate {
 public:
  explicit not_aggregate(int value) : value_(value) {}
  [[nodiscard]] int value() const noexcept { return value_; }

 private:
  int value_;
};

enum class color { red, green = 5, blue = -3 };
enum plain_enum { alpha, beta };
enum class byte_sized : std::uint8_t { low = 1, high = 127, beyond = 200 };
enum class sparse : int { far = 1000, near = 2 };

}  // namespace

namespace ar = asyncrest;

static_assert(ar::member_count<empty_struct> == 0);
static_assert(ar::member_count<one_member> == 1);
static_assert(ar::member_count<mixed> == 10);
static_assert(ar::member_count<thirty_two> == 32);
static_assert(ar::member_count<sixty_four> == 64);
static_assert(!ar::reflectable_aggregate<sixty_five>);
static_assert(!ar::reflectable_aggregate<not_aggregate>);
static_assert(!ar::reflectable_aggregate<int>);

static_assert(ar::member_names<one_member>()[0] == "only");
static_assert(ar::member_names<mixed>()[0] == "number");
static_assert(ar::member_names<mixed>()[6] == "nested");
static_assert(ar::member_names<mixed>()[9] == "with_default");
static_assert(ar::member_names<thirty_two>()[31] == "last_of_32");
static_assert(ar::member_names<sixty_four>()[63] == "last_of_64");

static_assert(ar::enum_name(color::red) == "red");
static_assert(ar::enum_name(color::green) == "green");
static_assert(ar::enum_name(color::blue) == "blue");
static_assert(ar::enum_name(static_cast<color>(4)).empty());
static_assert(ar::enum_name(beta) == "beta");
static_assert(ar::enum_from_name<color>("blue") == color::blue);
static_assert(!ar::enum_from_name<color>("Blue").has_value());

TEST_CASE("reflection: members by index, read and written") {
  mixed value{};
  value.text = "hello";
  ar::get_member<0>(value) = 42;
  CHECK(value.number == 42);
  const mixed& view = value;
  CHECK(ar::get_member<3>(view) == "hello");
  CHECK(ar::get_member<9>(view) == 7);
}

TEST_CASE("reflection: for_each_member visits every member with its name, in order") {
  inner value{3, 4.5};
  std::string seen;
  ar::for_each_member(value, [&](std::string_view name, auto& member) {
    seen.append(name).append("=").append(std::to_string(static_cast<int>(member))).append(";");
    member = {};
  });
  CHECK(seen == "a=3;b=4;");
  CHECK(value.a == 0);
  CHECK(value.b == 0.0);
}

TEST_CASE("reflection: enumerators of every scanned value, by name and back") {
  CHECK(ar::enum_names<color>() == std::array<std::string_view, 3>{"blue", "red", "green"});
  CHECK(ar::enum_names<plain_enum>() == std::array<std::string_view, 2>{"alpha", "beta"});
  // Values outside -128..127 are not scanned: 200 and 1000 have no name here.
  CHECK(ar::enum_name(byte_sized::high) == "high");
  CHECK(ar::enum_name(byte_sized::beyond).empty());
  CHECK(ar::enum_name(sparse::near) == "near");
  CHECK(ar::enum_name(sparse::far).empty());
  CHECK(ar::enum_from_name<byte_sized>("low") == byte_sized::low);
  CHECK_FALSE(ar::enum_from_name<plain_enum>("").has_value());
}
