// RESTinio 0.6 on standalone Asio: its easy_parser_router (each route a parser of the path, no
// regular expressions, tried in the order registered, the method first), keep-alive, up to 16
// pipelined requests read ahead per connection, TCP_NODELAY. One thread by default, as
// asyncrest's server: RESTinio's single-thread traits, without strands; with more threads, one
// io_context run by all of them and RESTinio's default traits (a strand per connection). The
// router is the request handler type in the traits, so no std::function sits in front of it.
// The 200-route table is registered from github_routes.txt at start-up. No JSON library: /json
// answers a fixed body and POST /echo is not served.
//   peer_restinio [port] [threads]     port 0: the kernel picks one; the port is printed
#include "http_date.hpp"

#include <restinio/all.hpp>
#include <restinio/router/easy_parser_router.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

namespace {

namespace epr = restinio::router::easy_parser_router;
using router = restinio::router::easy_parser_router_t;

template <class Strand>
using peer_traits = restinio::traits_t<restinio::asio_timer_manager_t, restinio::null_logger_t, router, Strand>;
using single_thread_traits = peer_traits<restinio::noop_strand_t>;
using thread_pool_traits = peer_traits<restinio::default_strand_t>;

constexpr std::string_view plaintext_body = "Hello, World!";
constexpr std::string_view json_body = R"({"message":"Hello, World!"})";

template <class Builder>
restinio::request_handling_status_t finish(Builder&& builder, std::string_view type, restinio::writable_item_t body) {
  return std::forward<Builder>(builder)
      .append_header(restinio::http_field::date, std::string(peers::http_date()))
      .append_header(restinio::http_field::content_type, std::string(type))
      .set_body(std::move(body))
      .done();
}

restinio::request_handling_status_t reply(const restinio::request_handle_t& request, std::string_view type,
                                          restinio::writable_item_t body) {
  return finish(request->create_response(), type, std::move(body));
}

restinio::writable_item_t fixed(std::string_view text) { return restinio::const_buffer(text.data(), text.size()); }

// A route of the table with sizeof...(Index) + 1 parameters: literals[0], a path segment,
// literals[1], ..., a path segment, then literals.back() unless it is empty (RESTinio refuses an
// empty literal). The handler answers the segments joined by '/'.
template <std::size_t... Index>
void add_table_route(router& routes, restinio::http_method_id_t method, const std::vector<std::string>& literals,
                     std::index_sequence<Index...>) {
  auto handler = [](const restinio::request_handle_t& request, const auto&... values) {
    std::string body;
    ((body.append(values), body.push_back('/')), ...);
    if (!body.empty()) body.pop_back();
    return reply(request, "text/plain", std::move(body));
  };
  auto add = [&](auto&&... part) {
    routes.add_handler(method, epr::path_to_params(std::forward<decltype(part)>(part)...), handler);
  };
  auto parts =
      std::tuple_cat(std::make_tuple(literals[0]), std::make_tuple(epr::path_fragment_p(), literals[Index + 1])...,
                     std::make_tuple(epr::path_fragment_p()));
  if (literals.back().empty()) {
    std::apply(add, std::move(parts));
  } else {
    std::apply(add, std::tuple_cat(std::move(parts), std::make_tuple(literals.back())));
  }
}

restinio::http_method_id_t method_of(const std::string& verb) {
  if (verb == "GET") return restinio::http_method_get();
  if (verb == "POST") return restinio::http_method_post();
  if (verb == "PUT") return restinio::http_method_put();
  if (verb == "PATCH") return restinio::http_method_patch();
  if (verb == "DELETE") return restinio::http_method_delete();
  throw std::runtime_error("github_routes.txt: unknown method " + verb);
}

void add_table(router& routes) {
  std::ifstream table(GITHUB_ROUTES_FILE);
  if (!table) throw std::runtime_error("cannot read " GITHUB_ROUTES_FILE);
  std::string line;
  while (std::getline(table, line)) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream fields(line);
    std::string verb;
    std::string path;
    fields >> verb >> path;
    // "/repos/{owner}/{repo}/issues/{issue_number}" -> "/repos/", "/", "/issues/", "".
    std::vector<std::string> literals(1);
    for (std::size_t at = 0; at < path.size(); ++at) {
      if (path[at] == '{') {
        at = path.find('}', at);
        if (at == std::string::npos) throw std::runtime_error("github_routes.txt: unclosed { in " + path);
        literals.emplace_back();
      } else {
        literals.back().push_back(path[at]);
      }
    }
    const auto method = method_of(verb);
    switch (literals.size() - 1) {
      case 0:
        routes.add_handler(method, epr::path_to_params(path), [](const restinio::request_handle_t& request) {
          return reply(request, "text/plain", fixed(""));
        });
        break;
      case 1: add_table_route(routes, method, literals, std::make_index_sequence<0>{}); break;
      case 2: add_table_route(routes, method, literals, std::make_index_sequence<1>{}); break;
      case 3: add_table_route(routes, method, literals, std::make_index_sequence<2>{}); break;
      case 4: add_table_route(routes, method, literals, std::make_index_sequence<3>{}); break;
      default: throw std::runtime_error("github_routes.txt: too many parameters in " + path);
    }
  }
}

