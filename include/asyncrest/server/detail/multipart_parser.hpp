// An incremental multipart parser (RFC 2046 §5.1, RFC 7578): fed the body in pieces of any size,
// it hands out each part's header block and content as views, holding back only the bytes that
// may begin a delimiter. It allocates when made (the header buffer) and never per byte.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/server/detail/form_syntax.hpp>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

namespace asyncrest::detail {

struct multipart_parser_limits {
  std::size_t max_parts = 1000;
  std::size_t max_header_bytes = 8 * 1024;  // per part's header block
  std::size_t max_headers = 16;             // per part
};

enum class multipart_event {
  need_more,   // the input is used up: feed the next piece
  part_begin,  // a part's headers have been read: headers(), name(), filename()
  data,        // content of the current part, in `data`
  part_end,    // the current part's content has ended
  finished,    // the final delimiter was read; the rest (the epilogue) is ignored
  error,       // see error() and error_is_limit(); the parser stays in this state
};

class multipart_parser {
 public:
  multipart_parser(std::string_view boundary, const multipart_parser_limits& limits)
      : limits_(limits), delimiter_("\r\n--") {
    delimiter_.append(boundary);
    header_block_.reserve(limits.max_header_bytes);
    headers_.reserve(limits.max_headers);
  }

  /// Takes bytes from the front of `input` until something happens. For `data`, `data` views
  /// either `input`'s bytes or the held-back delimiter prefix; valid until the next call.
  multipart_event next(std::string_view& input, std::string_view& data) {
    for (;;) {
      switch (state_) {
        case state::preamble: {
          // The body may start with the delimiter without its CRLF: the first match is tried as
          // if a CRLF came before the body (`matched_` starts at 2).
          if (input.empty()) return multipart_event::need_more;
          const bool tried_at_carriage_return = matched_ == 0 && !at_body_start_;
          if (match_delimiter(input)) {
            state_ = state::after_delimiter;
            continue;
          }
          if (matched_ != 0) return multipart_event::need_more;  // the input ended inside a possible delimiter
          // The try at the body's start, or one carried over from the last read, failed: the byte
          // that ended it may be a CR that begins a delimiter, so it is tried on its own.
          if (!tried_at_carriage_return) continue;
          const std::size_t carriage_return = find_carriage_return(input);
          input.remove_prefix(carriage_return == 0 ? 1 : carriage_return);  // a CR that began no delimiter
          continue;
        }
        case state::content: {
          if (matched_ != 0) {
            // A delimiter's prefix was held back at the end of the last piece: is the rest here?
            const std::size_t held = matched_;
            if (input.empty()) return multipart_event::need_more;
            if (match_delimiter(input)) {
              state_ = state::after_delimiter;
              return multipart_event::part_end;
            }
            if (matched_ != 0) return multipart_event::need_more;
            // Not a delimiter: what was held back is content. Since the delimiter's CR appears
            // only at its start (a boundary has no CR), no delimiter can start inside it.
            data = std::string_view(delimiter_).substr(0, held);
            return multipart_event::data;
          }
          if (input.empty()) return multipart_event::need_more;
          const std::size_t candidate = find_delimiter_candidate(input);
          if (candidate > 0) {
            // Content up to where a delimiter may begin: as long a run as the input allows.
            data = input.substr(0, candidate);
            input.remove_prefix(candidate);
            return multipart_event::data;
          }
          if (match_delimiter(input)) {
            state_ = state::after_delimiter;
            return multipart_event::part_end;
          }
          return multipart_event::need_more;  // the input ends inside a possible delimiter
        }
        case state::after_delimiter: {
          // "--" ends the body; otherwise optional whitespace (transport padding), then CRLF.
          if (input.empty()) return multipart_event::need_more;
          const char character = input.front();
          input.remove_prefix(1);
          if (character == '-') {
            state_ = state::final_dash;
          } else if (is_optional_whitespace(character)) {
            state_ = state::padding;
          } else if (character == '\r') {
            state_ = state::delimiter_line_feed;
          } else {
            return fail("the multipart body has a delimiter followed by neither CRLF nor \"--\"");
          }
          continue;
        }
        case state::padding: {
          if (input.empty()) return multipart_event::need_more;
          const char character = input.front();
          input.remove_prefix(1);
          if (character == '\r') {
            state_ = state::delimiter_line_feed;
          } else if (!is_optional_whitespace(character)) {
            return fail("the multipart body has a delimiter followed by neither CRLF nor \"--\"");
          }
          continue;
        }
        case state::delimiter_line_feed: {
          if (input.empty()) return multipart_event::need_more;
          if (input.front() != '\n') return fail("the multipart body has a delimiter line ending in a bare CR");
          input.remove_prefix(1);
          if (++parts_ > limits_.max_parts) {
            return fail_limit("the multipart body has more than " + std::to_string(limits_.max_parts) + " parts");
          }
          header_block_.clear();
          state_ = state::headers;
          continue;
        }
        case state::final_dash: {
          if (input.empty()) return multipart_event::need_more;
          if (input.front() != '-') return fail("the multipart body has a delimiter followed by a single '-'");
          input.remove_prefix(1);
          state_ = state::epilogue;
          return multipart_event::finished;
        }
        case state::headers: {
          if (input.empty()) return multipart_event::need_more;
          const multipart_event event = read_header_block(input);
          if (event != multipart_event::need_more) return event;
          continue;
        }
        case state::epilogue: input = {}; return multipart_event::finished;
        case state::failed: return multipart_event::error;
      }
    }
  }

