// A third-party server a test runs as a child process (nginx, tinyproxy): started with
// posix_spawn, ready once it accepts on its loopback port, stopped with SIGTERM. Such servers
// cannot listen on port 0, so `free_loopback_port()` finds a port by binding one and closing it;
// a start that loses that race finds the child gone, and the caller tries another port.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

extern char** environ;

namespace asyncrest::testing {

/// A loopback port that was free a moment ago.
inline std::uint16_t free_loopback_port() {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  return acceptor.local_endpoint().port();
}

class spawned_server {
 public:
  spawned_server() = default;
  spawned_server(const spawned_server&) = delete;
  spawned_server& operator=(const spawned_server&) = delete;
  ~spawned_server() { stop(); }

  /// Starts `arguments` (the executable first) and waits until it accepts on 127.0.0.1:`port`,
  /// or has exited (it could not bind, say): `running()` tells which. Throws when it cannot be
  /// started at all.
  void start(std::vector<std::string> arguments, std::uint16_t port) {
    stop();
    std::vector<char*> argv;
    for (std::string& argument : arguments) argv.push_back(argument.data());
    argv.push_back(nullptr);
    pid_t child = 0;
    if (::posix_spawn(&child, argv[0], nullptr, nullptr, argv.data(), environ) != 0) {
      throw std::runtime_error("cannot start " + arguments[0]);
    }
    pid_ = child;
    for (int wait = 0; wait < 500; ++wait) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      asio::io_context io;
      asio::ip::tcp::socket probe(io);
      std::error_code error;
      probe.connect({asio::ip::address_v4::loopback(), port}, error);
      if (!error) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    stop();
  }

  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

  /// SIGTERM, and waits for the child to end.
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

}  // namespace asyncrest::testing
