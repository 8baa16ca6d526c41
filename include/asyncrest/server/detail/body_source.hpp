// The state behind a response's `body_source`: a file, a stream producer, or the session of a
// taken-over connection. One allocation per such response, shared by its copies; an ordinary
// response holds a null pointer, so the in-memory path pays a pointer move and a null check.
#pragma once

#include <atomic>
#include <cstdint>

namespace asyncrest::detail {

struct body_source_state {
  enum class kind : std::uint8_t { file, stream, takeover };

  body_source_state(kind made, void (*destroyer)(body_source_state*) noexcept) noexcept
      : what(made), destroy(destroyer) {}
  body_source_state(const body_source_state&) = delete;
  body_source_state& operator=(const body_source_state&) = delete;

  kind what;
  // Copies of a response share their source (a cached response may be copied to every request
  // that wants it): counted, atomically, since copies may be sent on different threads.
  std::atomic<std::uint32_t> owners{1};
  // The concrete state is a template of the user's callable: destroyed through this pointer
  // rather than a virtual destructor, which keeps the state a plain aggregate of its parts.
  void (*destroy)(body_source_state*) noexcept;

 protected:
  ~body_source_state() = default;
};

struct body_source_access;

}  // namespace asyncrest::detail
