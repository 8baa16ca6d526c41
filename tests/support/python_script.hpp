// Runs a Python script (Debian's /usr/bin/python3, whose `websockets` package the tests use) as
// a child process and reads what it prints, line by line while it runs.
#pragma once

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace asyncrest::testing {

class python_script {
 public:
  /// Starts `source` with `arguments` (already quoted for the shell).
  python_script(const std::string& source, const std::string& arguments) {
    char pattern[] = "/tmp/asyncrest-script-XXXXXX.py";
    const int descriptor = ::mkstemps(pattern, 3);
    if (descriptor < 0) throw std::runtime_error("cannot make a temporary script file");
    ::close(descriptor);
    path_ = pattern;
    std::ofstream(path_) << source;
    pipe_ = ::popen(("/usr/bin/python3 " + path_ + " " + arguments + " 2>&1").c_str(), "r");
    if (pipe_ == nullptr) throw std::runtime_error("cannot start python3");
  }
  python_script(const python_script&) = delete;
  python_script& operator=(const python_script&) = delete;
  ~python_script() {
    if (pipe_ != nullptr) ::pclose(pipe_);
    std::remove(path_.c_str());
  }

  /// The next line it prints, without its newline; empty once it has ended.
  std::string read_line() {
    std::string line;
    int character;
    while ((character = std::fgetc(pipe_)) != EOF && character != '\n') line.push_back(static_cast<char>(character));
    return line;
  }

  /// Everything it prints until it ends, and its exit status.
  std::pair<std::string, int> finish() {
    std::string output;
    int character;
    while ((character = std::fgetc(pipe_)) != EOF) output.push_back(static_cast<char>(character));
    const int status = ::pclose(pipe_);
    pipe_ = nullptr;
    return {output, status};
  }

 private:
  std::string path_;
  FILE* pipe_ = nullptr;
};

}  // namespace asyncrest::testing
