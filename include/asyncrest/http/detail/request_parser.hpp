// llhttp, strict, wrapped for one request at a time: it records where each part of a request lies in
// the read buffer (as offsets, so the buffer may move while a request arrives), enforces the
// limits in its callbacks, and stops after the header block of a request with a body and after
// each message so that the connection can decide what to do next.
#pragma once

#include <asyncrest/core/detail/token_characters.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/http/detail/raw_header.hpp>
#include <asyncrest/server/settings.hpp>

#include <asyncrest/http/detail/strict_llhttp.hpp>

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

class request_parser {
 public:
  /// What `execute` stopped at. A request with a body stops after its head (`headers_complete`),
  /// for the head to be checked before the body is read, and again at its end
  /// (`message_complete`). A request without one stops once, at its end, with its head still to
  /// be checked (`bodiless_message_complete`): one pass through llhttp instead of two.
  enum class event : std::uint8_t { need_more, headers_complete, message_complete, bodiless_message_complete, error };

  explicit request_parser(const request_limits& limits) noexcept : limits_(&limits) {
    init_strict(parser_, HTTP_REQUEST, callbacks());
    parser_.data = this;
  }
  request_parser(const request_parser&) = delete;
  request_parser& operator=(const request_parser&) = delete;

  /// Readies a parser lent from a pool for another connection, which may have other limits: the
  /// previous one may have left it in the middle of a message.
  void reuse(const request_limits& limits) noexcept {
    limits_ = &limits;
    llhttp_reset(&parser_);
  }

  /// Forgets the previous request; the next bytes given to `execute` start a new one. Its
  /// fields' offsets go to `fields`, a body that arrives in pieces (chunked) to `gathered_body`;
  /// both are empty.
  void begin_request(std::vector<raw_header>& fields, std::string& gathered_body) noexcept {
    fields_ = &fields;
    gathered_body_ = &gathered_body;
    target_offset_ = target_length_ = 0;
    in_field_name_ = false;
    headers_complete_ = false;
    head_paused_ = false;
    header_bytes_ = 0;
    body_offset_ = body_length_ = 0;
    body_total_ = 0;
    trailer_bytes_ = 0;
    trailer_count_ = 0;
    body_owned_ = false;
    max_body_bytes_ = limits_->max_body_bytes;
    body_limit_is_route_ = false;
    error_status_ = status::bad_request;
    error_detail_ = {};
    failed_in_callback_ = false;
  }

  /// Parses `size` bytes at `data`; `request_start` is where the current request begins in the
  /// same buffer. Sets `consumed` to the bytes used, which may be fewer than given when it stops
  /// at the end of the header block or of a message.
  event execute(const char* request_start, const char* data, std::size_t size, std::size_t& consumed) noexcept {
    request_start_ = request_start;
    const llhttp_errno_t result = llhttp_execute(&parser_, data, size);
    switch (result) {
      case HPE_OK: consumed = size; return event::need_more;
      case HPE_PAUSED: {
        const char* const stop = llhttp_get_error_pos(&parser_);
        consumed = static_cast<std::size_t>(stop - data);
        llhttp_resume(&parser_);
        const bool message_ended = std::exchange(message_complete_, false);
        if (message_ended && head_paused_) {
          if (chunked() && !ends_with_blank_line(request_start + header_bytes_, stop)) return crlf_error();
          return event::message_complete;
        }
        header_bytes_ = static_cast<std::size_t>(stop - request_start);
        if (!is_crlf_framed_head(std::string_view(request_start, header_bytes_))) return crlf_error();
        return message_ended ? event::bodiless_message_complete : event::headers_complete;
      }
      case HPE_PAUSED_UPGRADE:
        // An Upgrade this server does not take: the request was answered as plain HTTP (RFC 9110
        // §7.8 lets a server ignore Upgrade) and the connection goes on as HTTP/1.1.
        consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
        llhttp_resume_after_upgrade(&parser_);
        return event::need_more;
      default:
        consumed = size;
        last_error_ = result;
        classify_error(result, request_start, data + size);
        return event::error;
    }
  }

  [[nodiscard]] status error_status() const noexcept { return error_status_; }
  [[nodiscard]] std::string_view error_detail() const noexcept { return error_detail_; }
  /// An invalid method whose end has not arrived yet cannot be told from an unknown one.
  [[nodiscard]] bool error_needs_more_bytes() const noexcept { return error_needs_more_; }
  /// Decides the error again once more of the request line has arrived.
  void reclassify_error(const char* request_start, const char* data_end) noexcept {
    classify_error(last_error_, request_start, data_end);
  }

