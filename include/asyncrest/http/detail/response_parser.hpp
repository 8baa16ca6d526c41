// llhttp in response mode, strict: it copies the status and header fields out as they arrive
// (so the read buffer can be reused after every read), hands body bytes to a sink with a size
// limit, skips 1xx interim responses, and stops at the end of the message so that bytes after it
// can be noticed.
#pragma once

#include <asyncrest/core/status.hpp>

#include <asyncrest/http/detail/strict_llhttp.hpp>

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

class response_parser {
 public:
  enum class event : std::uint8_t { need_more, complete, error };

  response_parser() noexcept = default;
  response_parser(const response_parser&) = delete;
  response_parser& operator=(const response_parser&) = delete;

  /// Starts a new response. `head_request`: the response has no body whatever its fields say.
  void begin(bool head_request, std::size_t max_header_bytes) noexcept {
    init_strict(parser_, HTTP_RESPONSE, callbacks());
    parser_.data = this;
    head_request_ = head_request;
    max_header_bytes_ = max_header_bytes;
    header_bytes_ = 0;
    fields_.clear();
    in_field_name_ = false;
    headers_complete_ = false;
    message_complete_ = false;
    started_ = false;
    body_sink_ = nullptr;
    body_limit_ = 0;
    error_.clear();
    error_is_limit_ = false;
    error_is_eof_ = false;
  }

  /// Where body bytes go from now on, and how many the sink may hold in total.
  void set_body_sink(std::string* sink, std::size_t limit) noexcept {
    body_sink_ = sink;
    body_limit_ = limit;
  }

  /// Parses `size` bytes; `consumed` is set to how many were used (fewer than given only when
  /// the message ended before them).
  event feed(const char* data, std::size_t size, std::size_t& consumed) noexcept {
    if (size > 0) started_ = true;
    const llhttp_errno_t code = llhttp_execute(&parser_, data, size);
    if (code == HPE_OK) {
      consumed = size;
      return event::need_more;
    }
    if (code == HPE_PAUSED && message_complete_) {
      consumed = static_cast<std::size_t>(llhttp_get_error_pos(&parser_) - data);
      return event::complete;
    }
    consumed = size;
    return fail_with(code);
  }

  /// The connection reached its end: completes a body delimited by the close, or fails.
  event finish() noexcept {
    if (message_complete_) return event::complete;
    const llhttp_errno_t code = llhttp_finish(&parser_);
    if (message_complete_ && (code == HPE_OK || code == HPE_PAUSED)) return event::complete;
    error_is_eof_ = true;
    if (error_.empty()) {
      error_ = started_ ? "the connection closed before the response was complete"
                        : "the connection closed before a response arrived";
    }
    return event::error;
  }

