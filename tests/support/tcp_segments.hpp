// Segments counted by the kernel, for tests of how responses are written.
#pragma once

#include <cstdint>

namespace asyncrest::testing {

/// The segments that carried data into the TCP socket `descriptor` so far.
std::uint32_t data_segments_received(int descriptor);

}  // namespace asyncrest::testing
