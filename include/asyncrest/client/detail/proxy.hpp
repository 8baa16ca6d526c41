// Which proxy a request goes through: the proxy URLs of the settings (or of the environment),
// parsed once per client, and the no_proxy list matched against each request's host.
#pragma once

#include <asyncrest/client/detail/base64.hpp>
#include <asyncrest/client/detail/url.hpp>
#include <asyncrest/client/settings.hpp>
#include <asyncrest/core/detail/percent_encoding.hpp>

#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncrest::detail {

/// A proxy as a connection needs it.
struct proxy_endpoint {
  parsed_url address;         // scheme, host and port of the proxy; the target is unused
  std::string authorization;  // the Proxy-Authorization value, empty without credentials
  std::string key;            // what tells this proxy apart in the pool's keys
};

/// One entry of a no_proxy list.
struct direct_host {
  std::string host;        // lower case, without a leading "." or "*."
  std::uint16_t port = 0;  // zero: any port
};

struct proxy_configuration {
  std::optional<proxy_endpoint> http;
  std::optional<proxy_endpoint> https;
  std::vector<direct_host> direct;
  bool everything_direct = false;

  /// The proxy a request to `url` goes through, or nothing for a direct connection.
  [[nodiscard]] const proxy_endpoint* select(const parsed_url& url) const noexcept {
    const std::optional<proxy_endpoint>& chosen = url.tls ? https : http;
    if (!chosen || everything_direct) return nullptr;
    for (const direct_host& entry : direct) {
      if (entry.port != 0 && entry.port != url.port) continue;
      if (url.host == entry.host) return nullptr;
      // A name covers its subdomains; an address only itself.
      const bool is_address = url.ipv6_literal || url.host.find_first_not_of("0123456789.") == std::string::npos;
      if (!is_address && url.host.size() > entry.host.size() && url.host.ends_with(entry.host) &&
          url.host[url.host.size() - entry.host.size() - 1] == '.') {
        return nullptr;
      }
    }
    return &*chosen;
  }
};

/// Reads "http://user:password@host:port" (a URL without a scheme is taken as http://, as curl
/// does). Throws `std::invalid_argument` naming `source` for anything else.
[[nodiscard]] inline proxy_endpoint parse_proxy_url(std::string_view text, std::string_view source) {
  auto refuse = [&](std::string_view why) {
    throw std::invalid_argument("asyncrest: the proxy URL in " + std::string(source) + " (\"" + std::string(text) +
                                "\") " + std::string(why));
  };
  std::string_view rest = text;
  const std::size_t scheme_end = rest.find("://");
  if (scheme_end != std::string_view::npos) {
    const std::string scheme = [&] {
      std::string lowered(rest.substr(0, scheme_end));
      for (char& character : lowered) {
        if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + ('a' - 'A'));
      }
      return lowered;
    }();
    if (scheme != "http") refuse("must start with http:// (proxies spoken to over TLS or SOCKS are not supported)");
    rest.remove_prefix(scheme_end + 3);
  }
  const std::size_t authority_end = rest.find_first_of("/?#");
  std::string_view authority = rest.substr(0, authority_end);
  const std::string_view after =
      authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
  if (!after.empty() && after != "/") refuse("must not have a path");
  proxy_endpoint proxy;
  const std::size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
    const std::size_t colon = userinfo.find(':');
    std::string user;
    std::string password;
    if (!append_percent_decoded(userinfo.substr(0, colon), user, false) ||
        (colon != std::string_view::npos && !append_percent_decoded(userinfo.substr(colon + 1), password, false))) {
      refuse("has a bad percent-encoding in its user or password");
    }
    std::string credentials = user;
    credentials.push_back(':');
    credentials.append(password);
    proxy.authorization = "Basic " + encode_base64(credentials);
  }
  try {
    proxy.address = parse_url("http://" + std::string(authority));
  } catch (const client_error& error) {
    refuse(std::string("is not a valid URL: ") + error.what());
  }
  proxy.address.target.clear();
  proxy.key = proxy.address.origin();
  if (!proxy.authorization.empty()) proxy.key += " " + proxy.authorization;
  return proxy;
}

/// Splits a no_proxy list ("localhost, .example.com, 10.0.0.7, *").
inline void read_no_proxy(std::string_view list, proxy_configuration& out) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    std::string_view entry = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    while (!entry.empty() && (entry.front() == ' ' || entry.front() == '\t')) entry.remove_prefix(1);
    while (!entry.empty() && (entry.back() == ' ' || entry.back() == '\t')) entry.remove_suffix(1);
    if (entry == "*") {
      out.everything_direct = true;
      continue;
    }
    if (entry.starts_with("*.")) entry.remove_prefix(2);
    if (entry.starts_with('.')) entry.remove_prefix(1);
    direct_host host;
    if (entry.starts_with('[')) {  // [v6] or [v6]:port
      const std::size_t close = entry.find(']');
      if (close == std::string_view::npos) continue;
      const std::string_view port = entry.substr(close + 1);
      if (port.starts_with(':'))
        host.port = static_cast<std::uint16_t>(std::strtoul(std::string(port.substr(1)).c_str(), nullptr, 10));
      entry = entry.substr(1, close - 1);
    } else if (entry.find(':') == entry.rfind(':') && entry.find(':') != std::string_view::npos) {
      const std::size_t colon = entry.find(':');
      host.port = static_cast<std::uint16_t>(std::strtoul(std::string(entry.substr(colon + 1)).c_str(), nullptr, 10));
      entry = entry.substr(0, colon);
    }
    if (entry.empty()) continue;
    host.host.assign(entry);
    for (char& character : host.host) {
      if (character >= 'A' && character <= 'Z') character = static_cast<char>(character + ('a' - 'A'));
    }
    out.direct.push_back(std::move(host));
  }
}

/// The proxies of `settings`; with `from_environment`, `environment(name)` (a `const char*`,
/// null when unset) fills what the settings leave empty.
template <class Environment>
[[nodiscard]] proxy_configuration make_proxy_configuration(const proxy_settings& settings, Environment environment) {
  auto variable = [&](std::initializer_list<const char*> names) -> std::pair<std::string, std::string> {
    for (const char* name : names) {
      const char* value = environment(name);
      if (value != nullptr && *value != '\0') return {value, name};
    }
    return {};
  };
  const bool cgi = settings.from_environment && environment("REQUEST_METHOD") != nullptr;
  proxy_configuration made;
  auto choose = [&](const std::string& configured, std::string_view field,
                    std::initializer_list<const char*> names) -> std::optional<proxy_endpoint> {
    if (!configured.empty()) return parse_proxy_url(configured, field);
    if (!settings.from_environment) return std::nullopt;
    auto [value, name] = variable(names);
    if (value.empty()) return std::nullopt;
    return parse_proxy_url(value, name);
  };
  made.http =
      cgi ? choose(settings.http, "proxy_settings::http", {"http_proxy", "all_proxy", "ALL_PROXY"})
          : choose(settings.http, "proxy_settings::http", {"http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY"});
  made.https =
      choose(settings.https, "proxy_settings::https", {"https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"});
  if (!settings.no_proxy.empty()) {
    read_no_proxy(settings.no_proxy, made);
  } else if (settings.from_environment) {
    read_no_proxy(variable({"no_proxy", "NO_PROXY"}).first, made);
  }
  return made;
}

/// The same from the process's environment.
[[nodiscard]] inline proxy_configuration make_proxy_configuration(const proxy_settings& settings) {
  return make_proxy_configuration(settings, [](const char* name) -> const char* { return std::getenv(name); });
}

}  // namespace asyncrest::detail
