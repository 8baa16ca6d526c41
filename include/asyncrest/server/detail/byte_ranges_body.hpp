// A multipart/byteranges body (RFC 9110 §14.6): several ranges of one file, each after a part
// head, read from the file as the socket takes them.
#pragma once

#include <asyncrest/core/detail/random_hex.hpp>
#include <asyncrest/core/task.hpp>
#include <asyncrest/http/detail/byte_ranges.hpp>
#include <asyncrest/server/body.hpp>
#include <asyncrest/server/detail/open_beneath.hpp>

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// A boundary no file's bytes are likely to hold: 32 random hexadecimal digits.
inline std::string random_boundary() {
  std::string boundary(32, '0');
  write_random_hex(boundary.data(), boundary.size());
  return boundary;
}

/// Writes the parts. Shared by the copies of its response (a stream's producer is called once
/// per response sent), so it reads with pread and keeps no position.
class byte_ranges_producer {
 public:
  byte_ranges_producer(std::shared_ptr<const file_descriptor> file, std::vector<byte_range> ranges,
                       std::vector<std::string> part_heads, std::string closing)
      : file_(std::move(file)),
        ranges_(std::move(ranges)),
        part_heads_(std::move(part_heads)),
        closing_(std::move(closing)) {}

  task<void> operator()(body_writer& out) const {
    static constexpr std::size_t step = 64 * 1024;
    std::string chunk;
    for (std::size_t part = 0; part < ranges_.size(); ++part) {
      co_await out.write(part_heads_[part]);
      std::uint64_t offset = ranges_[part].first;
      std::uint64_t remaining = ranges_[part].length();
      while (remaining > 0) {
        chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(remaining, step)));
        const ssize_t read = ::pread(file_->get(), chunk.data(), chunk.size(), static_cast<off_t>(offset));
        if (read < 0 && errno == EINTR) continue;
        // The file shrank since it was opened: the promised length cannot be kept.
        if (read <= 0) throw stream_closed("the file is shorter than when it was opened");
        co_await out.write(std::string_view(chunk.data(), static_cast<std::size_t>(read)));
        offset += static_cast<std::uint64_t>(read);
        remaining -= static_cast<std::uint64_t>(read);
      }
    }
    co_await out.write(closing_);
  }

 private:
  std::shared_ptr<const file_descriptor> file_;
  std::vector<byte_range> ranges_;
  std::vector<std::string> part_heads_;
  std::string closing_;
};

/// A 206 response with `ranges` (two or more) of the file `file` of `length` bytes, whose parts
/// are of type `content_type`. Its Content-Length is known before the first byte is sent.
[[nodiscard]] inline response byte_ranges_response(file_descriptor file, std::vector<byte_range> ranges,
                                                   std::uint64_t length, std::string_view content_type) {
  const std::string boundary = random_boundary();
  std::vector<std::string> part_heads;
  part_heads.reserve(ranges.size());
  std::uint64_t total = 0;
  for (const byte_range& range : ranges) {
    std::string head;
    head.append(part_heads.empty() ? "--" : "\r\n--").append(boundary);
    head.append("\r\nContent-Type: ").append(content_type);
    head.append("\r\nContent-Range: bytes ")
        .append(std::to_string(range.first))
        .append("-")
        .append(std::to_string(range.last))
        .append("/")
        .append(std::to_string(length))
        .append("\r\n\r\n");
    total += head.size() + range.length();
    part_heads.push_back(std::move(head));
  }
  std::string closing = "\r\n--" + boundary + "--\r\n";
  total += closing.size();
  response answer = stream(byte_ranges_producer(std::make_shared<const file_descriptor>(std::move(file)),
                                                std::move(ranges), std::move(part_heads), std::move(closing)),
                           "multipart/byteranges; boundary=" + boundary, total);
  answer.status = status::partial_content;
  return answer;
}

}  // namespace asyncrest::detail
