// Request ids: one name for a request in every log line, error and response about it, and in the
// calls other services see.
//
//     ar::app app{routes, ar::request_ids{}, ar::access_log{}};
//
//     // in a handler: a dependency (dependencies.hpp), or from the context
//     ar::get<"/x">([](ar::depends<ar::request_id> id) { return ar::text(id->value()); })
//     std::string_view id = req.context().get<ar::request_id>().value();
//
// An incoming `X-Request-Id` (the field is settable) is kept when it is well formed, so a
// request keeps the id a proxy or the calling service gave it: 1 to 64 characters from letters,
// digits and `-_.:+/=@` (a UUID, a ULID, a trace id, base64 all fit). Anything else, and a
// request without one, gets a new id: 32 random hexadecimal digits. The id is echoed in the
// response (errors included), and the access log writes it on the request's line.
//
// Put it first among the app's middleware, so the ones after it, and their errors, see the id.
#pragma once

#include <asyncrest/core/detail/random_hex.hpp>
#include <asyncrest/server/dependencies.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace asyncrest {

/// A request's id, kept in its context. Held inline (no allocation).
class request_id {
 public:
  static constexpr std::size_t most_characters = 64;

  /// Whether `text` may be used as an id as it is.
  [[nodiscard]] static constexpr bool well_formed(std::string_view text) noexcept {
    if (text.empty() || text.size() > most_characters) return false;
    for (const char character : text) {
      const bool letter_or_digit = (character >= 'a' && character <= 'z') || (character >= 'A' && character <= 'Z') ||
                                   (character >= '0' && character <= '9');
      if (!letter_or_digit && std::string_view("-_.:+/=@").find(character) == std::string_view::npos) return false;
    }
    return true;
  }

  /// `text` as the id; the caller has checked it with `well_formed`.
  explicit request_id(std::string_view text) noexcept : length_(text.size()) {
    text.copy(characters_.data(), text.size());
  }

  /// A new id: 32 random hexadecimal digits.
  [[nodiscard]] static request_id generate() noexcept {
    request_id made;
    made.length_ = 32;
    detail::write_random_hex(made.characters_.data(), made.length_);
    return made;
  }

  [[nodiscard]] std::string_view value() const noexcept { return {characters_.data(), length_}; }

 private:
  request_id() noexcept = default;
  std::array<char, most_characters> characters_{};
  std::size_t length_ = 0;
};

struct request_id_settings {
  /// The request field read, and the response field written.
  std::string field = "X-Request-Id";
  /// Whether a well-formed incoming id is kept. Off for a service that faces the internet and
  /// wants ids no client chose.
  bool trust_incoming = true;
};

/// The middleware: sets a `request_id` in every request's context and echoes it.
class request_ids {
 public:
  /// Every request it lets through has an id: handlers may take `depends<request_id>`.
  using provides = asyncrest::provides<request_id>;

  request_ids() = default;
  explicit request_ids(request_id_settings settings) : settings_(std::move(settings)) {}

  std::optional<response> before(request& req) const {
    if (settings_.trust_incoming) {
      if (const auto incoming = req.header(settings_.field); incoming && request_id::well_formed(*incoming)) {
        req.context().emplace<request_id>(*incoming);
        return std::nullopt;
      }
    }
    req.context().emplace<request_id>(request_id::generate());
    return std::nullopt;
  }

  void after(const request& req, response& res) const {
    if (const request_id* id = req.context().find<request_id>()) res.headers.set(settings_.field, id->value());
  }

 private:
  request_id_settings settings_{};
};

}  // namespace asyncrest