  /// The current part's header fields (valid until the next part begins).
  [[nodiscard]] request_headers headers() const noexcept { return request_headers(headers_); }
  [[nodiscard]] std::string_view name() const noexcept { return name_; }
  [[nodiscard]] std::string_view filename() const noexcept { return filename_; }
  [[nodiscard]] bool has_filename() const noexcept { return has_filename_; }
  [[nodiscard]] std::string_view content_type() const noexcept { return content_type_; }
  [[nodiscard]] std::size_t parts() const noexcept { return parts_; }

  [[nodiscard]] bool finished() const noexcept { return state_ == state::epilogue; }
  [[nodiscard]] bool failed() const noexcept { return state_ == state::failed; }
  [[nodiscard]] const std::string& error() const noexcept { return error_; }
  /// Whether the error is a limit (413) rather than a malformed body (400).
  [[nodiscard]] bool error_is_limit() const noexcept { return error_is_limit_; }

  /// Explains why a body that ended here is incomplete.
  [[nodiscard]] std::string_view truncation() const noexcept {
    switch (state_) {
      case state::preamble: return "the multipart body has no delimiter with the boundary of its Content-Type";
      case state::headers: return "the multipart body ends inside a part's header block";
      default: return "the multipart body ends before its final delimiter";
    }
  }

 private:
  enum class state {
    preamble,
    content,
    after_delimiter,
    padding,
    delimiter_line_feed,
    final_dash,
    headers,
    epilogue,
    failed,
  };

  /// The offset of the first CR in `input` (its size when none).
  [[nodiscard]] static std::size_t find_carriage_return(std::string_view input) noexcept {
    const void* found = std::memchr(input.data(), '\r', input.size());
    return found == nullptr ? input.size() : static_cast<std::size_t>(static_cast<const char*>(found) - input.data());
  }

  /// The offset of the first CR in `input` that begins the delimiter, or begins a prefix of it
  /// that the input ends in; the input's size when there is none. A CR that begins no delimiter
  /// is content, so a binary file's CRs do not cut its content into small pieces.
  [[nodiscard]] std::size_t find_delimiter_candidate(std::string_view input) const noexcept {
    std::size_t from = 0;
    for (;;) {
      const std::size_t carriage_return = from + find_carriage_return(input.substr(from));
      if (carriage_return >= input.size()) return input.size();
      const std::size_t compared = std::min(delimiter_.size(), input.size() - carriage_return);
      if (input.compare(carriage_return, compared, delimiter_, 0, compared) == 0) return carriage_return;
      from = carriage_return + 1;
    }
  }

