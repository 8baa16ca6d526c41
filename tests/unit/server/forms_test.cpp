// application/x-www-form-urlencoded bodies: decoding, repeated names, and every limit and
// malformed escape answered with its status.
#include <asyncrest/server/forms.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

namespace ar = asyncrest;

ar::status status_of(std::string_view body, const ar::form_limits& limits = {}) {
  try {
    (void)ar::parse_form(body, limits);
  } catch (const ar::http_error& error) {
    return error.code();
  }
  return ar::status::ok;
}

}  // namespace

TEST_CASE("a urlencoded body: plus, escapes, repeated names in order, empty values") {
  const ar::form_fields form =
      ar::parse_form("name=Ada+Lovelace&tag=a&email=ada%40example.com&tag=b%26c&empty=&bare&&tag=");
  CHECK(form.get("name") == "Ada Lovelace");
  CHECK(form.get("email") == "ada@example.com");
  CHECK(form.get("tag") == "a");
  CHECK(form.get_all("tag") == std::vector<std::string_view>{"a", "b&c", ""});
  CHECK(form.get("empty") == "");
  CHECK(form.get("bare") == "");
  CHECK_FALSE(form.get("missing").has_value());
  CHECK(form.get_all("missing").empty());
  CHECK(form.size() == 7);
  CHECK(form.contains("bare"));
  std::string names;
  for (const ar::form_field& field : form) names += field.name + ",";
  CHECK(names == "name,tag,email,tag,empty,bare,tag,");
}

TEST_CASE("encoded names and UTF-8") {
  const ar::form_fields form = ar::parse_form("caf%C3%A9=cr%C3%A8me+br%C3%BBl%C3%A9e&a%2Bb=1%2B1%3D2");
  CHECK(form.get("caf\xC3\xA9") ==
        "cr\xC3\xA8me br\xC3\xBBl\xC3\xA9"
        "e");
  CHECK(form.get("a+b") == "1+1=2");
  CHECK(ar::parse_form("").empty());
}

TEST_CASE("malformed escapes are 400") {
  CHECK(status_of("a=%zz") == ar::status::bad_request);
  CHECK(status_of("a=%4") == ar::status::bad_request);
  CHECK(status_of("a%=1") == ar::status::bad_request);
  CHECK(status_of("a=%00") == ar::status::bad_request);
}

TEST_CASE("every limit is a 413") {
  const ar::form_limits limits{.max_bytes = 64, .max_fields = 3, .max_name_bytes = 4, .max_value_bytes = 8};
  CHECK(status_of("a=1&b=2&c=3", limits) == ar::status::ok);
  CHECK(status_of("a=1&b=2&c=3&d=4", limits) == ar::status::payload_too_large);
  CHECK(status_of("name=1", limits) == ar::status::ok);
  CHECK(status_of("named=1", limits) == ar::status::payload_too_large);
  CHECK(status_of("a=12345678", limits) == ar::status::ok);
  CHECK(status_of("a=123456789", limits) == ar::status::payload_too_large);
  CHECK(status_of("a=%41%41%41%41%41%41%41%41", limits) == ar::status::ok);  // decoded sizes count
  CHECK(status_of(std::string(65, 'x'), limits) == ar::status::payload_too_large);
}
