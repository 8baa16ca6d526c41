// A path parameter as the router matched it, as `request::path_parameters()` lists them.
#pragma once

#include <string_view>

namespace asyncrest {

/// A path parameter as matched: its name in the route and its percent-decoded value.
struct path_parameter {
  std::string_view name;
  std::string_view value;
};

}  // namespace asyncrest
