// multipart/form-data (RFC 7578): forms with file uploads, parsed as the body arrives.
//
// The simple way: fields in memory, files in temporary files removed when the handler's form goes
// away, unless the handler moves them first. The route streams its body so that an upload larger
// than memory is never buffered:
//
//     ar::post<"/photos">([](ar::request& req) -> ar::task<ar::response> {
//       ar::multipart_settings settings;
//       settings.upload_directory = "/srv/uploads/incoming";   // on the destination's file system
//       ar::multipart_form form = co_await ar::read_multipart(req, settings);
//       for (ar::uploaded_file& photo : form.files) photo.move_to(storage_path_for(photo));
//       co_return ar::text("stored " + std::to_string(form.files.size()));
//     }).body({.max_bytes = 1 << 30, .streamed = true})
//
// Part by part, each part's content read as it arrives (to a sink of the handler's own):
//
//     ar::multipart_reader form(req);
//     while (ar::multipart_part* part = co_await form.next_part()) {
//       if (!part->is_file()) continue;                     // the unread rest is skipped
//       for (std::string_view piece; !(piece = co_await part->read()).empty();) sink.write(piece);
//     }
//
// A malformed body (no boundary, a bad one, a part without form-data disposition, a header block
// too large, a body cut short before its final delimiter) is a 400 `http_error`; a limit passed
// is a 413; a Content-Type other than multipart/form-data is a 415. A client's filename is data:
// the library never uses it as a path.
#pragma once

#include <asyncrest/core/headers.hpp>
#include <asyncrest/core/http_error.hpp>
#include <asyncrest/core/status.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/server/detail/form_syntax.hpp>
#include <asyncrest/server/detail/multipart_parser.hpp>
#include <asyncrest/server/detail/upload_file.hpp>
#include <asyncrest/server/forms.hpp>
#include <asyncrest/server/request.hpp>

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

namespace detail {
struct upload_file_access;
}

/// What a multipart body may hold. A part with a filename is a file, any other a field.
struct multipart_limits {
  std::size_t max_parts = 1000;
  /// Of one part's header block, and its number of fields (400 past either: no client needs more).
  std::size_t max_header_bytes = 8 * 1024;
  std::size_t max_headers_per_part = 16;
  /// Of one field's value, and of every field's together, as held in memory.
  std::size_t max_field_bytes = 1024 * 1024;
  std::size_t max_total_field_bytes = 8 * 1024 * 1024;
  /// Of one file. The route's body limit (`.body({.max_bytes = ...})`) bounds the whole body.
  std::uint64_t max_file_bytes = std::uint64_t{1} << 30;
};

class multipart_reader;

/// A part of a multipart body: its headers, and its content read piece by piece. Valid until
/// the next `next_part()`.
class multipart_part {
 public:
  /// The form field's name (Content-Disposition's `name`).
  [[nodiscard]] std::string_view name() const noexcept;
  /// The client's name for the file: `filename*` (RFC 8187, UTF-8) when sent, else `filename`.
  /// Not a path to use: it may hold `/`, `..` or anything else a client chose.
  [[nodiscard]] std::optional<std::string_view> filename() const noexcept;
  /// Whether the part is a file (it has a filename, possibly empty).
  [[nodiscard]] bool is_file() const noexcept;
  /// The part's Content-Type; `text/plain` when absent (RFC 7578 §4.4).
  [[nodiscard]] std::string_view content_type() const noexcept;
  /// Every header field of the part.
  [[nodiscard]] request_headers headers() const noexcept;
  /// Content bytes read so far.
  [[nodiscard]] std::uint64_t size() const noexcept { return size_; }

  /// The next piece of the content, as it arrives; empty at the part's end. The view is valid
  /// until the next call. Past the part's limit (a field's or a file's) throws a 413 `http_error`.
  [[nodiscard]] task<std::string_view> read();
  /// The whole content (of a field, say), within the part's limit.
  [[nodiscard]] task<std::string> read_all();

 private:
  friend class multipart_reader;
  explicit multipart_part(multipart_reader& reader) noexcept : reader_(&reader) {}

  multipart_reader* reader_;
  std::uint64_t size_ = 0;
  bool ended_ = true;
};

/// Reads a request's multipart/form-data body part by part. Works on any route; on a route
/// that streams its body (`.body({.streamed = true})`) the content is never held whole.
class multipart_reader {
 public:
  /// Checks the Content-Type (415 unless multipart/form-data, 400 without a valid boundary).
  explicit multipart_reader(request& req) : multipart_reader(req, multipart_limits()) {}
  multipart_reader(request& req, const multipart_limits& limits);
  multipart_reader(const multipart_reader&) = delete;
  multipart_reader& operator=(const multipart_reader&) = delete;

