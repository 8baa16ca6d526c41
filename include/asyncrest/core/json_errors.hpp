// What reading a typed JSON document reports when the document does not fit the type: each
// misfit as a JSON Pointer (RFC 6901) to the value and a reason, and the exception that carries
// them all to a 422 Unprocessable Content response.
#pragma once

#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// One value that does not fit: where it is and why.
struct json_field_error {
  /// A JSON Pointer to the value (RFC 6901): "/items/2/name"; empty for the whole document.
  std::string pointer;
  /// Why, for the client: "expected a string", "required", "must be at least 1".
  std::string detail;

  friend bool operator==(const json_field_error&, const json_field_error&) = default;
};

/// Thrown by `read_json_body` (server/typed_body.hpp) for a body that is valid JSON but does not
/// fit the type; the server answers 422 with every error listed (see `validation_problem`).
class json_validation_error : public http_error {
 public:
  explicit json_validation_error(std::vector<json_field_error> errors)
      : http_error(status::unprocessable_content, "the JSON body does not fit what this resource accepts"),
        errors_(std::move(errors)) {}

  [[nodiscard]] const std::vector<json_field_error>& errors() const noexcept { return errors_; }

 private:
  std::vector<json_field_error> errors_;
};

/// Appends `/token` to a JSON Pointer, with `~` written `~0` and `/` written `~1` (RFC 6901 §3).
inline void append_json_pointer_token(std::string& pointer, std::string_view token) {
  pointer.push_back('/');
  for (const char character : token) {
    if (character == '~') {
      pointer.append("~0");
    } else if (character == '/') {
      pointer.append("~1");
    } else {
      pointer.push_back(character);
    }
  }
}

}  // namespace asyncrest
