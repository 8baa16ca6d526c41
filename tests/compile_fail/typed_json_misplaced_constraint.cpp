// A numeric constraint on a string member.
// expected error: apply to number members only
#include <asyncrest/core/typed_json.hpp>

#include <string>
#include <string_view>

struct user {
  std::string name;
};

template <>
struct asyncrest::json_fields<user> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&user::name>{.minimum = 1});
};

auto broken = asyncrest::read_json<user>(std::string_view("{}"));
