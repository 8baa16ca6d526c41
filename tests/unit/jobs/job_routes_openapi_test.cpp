// The job routes in an OpenAPI document: the `wait` query parameter with its type and bounds,
// the status schema, and the submit route's 202.
#include <asyncrest/jobs/jobs.hpp>
#include <asyncrest/server/openapi.hpp>

#include <asyncrest/core/json.hpp>
#include <asyncrest/server/router.hpp>

#include <doctest/doctest.h>
#include <simdjson.h>

#include <string>
#include <string_view>

namespace ar = asyncrest;

namespace {

/// The document parsed, and what a JSON Pointer finds in it, minified.
class job_document {
 public:
  explicit job_document(std::string text) : text_(std::move(text)) { root_ = parser_.parse(text_).value(); }

  [[nodiscard]] std::string minified(std::string_view pointer) const {
    simdjson::dom::element found;
    const auto error = root_.at_pointer(pointer).get(found);
    INFO("pointer: " << pointer << "\ndocument: " << text_);
    REQUIRE(error == simdjson::SUCCESS);
    return simdjson::minify(found);
  }
  [[nodiscard]] bool has(std::string_view pointer) const {
    simdjson::dom::element found;
    return root_.at_pointer(pointer).get(found) == simdjson::SUCCESS;
  }

 private:
  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

}  // namespace

TEST_CASE("openapi: the job routes show the wait parameter, the status schema and the submit's 202") {
  ar::jobs queue{{.workers = 1}, [](ar::job_context&) -> ar::json_value { return nullptr; }};
  const job_document document(ar::openapi_document(ar::routes(ar::job_routes<"/jobs">(queue)), {}));

  const std::string status = "/paths/~1jobs~1{id}/get/";
  CHECK(document.minified(status + "parameters") ==
        R"([{"name":"id","in":"path","required":true,"schema":{"type":"string"}},)"
        R"({"name":"wait","in":"query","schema":{"type":"integer","format":"int64","minimum":0,"default":0}}])");
  CHECK(document.minified(status + "responses/200/content/application~1json/schema") ==
        R"({"$ref":"#/components/schemas/job_status_body"})");
  CHECK(document.has(status + "responses/422"));
  CHECK(document.minified("/components/schemas/job_status_body/required") == R"(["id","status","submitted_at"])");
  CHECK(document.minified("/components/schemas/job_status_body/properties/status") ==
        R"({"type":"string","enum":["queued","running","succeeded","failed","cancelled"]})");
  CHECK(document.minified("/components/schemas/job_status_body/properties/finished_at") ==
        R"({"type":"string","format":"date-time"})");
  CHECK(document.minified("/components/schemas/job_status_body/properties/result") == "{}");

  CHECK(document.has("/paths/~1jobs/post/responses/202"));
  CHECK_FALSE(document.has("/paths/~1jobs/post/responses/200"));
  CHECK(document.has("/paths/~1jobs~1{id}/delete"));
}
