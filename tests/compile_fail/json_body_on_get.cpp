// A GET route that reads a JSON body.
// expected error: a GET route cannot take a json_body
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/typed_parameters.hpp>

#include <string>

struct search {
  std::string text;
};

auto broken = asyncrest::get<"/search">([](asyncrest::json_body<search>) { return asyncrest::text("x"); });
