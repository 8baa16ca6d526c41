// Request bodies as forms: application/x-www-form-urlencoded fields, and multipart/form-data with
// fields and files, the files read from disk while they are sent.
//
//     co_await http.post_form(url, {{"name", "Ada Lovelace"}, {"tag", "math"}, {"tag", "poetry"}});
//
//     ar::multipart_body upload;
//     upload.add_field("title", "holiday").add_file("photo", "/data/beach.jpg", "image/jpeg");
//     co_await http.post_multipart(url, std::move(upload));
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/method.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// Encodes `fields` as application/x-www-form-urlencoded, as browsers do: letters, digits and
/// `*-._` as they are, a space as `+`, every other byte as `%XX`.
[[nodiscard]] std::string url_encode_form(const std::vector<std::pair<std::string, std::string>>& fields);

/// A multipart/form-data body being built. Fields are held in memory; files are named here and
/// read when the request is sent, a block at a time.
class multipart_body {
 public:
  /// A body with a random boundary (128 bits: no content will hold it by chance).
  multipart_body();

  /// A text field. A name holding CR, LF or NUL throws `client_error` (`invalid_request`).
  multipart_body& add_field(std::string_view name, std::string_view value);
  /// A file from disk, sent as `filename` (the path's last component when empty).
  multipart_body& add_file(std::string_view name, std::filesystem::path path,
                           std::string_view content_type = "application/octet-stream", std::string_view filename = {});
  /// A file whose content is already in memory.
  multipart_body& add_file_content(std::string_view name, std::string_view filename, std::string content,
                                   std::string_view content_type = "application/octet-stream");

  [[nodiscard]] const std::string& boundary() const noexcept { return boundary_; }
  /// `multipart/form-data; boundary=...`, for the request's Content-Type.
  [[nodiscard]] std::string content_type() const { return "multipart/form-data; boundary=" + boundary_; }

  /// A request carrying the body (the final delimiter added), with its Content-Type.
  [[nodiscard]] client_request into_request(method verb, std::string url) &&;

 private:
  void begin_part(std::string_view name, const std::string_view* filename, std::string_view content_type);

  std::string boundary_;
  std::vector<request_body_part> parts_;
  std::string pending_;  // bytes not yet made a part: the next part joins them
};

// ---- definitions ----------------------------------------------------------------------------

inline std::string url_encode_form(const std::vector<std::pair<std::string, std::string>>& fields) {
  static constexpr std::string_view hex = "0123456789ABCDEF";
  std::string out;
  auto encode = [&](std::string_view text) {
    for (const char character : text) {
      const auto byte = static_cast<unsigned char>(character);
      const bool plain = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') || (byte >= '0' && byte <= '9') ||
                         byte == '*' || byte == '-' || byte == '.' || byte == '_';
      if (plain) {
        out.push_back(character);
      } else if (byte == ' ') {
        out.push_back('+');
      } else {
        out.push_back('%');
        out.push_back(hex[byte >> 4]);
        out.push_back(hex[byte & 0x0F]);
      }
    }
  };
  for (const auto& [name, value] : fields) {
    if (!out.empty()) out.push_back('&');
    encode(name);
    out.push_back('=');
    encode(value);
  }
  return out;
}

inline multipart_body::multipart_body() {
  std::random_device entropy;
  static constexpr std::string_view hex = "0123456789abcdef";
  boundary_ = "asyncrest-";
  for (int word = 0; word < 4; ++word) {
    std::uint32_t bits = entropy();
    for (int digit = 0; digit < 8; ++digit, bits >>= 4) boundary_.push_back(hex[bits & 0x0F]);
  }
}

namespace detail {
/// A quoted-string for a Content-Disposition parameter (RFC 7578 §4.2): `"` and `\` escaped.
inline void append_quoted_parameter(std::string& out, std::string_view value) {
  out.push_back('"');
  for (const char character : value) {
    if (character == '\r' || character == '\n' || character == '\0') {
      throw client_error(client_errc::invalid_request, "a multipart field name or filename cannot hold CR, LF or NUL");
    }
    if (character == '"' || character == '\\') out.push_back('\\');
    out.push_back(character);
  }
  out.push_back('"');
}
}  // namespace detail

inline void multipart_body::begin_part(std::string_view name, const std::string_view* filename,
                                       std::string_view content_type) {
  std::string head = "--" + boundary_ + "\r\nContent-Disposition: form-data; name=";
  detail::append_quoted_parameter(head, name);
  if (filename != nullptr) {
    head += "; filename=";
    detail::append_quoted_parameter(head, *filename);
  }
  head += "\r\n";
  if (!content_type.empty()) {
    if (content_type.find_first_of("\r\n") != std::string_view::npos) {
      throw client_error(client_errc::invalid_request, "a multipart part's content type cannot hold CR or LF");
    }
    head += "Content-Type: ";
    head += content_type;
    head += "\r\n";
  }
  head += "\r\n";
  pending_ += head;
}

inline multipart_body& multipart_body::add_field(std::string_view name, std::string_view value) {
  begin_part(name, nullptr, {});
  pending_ += value;
  pending_ += "\r\n";
  return *this;
}

inline multipart_body& multipart_body::add_file(std::string_view name, std::filesystem::path path,
                                                std::string_view content_type, std::string_view filename) {
  const std::string last_component = path.filename().string();
  const std::string_view sent_name = filename.empty() ? std::string_view(last_component) : filename;
  begin_part(name, &sent_name, content_type);
  parts_.push_back(request_body_part::bytes(std::exchange(pending_, {})));
  parts_.push_back(request_body_part::file(std::move(path)));
  pending_ = "\r\n";
  return *this;
}

inline multipart_body& multipart_body::add_file_content(std::string_view name, std::string_view filename,
                                                        std::string content, std::string_view content_type) {
  begin_part(name, &filename, content_type);
  pending_ += content;
  pending_ += "\r\n";
  return *this;
}

inline client_request multipart_body::into_request(method verb, std::string url) && {
  pending_ += "--" + boundary_ + "--\r\n";
  parts_.push_back(request_body_part::bytes(std::exchange(pending_, {})));
  client_request request(verb, std::move(url));
  request.headers.set("Content-Type", content_type());
  request.body_parts = std::move(parts_);
  return request;
}

}  // namespace asyncrest
