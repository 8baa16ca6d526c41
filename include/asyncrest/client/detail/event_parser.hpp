// Reading an event stream (WHATWG HTML, "Server-sent events", "Interpreting an event stream"):
// bytes in as they arrive, in pieces of any size; whole events out.
#pragma once

#include <asyncrest/client/error.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest::detail {

class event_parser {
 public:
  explicit event_parser(std::size_t max_bytes) noexcept : max_bytes_(max_bytes) {}

  /// Starts a new stream (a new connection): a byte order mark may come first, and an event the
  /// previous stream left unfinished is dropped. The id carries over: it is what the reader
  /// resumes from, until the stream sets another.
  void begin() {
    bom_matched_ = 0;
    bom_done_ = false;
    after_cr_ = false;
    line_.clear();
    data_.clear();
    type_.clear();
    id_buffer_ = last_event_id_;
  }

  /// Parses `bytes`; `dispatch(type, data, id)` is called for each whole event, in order, with
  /// views valid for the call. Throws `protocol_error` (`response_too_large`) when a line or an
  /// event's data passes the limit: a server sending an endless line must not grow memory.
  template <class Dispatch>
  void feed(std::string_view bytes, Dispatch&& dispatch) {
    while (!bytes.empty()) {
      if (!bom_done_) {
        if (static_cast<unsigned char>(bytes.front()) == bom[bom_matched_]) {
          bytes.remove_prefix(1);
          bom_done_ = ++bom_matched_ == sizeof bom;
          continue;
        }
        // Not a byte order mark: what matched of one is the first line's start.
        for (std::size_t index = 0; index < bom_matched_; ++index) line_.push_back(static_cast<char>(bom[index]));
        bom_done_ = true;
      }
      if (after_cr_) {
        after_cr_ = false;
        if (bytes.front() == '\n') {  // CRLF split between two reads: one line end
          bytes.remove_prefix(1);
          continue;
        }
      }
      const std::size_t end = bytes.find_first_of("\r\n");
      const std::size_t taken = end == std::string_view::npos ? bytes.size() : end;
      if (line_.size() + taken > max_bytes_) too_large("a line");
      if (end == std::string_view::npos) {
        line_.append(bytes);
        return;
      }
      if (line_.empty()) {
        process_line(bytes.substr(0, end), dispatch);
      } else {
        line_.append(bytes.substr(0, end));
        process_line(line_, dispatch);
        line_.clear();
      }
      after_cr_ = bytes[end] == '\r';
      bytes.remove_prefix(end + 1);
    }
  }

  /// The delay the stream last asked for with `retry:`, once; then empty until it asks again.
  [[nodiscard]] std::optional<std::chrono::milliseconds> take_retry() noexcept {
    auto asked = retry_;
    retry_.reset();
    return asked;
  }
  /// The id of the last event dispatched (or set by the reader to resume from).
  [[nodiscard]] const std::string& last_event_id() const noexcept { return last_event_id_; }
  void set_last_event_id(std::string_view id) { last_event_id_ = id; }

 private:
  static constexpr unsigned char bom[3] = {0xEF, 0xBB, 0xBF};

  [[noreturn]] void too_large(const char* what) const {
    throw protocol_error(client_errc::response_too_large, std::string("the event stream sent ") + what +
                                                              " longer than max_event_bytes (" +
                                                              std::to_string(max_bytes_) + ")");
  }

  template <class Dispatch>
  void process_line(std::string_view line, Dispatch& dispatch) {
    if (line.empty()) {
      dispatch_event(dispatch);
      return;
    }
    if (line.front() == ':') return;  // a comment
    const std::size_t colon = line.find(':');
    const std::string_view field = line.substr(0, colon);
    std::string_view value = colon == std::string_view::npos ? std::string_view() : line.substr(colon + 1);
    if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    if (field == "event") {
      type_.assign(value);
    } else if (field == "data") {
      if (data_.size() + value.size() + 1 > max_bytes_) too_large("an event");
      data_.append(value);
      data_.push_back('\n');
    } else if (field == "id") {
      if (value.find('\0') == std::string_view::npos) id_buffer_.assign(value);
    } else if (field == "retry") {
      if (!value.empty() && value.find_first_not_of("0123456789") == std::string_view::npos) {
        std::uint64_t milliseconds = 0;
        for (const char digit : value) {
          milliseconds = milliseconds * 10 + static_cast<std::uint64_t>(digit - '0');
          if (milliseconds > max_retry_field) milliseconds = max_retry_field;  // the caller caps it anyway
        }
        retry_ = std::chrono::milliseconds(static_cast<std::int64_t>(milliseconds));
      }
    }
    // Any other field is ignored.
  }

  template <class Dispatch>
  void dispatch_event(Dispatch& dispatch) {
    last_event_id_ = id_buffer_;
    if (data_.empty()) {  // a blank line with no data: nothing to deliver
      type_.clear();
      return;
    }
    data_.pop_back();  // the LF after the last data line
    dispatch(type_.empty() ? std::string_view("message") : std::string_view(type_), std::string_view(data_),
             std::string_view(last_event_id_));
    data_.clear();
    type_.clear();
  }

  static constexpr std::uint64_t max_retry_field = std::uint64_t{1} << 40;

  std::size_t max_bytes_;
  std::size_t bom_matched_ = 0;
  bool bom_done_ = false;
  bool after_cr_ = false;
  std::string line_;           // a line that began in an earlier piece
  std::string data_;           // the data lines so far, each followed by LF
  std::string type_;           // the event type buffer
  std::string id_buffer_;      // the last event ID buffer: set by id:, taken at dispatch
  std::string last_event_id_;  // the event source's last event ID string
  std::optional<std::chrono::milliseconds> retry_;
};

}  // namespace asyncrest::detail
