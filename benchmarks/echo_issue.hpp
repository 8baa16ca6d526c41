// The struct the typed echo reads echo_body.json into: a GitHub issue of 19 members (nested
// structs, vectors of structs, optionals, an enum, RFC 3339 time points, members renamed "+1",
// "-1" and "default"). Shared by typed_json_benchmarks and benchmark_server's POST /echo/typed.
#pragma once

#include <asyncrest/core/json_fields.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace benchmark_issue {

enum class issue_state { open, closed };

struct person {
  std::string login;
  std::int64_t id;
  std::optional<bool> site_admin;
  std::optional<std::string> type;
};

struct label {
  std::int64_t id;
  std::string name;
  std::string color;
  bool is_default;
};

struct milestone_info {
  std::int64_t id;
  int number;
  issue_state state;
  std::string title;
  int open_issues;
  int closed_issues;
};

struct reaction_counts {
  int total_count;
  int plus_one;
  int minus_one;
  int laugh;
  int hooray;
  int confused;
  int heart;
};

struct issue {
  std::int64_t id;
  int number;
  issue_state state;
  std::string title;
  std::string body;
  person user;
  std::vector<label> labels;
  std::vector<person> assignees;
  std::optional<milestone_info> milestone;
  bool locked;
  int comments;
  double score;
  std::chrono::sys_seconds created_at;
  std::chrono::sys_seconds updated_at;
  std::optional<std::chrono::sys_seconds> closed_at;
  reaction_counts reactions;
  std::string url;
  std::vector<std::string> tags;
  std::string html_url;
};

}  // namespace benchmark_issue

template <>
struct asyncrest::json_fields<benchmark_issue::label> {
  static constexpr auto rules =
      asyncrest::fields(asyncrest::field<&benchmark_issue::label::is_default>{.name = "default"});
};
template <>
struct asyncrest::json_fields<benchmark_issue::reaction_counts> {
  static constexpr auto rules =
      asyncrest::fields(asyncrest::field<&benchmark_issue::reaction_counts::plus_one>{.name = "+1"},
                        asyncrest::field<&benchmark_issue::reaction_counts::minus_one>{.name = "-1"});
};
