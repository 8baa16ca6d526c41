// Plain structs to and from JSON, with every misfit reported:
//
//     struct item { std::string name; int count; };
//     struct order { std::vector<item> items; std::optional<std::string> note; };
//
//     json_read_result<order> read = read_json<order>(R"({"items":[{"name":"tea","count":2}]})");
//     if (!read) for (const json_field_error& error : read.errors()) ...;   // "/items/0/count"
//     std::string text = to_json(*read);
//
// Members are matched by name (or the name json_fields<T> gives them, json_fields.hpp, which also
// holds constraints). A member that is not a std::optional is required; an optional one may be
// absent or null, and is left out when written empty. Unknown members are ignored unless the
// settings refuse them. Enums are their enumerators' names, time points RFC 3339 strings (read
// with any offset, written in UTC), a std::variant a tagged object (json_variant_tags).
//
// On a server, read_json_body<T>(req) (server/typed_body.hpp) answers 422 with the errors.
#pragma once

#include <asyncrest/core/detail/json_parser_pool.hpp>
#include <asyncrest/core/detail/json_read.hpp>
#include <asyncrest/core/detail/json_read_on_demand.hpp>
#include <asyncrest/core/detail/json_write.hpp>
#include <asyncrest/core/json.hpp>
#include <asyncrest/core/json_errors.hpp>
#include <asyncrest/core/json_fields.hpp>

#include <simdjson.h>

#include <algorithm>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// What happens to an object member no struct member has.
enum class json_unknown_fields {
  ignore,  ///< skipped: clients may send more than this version knows (the default)
  refuse,  ///< an error "unknown field" for each
};

struct json_read_settings {
  json_unknown_fields unknown_fields = json_unknown_fields::ignore;
  /// Reading stops after this many errors, so a large bad document gets a bounded answer.
  std::size_t max_errors = 100;
};

/// The value read, or every error found instead.
template <class Value>
class [[nodiscard]] json_read_result {
 public:
  explicit json_read_result(const Value& value) : value_(value) {}
  explicit json_read_result(Value&& value) : value_(std::move(value)) {}
  explicit json_read_result(std::vector<json_field_error> errors) noexcept : errors_(std::move(errors)) {}

  [[nodiscard]] bool has_value() const noexcept { return value_.has_value(); }
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws `json_validation_error` (a 422 `http_error`) with the errors when there is none.
  [[nodiscard]] Value& value() & {
    throw_if_empty();
    return *value_;
  }
  [[nodiscard]] const Value& value() const& {
    throw_if_empty();
    return *value_;
  }
  [[nodiscard]] Value&& value() && {
    throw_if_empty();
    return std::move(*value_);
  }
  Value& operator*() & { return value(); }
  const Value& operator*() const& { return value(); }
  Value* operator->() { return &value(); }
  const Value* operator->() const { return &value(); }

  /// Every misfit, in document order; empty when the value was read.
  [[nodiscard]] const std::vector<json_field_error>& errors() const& noexcept { return errors_; }
  [[nodiscard]] std::vector<json_field_error> errors() && noexcept { return std::move(errors_); }

 private:
  void throw_if_empty() const {
    if (!value_) throw json_validation_error(errors_);
  }

  std::optional<Value> value_;
  std::vector<json_field_error> errors_;
};

/// Reads a parsed document (as `request::json()` returns) into a `Value`.
template <class Value>
[[nodiscard]] json_read_result<Value> read_json(simdjson::dom::element document, json_read_settings settings = {}) {
  static_assert(std::is_default_constructible_v<Value>, "read_json<T>: T must be default-constructible");
  std::vector<json_field_error> errors;
  Value value{};
  detail::json_reader reader{errors, settings.unknown_fields == json_unknown_fields::refuse,
                             settings.max_errors == 0 ? 1 : settings.max_errors};
  reader.read(document, value);
  if (!errors.empty()) return json_read_result<Value>(std::move(errors));
  return json_read_result<Value>(std::move(value));
}

/// Parses `text` and reads it into a `Value`. Text that is not JSON is one error, at "".
/// Faster than parsing and reading the document apart: a document that fits is read as it is
/// parsed (json_read_on_demand.hpp), and only one that does not is parsed whole to list why.
template <class Value>
[[nodiscard]] json_read_result<Value> read_json(std::string_view text, json_read_settings settings = {}) {
  if (std::optional<Value> value = detail::read_json_on_demand<Value>(text)) {
    return json_read_result<Value>(std::move(*value));
  }
  const detail::pooled_json_parser parser = detail::acquire_json_parser();
  simdjson::dom::element document;
  const simdjson::error_code parsed = parser->parse(text.data(), text.size()).get(document);
  if (parsed != simdjson::SUCCESS) {
    return json_read_result<Value>(
        std::vector<json_field_error>{{"", std::string("not valid JSON: ") + simdjson::error_message(parsed)}});
  }
  return read_json<Value>(document, settings);
}

/// Appends `value` as JSON to `out`.
template <class Value>
void write_json(const Value& value, std::string& out) {
  // Room for what the last value of this type took, so a document is written without growing;
  // at most 64 KiB, so that one large value does not make every later string that large.
  constexpr std::size_t largest_room = std::size_t{64} << 10;
  thread_local std::size_t expected_size = 0;
  detail::json_output output{out, std::min(expected_size + expected_size / 8 + 64, largest_room)};
  detail::write_json_value(output, value);
  expected_size = output.written();
}

/// `value` as JSON text.
template <class Value>
[[nodiscard]] std::string to_json(const Value& value) {
  std::string out;
  write_json(value, out);
  return out;
}

}  // namespace asyncrest
