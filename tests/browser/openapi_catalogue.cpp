// Prints the OpenAPI document of a table that uses every kind of type and rule the generator
// describes (nested and recursive structs, optionals, vectors, maps, enums, time points, a
// tagged variant, any JSON, each json_fields rule, path, query and header parameters of each
// kind, metadata), for openapi_validation_test.mjs to hand to a real validator.
#include <asyncrest/core/json_pattern.hpp>
#include <asyncrest/server.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace ar = asyncrest;

namespace catalogue {

enum class colour { red, green, blue };

struct address {
  std::string street;
  std::optional<std::string> city;
};
struct circle {
  double radius;
};
struct square {
  double side;
};
using shape = std::variant<circle, square>;

struct category {
  std::string name;
  std::vector<category> children;
};

struct product {
  std::int64_t id;
  std::string name;
  bool available;
  std::uint8_t stock;
  float weight;
  double price;
  colour tint;
  std::optional<std::string> note;
  std::vector<std::string> labels;
  std::map<std::string, int> counts;
  std::chrono::sys_seconds added;
  address origin;
  std::vector<address> depots;
  shape outline;
  category section;
  ar::json_value extra;
};

struct new_product {
  std::string name;
  int priority;
  std::vector<int> sizes;
  std::optional<std::string> code;
  std::string level;
};

struct product_filter {
  int limit = 20;
  bool available = true;
  std::optional<std::string> after;
  std::vector<std::string> label;
  colour tint = colour::red;
  double min_price = 0.5;
};

}  // namespace catalogue

template <>
struct asyncrest::json_variant_tags<catalogue::shape> {
  static constexpr std::string_view key = "kind";
  static constexpr std::array<std::string_view, 2> values = {"circle", "square"};
};
template <>
struct asyncrest::json_fields<catalogue::new_product> {
  static constexpr auto rules =
      ar::fields(ar::field<&catalogue::new_product::name>{.length = {1, 80}},
                 ar::field<&catalogue::new_product::priority>{.name = "prio", .minimum = 0, .maximum = 5},
                 ar::field<&catalogue::new_product::sizes>{.length = {.minimum = 1, .maximum = 4}},
                 ar::field<&catalogue::new_product::code>{.pattern = "^[A-Z]{3}$"},
                 ar::field<&catalogue::new_product::level>{.one_of = {"low", "high"}});
};
template <>
struct asyncrest::json_fields<catalogue::product_filter> {
  static constexpr auto rules = ar::fields(ar::field<&catalogue::product_filter::limit>{.minimum = 1, .maximum = 100},
                                           ar::field<&catalogue::product_filter::min_price>{.name = "min-price"});
};
template <>
struct asyncrest::json_schema_name<catalogue::new_product> {
  static constexpr std::string_view name = "NewProduct";
};

int main() {
  using catalogue::product;
  auto table = ar::routes(
      ar::get<"/products">([](ar::query<catalogue::product_filter>, ar::header<"X-Tenant", std::string>,
                              ar::header<"X-Trace", std::optional<std::uint32_t>>) { return std::vector<product>{}; })
          .summary("List products")
          .tags("products"),
      ar::post<"/products">([](ar::json_body<catalogue::new_product>) -> std::pair<ar::status, product> {
        return {ar::status::created, product{}};
      })
          .summary("Add a product")
          .description("The product is *new*.")
          .tags("products", "admin")
          .success_status(ar::status::created),
      ar::get<"/products/{id:int}">([](std::int64_t) { return product{}; }).operation_id("findProduct"),
      ar::put<"/products/{id:int}/weight/{grams:float}">([](std::int64_t, double) {
        return ar::empty();
      }).success_status(ar::status::no_content),
      ar::delete_<"/products/{key:uuid}">([](std::string_view) { return ar::empty(); }).deprecated(),
      ar::get<"/files/{rest:path}">([](ar::request&, std::string_view) { return ar::text("file"); }),
      ar::options<"/products">([](ar::request&) -> ar::task<ar::response> { co_return ar::empty(); }),
      ar::get<"/">([](ar::request&) { return ar::text("home"); }));
  const std::string document = ar::openapi_document(table, {.title = "Catalogue",
                                                            .version = "3.0.1",
                                                            .description = "Every type described",
                                                            .servers = {"https://catalogue.example/v3"}});
  std::fwrite(document.data(), 1, document.size(), stdout);
  return 0;
}
