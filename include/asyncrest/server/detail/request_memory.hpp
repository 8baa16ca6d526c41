// What a connection needs only while it reads and answers a request: the buffers, the parser,
// the request's views and the answer. It is lent from a per-thread pool, so that an idle
// keep-alive connection holds none of it (a few hundred bytes each, at tens of thousands of
// idle connections).
#pragma once

#include <asyncrest/http/detail/request_parser.hpp>
#include <asyncrest/server/detail/middleware_chain.hpp>
#include <asyncrest/server/detail/workspace.hpp>
#include <asyncrest/server/middleware.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/settings.hpp>

#include <asio/ip/tcp.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

struct request_memory {
  explicit request_memory(const request_limits& limits) : parser(limits) {
    space.read_buffer.reserve(workspace::initial_read_capacity, 0);
  }

  workspace space;
  request_parser parser;
  request message;
  answer reply;
  bool parse_again = false;                               // the parser must run on after the header block
  std::pair<status, std::string_view> refusal{};          // why a request's head was refused
  std::string valid_host;                                 // the last Host value found well formed
  std::chrono::steady_clock::duration route_body_idle{};  // the route's own body idle timeout, or zero
};

struct request_memory_pool {
  // Enough for the requests one thread has in flight at once; the pool is memory the process
  // keeps (8 KiB and more each), and beyond it a request costs an allocation, not a failure.
  static constexpr std::size_t max_pooled = 64;
  std::vector<std::unique_ptr<request_memory>> free;
};

inline request_memory_pool& thread_request_memory_pool() {
  thread_local request_memory_pool pool;
  return pool;
}

/// Memory for a connection's next request, ready for a parser that starts a new message.
inline std::unique_ptr<request_memory> acquire_request_memory(const request_limits& limits,
                                                              const asio::ip::tcp::endpoint& remote) {
  auto& pool = thread_request_memory_pool().free;
  std::unique_ptr<request_memory> memory;
  if (pool.empty()) {
    memory = std::make_unique<request_memory>(limits);
  } else {
    memory = std::move(pool.back());
    pool.pop_back();
    memory->parser.reuse(limits);
  }
  request_access::set_remote(memory->message, remote);
  return memory;
}

inline void release_request_memory(std::unique_ptr<request_memory> memory) {
  if (!memory) return;
  auto& pool = thread_request_memory_pool().free;
  workspace& space = memory->space;
  if (pool.size() >= request_memory_pool::max_pooled ||
      space.read_buffer.capacity() > workspace::pooled_capacity_limit ||
      space.write_buffer.capacity() > workspace::pooled_capacity_limit ||
      space.body.capacity() > workspace::pooled_capacity_limit) {
    return;  // freed: it grew for one unusual request
  }
  space.clear_request();
  space.write_buffer.clear();
  request_access::reset(memory->message, &space);  // gives back its JSON parser
  memory->reply.value = response{};
  pool.push_back(std::move(memory));
}

}  // namespace asyncrest::detail