  /// The next part, once its headers have arrived; nullptr after the last. What the handler
  /// did not read of the previous part is skipped.
  [[nodiscard]] task<multipart_part*> next_part();

  [[nodiscard]] const multipart_limits& limits() const noexcept { return limits_; }

 private:
  friend class multipart_part;
  task<detail::multipart_event> next_event(std::string_view& data);

  request* request_;
  multipart_limits limits_;
  detail::multipart_parser parser_;
  std::string_view pending_;
  bool body_ended_ = false;
  multipart_part part_{*this};
};

/// A file part saved in a temporary file of its own. The file is removed when this object is
/// destroyed, unless `move_to` or `keep` took it over first; so a handler that throws, or a
/// body that turns out malformed, leaves nothing behind.
class uploaded_file {
 public:
  [[nodiscard]] const std::string& field_name() const noexcept { return field_name_; }
  /// The client's name for the file (see multipart_part::filename): not a path to use.
  [[nodiscard]] const std::string& filename() const noexcept { return filename_; }
  [[nodiscard]] const std::string& content_type() const noexcept { return content_type_; }
  [[nodiscard]] std::uint64_t size() const noexcept { return file_.size(); }
  /// Where the content is now: a temporary file named by the library.
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return file_.path(); }

  /// Moves the file to `destination` (a rename; a copy when it is on another file system) and
  /// stops owning it. Throws std::filesystem::filesystem_error on failure, still owning it.
  void move_to(const std::filesystem::path& destination) { file_.move_to(destination); }
  /// Stops owning the file, which stays where `path()` says; returns that path.
  std::filesystem::path keep() noexcept { return file_.release(); }

 private:
  friend struct detail::upload_file_access;
  uploaded_file(std::string field_name, std::string filename, std::string content_type, detail::upload_file file)
      : field_name_(std::move(field_name)),
        filename_(std::move(filename)),
        content_type_(std::move(content_type)),
        file_(std::move(file)) {}

  std::string field_name_;
  std::string filename_;
  std::string content_type_;
  detail::upload_file file_;
};

/// The library's access to the file of an uploaded_file, while it writes it.
struct detail::upload_file_access {
  static uploaded_file make(std::string field_name, std::string filename, std::string content_type, upload_file file) {
    return {std::move(field_name), std::move(filename), std::move(content_type), std::move(file)};
  }
  static upload_file& of(uploaded_file& file) noexcept { return file.file_; }
};

/// A multipart form read whole: its fields in memory, its files on disk.
struct multipart_form {
  form_fields fields;
  std::vector<uploaded_file> files;
};

struct multipart_settings {
  multipart_limits limits = {};
  /// Where the temporary files are made; empty: the system's (TMPDIR, else /tmp). Put it on the
  /// file system of their destination, so that move_to is a rename.
  std::filesystem::path upload_directory = {};
};

/// What `read_multipart` hands each file part to when given a sink of the handler's own: a
/// callable `task<void>(multipart_part&)` that reads the part's content.
template <class Sink>
concept multipart_file_sink = requires(Sink& sink, multipart_part& part) {
  { sink(part) } -> std::same_as<task<void>>;
};

/// Reads the whole form: fields into memory, files into temporary files in
/// `settings.upload_directory`.
[[nodiscard]] task<multipart_form> read_multipart(request& req, multipart_settings settings);
// An overload rather than a default argument: g++ 12 fails to compile a defaulted aggregate
// argument of a coroutine.
[[nodiscard]] inline task<multipart_form> read_multipart(request& req) {
  return read_multipart(req, multipart_settings());
}

/// Reads the whole form: fields into memory, each file part handed to `sink` as it begins.
template <class Sink>
[[nodiscard]] task<form_fields> read_multipart(request& req, multipart_settings settings, Sink sink) {
  static_assert(multipart_file_sink<Sink>,
                "read_multipart: the sink must be callable as `task<void>(ar::multipart_part& part)`, reading the "
                "part's content with `co_await part.read()`");
  multipart_reader reader(req, settings.limits);
  form_fields fields;
  std::size_t field_bytes = 0;
  while (multipart_part* part = co_await reader.next_part()) {
    if (part->is_file()) {
      co_await sink(*part);
      continue;
    }
    std::string value = co_await part->read_all();
    detail::count_field_bytes(field_bytes, value.size(), settings.limits.max_total_field_bytes);
    fields.add(std::string(part->name()), std::move(value));
  }
  co_return fields;
}

