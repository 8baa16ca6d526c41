// SIGINT and SIGTERM, once and twice, at random moments of a server process's life: during
// start-up (before and after its handlers exist), idle, under load, and while it drains a slow
// request. Each round forks a server and must see it exit within a bound, either with 0 or killed
// by the signal itself when it came before the handlers were installed. A server that does not
// exit is reported with what each of its threads was doing, then killed.
//
// Rounds: ASYNCREST_SIGNAL_STRESS_ROUNDS (default 1000); seed: ASYNCREST_SIGNAL_STRESS_SEED.
#include <asyncrest/asyncrest.hpp>

#include <doctest/doctest.h>
#include <support/raw_client.hpp>

#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace ar = asyncrest;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

namespace {

enum class phase { start_up, idle, load, drain };
constexpr std::array phase_names{"start-up", "idle", "load", "drain"};

struct round_plan {
  phase when = phase::idle;
  int signal = SIGINT;
  bool twice = false;
  std::chrono::microseconds delay{0};         // from the phase's start to the first signal
  std::chrono::microseconds second_delay{0};  // from the first signal to the second
  unsigned threads = 1;
  bool one_core = false;  // every thread of the server on one core
};

std::string describe(const round_plan& plan) {
  std::ostringstream out;
  out << phase_names[static_cast<std::size_t>(plan.when)] << ", " << (plan.signal == SIGINT ? "SIGINT" : "SIGTERM")
      << (plan.twice ? " twice" : " once") << ", first after " << plan.delay.count() << " us";
  if (plan.twice) out << ", second " << plan.second_delay.count() << " us later";
  out << ", " << plan.threads << " thread(s)" << (plan.one_core ? " on one core" : "");
  return out.str();
}

/// The server: GET /fast, and GET /slow, which answers after 30 ms.
[[noreturn]] void serve(int port_fd, const round_plan& plan) {
  // The test's own handlers (doctest reports a signal as a crash) are not the server's: back to
  // the defaults, which the parent blocked around fork() so that none arrives in between.
  ::signal(SIGINT, SIG_DFL);
  ::signal(SIGTERM, SIG_DFL);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGINT);
  sigaddset(&both, SIGTERM);
  ::sigprocmask(SIG_UNBLOCK, &both, nullptr);
  if (plan.one_core) {
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    (void)::sched_setaffinity(0, sizeof one, &one);
  }
  int code = 0;
  try {
    ar::app application{ar::routes(ar::get<"/fast">([](ar::request&) { return ar::text("fast"); }),
                                   ar::get<"/slow">([](ar::request&) -> ar::task<ar::response> {
                                     asio::steady_timer timer(co_await asio::this_coro::executor, 30ms);
                                     co_await timer.async_wait(asio::use_awaitable);
                                     co_return ar::text("slow");
                                   }))};
    ar::server_settings settings;
    settings.host = "127.0.0.1";
    settings.port = 0;
    settings.threads = plan.threads;
    settings.timeouts.drain = 2s;
    const std::uint16_t port = application.listen(settings);
    if (::write(port_fd, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) code = 2;
    if (code == 0) application.run();
  } catch (...) {
    code = 1;
  }
  ::_exit(code);
}

std::optional<std::uint16_t> read_port(int descriptor) {
  pollfd ready{descriptor, POLLIN, 0};
  if (::poll(&ready, 1, 10000) != 1) return std::nullopt;
  std::uint16_t port = 0;
  if (::read(descriptor, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) return std::nullopt;
  return port;
}

/// A connection that sends `bytes` and never reads.
std::unique_ptr<asyncrest::testing::raw_client> connect_and_send(std::uint16_t port, const std::string& bytes) {
  auto client = std::make_unique<asyncrest::testing::raw_client>(port);
  (void)client->send(bytes);
  return client;
}

/// What each thread of `pid` was doing: its name, state and kernel wait channel.
std::string threads_of(pid_t pid) {
  std::ostringstream out;
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  std::error_code ignored;
  for (const auto& task : std::filesystem::directory_iterator(tasks, ignored)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    std::ifstream channel(task.path() / "wchan");
    std::string wchan;
    std::getline(channel, wchan);
    std::ifstream call(task.path() / "syscall");
    std::string syscall;
    std::getline(call, syscall);
    out << "\n  " << line.substr(0, line.find(' ', line.find(')') + 3)) << " wchan=" << wchan << " syscall=" << syscall;
  }
  return out.str();
}

void sleep_for(std::chrono::microseconds duration) {
  if (duration > 0us) std::this_thread::sleep_for(duration);
}

/// One round. Returns an empty string when the server exited as it should, else what went wrong.
std::string run_round(const round_plan& plan) {
  int port_pipe[2];
  REQUIRE(::pipe2(port_pipe, O_CLOEXEC) == 0);
  sigset_t both;
  sigemptyset(&both);
  sigaddset(&both, SIGINT);
  sigaddset(&both, SIGTERM);
  sigset_t previous;
  ::sigprocmask(SIG_BLOCK, &both, &previous);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(port_pipe[0]);
    serve(port_pipe[1], plan);
  }
  ::sigprocmask(SIG_SETMASK, &previous, nullptr);
  REQUIRE(pid > 0);
  ::close(port_pipe[1]);
  std::vector<std::unique_ptr<asyncrest::testing::raw_client>> clients;
  std::string problem;

  std::optional<std::uint16_t> port;
  if (plan.when != phase::start_up) {
    port = read_port(port_pipe[0]);
    if (!port) problem = "the server did not report its port";
  }
  if (problem.empty()) {
    switch (plan.when) {
      case phase::start_up: break;
      case phase::idle: {
        // A keep-alive connection that is answered, then idles.
        clients.push_back(connect_and_send(*port, "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n"));
        break;
      }
      case phase::load: {
        std::string batch;
        for (int index = 0; index < 50; ++index) batch += "GET /fast HTTP/1.1\r\nHost: x\r\n\r\n";
        for (int index = 0; index < 4; ++index) clients.push_back(connect_and_send(*port, batch));
        break;
      }
      case phase::drain: {
        clients.push_back(connect_and_send(*port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
        clients.push_back(connect_and_send(*port, "GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"));
        break;
      }
    }
    sleep_for(plan.delay);
    ::kill(pid, plan.signal);
    if (plan.twice) {
      sleep_for(plan.second_delay);
      ::kill(pid, plan.signal);
    }
  }
  // The clients go once the signals are sent, as most do: a client that stays would hold its
  // connection until the drain deadline, which the shutdown tests cover.
  clients.clear();

  // Bounded: the drain deadline is 2 s and the slowest request 30 ms.
  const auto give_up = steady::now() + 10s;
  int status = 0;
  bool exited = false;
  while (steady::now() < give_up) {
    const pid_t reaped = ::waitpid(pid, &status, WNOHANG);
    if (reaped == pid) {
      exited = true;
      break;
    }
    std::this_thread::sleep_for(1ms);
  }
  if (!exited) {
    problem = "the server did not exit within 10 s; its threads:" + threads_of(pid);
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
  } else if (problem.empty()) {
    const bool clean_exit = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    // Before the handlers exist, the signal's default action ends the process: that is fine.
    const bool killed_by_it = WIFSIGNALED(status) && WTERMSIG(status) == plan.signal;
    if (!clean_exit && !killed_by_it) {
      problem = WIFSIGNALED(status) ? "the server died of signal " + std::to_string(WTERMSIG(status))
                                    : "the server exited with " + std::to_string(WEXITSTATUS(status));
    }
  }
  ::close(port_pipe[0]);
  return problem;
}

unsigned from_environment(const char* name, unsigned fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? static_cast<unsigned>(std::strtoul(value, nullptr, 10)) : fallback;
}

}  // namespace

TEST_CASE("SIGINT and SIGTERM at random moments always end the server") {
  const unsigned rounds = from_environment("ASYNCREST_SIGNAL_STRESS_ROUNDS", 1000);
  const unsigned seed = from_environment("ASYNCREST_SIGNAL_STRESS_SEED", std::random_device{}());
  MESSAGE("rounds: " << rounds << ", seed: " << seed);
  std::mt19937 random(seed);
  const auto pick = [&random](unsigned below) { return std::uniform_int_distribution<unsigned>(0, below - 1)(random); };

  std::array<unsigned, 4> per_phase{};
  std::array<std::chrono::milliseconds, 4> longest{};
  unsigned failures = 0;
  for (unsigned round = 0; round < rounds && failures < 3; ++round) {
    round_plan plan;
    plan.when = static_cast<phase>(pick(4));
    plan.signal = pick(2) == 0 ? SIGINT : SIGTERM;
    plan.twice = pick(3) == 0;
    // Start-up spans fork to run(): a few milliseconds. The others: soon after the clients.
    plan.delay = std::chrono::microseconds(plan.when == phase::start_up ? pick(8000) : pick(3000));
    plan.second_delay = std::chrono::microseconds(pick(3000));
    plan.threads = 1 + pick(2);
    plan.one_core = pick(2) == 0;
    ++per_phase[static_cast<std::size_t>(plan.when)];
    const auto started = steady::now();
    const std::string problem = run_round(plan);
    auto& slowest = longest[static_cast<std::size_t>(plan.when)];
    slowest = std::max(slowest, std::chrono::duration_cast<std::chrono::milliseconds>(steady::now() - started));
    if (!problem.empty()) {
      ++failures;
      FAIL_CHECK("round " << round << " (" << describe(plan) << "): " << problem);
    }
  }
  MESSAGE("rounds per phase (longest, ms): start-up "
          << per_phase[0] << " (" << longest[0].count() << "), idle " << per_phase[1] << " (" << longest[1].count()
          << "), load " << per_phase[2] << " (" << longest[2].count() << "), drain " << per_phase[3] << " ("
          << longest[3].count() << ")");
  CHECK(failures == 0);
}
