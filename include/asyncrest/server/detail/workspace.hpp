// The buffers and lists of one request: part of the request memory a connection borrows from
// its thread's pool while it reads and answers a request (see request_memory.hpp).
#pragma once

#include <asyncrest/core/detail/context_storage.hpp>
#include <asyncrest/core/headers.hpp>
#include <asyncrest/http/detail/raw_header.hpp>
#include <asyncrest/server/path_parameter.hpp>

#include <cstddef>
#include <cstring>
#include <forward_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace simdjson::dom {
class parser;
}

namespace asyncrest::detail {

/// A growable byte buffer that does not zero what it allocates.
class byte_buffer {
 public:
  [[nodiscard]] char* data() noexcept { return storage_.get(); }
  [[nodiscard]] const char* data() const noexcept { return storage_.get(); }
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// Makes room for at least `wanted` bytes, keeping the first `keep` bytes.
  void reserve(std::size_t wanted, std::size_t keep) {
    if (wanted <= capacity_) return;
    std::size_t grown = capacity_ == 0 ? 4096 : capacity_;
    while (grown < wanted) grown *= 2;
    std::unique_ptr<char[]> replacement(new char[grown]);
    if (keep != 0) std::memcpy(replacement.get(), storage_.get(), keep);
    storage_ = std::move(replacement);
    capacity_ = grown;
  }

 private:
  std::unique_ptr<char[]> storage_;
  std::size_t capacity_ = 0;
};

struct workspace {
  static constexpr std::size_t initial_read_capacity = 8192;
  // A buffer that grew past this for one large request is freed rather than pooled.
  static constexpr std::size_t pooled_capacity_limit = 64 * 1024;

  byte_buffer read_buffer;
  std::string write_buffer;
  std::vector<raw_header> raw_headers;
  std::vector<header_view> headers;
  std::vector<path_parameter> parameters;
  std::vector<header_view> attributes;     // values middleware attach to a request
  std::string body;                        // a body that arrived in pieces (chunked)
  std::forward_list<std::string> decoded;  // stable storage for decoded text
  context_storage context;                 // the request's typed values (request::context())

  void clear_request() noexcept {
    context.clear();  // first: a value may view the text below
    raw_headers.clear();
    headers.clear();
    parameters.clear();
    attributes.clear();
    body.clear();
    decoded.clear();
  }

  /// Keeps `text` alive until the request ends and returns a view of it.
  std::string_view keep(std::string text) { return decoded.emplace_front(std::move(text)); }
};

}  // namespace asyncrest::detail
