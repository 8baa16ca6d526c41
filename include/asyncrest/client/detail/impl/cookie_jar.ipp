// The definitions of cookie_jar's members (client/cookie_jar.hpp).
#pragma once

#include <asyncrest/client/cookie_jar.hpp>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace asyncrest {

inline bool cookie_jar::set_cookie(std::string_view url, std::string_view set_cookie_field, clock::time_point now) {
  return store(detail::parse_url(url), set_cookie_field, now);
}

inline std::string cookie_jar::cookie_header(std::string_view url, clock::time_point now) {
  return header_for(detail::parse_url(url), now);
}

inline std::optional<std::string> cookie_jar::get(std::string_view url, std::string_view name, clock::time_point now) {
  const detail::parsed_url parsed = detail::parse_url(url);
  drop_expired(now);
  for (const cookie& each : cookies_) {
    const bool domain_ok =
        each.host_only ? parsed.host == each.domain : detail::domain_matches(parsed.host, each.domain);
    if (each.name == name && domain_ok && detail::path_matches(parsed.path(), each.path) &&
        (!each.secure || parsed.tls)) {
      return each.value;
    }
  }
  return std::nullopt;
}

inline void cookie_jar::add(cookie made) {
  if (!detail::is_cookie_name(made.name) || !detail::is_cookie_value(made.value)) {
    throw std::invalid_argument("asyncrest: a cookie's name must be a token and its value cookie-octets (RFC 6265)");
  }
  made.domain = detail::lower_ascii(made.domain);
  if (made.domain.starts_with('.')) made.domain.erase(0, 1);
  if (made.domain.empty()) throw std::invalid_argument("asyncrest: a cookie needs a domain");
  if (made.path.empty() || made.path.front() != '/') made.path = "/";
  const auto now = clock::now();
  if (made.created == clock::time_point{}) made.created = now;
  if (made.last_used == clock::time_point{}) made.last_used = now;
  insert(std::move(made), now);
}

inline std::vector<cookie> cookie_jar::cookies(clock::time_point now) const {
  std::vector<cookie> live;
  for (const cookie& each : cookies_) {
    if (!each.expires || *each.expires > now) live.push_back(each);
  }
  return live;
}

inline void cookie_jar::clear(std::string_view domain) {
  const std::string wanted = detail::lower_ascii(domain.starts_with('.') ? domain.substr(1) : domain);
  std::erase_if(cookies_, [&](const cookie& each) { return detail::domain_matches(each.domain, wanted); });
}

inline void cookie_jar::clear_session_cookies() {
  std::erase_if(cookies_, [](const cookie& each) { return !each.expires.has_value(); });
}

inline bool cookie_jar::store(const detail::parsed_url& url, std::string_view field, clock::time_point now) {
  auto parsed = detail::parse_set_cookie(field);
  if (!parsed) return false;
  if (parsed->name.size() + parsed->value.size() > limits_.max_cookie_bytes) return false;
  // §5.3 step 11 of RFC 6265bis: a Secure cookie comes only from a secure origin.
  if (parsed->secure && !url.tls) return false;

  cookie made;
  made.name = std::move(parsed->name);
  made.value = std::move(parsed->value);
  made.created = now;
  made.last_used = now;
  if (parsed->max_age) {
    made.expires = *parsed->max_age <= 0
                       ? clock::time_point::min()
                       : now + std::chrono::seconds(std::min(*parsed->max_age, detail::longest_cookie_life));
  } else if (parsed->expires) {
    made.expires = detail::cookie_expiry(*parsed->expires, now);
  }

  const std::string& host = url.host;
  if (parsed->domain && !parsed->domain->empty()) {
    const std::string& domain = *parsed->domain;
    if (detail::is_ip_address(host) || detail::is_public_suffix(domain)) {
      if (domain != host) return false;  // nobody may set a cookie for a whole suffix, or for other addresses
      made.host_only = true;
      made.domain = host;
    } else if (detail::domain_matches(host, domain)) {
      made.host_only = false;
      made.domain = domain;
    } else {
      return false;
    }
  } else {
    made.host_only = true;
    made.domain = host;
  }
  made.path = parsed->path ? std::move(*parsed->path) : std::string(detail::default_cookie_path(url.path()));
  made.secure = parsed->secure;
  made.http_only = parsed->http_only;
  made.same_site = std::move(parsed->same_site);

  if (!url.tls) {
    // RFC 6265bis §5.7 step 16: plain http cannot shadow or overwrite a Secure cookie.
    for (const cookie& existing : cookies_) {
      if (existing.secure && existing.name == made.name &&
          (detail::domain_matches(existing.domain, made.domain) ||
           detail::domain_matches(made.domain, existing.domain)) &&
          detail::path_matches(made.path, existing.path)) {
        return false;
      }
    }
  }
  insert(std::move(made), now);
  return true;
}