  [[nodiscard]] bool started() const noexcept { return started_; }
  [[nodiscard]] bool headers_complete() const noexcept { return headers_complete_; }
  [[nodiscard]] bool message_complete() const noexcept { return message_complete_; }
  [[nodiscard]] status status_code() const noexcept { return static_cast<status>(parser_.status_code); }
  [[nodiscard]] bool keep_alive() const noexcept { return llhttp_should_keep_alive(&parser_) != 0; }
  [[nodiscard]] std::vector<std::pair<std::string, std::string>>& fields() noexcept { return fields_; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Whether the error is a limit rather than malformed bytes.
  [[nodiscard]] bool error_is_limit() const noexcept { return error_is_limit_; }
  /// Whether the error is the connection ending early rather than bad bytes.
  [[nodiscard]] bool error_is_early_close() const noexcept { return !message_complete_ && error_is_eof_; }

 private:
  static const llhttp_settings_t& callbacks() noexcept {
    static const llhttp_settings_t settings = [] {
      llhttp_settings_t table;
      llhttp_settings_init(&table);
      table.on_status = [](llhttp_t* parser, const char*, std::size_t length) {
        return self(parser).count_header_bytes(length);
      };
      table.on_header_field = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_header_field(at, length);
      };
      table.on_header_value = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_header_value(at, length);
      };
      table.on_headers_complete = [](llhttp_t* parser) { return self(parser).on_headers_complete(); };
      table.on_body = [](llhttp_t* parser, const char* at, std::size_t length) {
        return self(parser).on_body(at, length);
      };
      table.on_message_complete = [](llhttp_t* parser) { return self(parser).on_message_complete(); };
      return table;
    }();
    return settings;
  }

  static response_parser& self(llhttp_t* parser) noexcept { return *static_cast<response_parser*>(parser->data); }

  int fail_in_callback(std::string_view why, bool limit) noexcept {
    error_.assign(why);
    error_is_limit_ = limit;
    return static_cast<int>(HPE_USER);
  }

  event fail_with(llhttp_errno_t code) noexcept {
    if (code == HPE_PAUSED_UPGRADE) {
      error_ = "the server switched protocols, which was not asked for";
    } else if (code != HPE_USER || error_.empty()) {
      const char* reason = llhttp_get_error_reason(&parser_);
      error_ = std::string("malformed response: ") + llhttp_errno_name(code) + (reason != nullptr ? " (" : "") +
               (reason != nullptr ? reason : "") + (reason != nullptr ? ")" : "");
      error_is_limit_ = false;
    }
    return event::error;
  }

  int count_header_bytes(std::size_t length) noexcept {
    header_bytes_ += length;
    if (header_bytes_ > max_header_bytes_) return fail_in_callback("the response's header block is too large", true);
    return 0;
  }

  int on_header_field(const char* at, std::size_t length) noexcept {
    if (count_header_bytes(length) != 0) return static_cast<int>(HPE_USER);
    try {
      if (!in_field_name_) {
        fields_.emplace_back();
        in_field_name_ = true;
      }
      fields_.back().first.append(at, length);
    } catch (...) {
      return fail_in_callback("out of memory", true);
    }
    return 0;
  }

  int on_header_value(const char* at, std::size_t length) noexcept {
    if (count_header_bytes(length) != 0) return static_cast<int>(HPE_USER);
    in_field_name_ = false;
    try {
      fields_.back().second.append(at, length);
    } catch (...) {
      return fail_in_callback("out of memory", true);
    }
    return 0;
  }

  int on_headers_complete() noexcept {
    in_field_name_ = false;
    const unsigned code = parser_.status_code;
    if (code < 100 || code > 999) return fail_in_callback("the status code is out of range", false);
    if (code == 101) return fail_in_callback("the server switched protocols, which was not asked for", false);
    if (code < 200) return 0;  // interim: its end is the blank line
    headers_complete_ = true;
    return head_request_ ? 1 : 0;  // 1: no body, whatever Content-Length says
  }

  int on_body(const char* at, std::size_t length) noexcept {
    if (body_sink_ == nullptr) return fail_in_callback("a body arrived where none was expected", false);
    if (body_sink_->size() + length > body_limit_) {
      return fail_in_callback("the response body is larger than max_body_bytes", true);
    }
    try {
      body_sink_->append(at, length);
    } catch (...) {
      return fail_in_callback("out of memory", true);
    }
    return 0;
  }

  int on_message_complete() noexcept {
    if (!headers_complete_) {  // the end of a 1xx interim response: the real one follows
      fields_.clear();
      header_bytes_ = 0;
      return 0;
    }
    message_complete_ = true;
    return static_cast<int>(HPE_PAUSED);
  }

  llhttp_t parser_{};
  std::vector<std::pair<std::string, std::string>> fields_;
  std::string error_;
  std::string* body_sink_ = nullptr;
  std::size_t body_limit_ = 0;
  std::size_t max_header_bytes_ = 0;
  std::size_t header_bytes_ = 0;
  bool head_request_ = false;
  bool in_field_name_ = false;
  bool headers_complete_ = false;
  bool message_complete_ = false;
  bool started_ = false;
  bool error_is_limit_ = false;
  bool error_is_eof_ = false;
};

}  // namespace asyncrest::detail
