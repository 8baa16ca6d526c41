// Health for orchestrators and load balancers: liveness (the process serves) and readiness (it
// should be sent traffic), with a two-phase shutdown.
//
//     ar::health health;
//     health.add_check("database", [&] { return pool.connected(); });
//     ar::app app{ar::routes(ar::health_routes(health), ...)};
//     app.attach(health);   // readiness fails as soon as a stop begins
//     app.run({.port = 8080, .timeouts = {.readiness_grace = 5s}});
//
// GET /healthz answers 200 {"status":"alive"} while the server answers at all: a liveness probe
// that fails means the process is stuck and should be restarted. GET /readyz answers 200
// {"status":"ready"} when every check passes, and 503 with a problem body naming the failing
// checks (and the member "failing_checks") when one does not, or once the server is stopping:
// a readiness probe that fails takes the instance out of the load balancer, without restarting
// it. Both carry `Cache-Control: no-store`.
//
// The two phases: on SIGTERM or `app.stop()`, readiness fails at once, while the server goes on
// accepting and serving every route as before for `timeouts.readiness_grace`; load balancers see
// the failing readiness and stop sending. Then the usual drain: the port closes, requests in
// flight finish, idle connections close. Without the grace, a balancer that has not yet noticed
// the stop sends new connections to a closed port.
//
// Checks run on the thread of the /readyz request, one after the other, so they must answer
// quickly without blocking (read a flag that something else keeps up to date). A check that
// throws fails. Add checks before `run()`.
#pragma once

#include <asyncrest/core/json.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/server/fixed_string.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>
#include <asyncrest/server/route.hpp>
#include <asyncrest/server/router.hpp>

#include <atomic>
#include <concepts>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncrest {

/// The readiness checks and the stop flag behind `health_routes`. Attach it to the app
/// (`app.attach(health)`) so that readiness fails when a stop begins. Neither copied nor moved.
class health {
 public:
  health() = default;
  health(const health&) = delete;
  health& operator=(const health&) = delete;

  /// Adds a readiness check: a callable `bool()` that says whether the instance can serve.
  /// `name` appears in the answer when the check fails.
  template <class Check>
  void add_check(std::string name, Check check) {
    static_assert(std::is_invocable_r_v<bool, Check&>,
                  "asyncrest: health::add_check(name, check) takes a callable `bool()`, such as "
                  "[&] { return pool.connected(); }");
    checks_.push_back({std::move(name), std::function<bool()>(std::move(check))});
  }

  /// The names of the checks that fail now.
  [[nodiscard]] std::vector<std::string> failing_checks() const;

  /// Whether the server has begun to stop; from any thread.
  [[nodiscard]] bool stopping() const noexcept { return stopping_.load(std::memory_order_acquire); }

  /// Called by the app it is attached to when a stop begins.
  void server_stopping() noexcept { stopping_.store(true, std::memory_order_release); }

  /// The /healthz and /readyz answers.
  [[nodiscard]] response liveness() const;
  [[nodiscard]] response readiness() const;

 private:
  struct named_check {
    std::string name;
    std::function<bool()> check;
  };
  std::vector<named_check> checks_;
  std::atomic<bool> stopping_{false};
};

/// GET routes for liveness and readiness, "/healthz" and "/readyz" unless named otherwise.
/// `state` must outlive the app.
template <fixed_string LivenessPath = "/healthz", fixed_string ReadinessPath = "/readyz">
[[nodiscard]] auto health_routes(const health& state) {
  return route_group(get<LivenessPath>([&state](request&) { return state.liveness(); }),
                     get<ReadinessPath>([&state](request&) { return state.readiness(); }));
}

inline std::vector<std::string> health::failing_checks() const {
  std::vector<std::string> failing;
  for (const auto& each : checks_) {
    bool passed = false;
    try {
      passed = each.check();
    } catch (...) {
      passed = false;  // a check that cannot tell has not passed
    }
    if (!passed) failing.push_back(each.name);
  }
  return failing;
}

inline response health::liveness() const {
  response answer = raw_json(R"({"status":"alive"})");
  answer.headers.set("Cache-Control", "no-store");
  return answer;
}

inline response health::readiness() const {
  const bool stopping_now = stopping();
  const std::vector<std::string> failing = stopping_now ? std::vector<std::string>{} : failing_checks();
  if (!stopping_now && failing.empty()) {
    response answer = raw_json(R"({"status":"ready"})");
    answer.headers.set("Cache-Control", "no-store");
    return answer;
  }
  std::string detail;
  if (stopping_now) {
    detail = "the server is shutting down";
  } else {
    detail = failing.size() == 1 ? "the check " : "the checks ";
    for (std::size_t index = 0; index < failing.size(); ++index) {
      if (index != 0) detail += ", ";
      detail += '"' + failing[index] + '"';
    }
    detail += failing.size() == 1 ? " fails" : " fail";
  }
  response answer{status::service_unavailable, {}, {}};
  json_writer out{answer.body};
  out.begin_object();
  out.key("type");
  out.value("about:blank");
  out.key("title");
  out.value(reason_phrase(status::service_unavailable));
  out.key("status");
  out.value(to_number(status::service_unavailable));
  out.key("detail");
  out.value(detail);
  out.key("failing_checks");
  out.begin_array();
  for (const auto& name : failing) out.value(name);
  out.end_array();
  out.end_object();
  answer.headers.set("Content-Type", "application/problem+json");
  answer.headers.set("Cache-Control", "no-store");
  return answer;
}

}  // namespace asyncrest