std::unique_ptr<router> make_router() {
  auto routes = std::make_unique<router>();
  routes->http_get(epr::path_to_params("/plaintext"), [](const restinio::request_handle_t& request) {
    return reply(request, "text/plain", fixed(plaintext_body));
  });
  routes->http_get(epr::path_to_params("/json"), [](const restinio::request_handle_t& request) {
    return reply(request, "application/json", fixed(json_body));
  });
  add_table(*routes);
  routes->non_matched_request_handler([](restinio::request_handle_t request) {
    return finish(request->create_response(restinio::status_not_found()), "text/plain", fixed(""));
  });
  return routes;
}

template <class Traits>
int serve(std::uint16_t port, unsigned threads) {
  asio::io_context context(static_cast<int>(threads));
  std::uint16_t bound = 0;
  bool failed = false;
  auto configure = [&](auto& settings) {
    settings.address("127.0.0.1")
        .port(port)
        .request_handler(make_router())
        .max_pipelined_requests(16)
        .socket_options_setter(
            [](restinio::socket_options_t& options) { options.set_option(asio::ip::tcp::no_delay(true)); })
        .acceptor_post_bind_hook(
            [&bound](asio::ip::tcp::acceptor& acceptor) { bound = acceptor.local_endpoint().port(); });
  };
  restinio::http_server_t<Traits> server{restinio::external_io_context(context), configure};
  // open_async binds, listens and starts accepting on the io_context, then calls back.
  server.open_async(
      [&bound] {
        std::printf("listening on port %u\n", static_cast<unsigned>(bound));
        std::fflush(stdout);
      },
      [&context, &failed](std::exception_ptr error) {
        try {
          std::rethrow_exception(error);
        } catch (const std::exception& exception) {
          std::fprintf(stderr, "peer_restinio: %s\n", exception.what());
        } catch (...) {
          std::fprintf(stderr, "peer_restinio: the server did not start\n");
        }
        failed = true;
        context.stop();
      });
  std::vector<std::thread> pool;
  for (unsigned index = 1; index < threads; ++index) pool.emplace_back([&context] { context.run(); });
  context.run();
  for (auto& thread : pool) thread.join();
  return failed ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  const int requested = argc > 2 ? std::atoi(argv[2]) : 1;
  const unsigned threads = requested > 1 ? static_cast<unsigned>(requested) : 1U;
  try {
    return threads == 1 ? serve<single_thread_traits>(port, threads) : serve<thread_pool_traits>(port, threads);
  } catch (const std::exception& exception) {
    std::fprintf(stderr, "peer_restinio: %s\n", exception.what());
    return 1;
  }
}
