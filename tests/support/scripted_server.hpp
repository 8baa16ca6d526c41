// A TCP server for client tests that answers with exactly the bytes a test scripts: slow,
// truncated, chunked, closed at the wrong moment. Each connection runs the script on a thread of
// its own with blocking socket calls; the server counts connections, including how many were open
// at once, and stops (closing every socket) when it is destroyed.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/read_until.hpp>
#include <asio/streambuf.hpp>
#include <asio/write.hpp>

#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace asyncrest::testing {

class scripted_connection {
 public:
  explicit scripted_connection(asio::ip::tcp::socket socket) : socket_(std::move(socket)) {}

  /// The next request's head and body (by Content-Length), or empty when the client closed.
  std::string read_request() {
    std::error_code error;
    const std::size_t head_size = asio::read_until(socket_, buffer_, "\r\n\r\n", error);
    if (error) return {};
    std::string head(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + head_size);
    buffer_.consume(head_size);
    std::size_t body_size = 0;
    std::string lower = head;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (const auto at = lower.find("content-length:"); at != std::string::npos) {
      body_size = std::stoul(lower.substr(at + 15));
    }
    if (buffer_.size() < body_size)
      asio::read(socket_, buffer_, asio::transfer_exactly(body_size - buffer_.size()), error);
    std::string body(asio::buffers_begin(buffer_.data()), asio::buffers_begin(buffer_.data()) + body_size);
    buffer_.consume(body_size);
    return head + body;
  }

  bool write(std::string_view bytes) {
    std::error_code error;
    asio::write(socket_, asio::buffer(bytes), error);
    return !error;
  }

  /// Waits until the client closes its end (or the server stops).
  void wait_for_close() {
    char byte = 0;
    std::error_code error;
    while (!error) socket_.read_some(asio::buffer(&byte, 1), error);
  }

  void close() {
    std::lock_guard lock(mutex_);
    std::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    closed_ = true;
  }

  /// From another thread: ends a blocking read or write. Only the kernel's side of the socket is
  /// touched (the Asio object belongs to the connection's thread), and only while it is open, so
  /// a reused descriptor number is never hit.
  void interrupt() {
    std::lock_guard lock(mutex_);
    if (!closed_) ::shutdown(descriptor_, SHUT_RDWR);
  }

 private:
  asio::ip::tcp::socket socket_;
  int descriptor_ = socket_.native_handle();
  asio::streambuf buffer_;
  std::mutex mutex_;
  bool closed_ = false;
};

class scripted_server {
 public:
  using script = std::function<void(scripted_connection&, std::size_t connection_index)>;

  explicit scripted_server(script run)
      : run_(std::move(run)), acceptor_(context_, {asio::ip::address_v4::loopback(), 0}) {
    port_ = acceptor_.local_endpoint().port();
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  scripted_server(const scripted_server&) = delete;
  scripted_server& operator=(const scripted_server&) = delete;
  ~scripted_server() {
    stopping_ = true;
    // The accept loop owns the acceptor until it returns; a connection wakes its blocking accept.
    {
      std::error_code ignored;
      asio::io_context waker;
      asio::ip::tcp::socket poke(waker);
      poke.connect({asio::ip::address_v4::loopback(), port_}, ignored);
    }
    accept_thread_.join();
    std::error_code ignored;
    acceptor_.close(ignored);
    for (auto& connection : connections_) connection->interrupt();
    for (auto& thread : threads_) thread.join();
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::string url(std::string_view path = "/") const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  [[nodiscard]] std::size_t connections() const noexcept { return accepted_; }
  [[nodiscard]] std::size_t most_at_once() const noexcept { return most_at_once_; }

 private:
  void accept_loop() {
    for (;;) {
      std::error_code error;
      asio::ip::tcp::socket socket(context_);
      acceptor_.accept(socket, error);
      if (error || stopping_) return;
      const std::size_t index = accepted_++;
      auto connection = std::make_shared<scripted_connection>(std::move(socket));
      std::lock_guard lock(mutex_);
      connections_.push_back(connection);
      threads_.emplace_back([this, connection, index] {
        const std::size_t now_open = ++open_;
        std::size_t seen = most_at_once_;
        while (now_open > seen && !most_at_once_.compare_exchange_weak(seen, now_open)) {
        }
        run_(*connection, index);
        connection->close();
        --open_;
      });
    }
  }

  script run_;
  asio::io_context context_;
  asio::ip::tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::thread accept_thread_;
  std::mutex mutex_;
  std::vector<std::shared_ptr<scripted_connection>> connections_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stopping_{false};
  std::atomic<std::size_t> accepted_{0};
  std::atomic<std::size_t> open_{0};
  std::atomic<std::size_t> most_at_once_{0};
};

/// An ordinary keep-alive response with `body`.
inline std::string ok_response(std::string_view body, std::string_view status_line = "200 OK") {
  return "HTTP/1.1 " + std::string(status_line) + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nContent-Type: text/plain\r\n\r\n" + std::string(body);
}

/// Serves keep-alive connections: `answer(request)` for each request until the client closes.
inline scripted_server::script answer_each(std::function<std::string(const std::string&)> answer) {
  return [answer = std::move(answer)](scripted_connection& connection, std::size_t) {
    for (;;) {
      const std::string request = connection.read_request();
      if (request.empty()) return;
      if (!connection.write(answer(request))) return;
    }
  };
}

}  // namespace asyncrest::testing
