// A request body's producer that takes the server's body_writer instead of a client_body_writer.
// expected error: the producer must be callable as task<void>\(client_body_writer&\)
#include <asyncrest/client/response.hpp>

namespace ar = asyncrest;

ar::request_body_part broken() {
  return ar::request_body_part::stream([](ar::body_writer& out) -> ar::task<void> { co_await out.write("x"); });
}
