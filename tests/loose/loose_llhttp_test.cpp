// A server linked with llhttp built loose (llhttp 8 without LLHTTP_STRICT_MODE=1) refuses to
// start, since such a parser reads some requests differently from a strict proxy in front.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <llhttp.h>

#include <stdexcept>
#include <string>

namespace ar = asyncrest;

TEST_CASE("a server linked with a loose llhttp refuses to start") {
#if LLHTTP_VERSION_MAJOR >= 9
  MESSAGE("llhttp " << LLHTTP_VERSION_MAJOR << " is strict however it is built: nothing to refuse");
#else
  CHECK_FALSE(ar::detail::linked_llhttp_is_strict());
  ar::app application{ar::routes(ar::get<"/">([](ar::request&) { return ar::text("ok"); }))};
  try {
    (void)application.listen({.host = "127.0.0.1", .port = 0});
    FAIL("listen() accepted a loose llhttp");
  } catch (const std::runtime_error& error) {
    CHECK(std::string(error.what()).find("LLHTTP_STRICT_MODE=1") != std::string::npos);
  }
#endif
}
