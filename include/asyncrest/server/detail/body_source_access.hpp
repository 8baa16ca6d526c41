// What the library needs of a response's body_source: its state, and giving it one.
#pragma once

#include <asyncrest/server/detail/body_source.hpp>
#include <asyncrest/server/response.hpp>

namespace asyncrest::detail {

struct body_source_access {
  [[nodiscard]] static body_source_state* state(const body_source& source) noexcept { return source.state_; }
  /// Gives `source` the state just made (its one owner), releasing any it had.
  static void adopt(body_source& source, body_source_state* state) noexcept {
    source.release();
    source.state_ = state;
  }
};

}  // namespace asyncrest::detail
