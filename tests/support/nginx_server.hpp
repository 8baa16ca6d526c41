// Debian's nginx, started for a test: a generated configuration in a temporary directory, plain
// HTTP and (with `with_tls`) HTTPS on free loopback ports, stopped and cleaned up afterwards.
// nginx cannot listen on port 0, so a free port is found by binding one and closing it, and the
// start is retried with other ports if nginx loses that race. A missing nginx is an error, not a
// skipped test: cmake/install-dependencies.sh installs it.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <support/test_certificates.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace asyncrest::testing {

/// Runs a shell command; throws with its output when it fails.
class nginx_server {
 public:
  /// `locations`: the `location` blocks of the server, written into its configuration.
  explicit nginx_server(std::string locations, bool with_tls = false) : locations_(std::move(locations)) {
    executable_ = find_nginx();
    char pattern[] = "/tmp/asyncrest-nginx-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    directory_ = pattern;
    std::filesystem::create_directories(directory_ / "www");
    if (with_tls) make_certificates();
    for (int attempt = 0; attempt < 5 && pid_ <= 0; ++attempt) start(with_tls);
    if (pid_ <= 0) {
      std::ifstream log(directory_ / "error.log");
      const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      std::filesystem::remove_all(directory_);
      throw std::runtime_error("nginx did not start: " + text);
    }
  }
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;
  ~nginx_server() {
    stop_process();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] std::uint16_t tls_port() const noexcept { return tls_port_; }
  [[nodiscard]] std::string url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  /// The document root, for files a test serves.
  [[nodiscard]] std::filesystem::path root() const { return directory_ / "www"; }
  /// The CA that signed the server's certificate (for DNS name "localhost" only).
  [[nodiscard]] std::string ca_file() const { return (directory_ / "ca.pem").string(); }

 private:
  static std::string find_nginx() {
    for (const char* candidate : {"/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"}) {
      if (::access(candidate, X_OK) == 0) return candidate;
    }
    throw std::runtime_error("nginx is not installed; run cmake/install-dependencies.sh (it installs Debian's nginx)");
  }

  static std::uint16_t free_port() {
    asio::io_context io;
    asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
    return acceptor.local_endpoint().port();
  }

  void make_certificates() { test_certificates made(directory_); }

  void start(bool with_tls) {
    port_ = free_port();
    tls_port_ = with_tls ? free_port() : 0;
    const std::string dir = directory_.string();
    std::ofstream config(directory_ / "nginx.conf");
    config << "daemon off;\nmaster_process off;\nworker_processes 1;\npid " << dir << "/nginx.pid;\n"
           << "error_log " << dir << "/error.log warn;\n"
           << "events { worker_connections 512; }\n"
           << "http {\n  access_log off;\n  keepalive_timeout 30s;\n  keepalive_requests 100000;\n"
           << "  client_body_temp_path " << dir << "/body;\n  proxy_temp_path " << dir << "/proxy;\n"
           << "  fastcgi_temp_path " << dir << "/fastcgi;\n  uwsgi_temp_path " << dir << "/uwsgi;\n"
           << "  scgi_temp_path " << dir << "/scgi;\n"
           << "  types { text/plain txt; application/json json; }\n"
           << "  server {\n    listen 127.0.0.1:" << port_ << ";\n";
    if (with_tls) {
      config << "    listen 127.0.0.1:" << tls_port_ << " ssl;\n    ssl_certificate " << dir
             << "/server.pem;\n    ssl_certificate_key " << dir << "/server.key;\n";
    }
    config << "    root " << dir << "/www;\n" << locations_ << "\n  }\n}\n";
    config.close();

    const std::string prefix = dir + "/";
    const std::string config_path = dir + "/nginx.conf";
    const std::string error_log = dir + "/error.log";
    std::vector<std::string> arguments{executable_, "-p", prefix, "-c", config_path, "-e", error_log};
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    if (::posix_spawn(&child, executable_.c_str(), nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + executable_);
    }
    pid_ = child;
    // Ready when it accepts on the plain port; gone if it could not bind.
    for (int wait = 0; wait < 500; ++wait) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      asio::io_context io;
      asio::ip::tcp::socket probe(io);
      std::error_code error;
      probe.connect({asio::ip::address_v4::loopback(), port_}, error);
      if (!error) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop_process();
  }

  void stop_process() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  std::string locations_;
  std::string executable_;
  std::filesystem::path directory_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  pid_t pid_ = 0;
};

}  // namespace asyncrest::testing