// ---- definitions ----------------------------------------------------------------------------

inline std::string_view multipart_part::name() const noexcept { return reader_->parser_.name(); }
inline std::optional<std::string_view> multipart_part::filename() const noexcept {
  if (!reader_->parser_.has_filename()) return std::nullopt;
  return reader_->parser_.filename();
}
inline bool multipart_part::is_file() const noexcept { return reader_->parser_.has_filename(); }
inline std::string_view multipart_part::content_type() const noexcept { return reader_->parser_.content_type(); }
inline request_headers multipart_part::headers() const noexcept { return reader_->parser_.headers(); }

inline task<std::string_view> multipart_part::read() {
  if (ended_) co_return std::string_view{};
  std::string_view data;
  const detail::multipart_event event = co_await reader_->next_event(data);
  if (event == detail::multipart_event::part_end) {
    ended_ = true;
    co_return std::string_view{};
  }
  size_ += data.size();
  const multipart_limits& limits = reader_->limits_;
  if (is_file() && size_ > limits.max_file_bytes) {
    throw http_error(status::payload_too_large, "the file \"" + std::string(name()) + "\" is larger than " +
                                                    std::to_string(limits.max_file_bytes) + " bytes");
  }
  if (!is_file() && size_ > limits.max_field_bytes) {
    throw http_error(status::payload_too_large, "the field \"" + std::string(name()) + "\" is larger than " +
                                                    std::to_string(limits.max_field_bytes) + " bytes");
  }
  co_return data;
}

inline task<std::string> multipart_part::read_all() {
  std::string content;
  for (;;) {
    const std::string_view piece = co_await read();
    if (piece.empty()) break;
    content.append(piece);
  }
  co_return content;
}

inline multipart_reader::multipart_reader(request& req, const multipart_limits& limits)
    : request_(&req),
      limits_(limits),
      parser_(detail::checked_boundary(req.header("Content-Type").value_or("")),
              detail::multipart_parser_limits{limits.max_parts, limits.max_header_bytes, limits.max_headers_per_part}) {
}

inline task<detail::multipart_event> multipart_reader::next_event(std::string_view& data) {
  for (;;) {
    const detail::multipart_event event = parser_.next(pending_, data);
    if (event == detail::multipart_event::error) {
      throw http_error(parser_.error_is_limit() ? status::payload_too_large : status::bad_request, parser_.error());
    }
    if (event != detail::multipart_event::need_more) co_return event;
    if (body_ended_) throw http_error(status::bad_request, std::string(parser_.truncation()));
    pending_ = co_await request_->read_body();
    body_ended_ = pending_.empty();
  }
}

inline task<multipart_part*> multipart_reader::next_part() {
  std::string_view data;
  for (;;) {
    if (parser_.finished()) {
      while (!body_ended_) body_ended_ = (co_await request_->read_body()).empty();  // the epilogue
      co_return nullptr;
    }
    const detail::multipart_event event = co_await next_event(data);
    if (event == detail::multipart_event::part_begin) {
      part_.size_ = 0;
      part_.ended_ = false;
      co_return &part_;
    }
    // data and part_end: the rest of a part the handler did not read.
  }
}

inline task<multipart_form> read_multipart(request& req, multipart_settings settings) {
  multipart_reader reader(req, settings.limits);
  multipart_form form;
  std::size_t field_bytes = 0;
  const std::filesystem::path directory =
      settings.upload_directory.empty() ? std::filesystem::temp_directory_path() : settings.upload_directory;
  while (multipart_part* part = co_await reader.next_part()) {
    if (!part->is_file()) {
      std::string value = co_await part->read_all();
      detail::count_field_bytes(field_bytes, value.size(), settings.limits.max_total_field_bytes);
      form.fields.add(std::string(part->name()), std::move(value));
      continue;
    }
    // Owned by the form from the start, so that a failure later removes it too.
    form.files.push_back(
        detail::upload_file_access::make(std::string(part->name()), std::string(part->filename().value_or("")),
                                         std::string(part->content_type()), detail::upload_file::create(directory)));
    detail::upload_file& file = detail::upload_file_access::of(form.files.back());
    for (;;) {
      const std::string_view piece = co_await part->read();
      if (piece.empty()) break;
      file.write(piece);
    }
    file.close();
  }
  co_return form;
}

}  // namespace asyncrest
