// The other translation unit of the ODR test: see first.cpp.
#include <asyncrest/asyncrest.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <string>

namespace odr {
std::string serve_in_second() {
  auto make_app = [] {
    return asyncrest::app{asyncrest::routes(asyncrest::post<"/where/{name}">([](asyncrest::request&, std::string name) {
      return asyncrest::json({{"second", name}});
    }))};
  };
  asyncrest::testing::test_server server(make_app);
  return asyncrest::testing::exchange(server.port(), "POST /where/b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
      .body;
}
}  // namespace odr
