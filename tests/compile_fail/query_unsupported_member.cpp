// A query<T> struct with a member no query parameter converts to.
// expected error: must be bool, an integer, a floating-point number, std::string or an enum, or a std::optional or
// std::vector of one
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/typed_parameters.hpp>

#include <map>
#include <string>

struct filters {
  int limit = 10;
  std::map<std::string, std::string> extra;
};

auto broken = asyncrest::get<"/items">([](asyncrest::query<filters>) { return asyncrest::text("x"); });
