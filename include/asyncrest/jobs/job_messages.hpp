// What the job routes read and answer, as typed values: the `?wait=` of a status request and
// the JSON bodies of a submitted job and of a job's status. The routes' OpenAPI description
// (server/openapi.hpp) is made from these types.
#pragma once

#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_fields.hpp>
#include <asyncrest/jobs/backend.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace asyncrest {

/// The query of `GET {prefix}/{id}`: how many seconds to wait for the job to end. A number above
/// the queue's `max_wait` waits `max_wait` (the cap is a run-time setting, so it clamps rather
/// than refuses); one that is not a whole number of seconds, or is negative, is a 422.
struct job_status_query {
  std::int64_t wait = 0;
};

/// The 202 body of `POST {prefix}`: the new job's id and its status, always "queued".
struct job_submitted_body {
  std::string id;
  job_state status = job_state::queued;
};

/// The body of `GET` and `DELETE {prefix}/{id}`. Times are RFC 3339 in UTC with milliseconds;
/// `result` (any JSON) is there once the job succeeded, `error` once it failed or was cancelled.
struct job_status_body {
  using time = std::chrono::sys_time<std::chrono::milliseconds>;

  std::string id;
  job_state status = job_state::queued;
  time submitted_at{};
  std::optional<time> started_at;
  std::optional<time> finished_at;
  std::optional<json_value> result;
  std::optional<std::string> error;
};

}  // namespace asyncrest

template <>
struct asyncrest::json_fields<asyncrest::job_status_query> {
  static constexpr auto rules = asyncrest::fields(asyncrest::field<&asyncrest::job_status_query::wait>{.minimum = 0});
};
