// The Range field read against a representation's length (RFC 9110 §14.2): the three forms,
// unsatisfiable and malformed fields, the range limit, and merging.
#include <asyncrest/http/detail/byte_ranges.hpp>

#include <doctest/doctest.h>

#include <vector>

using asyncrest::detail::byte_range;
using asyncrest::detail::parse_range_field;
using outcome = asyncrest::detail::range_request::outcome;

TEST_CASE("one range in each of its three forms") {
  const auto first_last = parse_range_field("bytes=0-99", 1000, 16);
  CHECK(first_last.result == outcome::partial);
  CHECK(first_last.ranges == std::vector<byte_range>{{0, 99}});
  CHECK(parse_range_field("bytes=-100", 1000, 16).ranges == std::vector<byte_range>{{900, 999}});
  CHECK(parse_range_field("bytes=900-", 1000, 16).ranges == std::vector<byte_range>{{900, 999}});
  // The last position is clamped to the file; a suffix longer than the file is the whole file.
  CHECK(parse_range_field("bytes=990-5000", 1000, 16).ranges == std::vector<byte_range>{{990, 999}});
  CHECK(parse_range_field("bytes=-5000", 1000, 16).ranges == std::vector<byte_range>{{0, 999}});
  CHECK(parse_range_field("Bytes = 5-5", 1000, 16).result == outcome::whole);  // no space before '='
  CHECK(parse_range_field("BYTES=5-5", 1000, 16).ranges == std::vector<byte_range>{{5, 5}});
  CHECK(parse_range_field("bytes= 5-5 , ", 1000, 16).ranges == std::vector<byte_range>{{5, 5}});
}

TEST_CASE("ranges past the end are unsatisfiable, and so is an empty suffix") {
  CHECK(parse_range_field("bytes=1000-", 1000, 16).result == outcome::unsatisfiable);
  CHECK(parse_range_field("bytes=1000-2000, 3000-", 1000, 16).result == outcome::unsatisfiable);
  CHECK(parse_range_field("bytes=-0", 1000, 16).result == outcome::unsatisfiable);
  CHECK(parse_range_field("bytes=0-0", 0, 16).result == outcome::unsatisfiable);
  CHECK(parse_range_field("bytes=-10", 0, 16).result == outcome::unsatisfiable);
  // One satisfiable range among unsatisfiable ones is enough.
  CHECK(parse_range_field("bytes=5000-, 0-1", 1000, 16).ranges == std::vector<byte_range>{{0, 1}});
}

TEST_CASE("a malformed field or another unit is ignored") {
  for (const char* field :
       {"", "bytes", "bytes=", "bytes=,", "bytes=abc", "bytes=5", "bytes=9-5", "bytes=1-2-3", "bytes=--5",
        "bytes=0x10-20", "bytes=-", "items=0-5", "bytes=0-5,x", "bytes=99999999999999999999-"}) {
    CAPTURE(field);
    CHECK(parse_range_field(field, 1000, 16).result == outcome::whole);
  }
}

TEST_CASE("more ranges than the limit are ignored") {
  CHECK(parse_range_field("bytes=0-0,2-2,4-4", 1000, 3).ranges.size() == 3);
  CHECK(parse_range_field("bytes=0-0,2-2,4-4,6-6", 1000, 3).result == outcome::whole);
}

TEST_CASE("overlapping and touching ranges are merged and sorted") {
  CHECK(parse_range_field("bytes=500-600,0-10,5-20", 1000, 16).ranges == std::vector<byte_range>{{0, 20}, {500, 600}});
  CHECK(parse_range_field("bytes=0-9,10-19", 1000, 16).ranges == std::vector<byte_range>{{0, 19}});
  CHECK(parse_range_field("bytes=0-9,11-19", 1000, 16).ranges == std::vector<byte_range>{{0, 9}, {11, 19}});
  CHECK(parse_range_field("bytes=-10,0-", 1000, 16).ranges == std::vector<byte_range>{{0, 999}});
}
