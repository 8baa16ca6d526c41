// W3C Trace Context's fields read and written, span contexts, and spans in OTLP's JSON.
#include <asyncrest/core/trace_context.hpp>

#include <asyncrest/core/detail/otlp_json.hpp>
#include <asyncrest/core/detail/span_record.hpp>
#include <asyncrest/core/detail/trace_context_syntax.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;

TEST_CASE("traceparent: the fields of a valid one") {
  const auto parsed = ar::detail::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  REQUIRE(parsed);
  CHECK(parsed->version == "00");
  CHECK(parsed->trace_id == "0af7651916cd43dd8448eb211c80319c");
  CHECK(parsed->parent_id == "b7ad6b7169203331");
  CHECK(parsed->flags == 0x01);
  const auto unsampled = ar::detail::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  REQUIRE(unsampled);
  CHECK(unsampled->flags == 0);
  // Flags this version does not define are read, not refused.
  CHECK(ar::detail::parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff")->flags == 0xff);
  // A later version is read by the prefix version 00 defines; what follows a dash is its own.
  const auto later = ar::detail::parse_traceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what");
  REQUIRE(later);
  CHECK(later->version == "01");
  CHECK(later->trace_id == "0af7651916cd43dd8448eb211c80319c");
  CHECK(ar::detail::parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  CHECK(ar::detail::trace_id_of_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01") ==
        "0af7651916cd43dd8448eb211c80319c");
}

TEST_CASE("traceparent: invalid ones are refused") {
  for (const std::string_view bad : {
           "",
           "00",
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",  // version 00 has no more
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-011",       // nor a longer flags field
           "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",       // a later one's rest follows a dash
           "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",        // upper case
           "00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01",
           "0A-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
           "00-00000000000000000000000000000000-b7ad6b7169203331-01",  // all-zero trace id
           "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",  // all-zero parent id
           "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",  // version ff is invalid
           "00-0af7651916cd43dd8448eb211c80319-cb7ad6b7169203331-01",  // dash misplaced
           "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0g",
           "00_0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
           " 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(ar::detail::parse_traceparent(bad));
    CHECK(ar::detail::trace_id_of_traceparent(bad).empty());
  }
}

TEST_CASE("traceparent: written as version 00") {
  CHECK(ar::detail::write_traceparent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x01) ==
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  CHECK(ar::detail::write_traceparent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x00) ==
        "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00");
  CHECK(ar::detail::write_traceparent("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0xa3).ends_with("-a3"));
}

TEST_CASE("tracestate: valid lists") {
  for (const std::string_view good : {
           "",
           "congo=t61rcWkgMzE",
           "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
           "rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE",  // optional whitespace around members
           "rojo=1,,congo=2",                            // empty members are allowed
           "tenant@system=value",
           "0tenant@vendor=x",
           "a_b-c*d/e=v a l u e",  // spaces inside a value
           "k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~",
       }) {
    CAPTURE(good);
    CHECK(ar::detail::valid_tracestate(good));
  }
  std::string thirty_two;
  for (int index = 0; index < 32; ++index) thirty_two += (index ? ",k" : "k") + std::to_string(index) + "=v";
  CHECK(ar::detail::valid_tracestate(thirty_two));
  CHECK_FALSE(ar::detail::valid_tracestate(thirty_two + ",k32=v"));  // 33 members
  // 512 bytes are allowed, 513 are not.
  const std::string long_value = "k=" + std::string(254, 'v') + ",l=" + std::string(253, 'v');
  REQUIRE(long_value.size() == 512);
  CHECK(ar::detail::valid_tracestate(long_value));
  CHECK_FALSE(ar::detail::valid_tracestate(long_value + "x"));
}

TEST_CASE("tracestate: invalid lists are refused whole") {
  for (const std::string_view bad : {
           "novalue",
           "=value",
           "Upper=x",  // keys are lower case
           "1abc=x",   // a simple key starts with a letter
           "k=",       // a value has at least one character
           "k=a,b",    // 'b' is not a member
           "k=a=b",    // '=' in a value
           "k=1,k=2",  // a key once
           "tenant@=x",
           "@system=x",
           "t@1system=x",
           "t@systemnamelonger=x",  // system: 1 to 14, letter first
           "k=caf\xc3\xa9",         // printable ASCII only
           "k=tab\there",
       }) {
    CAPTURE(bad);
    CHECK_FALSE(ar::detail::valid_tracestate(bad));
  }
  CHECK_FALSE(ar::detail::valid_tracestate("k=" + std::string(257, 'v')));  // a value is at most 256
  CHECK_FALSE(ar::detail::valid_tracestate(std::string(257, 'k') + "=v"));  // a key is at most 256
  CHECK(ar::detail::valid_tracestate(std::string(256, 'k') + "=" + std::string(255, 'v')));
}

TEST_CASE("span context: a root span, a continued one, a child, and their traceparent") {
  const ar::span_context root = ar::detail::span_context_access::start({}, {}, 0x01, {}, nullptr);
  CHECK(root.trace_id().size() == 32);
  CHECK(ar::detail::lower_hex(root.trace_id()));
  CHECK(root.span_id().size() == 16);
  CHECK(ar::detail::lower_hex(root.span_id()));
  CHECK(root.parent_span_id().empty());
  CHECK(root.sampled());
  const std::string field = root.traceparent();
  const auto written = ar::detail::parse_traceparent(field);
  REQUIRE(written);
  CHECK(written->trace_id == root.trace_id());
  CHECK(written->parent_id == root.span_id());
  CHECK(written->flags == 0x01);

  const ar::span_context continued = ar::detail::span_context_access::start(
      "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331", 0x00, "rojo=1", nullptr);
  CHECK(continued.trace_id() == "0af7651916cd43dd8448eb211c80319c");
  CHECK(continued.parent_span_id() == "b7ad6b7169203331");
  CHECK(continued.span_id() != "b7ad6b7169203331");
  CHECK_FALSE(continued.sampled());
  CHECK(continued.traceparent().ends_with("-00"));
  CHECK(continued.tracestate() == "rojo=1");

  const ar::span_context child = ar::detail::span_context_access::child_of(continued);
  CHECK(child.trace_id() == continued.trace_id());
  CHECK(child.parent_span_id() == continued.span_id());
  CHECK(child.tracestate() == "rojo=1");
  CHECK(child.flags() == continued.flags());
}

TEST_CASE("span queue: full, it drops and counts; batches are taken oldest first") {
  ar::detail::span_queue queue(2, 10, nullptr, nullptr);
  for (const char* name : {"a", "b", "c"}) {
    ar::detail::span_record span;
    span.name = name;
    queue.push(std::move(span));
  }
  CHECK(queue.size() == 2);
  CHECK(queue.dropped() == 1);
  const auto first = queue.take(1);
  REQUIRE(first.size() == 1);
  CHECK(first[0].name == "a");
  CHECK(queue.take(5).size() == 1);
  CHECK(queue.take(5).empty());
}

TEST_CASE("span record: ids are held in place, exactly their length or empty") {
  ar::detail::span_record span;
  CHECK(span.trace_id.empty());
  span.trace_id = "0af7651916cd43dd8448eb211c80319c";
  span.span_id = "b7ad6b7169203331";
  CHECK(std::string_view(span.trace_id) == "0af7651916cd43dd8448eb211c80319c");
  CHECK(span.span_id == "b7ad6b7169203331");
  CHECK(span.parent_span_id.empty());
  // A copy keeps them; a view of the wrong length leaves the id empty instead of cut or padded.
  const ar::detail::span_record copied = span;
  CHECK(copied.trace_id == "0af7651916cd43dd8448eb211c80319c");
  span.span_id = "b7ad6b716920333";
  CHECK(span.span_id.empty());
  span.trace_id = "0af7651916cd43dd8448eb211c80319c00";
  CHECK(span.trace_id.empty());
}

TEST_CASE("OTLP JSON: a fixed span, exactly") {
  ar::detail::span_record span;
  span.trace_id = "0af7651916cd43dd8448eb211c80319c";
  span.span_id = "b7ad6b7169203331";
  span.parent_span_id = "00f067aa0ba902b7";
  span.tracestate = "rojo=1";
  span.name = "GET /users/42";
  span.kind = ar::detail::span_kind::server;
  span.start_unix_nano = 1765118499123456789ULL;
  span.end_unix_nano = 1765118499124000000ULL;
  span.status = ar::detail::span_status::error;
  span.trace_flags = 0x01;
  span.parent_is_remote = true;
  span.attributes = {
      {"http.request.method", std::string("GET")},
      {"http.response.status_code", std::int64_t{503}},
      {"sampled", true},
      {"ratio", 0.25},
      {"quote", std::string("a \"b\"")},
  };
  ar::detail::span_record root;
  root.trace_id = "0af7651916cd43dd8448eb211c80319c";
  root.span_id = "00f067aa0ba902b7";
  root.name = "GET";
  root.kind = ar::detail::span_kind::client;
  root.start_unix_nano = 1;
  root.end_unix_nano = 2;
  root.trace_flags = 0x01;
  const std::vector<ar::detail::span_record> spans{span, root};
  std::string out;
  ar::detail::append_otlp_trace_request(out, {"orders", "asyncrest", "0.1.0"}, spans);
  CHECK(out ==
        R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"orders"}}],)"
        R"("droppedAttributesCount":0},"scopeSpans":[{"scope":{"name":"asyncrest","version":"0.1.0"},"spans":[)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"rojo=1",)"
        R"("parentSpanId":"00f067aa0ba902b7","name":"GET /users/42","kind":2,)"
        R"("startTimeUnixNano":"1765118499123456789","endTimeUnixNano":"1765118499124000000","attributes":[)"
        R"({"key":"http.request.method","value":{"stringValue":"GET"}},)"
        R"({"key":"http.response.status_code","value":{"intValue":"503"}},)"
        R"({"key":"sampled","value":{"boolValue":true}},{"key":"ratio","value":{"doubleValue":0.25}},)"
        R"({"key":"quote","value":{"stringValue":"a \"b\""}}],"droppedAttributesCount":0,"events":[],)"
        R"("droppedEventsCount":0,"status":{"code":2},"links":[],"droppedLinksCount":0,"flags":769},)"
        R"({"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"00f067aa0ba902b7","name":"GET","kind":3,)"
        R"("startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":[],"droppedAttributesCount":0,"events":[],)"
        R"("droppedEventsCount":0,"status":{"code":0},"links":[],"droppedLinksCount":0,"flags":257}]}]}]})");
}