  [[nodiscard]] bool headers_complete() const noexcept { return headers_complete_; }
  /// Bytes of the request line and header block, once the block is complete.
  [[nodiscard]] std::size_t header_bytes() const noexcept { return header_bytes_; }
  [[nodiscard]] unsigned version_major() const noexcept { return parser_.http_major; }
  [[nodiscard]] unsigned version_minor() const noexcept { return parser_.http_minor; }
  [[nodiscard]] llhttp_method_t method() const noexcept { return static_cast<llhttp_method_t>(parser_.method); }
  [[nodiscard]] bool chunked() const noexcept { return (parser_.flags & F_CHUNKED) != 0; }
  [[nodiscard]] bool has_content_length() const noexcept { return (parser_.flags & F_CONTENT_LENGTH) != 0; }
  [[nodiscard]] std::uint64_t content_length() const noexcept { return parser_.content_length; }
  [[nodiscard]] bool expects_body() const noexcept {
    return chunked() || (has_content_length() && content_length() > 0);
  }
  /// llhttp_should_keep_alive for a request, whose end never depends on the connection closing:
  /// HTTP/1.1 unless "Connection: close", HTTP/1.0 only with "Connection: keep-alive". Here, it
  /// is read from the flags in place rather than through two calls into llhttp per request.
  [[nodiscard]] bool keep_alive() const noexcept {
    if (parser_.http_major > 0 && parser_.http_minor > 0) return (parser_.flags & F_CONNECTION_CLOSE) == 0;
    return (parser_.flags & F_CONNECTION_KEEP_ALIVE) != 0;
  }
  /// The largest body accepted: the server's, or the route's once the head has led to it.
  [[nodiscard]] std::size_t body_limit() const noexcept { return max_body_bytes_; }
  void set_route_body_limit(std::size_t limit) noexcept {
    max_body_bytes_ = limit;
    body_limit_is_route_ = true;
  }
  [[nodiscard]] std::string_view body_too_large() const noexcept { return body_too_large(body_limit_is_route_); }
  /// The 413's detail, by whose limit was passed (the test client answers with the same words).
  [[nodiscard]] static constexpr std::string_view body_too_large(bool route_limit) noexcept {
    return route_limit ? "the request body is larger than this route accepts"
                       : "the request body is larger than this server accepts";
  }

  /// Whether the body was gathered into `gathered_body` rather than viewed in the read buffer.
  [[nodiscard]] bool body_owned() const noexcept { return body_owned_; }
  /// Chunked bodies are copied as they arrive, so their framing need not stay in the buffer.
  void own_body() noexcept { body_owned_ = true; }

  [[nodiscard]] std::string_view target(const char* request_start) const noexcept {
    return {request_start + target_offset_, target_length_};
  }
  [[nodiscard]] std::string_view body(const char* request_start) const noexcept {
    if (body_owned_) return *gathered_body_;
    return {request_start + body_offset_, body_length_};
  }

