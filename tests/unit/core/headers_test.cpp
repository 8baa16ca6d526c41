// The owned field list: fields kept inside the object while few, on the heap beyond; set, add and
// erase on either side of that line; copies and moves; which fields a response head may send.
#include <asyncrest/core/headers.hpp>

#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace ar = asyncrest;
using ar::detail::headers_access;
using field_list = std::vector<std::pair<std::string, std::string>>;

field_list fields_of(const ar::headers& list) {
  field_list out;
  for (const auto& [name, value] : list) out.emplace_back(name, value);
  return out;
}

// The fields' bytes lie inside the object: nothing was allocated for them.
bool stored_inline(const ar::headers& list) {
  const auto* object = reinterpret_cast<const char*>(&list);
  const char* bytes = headers_access::bytes(list).data();
  return std::less_equal<const char*>()(object, bytes) && std::less<const char*>()(bytes, object + sizeof list);
}

// What a response head carries of the list, in the form it is kept in.
std::string sent(const field_list& fields) {
  std::string out;
  for (const auto& [name, value] : fields) out.append("\r\n").append(name).append(": ").append(value);
  return out;
}

// Adds numbered fields until the list has left the object; returns what it holds.
field_list grow_past_inline(ar::headers& list) {
  field_list expected = fields_of(list);
  for (int index = 0; stored_inline(list); ++index) {
    const std::string name = "X-Field-" + std::to_string(index);
    const std::string value = std::string(static_cast<std::size_t>(index % 7) * 3, 'v') + std::to_string(index);
    list.add(name, value);
    expected.emplace_back(name, value);
    REQUIRE(fields_of(list) == expected);
    REQUIRE(headers_access::bytes(list) == sent(expected));
  }
  return expected;
}

}  // namespace

static_assert(std::forward_iterator<ar::headers::const_iterator>);
static_assert(std::is_same_v<std::iter_value_t<ar::headers::const_iterator>, ar::headers::field>);
static_assert(std::is_nothrow_move_constructible_v<ar::headers>);
static_assert(std::is_nothrow_move_assignable_v<ar::headers>);

TEST_CASE("headers: a typical response's fields are kept inside the object") {
  CHECK(stored_inline(ar::headers{}));
  CHECK(stored_inline(ar::text("hello").headers));
  CHECK(stored_inline(ar::json({{"a", 1}}).headers));
  CHECK(stored_inline(ar::problem(ar::status::not_found, "no such user").headers));

  ar::response created = ar::raw_json(R"({"id":42})", ar::status::created);
  created.headers.set("Location", "https://api.example.com/v1/users/1234567890");
  CHECK(stored_inline(created.headers));

  // 104 bytes of names and values in two fields: as much as the object holds.
  ar::headers two;
  two.set("Content-Type", std::string(38, 't')).set("Location", std::string(46, 'l'));
  CHECK(stored_inline(two));
  CHECK(two.get("Content-Type") == std::string(38, 't'));
  CHECK(two.get("Location") == std::string(46, 'l'));
}

TEST_CASE("headers: more fields move to the heap, in order") {
  ar::headers list;
  const field_list expected = grow_past_inline(list);
  CHECK(expected.size() >= 3);
  CHECK(list.size() == expected.size());
  CHECK(list.get("X-Field-0") == "0");

  // Well past the first heap buffer.
  field_list more = expected;
  for (int index = 0; index < 200; ++index) {
    const std::string name = "Set-Cookie";
    const std::string value = "session-" + std::to_string(index) + "=" + std::string(40, 'c');
    list.add(name, value);
    more.emplace_back(name, value);
  }
  CHECK(fields_of(list) == more);
  CHECK(headers_access::bytes(list) == sent(more));
  CHECK(list.get("set-cookie") == more[expected.size()].second);

  // One field larger than the object's own room goes straight to the heap.
  ar::headers large;
  large.set("X-Large", std::string(1000, 'x'));
  CHECK_FALSE(stored_inline(large));
  CHECK(large.get("x-large") == std::string(1000, 'x'));
}

