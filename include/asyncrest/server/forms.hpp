// HTML forms sent as application/x-www-form-urlencoded: the body read into name/value pairs.
//
//     ar::post<"/signup">([](ar::request& req) -> ar::task<ar::response> {
//       ar::form_fields form = co_await ar::read_form(req);
//       std::string_view email = form.get("email").value_or("");
//       std::vector<std::string_view> tags = form.get_all("tag");   // repeated names, in order
//       ...
//     })
//
// Multipart forms (file uploads) are in multipart.hpp; their text fields arrive as the same
// `form_fields`.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/core/url.hpp>
#include <asyncrest/server/detail/form_syntax.hpp>
#include <asyncrest/server/request.hpp>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// One field of a form, decoded.
struct form_field {
  std::string name;
  std::string value;
};

/// The fields of a form, in the order they were sent. A name may come more than once (a
/// multiple-choice list, several checkboxes): `get` gives the first, `get_all` every one.
class form_fields {
 public:
  using const_iterator = std::vector<form_field>::const_iterator;

  /// The value of the first field named `name`, if any (names are compared exactly).
  [[nodiscard]] std::optional<std::string_view> get(std::string_view name) const noexcept {
    for (const form_field& field : fields_) {
      if (field.name == name) return std::string_view(field.value);
    }
    return std::nullopt;
  }
  /// Every value of the fields named `name`, in order; empty when there is none.
  [[nodiscard]] std::vector<std::string_view> get_all(std::string_view name) const {
    std::vector<std::string_view> values;
    for (const form_field& field : fields_) {
      if (field.name == name) values.emplace_back(field.value);
    }
    return values;
  }
  [[nodiscard]] bool contains(std::string_view name) const noexcept { return get(name).has_value(); }

  [[nodiscard]] std::size_t size() const noexcept { return fields_.size(); }
  [[nodiscard]] bool empty() const noexcept { return fields_.empty(); }
  [[nodiscard]] const_iterator begin() const noexcept { return fields_.begin(); }
  [[nodiscard]] const_iterator end() const noexcept { return fields_.end(); }

  void add(std::string name, std::string value) { fields_.push_back({std::move(name), std::move(value)}); }

 private:
  std::vector<form_field> fields_;
};

/// What a urlencoded form may hold. Past a limit the request is answered with 413: a form's
/// fields are held in memory, so their number and size are bounded whatever the route's body
/// limit is.
struct form_limits {
  /// The body, encoded.
  std::size_t max_bytes = 1024 * 1024;
  std::size_t max_fields = 1000;
  /// Of one field's name and of one field's value, decoded.
  std::size_t max_name_bytes = 1024;
  std::size_t max_value_bytes = 512 * 1024;
};

/// Parses a urlencoded body (`+` is a space, `%XX` escapes decoded). A malformed escape is a
/// 400 `http_error`; a limit passed, 413.
[[nodiscard]] form_fields parse_form(std::string_view body, const form_limits& limits);
[[nodiscard]] inline form_fields parse_form(std::string_view body) { return parse_form(body, form_limits()); }

/// Reads the request's body as a urlencoded form, on any route (streamed bodies are gathered up
/// to `limits.max_bytes`). A Content-Type other than application/x-www-form-urlencoded is 415.
[[nodiscard]] task<form_fields> read_form(request& req, form_limits limits);
// An overload rather than a default argument: g++ 12 fails to compile a defaulted aggregate
// argument of a coroutine.
[[nodiscard]] inline task<form_fields> read_form(request& req) { return read_form(req, form_limits()); }

// ---- definitions ----------------------------------------------------------------------------

inline form_fields parse_form(std::string_view body, const form_limits& limits) {
  if (body.size() > limits.max_bytes) {
    throw http_error(status::payload_too_large,
                     "the form is larger than " + std::to_string(limits.max_bytes) + " bytes");
  }
  form_fields fields;
  std::string_view rest = body;
  std::string_view raw_name;
  std::string_view raw_value;
  while (detail::next_urlencoded_pair(rest, raw_name, raw_value)) {
    if (fields.size() >= limits.max_fields) {
      throw http_error(status::payload_too_large,
                       "the form has more than " + std::to_string(limits.max_fields) + " fields");
    }
    // Decoding never lengthens, so the encoded sizes bound the work before it is done.
    std::optional<std::string> name = percent_decode(raw_name, true);
    std::optional<std::string> value = percent_decode(raw_value, true);
    if (!name || !value) throw http_error(status::bad_request, "the form has a malformed percent-encoding");
    if (name->size() > limits.max_name_bytes) {
      throw http_error(status::payload_too_large,
                       "a form field's name is longer than " + std::to_string(limits.max_name_bytes) + " bytes");
    }
    if (value->size() > limits.max_value_bytes) {
      throw http_error(status::payload_too_large, "the form field \"" + *name + "\" is longer than " +
                                                      std::to_string(limits.max_value_bytes) + " bytes");
    }
    fields.add(std::move(*name), std::move(*value));
  }
  return fields;
}

inline task<form_fields> read_form(request& req, form_limits limits) {
  const std::string_view content_type = req.header("Content-Type").value_or("");
  if (!iequals(detail::media_type_of(content_type), "application/x-www-form-urlencoded")) {
    throw http_error(status::unsupported_media_type, "expected a Content-Type of application/x-www-form-urlencoded");
  }
  if (!req.body().empty()) co_return parse_form(req.body(), limits);  // buffered already: no copy
  std::string body;
  for (;;) {
    const std::string_view piece = co_await req.read_body();
    if (piece.empty()) break;
    if (piece.size() > limits.max_bytes - body.size()) {
      throw http_error(status::payload_too_large,
                       "the form is larger than " + std::to_string(limits.max_bytes) + " bytes");
    }
    body.append(piece);
  }
  co_return parse_form(body, limits);
}

}  // namespace asyncrest
