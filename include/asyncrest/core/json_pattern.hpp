// The `.pattern` constraint of json_fields (json_fields.hpp), kept apart because <regex> is large:
// include this header where a struct with a pattern is read.
#pragma once

#include <asyncrest/core/detail/json_read.hpp>

#include <regex>
#include <string>
#include <string_view>

namespace asyncrest::detail {

/// The member's pattern, compiled on first use (ECMAScript syntax) and shared by every thread
/// after: matching with a const std::regex is safe from several threads.
template <class Member>
struct json_pattern_matcher {
  static bool matches(std::string_view text) {
    static const std::regex compiled{std::string(Member::rules.pattern), std::regex::ECMAScript};
    return std::regex_search(text.begin(), text.end(), compiled);
  }
};

}  // namespace asyncrest::detail