TEST_CASE("headers: set, add and erase on either side of the inline room") {
  ar::headers list;
  list.set("Content-Type", "text/plain").set("X-Short", "s");
  REQUIRE(stored_inline(list));

  SUBCASE("set lengthens a value past the room: the field keeps its place") {
    list.set("content-type", std::string(300, 'x'));
    CHECK_FALSE(stored_inline(list));
    CHECK(fields_of(list) == field_list{{"Content-Type", std::string(300, 'x')}, {"X-Short", "s"}});
    list.set("CONTENT-TYPE", "short again");
    CHECK(fields_of(list) == field_list{{"Content-Type", "short again"}, {"X-Short", "s"}});
    CHECK(headers_access::bytes(list) == "\r\nContent-Type: short again\r\nX-Short: s");
  }

  SUBCASE("set shortens and lengthens inline values") {
    list.set("X-Short", std::string_view());
    CHECK(fields_of(list) == field_list{{"Content-Type", "text/plain"}, {"X-Short", ""}});
    list.set("content-type", "application/json; charset=utf-8");
    CHECK(fields_of(list) == field_list{{"Content-Type", "application/json; charset=utf-8"}, {"X-Short", ""}});
    CHECK(stored_inline(list));
  }

  SUBCASE("set replaces every field of that name, on the heap") {
    field_list expected = grow_past_inline(list);
    list.add("x-short", "second").add("X-SHORT", "third");
    list.set("x-Short", "only");
    expected[1].second = "only";
    CHECK(fields_of(list) == expected);
    CHECK(list.size() == expected.size());
  }

  SUBCASE("erase on the heap keeps the others' order; adding goes on after it") {
    field_list expected = grow_past_inline(list);
    list.erase("x-field-0").erase("CONTENT-TYPE");
    std::erase_if(expected, [](const auto& field) {
      return ar::iequals(field.first, "X-Field-0") || ar::iequals(field.first, "Content-Type");
    });
    CHECK(fields_of(list) == expected);
    list.add("After", "a");
    expected.emplace_back("After", "a");
    CHECK(fields_of(list) == expected);
    CHECK(headers_access::bytes(list) == sent(expected));
    for (const auto& [name, value] : expected) list.erase(name);
    CHECK(list.empty());
    CHECK(headers_access::bytes(list).empty());
    list.add("Again", "1");
    CHECK(fields_of(list) == field_list{{"Again", "1"}});
  }
}

