// expected error: health::add_check\(name, check\) takes a callable `bool\(\)`
#include <asyncrest/server/health.hpp>

#include <string>

namespace ar = asyncrest;

void make(ar::health& state) {
  state.add_check("database", [](int attempts) { return attempts > 0; });
}