 private:
  static const llhttp_settings_t& callbacks() noexcept {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t table;
      llhttp_settings_init(&table);
      table.on_url = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_target(at, length);
      };
      table.on_header_field = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_header_field(at, length);
      };
      table.on_header_value = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_header_value(at, length);
      };
      table.on_headers_complete = [](llhttp_t* parser) { return self(parser).on_headers_complete(); };
      table.on_chunk_header = [](llhttp_t* parser) { return self(parser).on_chunk_header(); };
      table.on_body = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_body(at, length);
      };
      table.on_message_complete = [](llhttp_t* parser) {
        self(parser).message_complete_ = true;
        return static_cast<int>(HPE_PAUSED);
      };
      return table;
    }();
    return settings;
  }

  static request_parser& self(llhttp_t* parser) noexcept { return *static_cast<request_parser*>(parser->data); }

  [[nodiscard]] std::uint32_t offset_of(const char* at) const noexcept {
    return static_cast<std::uint32_t>(at - request_start_);
  }

  int fail(status code, std::string_view detail) noexcept {
    error_status_ = code;
    error_detail_ = detail;
    // llhttp reports some callbacks' errors under their own code (HPE_CB_CHUNK_HEADER), not
    // HPE_USER: remember that this one is already described.
    failed_in_callback_ = true;
    return static_cast<int>(HPE_USER);
  }

  int check_header_size(const char* at, std::size_t length) noexcept {
    if (static_cast<std::size_t>(at + length - request_start_) > limits_->max_header_bytes) {
      return fail(status::request_header_fields_too_large, "the request's header block is too large");
    }
    return 0;
  }

  int on_target(const char* at, std::size_t length) noexcept {
    if (target_length_ == 0) target_offset_ = offset_of(at);
    target_length_ += static_cast<std::uint32_t>(length);
    if (target_length_ > limits_->max_target_bytes) return fail(status::uri_too_long, "the request target is too long");
    return 0;
  }

  int on_header_field(const char* at, std::size_t length) noexcept {
    if (headers_complete_) {
      if (!in_field_name_) {
        in_field_name_ = true;
        if (++trailer_count_ > limits_->max_header_count) {
          return fail(status::request_header_fields_too_large, "the request has too many trailer fields");
        }
      }
      return count_trailer_bytes(length);
    }
    if (check_header_size(at, length) != 0) return static_cast<int>(HPE_USER);
    if (!in_field_name_) {
      if (fields_->size() >= limits_->max_header_count) {
        return fail(status::request_header_fields_too_large, "the request has too many header fields");
      }
      fields_->push_back({offset_of(at), 0, 0, 0});
      in_field_name_ = true;
    }
    fields_->back().name_length += static_cast<std::uint32_t>(length);
    return 0;
  }

  int on_header_value(const char* at, std::size_t length) noexcept {
    if (headers_complete_) {
      in_field_name_ = false;
      return count_trailer_bytes(length);
    }
    if (check_header_size(at, length) != 0) return static_cast<int>(HPE_USER);
    raw_header& field = fields_->back();
    if (in_field_name_) {
      in_field_name_ = false;
      field.value_offset = offset_of(at);
      field.value_length = static_cast<std::uint32_t>(length);
      return 0;
    }
    // A second piece of the same value must continue the first; a gap means the value was
    // folded onto another line (obs-fold), which RFC 9112 §5.2 lets a server reject.
    if (offset_of(at) != field.value_offset + field.value_length) {
      return fail(status::bad_request, "header fields folded across lines are not accepted");
    }
    field.value_length += static_cast<std::uint32_t>(length);
    return 0;
  }

  /// The trailer section of a chunked body is parsed (llhttp checks its syntax) and limited like
  /// the header block, then dropped: its fields arrive after the head was checked and the request
  /// routed, so they must never be taken for header fields (a trailing Host or Authorization).
  int count_trailer_bytes(std::size_t length) noexcept {
    trailer_bytes_ += length;
    if (trailer_bytes_ > limits_->max_header_bytes) {
      return fail(status::request_header_fields_too_large, "the request's trailer section is too large");
    }
    return 0;
  }

  int on_headers_complete() noexcept {
    headers_complete_ = true;
    in_field_name_ = false;
    // Without a body (and without an upgrade, which llhttp ends the message for), llhttp goes on
    // to the message's end at once, and the head is checked there. Any Transfer-Encoding pauses
    // here, so that one without chunked last is refused with the server's own reason.
    head_paused_ =
        (parser_.flags & (F_CHUNKED | F_TRANSFER_ENCODING)) != 0 || parser_.content_length > 0 || parser_.upgrade != 0;
    return head_paused_ ? static_cast<int>(HPE_PAUSED) : 0;
  }

  int on_chunk_header() noexcept {
    if (parser_.content_length > max_body_bytes_ - body_total_)
      return fail(status::payload_too_large, body_too_large());
    return 0;
  }

  int on_body(const char* at, std::size_t length) noexcept {
    body_total_ += length;
    if (body_total_ > max_body_bytes_) return fail(status::payload_too_large, body_too_large());
    if (body_owned_) {
      try {
        gathered_body_->append(at, length);
      } catch (...) {
        return fail(status::payload_too_large, "the request body could not be stored");
      }
      return 0;
    }
    if (body_length_ == 0) body_offset_ = offset_of(at);
    body_length_ += length;
    return 0;
  }

  /// token SP target SP HTTP/d.d (RFC 9112 §3).
  // llhttp 8 takes a bare LF for CRLF at the end of the request line, of the header block and
  // of a chunked body; a proxy in front may not, so none of them is accepted. (Elsewhere llhttp
  // itself insists on CRLF.)
  static bool is_crlf_framed_head(std::string_view head) noexcept {
    const std::size_t first_line_end = head.find('\n');
    return first_line_end != std::string_view::npos && first_line_end > 0 && head[first_line_end - 1] == '\r' &&
           ends_with_blank_line(head.data(), head.data() + head.size());
  }

  /// Whether [begin, end) ends with CRLF CRLF. For a chunked body the connection keeps its last
  /// bytes in the buffer for this check after copying the body out.
  static bool ends_with_blank_line(const char* begin, const char* end) noexcept {
    return end - begin >= 4 && std::string_view(end - 4, 4) == "\r\n\r\n";
  }

  event crlf_error() noexcept {
    error_status_ = status::bad_request;
    error_detail_ = "lines must end with CRLF";
    error_needs_more_ = false;
    return event::error;
  }

  static bool is_request_line_shape(std::string_view line) noexcept {
    std::size_t position = 0;
    while (position < line.size() && is_token_character(line[position])) ++position;
    if (position == 0 || position == line.size() || line[position] != ' ') return false;
    const std::size_t target_start = ++position;
    while (position < line.size() && line[position] > ' ' && line[position] != 0x7F) ++position;
    if (position == target_start || position == line.size() || line[position] != ' ') return false;
    const std::string_view version = line.substr(position + 1);
    return version.size() == 8 && version.substr(0, 5) == "HTTP/" && version[5] >= '0' && version[5] <= '9' &&
           version[6] == '.' && version[7] >= '0' && version[7] <= '9';
  }

  void classify_error(llhttp_errno_t result, const char* request_start, const char* data_end) noexcept {
    error_needs_more_ = false;
    if (result == HPE_USER || failed_in_callback_) return;  // a limit, already described
    error_status_ = status::bad_request;
    error_detail_ = "the request is malformed";
    const std::string_view received(request_start, static_cast<std::size_t>(data_end - request_start));
    if (result == HPE_INVALID_METHOD) {
      // A request line of the right shape whose method the parser does not know names a method
      // this server does not implement (501); anything else is a broken request line (400).
      // The shape can only be judged once the whole line is there.
      const std::size_t line_end = received.find("\r\n");
      if (line_end == std::string_view::npos) {
        error_needs_more_ = received.find('\n') == std::string_view::npos;
      } else if (is_request_line_shape(received.substr(0, line_end))) {
        error_status_ = status::not_implemented;
        error_detail_ = "this server does not implement that method";
      }
    } else if (result == HPE_INVALID_VERSION || result == HPE_PAUSED_H2_UPGRADE) {
      // 505 names a version this server does not speak, in a request line that is otherwise
      // well formed and ends with CRLF; anything else is a broken line (400).
      const std::size_t line_end = received.find('\r');
      if (result != HPE_PAUSED_H2_UPGRADE && (line_end == std::string_view::npos || line_end + 1 == received.size())) {
        error_needs_more_ = received.find('\n') == std::string_view::npos;  // the line's end decides
        return;
      }
      const std::string_view line = received.substr(0, line_end);
      const std::size_t version = line.rfind(" HTTP/");
      if (result == HPE_PAUSED_H2_UPGRADE || (received[line_end + 1] == '\n' && version != std::string_view::npos &&
                                              line.size() == version + 9 && line[version + 7] == '.')) {
        error_status_ = status::http_version_not_supported;
        error_detail_ = "this server speaks HTTP/1.0 and HTTP/1.1";
      }
    } else if (result == HPE_INVALID_TRANSFER_ENCODING) {
      error_detail_ = "Transfer-Encoding must end with chunked in a request";
    } else if (result == HPE_UNEXPECTED_CONTENT_LENGTH) {
      error_detail_ = "the request's framing is ambiguous (Content-Length twice, or with Transfer-Encoding)";
    } else if (result == HPE_INVALID_CHUNK_SIZE) {
      error_detail_ = "a chunk size is malformed";
    }
  }

  llhttp_t parser_{};
  const request_limits* limits_;
  std::vector<raw_header>* fields_ = nullptr;
  std::string* gathered_body_ = nullptr;
  const char* request_start_ = nullptr;
  std::uint32_t target_offset_ = 0;
  std::uint32_t target_length_ = 0;
  std::size_t header_bytes_ = 0;
  std::size_t body_offset_ = 0;
  std::size_t body_length_ = 0;
  std::size_t body_total_ = 0;
  std::size_t trailer_bytes_ = 0;
  std::size_t trailer_count_ = 0;
  status error_status_ = status::bad_request;
  std::string_view error_detail_;
  bool in_field_name_ = false;
  bool headers_complete_ = false;
  bool head_paused_ = false;  // the head was a stop of its own: the request has a body
  bool message_complete_ = false;
  bool body_owned_ = false;
  bool body_limit_is_route_ = false;
  std::size_t max_body_bytes_ = 0;
  bool error_needs_more_ = false;
  bool failed_in_callback_ = false;
  llhttp_errno_t last_error_ = HPE_OK;
};

}  // namespace asyncrest::detail