TEST_CASE("headers: copies and moves, inline and on the heap") {
  ar::headers small;
  small.set("Content-Type", "text/plain").add("Vary", "Accept");
  ar::headers big;
  const field_list big_fields = grow_past_inline(big);
  const field_list small_fields = fields_of(small);

  SUBCASE("copies hold the same fields, each in its own storage") {
    ar::headers small_copy(small);
    CHECK(fields_of(small_copy) == small_fields);
    CHECK(stored_inline(small_copy));
    small_copy.set("Vary", "Origin");
    CHECK(small.get("Vary") == "Accept");
    ar::headers big_copy(big);
    CHECK(fields_of(big_copy) == big_fields);
    CHECK(headers_access::bytes(big_copy).data() != headers_access::bytes(big).data());
    big_copy.set("X-Field-0", "changed");
    CHECK(big.get("X-Field-0") == "0");

    ar::headers assigned;
    assigned = big;
    CHECK(fields_of(assigned) == big_fields);
    assigned = small;
    CHECK(fields_of(assigned) == small_fields);
    const ar::headers& same = assigned;
    assigned = same;
    CHECK(fields_of(assigned) == small_fields);
  }

  SUBCASE("a copy of a list that no longer needs the heap is kept inline") {
    for (const auto& [name, value] : big_fields) {
      if (name != "X-Field-0") big.erase(name);
    }
    REQUIRE(big.size() == 1);
    CHECK_FALSE(stored_inline(big));
    const ar::headers copy(big);
    CHECK(stored_inline(copy));
    CHECK(fields_of(copy) == fields_of(big));
  }

  SUBCASE("a move copies inline fields and leaves the source empty and usable") {
    ar::headers moved(std::move(small));
    CHECK(fields_of(moved) == small_fields);
    CHECK(stored_inline(moved));
    CHECK(small.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
    small.add("Reused", "yes");
    CHECK(fields_of(small) == field_list{{"Reused", "yes"}});
  }

  SUBCASE("a move takes the heap buffer itself") {
    const char* buffer = headers_access::bytes(big).data();
    ar::headers moved(std::move(big));
    CHECK(headers_access::bytes(moved).data() == buffer);
    CHECK(fields_of(moved) == big_fields);
    CHECK(big.empty());  // NOLINT(bugprone-use-after-move)
    CHECK(stored_inline(big));

    ar::headers assigned;
    assigned.add("Old", "o");
    assigned = std::move(moved);
    CHECK(headers_access::bytes(assigned).data() == buffer);
    CHECK(fields_of(assigned) == big_fields);

    // Over a list on the heap: that buffer is released (the sanitizers would see a leak).
    ar::headers other_big;
    grow_past_inline(other_big);
    other_big = std::move(assigned);
    CHECK(fields_of(other_big) == big_fields);
    other_big = std::move(small);
    CHECK(fields_of(other_big) == small_fields);
  }
}

TEST_CASE("headers: views of the list's own fields may be passed back to it") {
  const std::string long_value(60, 'l');
  ar::headers list;
  list.add("X-Long-Name", long_value);
  REQUIRE(stored_inline(list));

  // Growing to the heap while the new field views the object's own bytes.
  const auto [name, value] = *list.begin();
  list.add(name, value);
  CHECK_FALSE(stored_inline(list));
  CHECK(fields_of(list) == field_list{{"X-Long-Name", long_value}, {"X-Long-Name", long_value}});

  // Growing the heap buffer likewise.
  for (int index = 0; index < 8; ++index) list.add((*list.begin()).first, (*list.begin()).second);
  CHECK(list.size() == 10);
  CHECK(std::all_of(list.begin(), list.end(),
                    [&](const auto& field) { return field.first == "X-Long-Name" && field.second == long_value; }));

  list.add("Origin", "https://example.com").add("X-Copy", "x");
  list.set("X-Copy", *list.get("Origin"));
  CHECK(list.get("X-Copy") == "https://example.com");
  list.set("x-long-name", *list.get("X-Long-Name"));
  CHECK(fields_of(list) ==
        field_list{{"X-Long-Name", long_value}, {"Origin", "https://example.com"}, {"X-Copy", "https://example.com"}});

  list.erase((*list.begin()).first);
  CHECK(fields_of(list) == field_list{{"Origin", "https://example.com"}, {"X-Copy", "https://example.com"}});
}

TEST_CASE("headers: iteration yields pairs of views") {
  ar::headers list;
  list.add("A", "1").add("B", "2");
  std::vector<std::string> seen;
  for (const auto& field : list) seen.push_back(std::string(field.first) + "=" + std::string(field.second));
  for (auto [name, value] : list) seen.push_back(std::string(name) + ":" + std::string(value));
  CHECK(seen == std::vector<std::string>{"A=1", "B=2", "A:1", "B:2"});
  auto position = list.begin();
  CHECK(position->first == "A");
  CHECK((position++)->second == "1");
  CHECK(position->first == "B");
  CHECK(++position == list.end());
  CHECK(std::distance(list.begin(), list.end()) == 2);
  CHECK(std::count_if(list.begin(), list.end(), [](const auto& field) { return field.second == "2"; }) == 1);
}

TEST_CASE("headers: whether every field may be sent is known without looking again") {
  ar::headers list;
  CHECK(headers_access::all_sendable(list));
  list.set("Content-Type", "text/plain");
  CHECK(headers_access::all_sendable(list));

  list.add("X-Evil", "a\r\nInjected: 1");
  CHECK_FALSE(headers_access::all_sendable(list));
  list.set("x-evil", "harmless");
  CHECK(headers_access::all_sendable(list));
  list.set("X-Evil", "a\nb");
  CHECK_FALSE(headers_access::all_sendable(list));
  list.erase("X-EVIL");
  CHECK(headers_access::all_sendable(list));

  list.add("Content-Length", "5").add("content-length", "6");
  CHECK_FALSE(headers_access::all_sendable(list));
  list.set("Content-Length", "7");  // one framing field left
  CHECK_FALSE(headers_access::all_sendable(list));
  list.erase("content-length");
  CHECK(headers_access::all_sendable(list));

  list.add("Bad Name", "v").add("", "empty name").add("X-Del", "\x7F");
  CHECK_FALSE(headers_access::all_sendable(list));
  list.erase("Bad Name").erase("");
  CHECK_FALSE(headers_access::all_sendable(list));
  list.erase("x-del");
  CHECK(headers_access::all_sendable(list));
  list.add("X-Tab", "a\tb");
  CHECK(headers_access::all_sendable(list));

  // Copies and moves carry the count along.
  list.add("Date", "yesterday");
  ar::headers copy(list);
  CHECK_FALSE(headers_access::all_sendable(copy));
  ar::headers moved(std::move(list));
  CHECK_FALSE(headers_access::all_sendable(moved));
  CHECK(headers_access::all_sendable(list));  // NOLINT(bugprone-use-after-move): empty
}

static_assert(ar::detail::has_control_character("a\r\nb"));
static_assert(ar::detail::has_control_character("0123456789abcdef\x7F"));
static_assert(!ar::detail::has_control_character("text/plain; charset=utf-8\t\x80\xFF"));

TEST_CASE("has_control_character: every byte value at every place of a value, eight at a time or not") {
  for (std::size_t length : {1, 7, 8, 9, 16, 17, 31}) {
    for (std::size_t place = 0; place < length; ++place) {
      for (int byte = 0; byte < 256; ++byte) {
        std::string value(length, 'a');
        value[place] = static_cast<char>(byte);
        const bool control = (byte < 0x20 && byte != '\t') || byte == 0x7F;
        CAPTURE(length);
        CAPTURE(place);
        CAPTURE(byte);
        REQUIRE(ar::detail::has_control_character(value) == control);
        // After a HTAB, which sends its word to the byte-by-byte check, and among high bytes.
        value[0] = place == 0 ? value[0] : '\t';
        std::replace(value.begin(), value.end(), 'a', '\xFF');
        REQUIRE(ar::detail::has_control_character(value) == control);
      }
    }
  }
  CHECK_FALSE(ar::detail::has_control_character(""));
  CHECK_FALSE(ar::detail::has_control_character(std::string(100, '\t')));
  CHECK(ar::detail::has_control_character(std::string(64, '\t') + '\n'));
  CHECK(ar::detail::has_control_character(std::string_view("abcdefgh\0", 9)));
}

TEST_CASE("append_response_head: fields on the heap, and unsendable ones among them") {
  ar::response answer = ar::text("body");
  const field_list added = grow_past_inline(answer.headers);
  answer.headers.add("X-Evil", "a\r\nInjected: 1").add("Connection", "upgrade").add("X-Last", "last");
  std::string head;
  ar::detail::append_response_head(head, answer, {});
  CHECK(head.find("Injected") == std::string::npos);
  CHECK(head.find("upgrade") == std::string::npos);
  field_list expected = added;
  expected.emplace_back("X-Last", "last");
  const std::string fields = sent(expected);
  CHECK(head.find(fields + "\r\n\r\n") == head.size() - fields.size() - 4);

  answer.headers.erase("x-evil").erase("connection");
  std::string again;
  ar::detail::append_response_head(again, answer, {});
  CHECK(again.substr(again.size() - fields.size() - 4) == fields + "\r\n\r\n");
}
