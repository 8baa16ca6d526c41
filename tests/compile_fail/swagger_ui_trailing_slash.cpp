// expected error: the path must name the page, without a trailing
#include <asyncrest/server/swagger_ui.hpp>

namespace ar = asyncrest;

void make() {
  auto docs = ar::swagger_ui<"/docs/">();
  (void)docs;
}
