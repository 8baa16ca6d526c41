// Debian's Prometheus, started for a test: a configuration that scrapes one target every second,
// storage in a temporary directory, its HTTP API on a free loopback port; stopped and cleaned up
// afterwards. Its log goes to a file, read back when it fails to start. Tests skip, saying so,
// when Prometheus is not installed (`installed()`); promtool, from the same package, checks a
// scrape's text.
#pragma once

#include <support/spawned_server.hpp>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>
#include <utility>

namespace asyncrest::testing {

class prometheus_server {
 public:
  /// Where the prometheus executable is, or empty.
  static std::string executable() { return find("prometheus"); }
  static bool installed() { return !executable().empty() && !find("promtool").empty(); }

  /// Scrapes 127.0.0.1:`target_port``metrics_path` every second.
  explicit prometheus_server(std::uint16_t target_port, std::string metrics_path = "/metrics") {
    executable_ = executable();
    if (executable_.empty()) throw std::runtime_error("prometheus is not installed");
    directory_ = make_temporary_directory("asyncrest-prometheus-XXXXXX");
    {
      std::ofstream config(directory_ / "prometheus.yml");
      config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
             << "scrape_configs:\n  - job_name: asyncrest\n    metrics_path: \"" << metrics_path << "\"\n"
             << "    static_configs:\n      - targets: [\"127.0.0.1:" << target_port << "\"]\n";
    }
    for (int attempt = 0; attempt < 5 && !process_.running(); ++attempt) start();
    if (!process_.running()) {
      const std::string text = log();
      std::filesystem::remove_all(directory_);
      throw std::runtime_error("prometheus did not start: " + text);
    }
  }
  prometheus_server(const prometheus_server&) = delete;
  prometheus_server& operator=(const prometheus_server&) = delete;
  ~prometheus_server() {
    process_.stop();
    std::error_code ignored;
    std::filesystem::remove_all(directory_, ignored);
  }

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }

  [[nodiscard]] std::string log() const {
    std::ifstream file(directory_ / "prometheus.log");
    return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  }

  /// Runs `promtool check metrics` on `text` (given on its standard input); its exit status and
  /// what it printed.
  static std::pair<int, std::string> check_metrics(const std::string& text) {
    const std::filesystem::path directory = make_temporary_directory("asyncrest-promtool-XXXXXX");
    std::ofstream(directory / "metrics.txt") << text;
    const std::string command = find("promtool") + " check metrics < " + (directory / "metrics.txt").string() + " > " +
                                (directory / "output.txt").string() + " 2>&1";
    const int status = std::system(command.c_str());
    std::ifstream output_file(directory / "output.txt");
    std::string output((std::istreambuf_iterator<char>(output_file)), std::istreambuf_iterator<char>());
    std::error_code ignored;
    std::filesystem::remove_all(directory, ignored);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }

 private:
  static std::filesystem::path make_temporary_directory(const char* name) {
    std::string pattern = (std::filesystem::temp_directory_path() / name).string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    return pattern;
  }

  static std::string find(const std::string& name) {
    for (const char* folder : {"/usr/bin/", "/usr/local/bin/", "/usr/sbin/"}) {
      const std::string candidate = folder + name;
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    return {};
  }

  void start() {
    port_ = free_loopback_port();
    const std::string dir = directory_.string();
    // Through the shell only to send its log to a file; exec, so SIGTERM reaches Prometheus.
    process_.start(
        {"/bin/sh", "-c",
         "exec " + executable_ + " --config.file=" + dir + "/prometheus.yml --storage.tsdb.path=" + dir +
             "/data --web.listen-address=127.0.0.1:" + std::to_string(port_) + " > " + dir + "/prometheus.log 2>&1"},
        port_);
  }

  std::string executable_;
  std::filesystem::path directory_;
  std::uint16_t port_ = 0;
  spawned_server process_;
};

}  // namespace asyncrest::testing