  /// Goes on matching the delimiter from `matched_` (or from the start) at the front of
  /// `input`. Returns true on a whole match (its bytes consumed). When the input ends inside a
  /// match, the bytes are consumed and `matched_` remembers them. On a mismatch, nothing of the
  /// input is consumed and `matched_` is zero.
  bool match_delimiter(std::string_view& input) noexcept {
    std::size_t position = matched_;
    if (state_ == state::preamble && position == 0 && !at_body_start_) {
      if (input.front() != '\r') return false;
    }
    if (state_ == state::preamble && at_body_start_) {
      position = 2;  // as if "\r\n" came first
      at_body_start_ = false;
    }
    std::size_t index = 0;
    while (position < delimiter_.size() && index < input.size()) {
      if (input[index] != delimiter_[position]) {
        matched_ = 0;
        return false;
      }
      ++position;
      ++index;
    }
    input.remove_prefix(index);
    if (position == delimiter_.size()) {
      matched_ = 0;
      return true;
    }
    matched_ = position;
    return false;
  }

  multipart_event read_header_block(std::string_view& input) {
    // Copies bytes up to the blank line; a header block is small and bounded.
    while (!input.empty()) {
      if (header_block_.size() >= limits_.max_header_bytes) {
        return fail("a part's header block is larger than " + std::to_string(limits_.max_header_bytes) + " bytes");
      }
      header_block_.push_back(input.front());
      input.remove_prefix(1);
      const std::size_t size = header_block_.size();
      const bool empty_block = size == 2 && header_block_[0] == '\r' && header_block_[1] == '\n';
      const bool block_end = size >= 4 && std::string_view(header_block_).substr(size - 4) == "\r\n\r\n";
      if (empty_block || block_end) return parse_headers();
    }
    return multipart_event::need_more;
  }

  multipart_event parse_headers() {
    headers_.clear();
    std::string_view rest(header_block_);
    rest.remove_suffix(2);  // the blank line's CRLF
    while (!rest.empty()) {
      const std::size_t line_end = rest.find("\r\n");
      if (line_end == std::string_view::npos) return fail("a part's header block has a line without CRLF");
      const std::string_view line = rest.substr(0, line_end);
      rest.remove_prefix(line_end + 2);
      if (line.find_first_of("\r\n") != std::string_view::npos || line.find('\0') != std::string_view::npos) {
        return fail("a part's header field holds a bare CR, LF or NUL");
      }
      const std::size_t colon = line.find(':');
      if (colon == 0 || colon == std::string_view::npos) return fail("a part's header line is not a field");
      const std::string_view field_name = line.substr(0, colon);
      for (const char character : field_name) {
        if (!is_token_character(character)) return fail("a part's header field has an invalid name");
      }
      if (headers_.size() >= limits_.max_headers) {
        return fail("a part has more than " + std::to_string(limits_.max_headers) + " header fields");
      }
      headers_.push_back({field_name, trim_optional_whitespace(line.substr(colon + 1))});
    }
    const request_headers fields(headers_);
    const auto disposition = fields.get("Content-Disposition");
    if (!disposition) return fail("a part has no Content-Disposition field");
    switch (read_disposition(*disposition, name_, filename_, has_filename_, scratch_)) {
      case disposition_problem::none: break;
      case disposition_problem::not_form_data: return fail("a part's Content-Disposition is not form-data");
      case disposition_problem::no_name: return fail("a part's Content-Disposition has no name");
      case disposition_problem::unsupported_charset:
        return fail("a part's filename* is not in UTF-8, the only charset accepted");
      case disposition_problem::malformed: return fail("a part's Content-Disposition is malformed");
    }
    content_type_ = fields.get("Content-Type").value_or("text/plain");
    state_ = state::content;
    return multipart_event::part_begin;
  }

  multipart_event fail(std::string why) {
    error_ = std::move(why);
    state_ = state::failed;
    return multipart_event::error;
  }
  multipart_event fail_limit(std::string why) {
    error_is_limit_ = true;
    return fail(std::move(why));
  }

  multipart_parser_limits limits_;
  std::string delimiter_;  // CRLF "--" boundary
  state state_ = state::preamble;
  std::size_t matched_ = 0;
  bool at_body_start_ = true;
  std::size_t parts_ = 0;
  std::string header_block_;
  std::vector<header_view> headers_;
  std::string name_;
  std::string filename_;
  std::string scratch_;
  bool has_filename_ = false;
  std::string_view content_type_;
  std::string error_;
  bool error_is_limit_ = false;
};

}  // namespace asyncrest::detail
