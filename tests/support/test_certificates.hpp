// A certificate authority and a server certificate for "localhost", made at test
// time with the openssl command, in a folder of their own, removed with the object.
#pragma once

#include <support/test_server.hpp>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

namespace asyncrest::testing {

inline void run_quietly(const std::string& command) {
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

class test_certificates {
 public:
  /// Makes them in `directory`, which must exist; removes nothing.
  explicit test_certificates(const std::filesystem::path& directory) : directory_(directory) { make(); }

  /// Makes them in a temporary folder of their own, removed with the object.
  test_certificates() {
    char pattern[] = "/tmp/asyncrest-certificates-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) throw std::runtime_error("cannot make a temporary directory");
    directory_ = pattern;
    owned_ = true;
    make();
  }
  test_certificates(const test_certificates&) = delete;
  test_certificates& operator=(const test_certificates&) = delete;
  ~test_certificates() {
    std::error_code ignored;
    if (owned_) std::filesystem::remove_all(directory_, ignored);
  }

  /// The CA that signed the server's certificate.
  [[nodiscard]] std::string ca_file() const { return (directory_ / "ca.pem").string(); }
  /// The server's certificate (for the DNS name "localhost" only) and its key.
  [[nodiscard]] std::string certificate_file() const { return (directory_ / "server.pem").string(); }
  [[nodiscard]] std::string key_file() const { return (directory_ / "server.key").string(); }
  /// Test settings for a server that speaks TLS with this certificate and key.
  [[nodiscard]] server_settings server_tls_settings() const {
    server_settings result = test_settings();
    result.tls.certificate_chain_file = certificate_file();
    result.tls.private_key_file = key_file();
    return result;
  }

 private:
  void make() {
    const std::string dir = directory_.string();
    const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    run_quietly("openssl req -x509" + ec + " -keyout " + dir + "/ca.key -out " + dir +
                "/ca.pem -days 2 -subj '/CN=asyncrest test CA' -addext basicConstraints=critical,CA:TRUE "
                "-addext keyUsage=critical,keyCertSign,cRLSign");
    run_quietly("openssl req" + ec + " -keyout " + dir + "/server.key -out " + dir +
                "/server.csr -subj '/CN=localhost'");
    std::ofstream(directory_ / "server.ext") << "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\n";
    run_quietly("openssl x509 -req -in " + dir + "/server.csr -CA " + dir + "/ca.pem -CAkey " + dir +
                "/ca.key -CAcreateserial -out " + dir + "/server.pem -days 2 -extfile " + dir + "/server.ext");
  }

  std::filesystem::path directory_;
  bool owned_ = false;
};

}  // namespace asyncrest::testing
