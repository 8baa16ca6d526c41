// A multipart file sink that takes the part's bytes instead of the part.
// expected error: the sink must be callable as `task<void>\(ar::multipart_part& part\)`
#include <asyncrest/server/multipart.hpp>

#include <string_view>

namespace ar = asyncrest;

ar::task<ar::form_fields> broken(ar::request& req) {
  return ar::read_multipart(req, ar::multipart_settings(), [](std::string_view) -> ar::task<void> { co_return; });
}
