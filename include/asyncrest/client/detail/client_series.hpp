// A thread's table of the client series it has found (client/metrics.hpp): for each origin met,
// the counters, histogram and gauges of its label, each made the first time this thread needs it.
#pragma once

#include <asyncrest/client/error.hpp>
#include <asyncrest/core/method.hpp>
#include <asyncrest/server/metrics.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <unordered_map>

namespace asyncrest::detail {

/// The label of the origins past `client_metrics_settings::max_origins`.
inline constexpr std::string_view other_origin = "other";

/// Origins mapped to "other" a thread remembers; past it, it forgets them all and asks again,
/// so a client calling ever new hosts keeps a bounded table.
inline constexpr std::size_t remembered_other_origins = 1024;

/// Why a call ended without a response: asyncrest_client_errors_total's label `kind`.
enum class client_error_kind : std::uint8_t {
  connect,
  tls,
  timeout,
  connection,
  protocol,
  redirects,
  cancelled,
  proxy,
  invalid,
  other
};
inline constexpr std::size_t client_error_kind_count = static_cast<std::size_t>(client_error_kind::other) + 1;

[[nodiscard]] constexpr std::string_view to_string(client_error_kind kind) noexcept {
  constexpr std::array<std::string_view, client_error_kind_count> names{
      "connect", "tls", "timeout", "connection", "protocol", "redirects", "cancelled", "proxy", "invalid", "other"};
  return names[static_cast<std::size_t>(kind)];
}

/// The kind of a client error code; anything else (an exception that is not a client error
/// carries none) is "other".
[[nodiscard]] inline client_error_kind error_kind(std::error_code failure) noexcept {
  if (failure.category() != client_category()) return client_error_kind::other;
  switch (static_cast<client_errc>(failure.value())) {
    case client_errc::connect_failed: return client_error_kind::connect;
    case client_errc::tls_failed:
    case client_errc::tls_unavailable: return client_error_kind::tls;
    case client_errc::connect_timeout:
    case client_errc::read_timeout:
    case client_errc::total_timeout: return client_error_kind::timeout;
    case client_errc::connection_closed: return client_error_kind::connection;
    case client_errc::malformed_response:
    case client_errc::response_too_large:
    case client_errc::invalid_json:
    case client_errc::not_event_stream: return client_error_kind::protocol;
    case client_errc::too_many_redirects: return client_error_kind::redirects;
    case client_errc::cancelled: return client_error_kind::cancelled;
    case client_errc::proxy_refused: return client_error_kind::proxy;
    case client_errc::invalid_url:
    case client_errc::invalid_request: return client_error_kind::invalid;
    case client_errc::http_status: return client_error_kind::other;  // counted as a response instead
  }
  return client_error_kind::other;
}

/// The series of one origin label, on one thread.
struct client_origin_series {
  static constexpr std::size_t status_classes = 5;

  std::string label;  // the origin, or "other"
  std::array<std::optional<counter>, method_count * status_classes> requests{};
  std::array<std::optional<counter>, client_error_kind_count> errors{};
  std::optional<histogram> duration;
  std::optional<gauge> idle;
  std::optional<gauge> busy;
};

struct transparent_string_hash {
  using is_transparent = void;
  std::size_t operator()(std::string_view text) const noexcept { return std::hash<std::string_view>{}(text); }
};

/// One thread's series, for every client on the thread; touched by that thread only.
struct client_series_table {
  /// Each origin met, to its label's series.
  std::unordered_map<std::string, client_origin_series*, transparent_string_hash, std::equal_to<>> origins;
  /// The series of each label: at most `max_origins` and "other".
  std::unordered_map<std::string, std::unique_ptr<client_origin_series>, transparent_string_hash, std::equal_to<>>
      labels;
  /// Entries of `origins` that map to "other".
  std::size_t others = 0;
  /// The origin of the call being counted, written into the same storage each time.
  std::string scratch;
};

}  // namespace asyncrest::detail
