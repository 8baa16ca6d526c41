// HTTPS at the level of TLS records, with a blocking OpenSSL client that decides how the bytes
// are cut: a request split across records, requests in separate records sent together (the
// second waits in the server's OpenSSL buffer, not in the socket), a client's close_notify
// between requests, close_notify from the server after Connection: close, and large responses
// to a client that reads slowly, so that the server's writes find the socket full.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/test_certificates.hpp>
#include <support/test_server.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using ar::testing::test_certificates;
using ar::testing::test_server;

namespace {

std::string big_text(std::size_t size) {
  std::string text;
  for (int line = 0; text.size() < size; ++line) text += "line " + std::to_string(line) + "\n";
  return text;
}

// Larger than the most a loopback socket's send buffer grows to (4 MiB by default), so that the
// server's writes find it full.
constexpr std::size_t big_size = 8 * 1024 * 1024;

std::string stream_piece(int piece) {
  std::string text = "piece " + std::to_string(piece) + "\n";
  text.resize(4096, '.');
  return text;
}

auto make_app(std::filesystem::path file_path) {
  return ar::app{ar::routes(ar::get<"/hello">([](ar::request&) { return ar::text("hello over TLS"); }),
                            ar::post<"/echo">([](ar::request& req) { return ar::text(std::string(req.body())); }),
                            ar::get<"/big">([](ar::request&) { return ar::text(big_text(big_size)); }),
                            ar::get<"/medium">([](ar::request&) { return ar::text(big_text(12 * 1024)); }),
                            ar::get<"/file">([file_path](ar::request&) { return ar::file(file_path, "text/plain"); }),
                            ar::get<"/stream">([](ar::request&) {
                              return ar::stream(
                                  [](ar::body_writer& out) -> ar::task<void> {
                                    for (int piece = 0; piece < 2000; ++piece) co_await out.write(stream_piece(piece));
                                  },
                                  "text/plain");
                            }))};
}

struct app_factory {
  std::filesystem::path file_path;
  auto operator()() const { return make_app(file_path); }
};
using server_type = test_server<app_factory>;

struct fixture {
  test_certificates certificates;
  std::filesystem::path file_path =
      std::filesystem::temp_directory_path() / ("asyncrest_tls_records_" + std::to_string(::getpid()) + ".txt");
  fixture() { std::ofstream(file_path) << big_text(big_size); }
  ~fixture() { std::filesystem::remove(file_path); }

