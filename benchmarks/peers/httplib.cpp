// cpp-httplib: a blocking server with a thread pool, one connection per pool thread at a time.
// The pool has 64 threads (its default is 8, which would leave most of 64 connections waiting)
// and keep-alive is not capped at its default of 5 requests. Routes are regular expressions
// tried in order; the 200-route table is registered from github_routes.txt. No JSON library:
// /json answers a fixed body and POST /echo is not served.
//   peer_httplib [port]      port 0: the kernel picks one; the port is printed
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <regex>
#include <string>

namespace {

void add_table(httplib::Server& server) {
  std::ifstream table(GITHUB_ROUTES_FILE);
  std::string verb;
  std::string path;
  while (table >> verb) {
    if (verb.front() == '#') {
      std::getline(table, path);
      continue;
    }
    table >> path;
    const std::string pattern = std::regex_replace(path, std::regex(R"(\{[^}]+\})"), "([^/]+)");
    auto handler = [](const httplib::Request& request, httplib::Response& response) {
      std::string body;
      for (std::size_t index = 1; index < request.matches.size(); ++index) {
        if (index > 1) body.push_back('/');
        body.append(request.matches[index].str());
      }
      response.set_content(body, "text/plain; charset=utf-8");
    };
    if (verb == "GET") server.Get(pattern, handler);
    if (verb == "POST") server.Post(pattern, handler);
    if (verb == "PUT") server.Put(pattern, handler);
    if (verb == "PATCH") server.Patch(pattern, handler);
    if (verb == "DELETE") server.Delete(pattern, handler);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const int port = argc > 1 ? std::atoi(argv[1]) : 8080;
  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(64); };
  server.set_keep_alive_max_count(1 << 30);
  server.Get("/plaintext", [](const httplib::Request&, httplib::Response& response) {
    response.set_content("Hello, World!", "text/plain");
  });
  server.Get("/json", [](const httplib::Request&, httplib::Response& response) {
    response.set_content(R"({"message":"Hello, World!"})", "application/json");
  });
  add_table(server);
  const int bound =
      port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound < 0) return 1;
  std::printf("listening on port %d\n", bound);
  std::fflush(stdout);
  server.listen_after_bind();
}
