// Debian's tinyproxy, started for a test: a configuration in a temporary directory, listening on
// a free loopback port, allowing 127.0.0.1 and CONNECT to the ports a test names, optionally
// with Basic credentials; stopped and cleaned up afterwards. tinyproxy cannot listen on port 0,
// so a free port is found by binding one and closing it, and the start is retried if it loses
// that race. Tests skip, saying so, when tinyproxy is not installed (`installed()`).
#pragma once

#include <support/spawned_server.hpp>

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <vector>

namespace asyncrest::testing {

class tinyproxy_server {
 public:
  /// Where tinyproxy is, or empty.
  static std::string executable() {
    for (const char* candidate : {"/usr/bin/tinyproxy", "/usr/sbin/tinyproxy", "/usr/local/bin/tinyproxy"}) {
      if (::access(candidate, X_OK) == 0) return candidate;
    }
    return {};
  }
  static bool installed() { return !executable().empty(); }

  /// `connect_ports`: the ports CONNECT may reach (others get 403). `basic_auth`: "user password"
  /// to demand credentials (407 without them), or empty.
  explicit tinyproxy_server(std::vector<std::uint16_t> connect_ports, std::string basic_auth = {})
      : connect_ports_(std::move(connect_ports)), basic_auth_(std::move(basic_auth)) {
    executable_ = executable();
    if (executable_.empty()) throw std::runtime_error("tinyproxy is not installed");
    char pattern[] = "/tmp/asyncrest-tinyproxy-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    directory_ = pattern;
    for (int attempt = 0; attempt < 5 && !process_.running(); ++attempt) start();
    if (!process_.running()) {
      const std::string text = log();
      std::filesystem::remove_all(directory_);
      throw std::runtime_error("tinyproxy did not start: " + text);
    }
  }
  tinyproxy_server(const tinyproxy_server&) = delete;
  tinyproxy_server& operator=(const tinyproxy_server&) = delete;
  ~tinyproxy_server() {
    process_.stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  /// "http://127.0.0.1:port", with `credentials` ("user:password@") when given.
  [[nodiscard]] std::string url(const std::string& credentials = {}) const {
    return "http://" + credentials + "127.0.0.1:" + std::to_string(port_);
  }
  /// What tinyproxy has logged (connections and requests, at LogLevel Connect).
  [[nodiscard]] std::string log() const {
    std::ifstream file(directory_ / "tinyproxy.log");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

 private:
  void start() {
    port_ = free_loopback_port();
    const std::string dir = directory_.string();
    {
      std::ofstream config(directory_ / "tinyproxy.conf");
      config << "Port " << port_ << "\nListen 127.0.0.1\nTimeout 30\nLogFile \"" << dir
             << "/tinyproxy.log\"\nLogLevel Connect\nPidFile \"" << dir
             << "/tinyproxy.pid\"\nMaxClients 50\nAllow 127.0.0.1\nViaProxyName \"tinyproxy\"\n";
      for (const std::uint16_t allowed : connect_ports_) config << "ConnectPort " << allowed << "\n";
      if (!basic_auth_.empty()) config << "BasicAuth " << basic_auth_ << "\n";
    }
    process_.start({executable_, "-d", "-c", dir + "/tinyproxy.conf"}, port_);
  }

  std::vector<std::uint16_t> connect_ports_;
  std::string basic_auth_;
  std::string executable_;
  std::filesystem::path directory_;
  std::uint16_t port_ = 0;
  spawned_server process_;
};

}  // namespace asyncrest::testing
