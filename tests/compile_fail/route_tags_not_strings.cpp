// expected error: \.tags\(\.\.\.\) takes strings
#include <asyncrest/server/route.hpp>

namespace ar = asyncrest;

void make() {
  auto documented = ar::get<"/">([] { return ar::text("hi"); }).tags("greetings", 42);
  (void)documented;
}
