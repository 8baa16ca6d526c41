// The client's shared state: connections pooled per origin, requests waiting for a connection,
// and the one timer per client that enforces every timeout.
//
// Everything here runs on the client's executor, so nothing takes a lock. A request in flight
// registers a `pending_operation` (in its coroutine frame) holding its deadlines and what it is
// waiting on; the sweep timer, running while requests are in flight (and only then), wakes at
// the earliest of their deadlines (no sooner than `timeouts.resolution` after its last wake, no
// later than a second), cancels whatever a request past its deadline waits on and marks why, and
// the request turns the cancellation into a `timeout_error`. Setting a deadline is therefore a
// store and a comparison; the timer is moved only for a deadline nearer than its next wake, which
// a limit of a second or more never is. A long download or event stream costs one wake a second.
#pragma once

#include <asyncrest/client/detail/client_observer.hpp>
#include <asyncrest/client/detail/proxy.hpp>
#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/client/error.hpp>
#include <asyncrest/client/response.hpp>
#include <asyncrest/client/settings.hpp>
#include <asyncrest/http/detail/response_parser.hpp>

#include <asio/any_io_executor.hpp>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/redirect_error.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
#include <asio/ssl/context.hpp>
#include <asio/ssl/stream.hpp>
#endif

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncrest::detail {

using client_clock = std::chrono::steady_clock;

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
inline constexpr bool client_has_tls = true;
#else
inline constexpr bool client_has_tls = false;
#endif

struct origin_pool;

/// One connection to an origin, with its read buffer and response parser.
struct client_connection {
  static constexpr std::size_t buffer_size = 16 * 1024;

  explicit client_connection(const asio::any_io_executor& executor, origin_pool& home)
      : socket(executor), origin(&home), buffer(std::make_unique<char[]>(buffer_size)) {}

  asio::ip::tcp::socket& lowest_layer() noexcept {
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
    if (tls) return tls->next_layer();
#endif
    return socket;
  }
  /// Ends whatever operation is pending on the connection.
  void cancel() noexcept {
    std::error_code ignored;
    lowest_layer().cancel(ignored);
  }
  void close() noexcept {
    std::error_code ignored;
    lowest_layer().close(ignored);
  }
  /// An idle connection the server has closed (or sent something on, which no server should)
  /// is readable; one that is still good has nothing to read.
  [[nodiscard]] bool looks_reusable() noexcept {
    char byte = 0;
    const auto received = ::recv(lowest_layer().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return received < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }

  asio::ip::tcp::socket socket;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  std::optional<asio::ssl::stream<asio::ip::tcp::socket>> tls;
#endif
  origin_pool* origin;
  std::unique_ptr<char[]> buffer;
  response_parser parser;
  client_clock::time_point idle_since{};
  std::size_t exchanges = 0;  // completed on this connection; more than 0 means reused
  bool connected = false;
};

enum class timeout_kind : unsigned char { none, connect, read, total };

class client_state;

/// A request in flight, as the sweep timer sees it.
struct pending_operation {
  client_clock::time_point total_deadline = client_clock::time_point::max();
  client_clock::time_point step_deadline = client_clock::time_point::max();
  timeout_kind step_kind = timeout_kind::none;
  /// Set by the sweep: the deadline that passed.
  timeout_kind expired = timeout_kind::none;
  std::chrono::milliseconds total_limit{0};
  std::chrono::milliseconds step_limit{0};
  // What the request waits on now, for the sweep to cancel.
  client_connection* connection = nullptr;
  asio::steady_timer* timer = nullptr;
  asio::ip::tcp::resolver* resolver = nullptr;
  pending_operation* previous = nullptr;
  pending_operation* next = nullptr;
  client_state* owner = nullptr;  // whose sweep watches the deadlines

  void interrupt() noexcept {
    std::error_code ignored;
    if (connection != nullptr) connection->cancel();
    if (timer != nullptr) timer->cancel();
    if (resolver != nullptr) resolver->cancel();
  }

  /// Starts a step (connect, or one read or write) bounded by `limit` (zero: none).
  void begin_step(timeout_kind kind, std::chrono::milliseconds limit) {
    throw_if_expired();
    step_kind = kind;
    step_limit = limit;
    step_deadline = limit.count() > 0 ? client_clock::now() + limit : client_clock::time_point::max();
    deadline_set(step_deadline);
  }
  /// Wakes the sweep earlier when `deadline` comes before its next wake.
  void deadline_set(client_clock::time_point deadline) noexcept;
  void end_step() noexcept { step_deadline = client_clock::time_point::max(); }

  void throw_if_expired() const {
    switch (expired) {
      case timeout_kind::none: return;
      case timeout_kind::connect:
        throw timeout_error(client_errc::connect_timeout,
                            "connecting took longer than " + std::to_string(step_limit.count()) + " ms");
      case timeout_kind::read:
        throw timeout_error(client_errc::read_timeout,
                            "the server was silent for longer than " + std::to_string(step_limit.count()) + " ms");
      case timeout_kind::total:
        throw timeout_error(client_errc::total_timeout,
                            "the request took longer than " + std::to_string(total_limit.count()) + " ms");
    }
  }
};

/// A request waiting for a connection to its origin: woken with a connection handed over, or
/// with room to open a new one (already counted for it).
struct pool_waiter {
  explicit pool_waiter(const asio::any_io_executor& executor) : timer(executor, client_clock::time_point::max()) {}
  asio::steady_timer timer;
  std::unique_ptr<client_connection> handed;
  bool may_open = false;
  bool linked = false;
  pool_waiter* previous = nullptr;
  pool_waiter* next = nullptr;
};

struct origin_pool {
  parsed_url address;                                    // scheme, host and port; the target is unused
  const proxy_endpoint* proxy = nullptr;                 // what its connections go through, if anything
  std::vector<std::unique_ptr<client_connection>> idle;  // oldest first
  std::size_t open = 0;                                  // idle, in use and being connected
  std::string observed_origin;                           // its metrics label, when the client is observed
  pool_waiter* first_waiter = nullptr;
  pool_waiter* last_waiter = nullptr;

  void enqueue(pool_waiter& waiter) noexcept {
    waiter.previous = last_waiter;
    waiter.next = nullptr;
    (last_waiter != nullptr ? last_waiter->next : first_waiter) = &waiter;
    last_waiter = &waiter;
    waiter.linked = true;
  }
  void unlink(pool_waiter& waiter) noexcept {
    if (!waiter.linked) return;
    (waiter.previous != nullptr ? waiter.previous->next : first_waiter) = waiter.next;
    (waiter.next != nullptr ? waiter.next->previous : last_waiter) = waiter.previous;
    waiter.linked = false;
  }
};

class client_state : public std::enable_shared_from_this<client_state> {
 public:
  static std::shared_ptr<client_state> make(asio::any_io_executor executor, client_settings settings) {
    if (settings.user_agent.find_first_of("\r\n") != std::string::npos) {
      throw std::invalid_argument("asyncrest: client_settings::user_agent must not contain CR or LF");
    }
    std::optional<parsed_url> base;
    if (!settings.base_url.empty()) {
      try {
        base = parse_url(settings.base_url);
      } catch (const client_error& error) {
        throw std::invalid_argument(std::string("asyncrest: client_settings::base_url: ") + error.what());
      }
    }
    if (!headers_access::all_sendable(settings.default_headers)) {
      throw std::invalid_argument(
          "asyncrest: client_settings::default_headers has a field that cannot be sent (a name that is not a "
          "token, or CR, LF or NUL in a value)");
    }
    proxy_configuration proxies = make_proxy_configuration(settings.proxy);
    auto made = std::shared_ptr<client_state>(new client_state(std::move(executor), std::move(settings)));
    made->base_url = std::move(base);
    made->proxies = std::move(proxies);
    return made;
  }

  asio::any_io_executor executor;
  client_settings settings;
  std::minstd_rand random{std::random_device{}()};
  /// client_settings::base_url, parsed.
  std::optional<parsed_url> base_url;
  proxy_configuration proxies;
  /// Who is told of calls and connections (client/metrics.hpp); empty unless observed.
  client_observer observer;

  /// Starts telling `watcher`, with the connections already open as the first changes.
  void observe(client_observer watcher) {
    // A second observer would see the connections open now counted twice, or the first one
    // never see them closed.
    if (observer) throw std::logic_error("asyncrest: observe_client: this client is observed already");
    observer = watcher;
    for (auto& [key, origin] : origins_) {
      origin->observed_origin = metric_origin(origin->address);
      const auto idle = static_cast<int>(origin->idle.size());
      if (origin->open != 0) {
        observer.connections_changed(observer.target, origin->observed_origin, idle,
                                     static_cast<int>(origin->open) - idle);
      }
    }
  }

  // ---- pool --------------------------------------------------------------------------------

  /// The pool of connections to `url`'s origin through `proxy` (null: direct). Connections
  /// through different proxies, or to a proxy with other credentials, are never mixed.
  origin_pool& origin_for(const parsed_url& url, const proxy_endpoint* proxy = nullptr) {
    std::string key = url.origin();
    if (proxy != nullptr) {
      key += " via ";
      key += proxy->key;
    }
    auto found = origins_.find(key);
    if (found == origins_.end()) {
      auto made = std::make_unique<origin_pool>();
      made->address = url;
      made->proxy = proxy;
      made->address.target.clear();
      if (observer) made->observed_origin = metric_origin(made->address);
      found = origins_.emplace(std::move(key), std::move(made)).first;
    }
    return *found->second;
  }

  /// An idle connection that still looks good, or nothing. Stale and expired ones are closed.
  std::unique_ptr<client_connection> take_idle(origin_pool& origin) {
    const auto now = client_clock::now();
    while (!origin.idle.empty()) {
      std::unique_ptr<client_connection> candidate = std::move(origin.idle.back());
      origin.idle.pop_back();
      idle_taken(origin);
      // A connection back from its last exchange for less than a millisecond is taken without
      // the check (a system call): a server closing it within that window is caught by the
      // retry of idempotent requests, and the hot path of a busy pool stays free of it.
      const bool just_used = now - candidate->idle_since < std::chrono::milliseconds(1);
      if (!expired_idle(*candidate, now) && (just_used || candidate->looks_reusable())) return candidate;
      discard(std::move(candidate));
    }
    return nullptr;
  }

  /// Counts a new connection to `origin` if the limits allow it.
  bool reserve(origin_pool& origin) noexcept {
    if (origin.open >= per_host_limit() || open_ >= total_limit()) return false;
    opened(origin);
    return true;
  }

  /// Closes an idle connection of any origin but `except` to make room under the total limit.
  bool evict_idle_elsewhere(const origin_pool& except) {
    for (auto& [key, origin] : origins_) {
      if (origin.get() == &except || origin->idle.empty()) continue;
      std::unique_ptr<client_connection> oldest = std::move(origin->idle.front());
      origin->idle.erase(origin->idle.begin());
      idle_taken(*origin);
      discard(std::move(oldest));
      return true;
    }
    return false;
  }

  /// Closes an idle connection of `origin` itself, for a request that wants a fresh one.
  bool evict_idle(origin_pool& origin) {
    if (origin.idle.empty()) return false;
    std::unique_ptr<client_connection> oldest = std::move(origin.idle.front());
    origin.idle.erase(origin.idle.begin());
    idle_taken(origin);
    discard(std::move(oldest));
    return true;
  }

  /// Takes back a connection after an exchange: to a waiting request, to the idle list, or closed.
  void give_back(std::unique_ptr<client_connection> connection, bool reusable) {
    if (!reusable || shut_) {
      discard(std::move(connection));
      return;
    }
    origin_pool& origin = *connection->origin;
    if (origin.first_waiter != nullptr) {
      pool_waiter& waiter = *origin.first_waiter;
      origin.unlink(waiter);
      waiter.handed = std::move(connection);
      waiter.timer.cancel();
      return;
    }
    if (open_ >= total_limit() && someone_waits_elsewhere(origin)) {
      discard(std::move(connection));  // its room serves a request for another origin
      return;
    }
    connection->idle_since = client_clock::now();
    origin.idle.push_back(std::move(connection));
    ++idle_count_;
    if (observer) observer.connections_changed(observer.target, origin.observed_origin, 1, -1);
  }

  /// Closes a connection and gives its room to the next request waiting for one.
  void discard(std::unique_ptr<client_connection> connection) {
    origin_pool& origin = *connection->origin;
    connection->close();
    connection.reset();
    unreserve(origin);
  }

  /// Returns room counted for a connection that was never opened, or was closed.
  void unreserve(origin_pool& origin) {
    --origin.open;
    --open_;
    if (observer) observer.connections_changed(observer.target, origin.observed_origin, 0, -1);
    if (origin.first_waiter != nullptr) {
      grant_open(origin);
      return;
    }
    if (open_ < total_limit()) {
      for (auto& [key, other] : origins_) {
        if (other->first_waiter != nullptr && other->open < per_host_limit()) {
          grant_open(*other);
          return;
        }
      }
    }
  }

  // ---- timeouts ----------------------------------------------------------------------------

  void register_pending(pending_operation& operation) {
    operation.previous = nullptr;
    operation.next = first_pending_;
    if (first_pending_ != nullptr) first_pending_->previous = &operation;
    first_pending_ = &operation;
    operation.owner = this;
    ensure_sweeping();
    operation.deadline_set(operation.total_deadline);
  }
  /// A deadline nearer than the sweep's next wake moves the wake (see the top of this file).
  void deadline_set(client_clock::time_point deadline) noexcept {
    if (!sweeping_ || deadline >= sweep_due_) return;
    sweep_due_ = deadline;
    sweep_timer_.cancel();  // the loop wakes, sweeps and sleeps again until the nearest deadline
  }
  void unregister_pending(pending_operation& operation) noexcept {
    (operation.previous != nullptr ? operation.previous->next : first_pending_) = operation.next;
    if (operation.next != nullptr) operation.next->previous = operation.previous;
    operation.previous = operation.next = nullptr;
  }

  // ---- the client's life -------------------------------------------------------------------

  [[nodiscard]] pool_statistics statistics() const noexcept { return {open_, idle_count_}; }

  void close_idle() {
    for (auto& [key, origin] : origins_) {
      while (!origin->idle.empty()) {
        std::unique_ptr<client_connection> connection = std::move(origin->idle.back());
        origin->idle.pop_back();
        idle_taken(*origin);
        discard(std::move(connection));
      }
    }
  }

  /// The client object is gone: close idle connections, close the others when they come back.
  void shut_down() {
    shut_ = true;
    close_idle();
  }

#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  /// Made on first use, so a client that never speaks HTTPS never loads the CA store.
  asio::ssl::context& tls_context() {
    if (!tls_context_) {
      auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
      std::error_code error;
      if (settings.tls.verify) {
        context->set_default_verify_paths(error);
        if (!settings.tls.ca_file.empty()) {
          context->load_verify_file(settings.tls.ca_file, error);
          if (error) {
            throw tls_error(client_errc::tls_failed,
                            "cannot load the CA file " + settings.tls.ca_file + ": " + error.message());
          }
        }
        context->set_verify_mode(asio::ssl::verify_peer);
      } else {
        context->set_verify_mode(asio::ssl::verify_none);
      }
      tls_context_ = std::move(context);
    }
    return *tls_context_;
  }
#endif

 private:
  client_state(asio::any_io_executor chosen, client_settings chosen_settings)
      : executor(std::move(chosen)), settings(std::move(chosen_settings)), sweep_timer_(executor) {}

  [[nodiscard]] std::size_t per_host_limit() const noexcept {
    return std::max<std::size_t>(1, settings.pool.max_connections_per_host);
  }
  [[nodiscard]] std::size_t total_limit() const noexcept {
    return std::max<std::size_t>(1, settings.pool.max_connections);
  }

  [[nodiscard]] bool expired_idle(const client_connection& connection, client_clock::time_point now) const noexcept {
    return settings.pool.idle_timeout.count() > 0 && now - connection.idle_since >= settings.pool.idle_timeout;
  }

  /// An idle connection leaves the idle list: closed next, or lent to a request.
  void idle_taken(origin_pool& origin) noexcept {
    --idle_count_;
    if (observer) observer.connections_changed(observer.target, origin.observed_origin, -1, 1);
  }
  /// Room counted for a connection about to be opened.
  void opened(origin_pool& origin) noexcept {
    ++origin.open;
    ++open_;
    if (observer) observer.connections_changed(observer.target, origin.observed_origin, 0, 1);
  }

  bool someone_waits_elsewhere(const origin_pool& except) const noexcept {
    for (const auto& [key, origin] : origins_) {
      if (origin.get() != &except && origin->first_waiter != nullptr) return true;
    }
    return false;
  }

  void grant_open(origin_pool& origin) {
    pool_waiter& waiter = *origin.first_waiter;
    origin.unlink(waiter);
    opened(origin);
    waiter.may_open = true;
    waiter.timer.cancel();
  }

  void ensure_sweeping() {
    if (sweeping_) return;
    sweeping_ = true;
    asio::co_spawn(executor, sweep_loop(shared_from_this()), asio::detached);
  }

  // Runs only while requests are in flight, so a client with nothing to do keeps no timer
  // pending and `io_context::run()` returns once the program's own work is done. Idle
  // connections past their time are closed by a sweep or when the pool next looks at them.
  static asio::awaitable<void> sweep_loop(std::shared_ptr<client_state> self) {
    while (self->first_pending_ != nullptr) {
      self->sweep_due_ = self->next_sweep(client_clock::now());
      self->sweep_timer_.expires_at(self->sweep_due_);
      std::error_code ignored;
      co_await self->sweep_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
      self->sweep(client_clock::now());
    }
    self->sweeping_ = false;
    self->sweep_due_ = client_clock::time_point::max();
  }

  /// The nearest deadline of a request in flight, kept between `timeouts.resolution` from now
  /// (deadlines close together are swept together) and a second from now (idle connections
  /// past their time are closed within a second, and a missed wake costs no more).
  [[nodiscard]] client_clock::time_point next_sweep(client_clock::time_point now) const noexcept {
    static constexpr std::chrono::seconds longest_pause{1};
    client_clock::time_point nearest = now + longest_pause;
    for (const pending_operation* operation = first_pending_; operation != nullptr; operation = operation->next) {
      if (operation->expired != timeout_kind::none) continue;
      nearest = std::min({nearest, operation->total_deadline, operation->step_deadline});
    }
    const auto soonest =
        now + std::max<std::chrono::milliseconds>(settings.timeouts.resolution, std::chrono::milliseconds(1));
    return std::max(nearest, soonest);
  }

  void sweep(client_clock::time_point now) {
    for (pending_operation* operation = first_pending_; operation != nullptr; operation = operation->next) {
      if (operation->expired != timeout_kind::none) continue;
      if (now >= operation->total_deadline) {
        operation->expired = timeout_kind::total;
      } else if (now >= operation->step_deadline) {
        operation->expired = operation->step_kind;
      } else {
        continue;
      }
      operation->interrupt();
    }
    for (auto& [key, origin] : origins_) {
      while (!origin->idle.empty() && expired_idle(*origin->idle.front(), now)) {
        std::unique_ptr<client_connection> oldest = std::move(origin->idle.front());
        origin->idle.erase(origin->idle.begin());
        idle_taken(*origin);
        discard(std::move(oldest));
      }
    }
    // Forget origins with nothing open and no one waiting, so a client that has called many
    // hosts does not keep a pool for each. Nothing refers to such a pool: a request holds one
    // only while it waits in its queue or owns one of its connections.
    std::erase_if(origins_,
                  [](const auto& entry) { return entry.second->open == 0 && entry.second->first_waiter == nullptr; });
  }

  std::unordered_map<std::string, std::unique_ptr<origin_pool>> origins_;
  std::size_t open_ = 0;
  std::size_t idle_count_ = 0;
  pending_operation* first_pending_ = nullptr;
  asio::steady_timer sweep_timer_;
  client_clock::time_point sweep_due_ = client_clock::time_point::max();  // the sweep's next wake
  bool sweeping_ = false;
  bool shut_ = false;
#if defined(ASYNCREST_WITH_OPENSSL) && ASYNCREST_WITH_OPENSSL
  std::unique_ptr<asio::ssl::context> tls_context_;
#endif
};

inline void pending_operation::deadline_set(client_clock::time_point deadline) noexcept {
  if (owner != nullptr) owner->deadline_set(deadline);
}

/// Registers a request with the sweep for as long as it lives.
class pending_registration {
 public:
  pending_registration(client_state& state, std::chrono::milliseconds total) : state_(&state) {
    operation.total_limit = total;
    if (total.count() > 0) operation.total_deadline = client_clock::now() + total;
    state.register_pending(operation);
  }
  ~pending_registration() { state_->unregister_pending(operation); }
  pending_registration(const pending_registration&) = delete;
  pending_registration& operator=(const pending_registration&) = delete;

  pending_operation operation;

 private:
  client_state* state_;
};

/// A connection lent to one exchange. It goes back to the pool only when the exchange marked it
/// reusable (complete, keep-alive, nothing extra received); any other end closes it, so a
/// cancelled or failed exchange never leaves half a response on a pooled connection.
class connection_lease {
 public:
  connection_lease() = default;
  connection_lease(std::shared_ptr<client_state> state, std::unique_ptr<client_connection> connection) noexcept
      : state_(std::move(state)), connection_(std::move(connection)) {}
  connection_lease(connection_lease&& other) noexcept = default;
  connection_lease& operator=(connection_lease&& other) noexcept {
    if (this != &other) {
      release();
      state_ = std::move(other.state_);
      connection_ = std::move(other.connection_);
      reusable = other.reusable;
    }
    return *this;
  }
  ~connection_lease() { release(); }

  void release() noexcept {
    if (!connection_) return;
    try {
      state_->give_back(std::move(connection_), reusable);
    } catch (...) {
      // Waking a waiter cannot fail in practice; the connection is closed either way.
    }
    connection_.reset();
    reusable = false;
  }

  [[nodiscard]] client_connection& operator*() const noexcept { return *connection_; }
  [[nodiscard]] client_connection* operator->() const noexcept { return connection_.get(); }
  [[nodiscard]] client_connection* get() const noexcept { return connection_.get(); }

  bool reusable = false;

 private:
  std::shared_ptr<client_state> state_;
  std::unique_ptr<client_connection> connection_;
};

}  // namespace asyncrest::detail
