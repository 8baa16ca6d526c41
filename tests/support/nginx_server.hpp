// Debian's nginx, started for a test: a generated configuration in a temporary directory, plain
// HTTP and (with `with_tls`) HTTPS on free loopback ports, stopped and cleaned up afterwards.
// nginx cannot listen on port 0, so a free port is found by binding one and closing it, and the
// start is retried with other ports if nginx loses that race. A missing nginx is an error, not a
// skipped test: cmake/install-dependencies.sh installs it.
#pragma once

#include <support/spawned_server.hpp>
#include <support/test_certificates.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace asyncrest::testing {

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
    for (int attempt = 0; attempt < 5 && !process_.running(); ++attempt) start(with_tls);
    if (!process_.running()) {
      std::ifstream log(directory_ / "error.log");
      const std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
      std::filesystem::remove_all(directory_);
      throw std::runtime_error("nginx did not start: " + text);
    }
  }
  nginx_server(const nginx_server&) = delete;
  nginx_server& operator=(const nginx_server&) = delete;
  ~nginx_server() {
    process_.stop();
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

  void make_certificates() { test_certificates made(directory_); }

  void start(bool with_tls) {
    port_ = free_loopback_port();
    tls_port_ = with_tls ? free_loopback_port() : 0;
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
    process_.start({executable_, "-p", prefix, "-c", config_path, "-e", error_log}, port_);
  }

  std::string locations_;
  std::string executable_;
  std::filesystem::path directory_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  spawned_server process_;
};

}  // namespace asyncrest::testing
