// Job ids, RFC 3339 times and job route paths.
#include <asyncrest/jobs/jobs.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <set>
#include <string>

namespace ar = asyncrest;

TEST_CASE("job ids are 32 lowercase hex digits and do not repeat") {
  std::set<std::string> seen;
  for (int index = 0; index < 10000; ++index) {
    const std::string id = ar::detail::random_job_id();
    CHECK(id.size() == 32);
    CHECK(ar::detail::is_job_id(id));
    seen.insert(id);
  }
  CHECK(seen.size() == 10000);
}

TEST_CASE("only the id shape is accepted") {
  CHECK(ar::detail::is_job_id("0123456789abcdef0123456789abcdef"));
  CHECK_FALSE(ar::detail::is_job_id("0123456789ABCDEF0123456789ABCDEF"));
  CHECK_FALSE(ar::detail::is_job_id("0123456789abcdef0123456789abcde"));
  CHECK_FALSE(ar::detail::is_job_id("0123456789abcdef0123456789abcdef0"));
  CHECK_FALSE(ar::detail::is_job_id("0123456789abcdef0123456789abcdeg"));
  CHECK_FALSE(ar::detail::is_job_id(""));
  CHECK_FALSE(ar::detail::is_job_id("../../../../../../../../../etc/x"));
}

TEST_CASE("times are RFC 3339 in UTC with milliseconds") {
  using namespace std::chrono;
  CHECK(ar::detail::format_rfc3339(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  CHECK(ar::detail::format_rfc3339(system_clock::time_point{seconds(951782400) + milliseconds(7)}) ==
        "2000-02-29T00:00:00.007Z");
  CHECK(ar::detail::format_rfc3339(system_clock::time_point{seconds(1700000000) + milliseconds(999)}) ==
        "2023-11-14T22:13:20.999Z");
}

TEST_CASE("job route paths are the prefix and the prefix with /{id}") {
  constexpr auto joined = ar::detail::join_paths<"/api/jobs", "/{id}">();
  static_assert(joined.view() == "/api/jobs/{id}");
  static_assert(ar::detail::is_plain_prefix<"/jobs">());
  static_assert(!ar::detail::is_plain_prefix<"/jobs/">());
  static_assert(!ar::detail::is_plain_prefix<"jobs">());
  static_assert(!ar::detail::is_plain_prefix<"/">());
  static_assert(!ar::detail::is_plain_prefix<"/t/{tenant}/jobs">());
  CHECK(joined.view() == "/api/jobs/{id}");
}

TEST_CASE("job states have their wire names") {
  CHECK(ar::to_string(ar::job_state::queued) == "queued");
  CHECK(ar::to_string(ar::job_state::running) == "running");
  CHECK(ar::to_string(ar::job_state::succeeded) == "succeeded");
  CHECK(ar::to_string(ar::job_state::failed) == "failed");
  CHECK(ar::to_string(ar::job_state::cancelled) == "cancelled");
  CHECK(ar::is_finished(ar::job_state::cancelled));
  CHECK_FALSE(ar::is_finished(ar::job_state::running));
}