inline void cookie_jar::insert(cookie made, clock::time_point now) {
  const auto same = std::find_if(cookies_.begin(), cookies_.end(), [&](const cookie& existing) {
    return existing.name == made.name && existing.domain == made.domain && existing.path == made.path &&
           existing.host_only == made.host_only;
  });
  if (same != cookies_.end()) {
    made.created = same->created;  // §5.3 step 11.3: a replaced cookie keeps its place in the order
    cookies_.erase(same);
  }
  const std::string domain = made.domain;
  const bool expired = made.expires && *made.expires <= now;
  if (!expired) cookies_.push_back(std::move(made));
  drop_expired(now);
  enforce_limits(domain);
}

inline void cookie_jar::drop_expired(clock::time_point now) {
  std::erase_if(cookies_, [now](const cookie& each) { return each.expires && *each.expires <= now; });
}

inline void cookie_jar::enforce_limits(const std::string& domain) {
  auto least_recent_first = [](const cookie* left, const cookie* right) { return left->last_used < right->last_used; };
  auto evict_from = [&](auto&& belongs, std::size_t limit) {
    std::vector<const cookie*> members;
    for (const cookie& each : cookies_) {
      if (belongs(each)) members.push_back(&each);
    }
    if (members.size() <= limit) return;
    std::stable_sort(members.begin(), members.end(), least_recent_first);
    std::vector<const cookie*> doomed(members.begin(),
                                      members.begin() + static_cast<std::ptrdiff_t>(members.size() - limit));
    std::erase_if(cookies_,
                  [&](const cookie& each) { return std::find(doomed.begin(), doomed.end(), &each) != doomed.end(); });
  };
  evict_from([&](const cookie& each) { return each.domain == domain; }, limits_.max_cookies_per_domain);
  evict_from([](const cookie&) { return true; }, limits_.max_cookies);
}

inline std::string cookie_jar::header_for(const detail::parsed_url& url, clock::time_point now) {
  drop_expired(now);
  const std::string_view path = url.path();
  std::vector<cookie*> chosen;
  for (cookie& each : cookies_) {
    const bool domain_ok = each.host_only ? url.host == each.domain : detail::domain_matches(url.host, each.domain);
    if (domain_ok && detail::path_matches(path, each.path) && (!each.secure || url.tls)) chosen.push_back(&each);
  }
  std::stable_sort(chosen.begin(), chosen.end(), [](const cookie* left, const cookie* right) {
    if (left->path.size() != right->path.size()) return left->path.size() > right->path.size();
    return left->created < right->created;
  });
  std::string field;
  for (cookie* each : chosen) {
    if (!field.empty()) field.append("; ");
    field.append(each->name);
    field.push_back('=');
    field.append(each->value);
    each->last_used = now;
  }
  return field;
}

inline void cookie_jar::save(std::ostream& out, bool include_session, clock::time_point now) const {
  out << "# Netscape HTTP Cookie File\n";
  for (const cookie& each : cookies_) {
    if (each.expires && *each.expires <= now) continue;
    if (!each.expires && !include_session) continue;
    const std::int64_t expiry =
        each.expires ? std::chrono::duration_cast<std::chrono::seconds>(each.expires->time_since_epoch()).count() : 0;
    if (each.http_only) out << "#HttpOnly_";
    if (!each.host_only) out << '.';
    out << each.domain << '\t' << (each.host_only ? "FALSE" : "TRUE") << '\t' << each.path << '\t'
        << (each.secure ? "TRUE" : "FALSE") << '\t' << expiry << '\t' << each.name << '\t' << each.value << '\n';
  }
}

inline std::size_t cookie_jar::load(std::istream& in, clock::time_point now) {
  std::size_t added = 0;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::string_view rest = line;
    cookie made;
    if (rest.starts_with("#HttpOnly_")) {
      made.http_only = true;
      rest.remove_prefix(10);
    } else if (rest.empty() || rest.front() == '#') {
      continue;
    }
    std::string_view columns[7];
    std::size_t count = 0;
    while (count < 7) {
      const std::size_t tab = rest.find('\t');
      columns[count++] = rest.substr(0, tab);
      if (tab == std::string_view::npos) break;
      rest.remove_prefix(tab + 1);
    }
    if (count != 7) continue;
    std::string_view domain = columns[0];
    made.host_only = columns[1] != "TRUE";
    if (domain.starts_with('.')) domain.remove_prefix(1);
    std::int64_t expiry = 0;
    const auto [end, error] = std::from_chars(columns[4].data(), columns[4].data() + columns[4].size(), expiry);
    if (error != std::errc{} || end != columns[4].data() + columns[4].size()) continue;
    if (domain.empty() || !detail::is_cookie_name(columns[5]) || !detail::is_cookie_value(columns[6])) continue;
    made.domain = detail::lower_ascii(domain);
    made.path = columns[2].starts_with('/') ? std::string(columns[2]) : std::string("/");
    made.secure = columns[3] == "TRUE";
    if (expiry != 0) made.expires = detail::cookie_expiry(expiry, now);
    if (made.expires && *made.expires <= now) continue;
    made.name.assign(columns[5]);
    made.value.assign(columns[6]);
    made.created = now;
    made.last_used = now;
    insert(std::move(made), now);
    ++added;
  }
  return added;
}

}  // namespace asyncrest
