// A struct read as JSON whose member has a type typed JSON does not know (a raw pointer).
// expected error: typed JSON cannot read or write this type
#include <asyncrest/core/typed_json.hpp>

#include <string_view>

struct with_pointer {
  const char* name;
};

auto broken = asyncrest::read_json<with_pointer>(std::string_view("{}"));
