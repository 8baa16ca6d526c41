// A typed handler over real sockets: Python's `requests` sends a JSON body, repeated query keys
// and a header and gets the typed result with its status and Location; a request wrong in its
// body, its query and its headers at once gets one 422 listing all of them; a wrong Content-Type
// gets 415, and the connection serves the next request.
#include <asyncrest/asyncrest.hpp>

#include <support/python_script.hpp>
#include <support/raw_client.hpp>
#include <support/test_server.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ar = asyncrest;
using asyncrest::testing::http_reply;
using asyncrest::testing::test_server;

namespace {

struct new_note {
  std::string text;
  std::vector<std::string> labels;
};

struct note_options {
  bool pinned = false;
  std::vector<std::int32_t> notify;
};

struct note {
  std::int64_t id;
  std::string text;
  std::vector<std::string> labels;
  bool pinned;
  std::size_t notified;
  std::string author;
};

auto make_app() {
  return ar::app{ar::routes(ar::post<"/boards/{board:int}/notes">(
      [](std::int64_t board, ar::json_body<new_note> body, ar::query<note_options> options,
         ar::header<"X-Author", std::string> author) -> ar::task<ar::typed_response<note>> {
        note made{board * 100 + 1, body->text, body->labels, options->pinned, options->notify.size(), *author};
        ar::typed_response<note> out{.body = made, .status = ar::status::created};
        out.headers.set("Location", "/boards/" + std::to_string(board) + "/notes/" + std::to_string(made.id));
        co_return out;
      }))};
}

}  // namespace

TEST_CASE("a typed handler answers a third-party client with its typed result") {
  test_server server{&make_app};
  asyncrest::testing::python_script script(R"(
import sys, requests
reply = requests.post("http://127.0.0.1:%s/boards/7/notes" % sys.argv[1],
                      params=[("pinned", "true"), ("notify", "3"), ("notify", "4"), ("ignored", "x")],
                      headers={"X-Author": "ann"}, json={"text": "buy tea", "labels": ["home"]})
print(reply.status_code, reply.headers["Location"], reply.headers["Content-Type"])
print(reply.text)
)",
                                           std::to_string(server.port()));
  const auto [output, exit_status] = script.finish();
  CHECK(exit_status == 0);
  CHECK(output ==
        "201 /boards/7/notes/701 application/json\n"
        R"({"id":701,"text":"buy tea","labels":["home"],"pinned":true,"notified":2,"author":"ann"})"
        "\n");
}

TEST_CASE("a request wrong everywhere gets one 422 listing each error; a wrong Content-Type 415") {
  test_server server{&make_app};
  const std::string body = R"({"labels":["a",2]})";
  asyncrest::testing::raw_client client(server.port());
  client.send(
      "POST /boards/7/notes?pinned=yes&notify=1&notify=x HTTP/1.1\r\nHost: t\r\n"
      "Content-Type: application/json\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body);
  const http_reply listed = client.read_response();
  CHECK(listed.status == 422);
  CHECK(listed.header("Content-Type").value_or("") == "application/problem+json");
  CHECK(listed.body == R"({"type":"about:blank","title":"Unprocessable Content","status":422,)"
                       R"("detail":"the request does not fit what this resource accepts","errors":[)"
                       R"({"pointer":"/labels/1","detail":"expected a string"},)"
                       R"({"pointer":"/text","detail":"required"},)"
                       R"({"in":"query","name":"pinned","detail":"expected true, false, 1 or 0"},)"
                       R"({"in":"query","name":"notify","detail":"expected an integer"},)"
                       R"({"in":"header","name":"X-Author","detail":"required"}]})");

  // The same connection goes on: an error of the request's content closes nothing.
  const std::string good = R"({"text":"t","labels":[]})";
  client.send(
      "POST /boards/1/notes HTTP/1.1\r\nHost: t\r\nX-Author: bo\r\nContent-Type: text/plain\r\n"
      "Content-Length: " +
      std::to_string(good.size()) + "\r\n\r\n" + good);
  const http_reply refused = client.read_response();
  CHECK(refused.status == 415);
  CHECK(refused.header("Content-Type").value_or("") == "application/problem+json");
}
