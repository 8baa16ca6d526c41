// Starts a service built from a consumer project or a copied example, checks that it answers,
// then stops it with SIGTERM and checks that it exits cleanly.
//
//     consumer_probe <program> <path> <text the body must contain>
//
// The program gets PORT=0 and must print a line with "http://127.0.0.1:<port>" once it listens.
// Plain POSIX, so that the probe itself builds in a second.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using clock_type = std::chrono::steady_clock;

int fail(const std::string& what) {
  std::fprintf(stderr, "consumer_probe: %s\n", what.c_str());
  return 1;
}

int milliseconds_left(clock_type::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Reads from `fd` until `done(text)` or the deadline; false on timeout or end of file first.
template <class Done>
bool read_until(int fd, std::string& text, clock_type::time_point deadline, Done done) {
  char buffer[4096];
  while (!done(text)) {
    pollfd readable{fd, POLLIN, 0};
    int left = milliseconds_left(deadline);
    if (left == 0 || poll(&readable, 1, left) <= 0) return false;
    ssize_t count = read(fd, buffer, sizeof buffer);
    if (count <= 0) return done(text);
    text.append(buffer, static_cast<std::size_t>(count));
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) return fail("usage: consumer_probe <program> <path> <expected body text>");
  const std::string_view path = argv[2], expected = argv[3];

  int output[2];
  if (pipe(output) != 0) return fail("pipe failed");
  pid_t child = fork();
  if (child < 0) return fail("fork failed");
  if (child == 0) {
    dup2(output[1], STDOUT_FILENO);
    close(output[0]);
    close(output[1]);
    setenv("PORT", "0", 1);
    execl(argv[1], argv[1], static_cast<char*>(nullptr));
    std::perror("consumer_probe: exec");
    _exit(127);
  }
  close(output[1]);

  auto stop_child = [&](int signal_number) {
    kill(child, signal_number);
    int status = 0;
    auto deadline = clock_type::now() + std::chrono::seconds(20);
    while (waitpid(child, &status, WNOHANG) == 0) {
      if (clock_type::now() > deadline) {
        kill(child, SIGKILL);
        waitpid(child, &status, 0);
        return std::string("did not exit within 20 s of the signal");
      }
      usleep(10'000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return std::string();
    if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
    return "ended by signal " + std::to_string(WTERMSIG(status));
  };

  // 1. The program says where it listens.
  const std::string_view marker = "http://127.0.0.1:";
  std::string printed;
  bool announced =
      read_until(output[0], printed, clock_type::now() + std::chrono::seconds(60), [&](const std::string& text) {
        auto at = text.find(marker);
        return at != std::string::npos && text.find('\n', at) != std::string::npos;
      });
  if (!announced) {
    stop_child(SIGKILL);
    return fail("the program never printed " + std::string(marker) + "<port>; it printed: " + printed);
  }
  int port = std::atoi(printed.c_str() + printed.find(marker) + marker.size());

  // 2. It answers.
  int socket_fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(socket_fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    stop_child(SIGKILL);
    return fail("could not connect to port " + std::to_string(port));
  }
  std::string request = "GET " + std::string(path) + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  if (write(socket_fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    stop_child(SIGKILL);
    return fail("could not send the request");
  }
  std::string reply;
  read_until(socket_fd, reply, clock_type::now() + std::chrono::seconds(20), [](const std::string&) { return false; });
  close(socket_fd);
  if (reply.rfind("HTTP/1.1 200 ", 0) != 0 || reply.find(expected) == std::string::npos) {
    stop_child(SIGKILL);
    return fail("expected a 200 response containing \"" + std::string(expected) + "\", got: " + reply);
  }

  // 3. It stops cleanly on SIGTERM.
  if (std::string problem = stop_child(SIGTERM); !problem.empty()) return fail("after SIGTERM the program " + problem);
  std::printf("consumer_probe: %s answered GET %s with 200 and stopped cleanly on SIGTERM\n", argv[1], argv[2]);
  return 0;
}