  [[nodiscard]] ar::server_settings settings() const { return certificates.server_tls_settings(); }
};

/// A blocking TLS 1.3 client: each send() is one SSL_write, so one record (or more when long).
class tls_client {
 public:
  tls_client(std::uint16_t port, const std::string& ca_file, int receive_buffer = 0) {
    context_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(context_, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(context_, SSL_VERIFY_PEER, nullptr);
    descriptor_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (receive_buffer != 0) ::setsockopt(descriptor_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    const timeval timeout{10, 0};
    ::setsockopt(descriptor_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const int on = 1;
    ::setsockopt(descriptor_, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(descriptor_, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
      throw std::runtime_error("connect() failed");
    ssl_ = SSL_new(context_);
    SSL_set_fd(ssl_, descriptor_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    if (SSL_connect(ssl_) != 1) throw std::runtime_error("the TLS handshake failed");
  }
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;
  ~tls_client() {
    SSL_free(ssl_);
    SSL_CTX_free(context_);
    ::close(descriptor_);
  }

  void send(std::string_view bytes) {
    std::size_t written = 0;
    if (SSL_write_ex(ssl_, bytes.data(), bytes.size(), &written) != 1 || written != bytes.size())
      throw std::runtime_error("SSL_write failed");
  }

  /// Reads one response with a Content-Length or chunked body; returns its body. `pace`: read in
  /// small steps with a pause after each, for the first `paced_bytes` bytes.
  std::string read_body(std::size_t paced_bytes = 0, std::chrono::milliseconds pace = 0ms) {
    const std::size_t paced = received_ + paced_bytes;
    std::size_t head_end;
    while ((head_end = pending_.find("\r\n\r\n")) == std::string::npos) receive(paced, pace);
    const std::string head = pending_.substr(0, head_end + 4);
    pending_.erase(0, head_end + 4);
    if (head.find("Transfer-Encoding: chunked") != std::string::npos) {
      std::string body;
      for (;;) {
        std::size_t line_end;
        while ((line_end = pending_.find("\r\n")) == std::string::npos) receive(paced, pace);
        const std::size_t size = std::stoul(pending_.substr(0, line_end), nullptr, 16);
        while (pending_.size() < line_end + 2 + size + 2) receive(paced, pace);
        body += pending_.substr(line_end + 2, size);
        pending_.erase(0, line_end + 2 + size + 2);
        if (size == 0) return body;
      }
    }
    const std::size_t at = head.find("Content-Length: ");
    if (at == std::string::npos) throw std::runtime_error("no length: " + head);
    const std::size_t length = std::stoul(head.substr(at + 16));
    while (pending_.size() < length) receive(paced, pace);
    std::string body = pending_.substr(0, length);
    pending_.erase(0, length);
    return body;
  }

  /// Sends close_notify, as a client that ends its side of the connection does.
  void send_close_notify() { SSL_shutdown(ssl_); }

  /// What the next read finds after the last response: the server's close_notify
  /// (SSL_ERROR_ZERO_RETURN), a close without it (SSL_ERROR_SYSCALL or SSL_ERROR_SSL), or bytes (0).
  int next_read_error() {
    char byte;
    std::size_t read = 0;
    if (SSL_read_ex(ssl_, &byte, 1, &read) == 1) return 0;
    const int error = SSL_get_error(ssl_, 0);
    ERR_clear_error();
    return error;
  }

 private:
  void receive(std::size_t paced, std::chrono::milliseconds pace) {
    char chunk[16 * 1024];
    const bool slow = received_ < paced;
    std::size_t read = 0;
    if (SSL_read_ex(ssl_, chunk, slow ? 1024 : sizeof chunk, &read) != 1)
      throw std::runtime_error("the connection closed after " + std::to_string(received_) + " bytes");
    received_ += read;
    pending_.append(chunk, read);
    if (slow) std::this_thread::sleep_for(pace);
  }

  SSL_CTX* context_ = nullptr;
  SSL* ssl_ = nullptr;
  int descriptor_ = -1;
  std::string pending_;
  std::size_t received_ = 0;
};

}  // namespace

TEST_CASE("a request split across TLS records, and requests in records sent together, are answered") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  tls_client client(server.port(), f.certificates.ca_file());
  for (const std::string_view piece : {"GET /hel", "lo HTTP/1.1\r\nHo", "st: x\r\n", "\r\n"}) {
    client.send(piece);
    std::this_thread::sleep_for(20ms);
  }
  CHECK(client.read_body() == "hello over TLS");
  // Three requests, a record each, in one burst: after the first, the others are in OpenSSL's
  // buffer, and the socket has nothing more to announce.
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nab");
  client.send("cde");
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(client.read_body() == "hello over TLS");
  CHECK(client.read_body() == "abcde");
  CHECK(client.read_body() == "hello over TLS");
  // A body larger than a record, in records of a few KiB.
  const std::string large = big_text(100 * 1024);
  client.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(large.size()) + "\r\n\r\n");
  for (std::size_t at = 0; at < large.size(); at += 5000) client.send(std::string_view(large).substr(at, 5000));
  CHECK(client.read_body() == large);
}

TEST_CASE("a client's close_notify between requests ends the connection, and the server goes on") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  {
    tls_client client(server.port(), f.certificates.ca_file());
    client.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(client.read_body() == "hello over TLS");
    const auto started = std::chrono::steady_clock::now();
    client.send_close_notify();
    CHECK(client.next_read_error() != 0);  // closed, not answered
    CHECK(std::chrono::steady_clock::now() - started < 2s);
  }
  tls_client next(server.port(), f.certificates.ca_file());
  next.send("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(next.read_body() == "hello over TLS");
}

TEST_CASE("after Connection: close, the server sends close_notify") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  tls_client client(server.port(), f.certificates.ca_file());
  client.send("GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(client.read_body() == "hello over TLS");
  CHECK(client.next_read_error() == SSL_ERROR_ZERO_RETURN);
}

TEST_CASE("large responses to a client that reads slowly arrive whole over TLS") {
  fixture f;
  server_type server(app_factory{f.file_path}, f.settings());
  // A small receive window, and reads of 1 KiB with pauses at first: the server's writes find
  // the socket full part way through a record, and finish it later.
  tls_client client(server.port(), f.certificates.ca_file(), 4096);
  // Pipelined behind a large body: the socket is full when their responses are written at once
  // from the connection's buffer.
  std::string requests = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
  for (int each = 0; each < 16; ++each) requests += "GET /medium HTTP/1.1\r\nHost: x\r\n\r\n";
  client.send(requests);
  std::this_thread::sleep_for(300ms);
  CHECK(client.read_body(64 * 1024, 2ms) == big_text(big_size));
  for (int each = 0; each < 16; ++each) CHECK(client.read_body() == big_text(12 * 1024));
  client.send("GET /file HTTP/1.1\r\nHost: x\r\n\r\n");
  CHECK(client.read_body(64 * 1024, 2ms) == big_text(big_size));
  client.send("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string expected;
  for (int piece = 0; piece < 2000; ++piece) expected += stream_piece(piece);
  CHECK(client.read_body(64 * 1024, 2ms) == expected);
}
