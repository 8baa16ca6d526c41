// The field list when growing it fails: its fields and its count of unsendable fields stay as
// they were. A program of its own, because it replaces the global array allocation functions,
// which must not meet memory that a library allocated with its own.
#include <asyncrest/core/headers.hpp>
#include <asyncrest/server/detail/response_writer.hpp>
#include <asyncrest/server/response.hpp>

#include <doctest/doctest.h>

#include <cstdlib>
#include <new>
#include <string>
#include <utility>

namespace {
bool fail_next_array_allocation = false;
}  // namespace

// The field list grows with new char[]: these let a test make that fail.
void* operator new[](std::size_t size) {
  if (std::exchange(fail_next_array_allocation, false)) throw std::bad_alloc();
  if (void* memory = std::malloc(size == 0 ? 1 : size)) return memory;
  throw std::bad_alloc();
}
void operator delete[](void* memory) noexcept { std::free(memory); }
void operator delete[](void* memory, std::size_t) noexcept { std::free(memory); }

namespace {

namespace ar = asyncrest;
using ar::detail::headers_access;

TEST_CASE("headers: a set that throws leaves the field and the count of unsendable fields as they were") {
  ar::headers list;
  list.add("X-Evil", "a\r\nInjected: 1");
  REQUIRE_FALSE(headers_access::all_sendable(list));
  fail_next_array_allocation = true;  // the new value needs the heap: its allocation fails
  CHECK_THROWS_AS(list.set("x-evil", std::string(300, 'x')), std::bad_alloc);
  fail_next_array_allocation = false;
  CHECK(list.get("X-Evil") == "a\r\nInjected: 1");
  CHECK_FALSE(headers_access::all_sendable(list));
  ar::response answer;
  answer.headers = list;
  std::string head;
  ar::detail::append_response_head(head, answer, {});
  CHECK(head.find("Injected") == std::string::npos);

  // And the count goes back to none once the field is replaced for good.
  list.set("X-Evil", "fine");
  CHECK(headers_access::all_sendable(list));
  list.erase("X-Evil");
  CHECK(headers_access::all_sendable(list));
  list.add("X-Other", "a\nb");
  CHECK_FALSE(headers_access::all_sendable(list));
}

TEST_CASE("headers: an add that throws leaves the list as it was") {
  ar::headers list;
  list.add("X-Evil", "a\nb");
  fail_next_array_allocation = true;
  CHECK_THROWS_AS(list.add("X-Long", std::string(300, 'x')), std::bad_alloc);
  fail_next_array_allocation = false;
  CHECK(list.size() == 1);
  CHECK_FALSE(headers_access::all_sendable(list));
  list.erase("x-evil");
  CHECK(headers_access::all_sendable(list));
}

}  // namespace
