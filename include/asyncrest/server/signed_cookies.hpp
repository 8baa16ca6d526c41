// Signed cookies: a value the client can read but not change, checked with HMAC-SHA256 (OpenSSL's
// libcrypto: link asyncrest::tls).
//
//     const cookie_signer signer{{current_key, previous_key}};   // each key 32 bytes or more
//     signer.set_cookie(res, "user", "42", {.max_age = std::chrono::hours(8)});
//     std::optional<std::string> user = signer.cookie(req, "user");   // nullopt if forged
//
// The cookie holds base64url(value) "." base64url(HMAC-SHA256(key, name "=" value)), so any
// bytes may be signed, and the result is always a valid cookie value. A signature is not
// encryption: the client can decode the value. A value the signer did not sign, signed for
// another cookie's name, or changed in any byte reads as absent.
//
// Key rotation: put the new key first. Cookies are signed with the first key and accepted when
// any key signed them, so cookies signed with an old key keep working until they expire; then
// drop the old key.
#pragma once

#include <asyncrest/server/cookies.hpp>
#include <asyncrest/server/detail/cookie_signature.hpp>
#include <asyncrest/server/request.hpp>
#include <asyncrest/server/response.hpp>

#include <openssl/crypto.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest {

/// Signs cookie values and checks them. Immutable once made: one signer may serve every thread.
class cookie_signer {
 public:
  /// Keys shorter than this are refused: HMAC-SHA256 is as strong as its key, up to 32 bytes.
  static constexpr std::size_t minimum_key_bytes = 32;

  /// Signs with `keys[0]`; accepts what any of them signed. Throws std::invalid_argument when
  /// there is no key or a key is shorter than 32 bytes (take 32 random bytes, such as the
  /// output of `openssl rand -base64 32`, from the service's secrets).
  explicit cookie_signer(std::vector<std::string> keys) : keys_(std::move(keys)) {
    if (keys_.empty()) throw std::invalid_argument("asyncrest::cookie_signer: give at least one key");
    for (const std::string& key : keys_) {
      if (key.size() < minimum_key_bytes) {
        throw std::invalid_argument(
            "asyncrest::cookie_signer: each key must be at least 32 bytes (32 random bytes, say from "
            "`openssl rand -base64 32`)");
      }
    }
  }
  cookie_signer(const cookie_signer&) = default;
  cookie_signer& operator=(const cookie_signer&) = default;
  cookie_signer(cookie_signer&&) noexcept = default;
  cookie_signer& operator=(cookie_signer&&) noexcept = default;
  ~cookie_signer() {
    for (std::string& key : keys_) OPENSSL_cleanse(key.data(), key.size());
  }

  /// The text to store as the cookie `name`'s value: `value`, any bytes, and its signature.
  [[nodiscard]] std::string sign(std::string_view name, std::string_view value) const {
    if (keys_.empty()) throw std::logic_error("asyncrest::cookie_signer: this signer was moved from");
    const detail::cookie_mac mac = detail::cookie_mac_of(keys_.front(), name, value);
    std::string out = detail::base64url_encode(value);
    out.push_back('.');
    out.append(detail::base64url_encode({reinterpret_cast<const char*>(mac.data()), mac.size()}));
    return out;
  }

  /// The value in `signed_value` when one of the keys signed it for the cookie `name`; nothing
  /// when it was changed, signed for another name or by another key, or is not signed at all.
  [[nodiscard]] std::optional<std::string> verify(std::string_view name, std::string_view signed_value) const {
    const std::size_t dot = signed_value.rfind('.');
    if (dot == std::string_view::npos || signed_value.size() - dot - 1 != detail::cookie_mac_characters) {
      return std::nullopt;
    }
    std::optional<std::string> value = detail::base64url_decode(signed_value.substr(0, dot));
    const std::optional<std::string> mac = detail::base64url_decode(signed_value.substr(dot + 1));
    if (!value || !mac) return std::nullopt;
    // Every key is tried, whichever matches: the time taken says nothing about the signature.
    bool valid = false;
    for (const std::string& key : keys_) valid |= detail::same_mac(detail::cookie_mac_of(key, name, *value), *mac);
    if (!valid) return std::nullopt;
    return value;
  }

  /// `res.set_cookie(name, sign(name, value), options)`.
  response& set_cookie(response& res, std::string_view name, std::string_view value,
                       const cookie_options& options = {}) const {
    return res.set_cookie(name, sign(name, value), options);
  }

  /// The value of the request's cookie `name` if it is signed by one of the keys. When several
  /// cookies have the name (set for two paths, or one planted by a sibling subdomain), the first
  /// that is properly signed.
  [[nodiscard]] std::optional<std::string> cookie(const request& req, std::string_view name) const {
    for (const received_cookie& each : req.cookies()) {
      if (each.name != name) continue;
      if (std::optional<std::string> value = verify(name, each.value)) return value;
    }
    return std::nullopt;
  }

 private:
  std::vector<std::string> keys_;
};

}  // namespace asyncrest
