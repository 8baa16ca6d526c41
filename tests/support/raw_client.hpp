// A blocking client for tests that speaks raw bytes, so that tests can send exactly what a
// misbehaving client would, and read back exactly what the server wrote.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::testing {

struct http_reply {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  /// The size of each chunk of a chunked body, in order (the last, empty chunk not included).
  std::vector<std::size_t> chunk_sizes;

  /// The first field named `name` (any case).
  [[nodiscard]] std::optional<std::string> header(std::string_view name) const {
    for (const auto& [field, value] : headers) {
      if (field.size() == name.size()) {
        bool same = true;
        for (std::size_t index = 0; index < name.size() && same; ++index) {
          same = std::tolower(static_cast<unsigned char>(field[index])) ==
                 std::tolower(static_cast<unsigned char>(name[index]));
        }
        if (same) return value;
      }
    }
    return std::nullopt;
  }
};

class raw_client {
 public:
  /// `receive_buffer`, when not 0, sets SO_RCVBUF before connecting (the window is settled at
  /// the handshake), to make the server's writes stop part way sooner.
  explicit raw_client(std::uint16_t port, std::chrono::milliseconds read_timeout = std::chrono::seconds(10),
                      int receive_buffer = 0)
      : read_timeout_(read_timeout) {
    descriptor_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (descriptor_ < 0) throw std::runtime_error("socket() failed");
    if (receive_buffer != 0) ::setsockopt(descriptor_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(descriptor_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
      ::close(descriptor_);
      throw std::runtime_error("connect() failed");
    }
    const int on = 1;
    ::setsockopt(descriptor_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
  }
  raw_client(const raw_client&) = delete;
  raw_client& operator=(const raw_client&) = delete;
  ~raw_client() {
    if (descriptor_ >= 0) ::close(descriptor_);
  }

  /// Sends all of `bytes`; returns false when the server has closed or reset the connection.
  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t sent = ::send(descriptor_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (sent <= 0) return false;
      bytes.remove_prefix(static_cast<std::size_t>(sent));
    }
    return true;
  }

  /// Reads one response. Throws when the connection closes first or nothing arrives in time.
  /// `head_request`: the response has no body whatever its Content-Length says.
  http_reply read_response(bool head_request = false) {
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) {
      if (!receive()) throw std::runtime_error("connection closed before a response head: [" + pending_ + "]");
    }
    http_reply reply;
    const std::string head = pending_.substr(0, head_end);
    pending_.erase(0, head_end + 4);

    std::size_t line_end = head.find("\r\n");
    const std::string status_line = head.substr(0, line_end);
    if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) {
      throw std::runtime_error("not a status line: " + status_line);
    }
    reply.status = std::stoi(status_line.substr(9, 3));
    reply.reason = status_line.size() > 13 ? status_line.substr(13) : "";
    while (line_end != std::string::npos) {
      const std::size_t start = line_end + 2;
      line_end = head.find("\r\n", start);
      const std::string line = head.substr(start, line_end == std::string::npos ? std::string::npos : line_end - start);
      const std::size_t colon = line.find(':');
      if (colon == std::string::npos) throw std::runtime_error("malformed header line: " + line);
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      reply.headers.emplace_back(line.substr(0, colon), value);
    }
    const bool no_body = head_request || reply.status < 200 || reply.status == 204 || reply.status == 304;
    if (no_body) return reply;
    if (const auto coding = reply.header("Transfer-Encoding")) {
      if (*coding != "chunked") throw std::runtime_error("unexpected Transfer-Encoding: " + *coding);
      read_chunked_body(reply);
    } else if (const auto length = reply.header("Content-Length")) {
      const std::size_t wanted = std::stoul(*length);
      while (pending_.size() < wanted) {
        if (!receive()) throw std::runtime_error("connection closed in the middle of a body");
      }
      reply.body = pending_.substr(0, wanted);
      pending_.erase(0, wanted);
    } else {
      while (receive()) {
      }
      reply.body = std::move(pending_);
      pending_.clear();
    }
    return reply;
  }

  /// Reads exactly `wanted` bytes, as they come. Throws when the connection closes first.
  std::string read_exactly(std::size_t wanted) {
    while (pending_.size() < wanted) {
      if (!receive()) throw std::runtime_error("connection closed after " + std::to_string(pending_.size()) + " bytes");
    }
    std::string taken = pending_.substr(0, wanted);
    pending_.erase(0, wanted);
    return taken;
  }

  /// Reads up to and including the next "\n". Throws when the connection closes first.
  std::string read_line() {
    std::size_t end;
    while ((end = pending_.find('\n')) == std::string::npos) {
      if (!receive()) throw std::runtime_error("connection closed before the end of a line: [" + pending_ + "]");
    }
    std::string line = pending_.substr(0, end + 1);
    pending_.erase(0, end + 1);
    return line;
  }

  /// Whether the server closes the connection (EOF or reset) within `wait`, with nothing more
  /// to read first. Unread bytes count as "not closed".
  bool closed_by_server(std::chrono::milliseconds wait = std::chrono::seconds(5)) {
    if (!pending_.empty()) return false;
    pollfd ready{descriptor_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(wait.count())) <= 0) return false;
    char byte;
    const ssize_t received = ::recv(descriptor_, &byte, 1, 0);
    if (received > 0) {
      pending_.push_back(byte);
      return false;
    }
    return true;
  }

  /// Everything the server sends until it closes the connection.
  std::string read_until_closed() {
    while (receive()) {
    }
    return std::exchange(pending_, {});
  }

  /// Half-closes the sending side, as a client does when it has nothing more to say.
  void shutdown_send() { ::shutdown(descriptor_, SHUT_WR); }

  [[nodiscard]] int descriptor() const noexcept { return descriptor_; }

 private:
  /// A chunked body as RFC 9112 §7.1 frames it, checked strictly: hexadecimal sizes with no
  /// extensions, CRLF after each chunk, the last chunk empty, and no trailers.
  void read_chunked_body(http_reply& reply) {
    for (;;) {
      std::size_t line_end;
      while ((line_end = pending_.find("\r\n")) == std::string::npos) {
        if (!receive()) throw std::runtime_error("connection closed in a chunked body, before a chunk size");
      }
      const std::string size_line = pending_.substr(0, line_end);
      pending_.erase(0, line_end + 2);
      if (size_line.empty() || size_line.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos) {
        throw std::runtime_error("malformed chunk size: [" + size_line + "]");
      }
      const std::size_t size = std::stoul(size_line, nullptr, 16);
      while (pending_.size() < size + 2) {
        if (!receive()) throw std::runtime_error("connection closed in the middle of a chunk");
      }
      if (pending_.compare(size, 2, "\r\n") != 0) throw std::runtime_error("a chunk does not end with CRLF");
      if (size == 0) {
        pending_.erase(0, 2);
        return;
      }
      reply.body.append(pending_, 0, size);
      reply.chunk_sizes.push_back(size);
      pending_.erase(0, size + 2);
    }
  }

  bool receive() {
    pollfd ready{descriptor_, POLLIN, 0};
    if (::poll(&ready, 1, static_cast<int>(read_timeout_.count())) <= 0) {
      throw std::runtime_error("timed out waiting for the server");
    }
    char chunk[16384];
    const ssize_t received = ::recv(descriptor_, chunk, sizeof chunk, 0);
    if (received <= 0) return false;
    pending_.append(chunk, static_cast<std::size_t>(received));
    return true;
  }

  int descriptor_ = -1;
  std::chrono::milliseconds read_timeout_;
  std::string pending_;
};

/// The bytes of `GET target` with a Host field and nothing else.
inline std::string get_request(std::string_view target) {
  return "GET " + std::string(target) + " HTTP/1.1\r\nHost: api.example\r\n\r\n";
}

/// One request on a new connection; the reply.
inline http_reply exchange(std::uint16_t port, std::string_view request_bytes, bool head_request = false) {
  raw_client client(port);
  client.send(request_bytes);
  return client.read_response(head_request);
}

}  // namespace asyncrest::testing
