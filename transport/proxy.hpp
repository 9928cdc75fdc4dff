// Which HTTP proxy (if any) a connection goes through: the `proxy` option or
// the environment (curl's variables and NO_PROXY rules). Pure and free of
// Beast; the CONNECT exchange itself is in proxy_tunnel.hpp. Header-only so
// that it needs no build changes and unit tests link nothing extra.
#pragma once

#include <cctype>
#include <cstdlib>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/base64.hpp"
#include "util/url.hpp"

namespace slackrtm {

/// An HTTP proxy that tunnels with CONNECT.
struct proxy_server {
  std::string host;
  std::string port;
  /// The `Proxy-Authorization` value (`Basic ...`), empty without
  /// credentials. Never logged.
  std::string authorization;

  /// `http://host:port`: how the proxy is named in logs and errors (never
  /// with credentials).
  std::string display() const {
    auto h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    return "http://" + h + ":" + port;
  }
};

/// One `NO_PROXY` entry: a host name (suffix match), an IP address (exact
/// match) or `*`, optionally with a port.
struct no_proxy_entry {
  std::string host;
  /// Empty: any port.
  std::string port;
};

namespace detail {

inline std::string lowercase(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (auto c : text)
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

inline std::string trim(std::string_view text) {
  auto first = text.find_first_not_of(" \t");
  if (first == std::string_view::npos)
    return {};
  auto last = text.find_last_not_of(" \t");
  return std::string{text.substr(first, last - first + 1)};
}

inline bool all_digits(std::string_view text) {
  if (text.empty())
    return false;
  for (auto c : text)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

inline std::string percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9')
      return c - '0';
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (c >= 'a' && c <= 'f')
      return c - 'a' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
        hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// IP addresses (v4 dotted, or anything with a colon: v6) match only exactly.
inline bool is_address(std::string_view host) {
  if (host.find(':') != std::string_view::npos)
    return true;
  for (auto c : host)
    if (c != '.' && !std::isdigit(static_cast<unsigned char>(c)))
      return false;
  return true;
}

// Host names compare without case and without a trailing dot.
inline std::string normalize_host(std::string_view host) {
  auto out = lowercase(host);
  if (out.size() > 2 && out.front() == '[' && out.back() == ']')
    out = out.substr(1, out.size() - 2);
  while (!out.empty() && out.back() == '.')
    out.pop_back();
  return out;
}

} // namespace detail

/// Parses a proxy URL: `[http://][user[:password]@]host[:port][/]`; the
/// port defaults to 80; user and password may be percent-encoded. Throws
/// `std::invalid_argument` (naming `source`, never the credentials) when
/// the URL is malformed or asks for another scheme than `http`.
inline proxy_server parse_proxy_url(std::string_view url,
                                    std::string_view source = "proxy") {
  auto bad = [&](const std::string& why) {
    return std::invalid_argument("invalid proxy URL in " + std::string{source} +
                                 ": " + why);
  };
  std::string_view rest = url;
  if (auto sep = rest.find("://"); sep != std::string_view::npos) {
    auto scheme = detail::lowercase(rest.substr(0, sep));
    if (scheme != "http")
      throw bad("only http:// proxies are supported, not " + scheme + "://");
    rest = rest.substr(sep + 3);
  }
  auto authority = rest.substr(0, rest.find_first_of("/?#"));
  if (auto tail = rest.substr(authority.size()); !tail.empty() && tail != "/")
    throw bad("a proxy URL has no path");
  proxy_server result;
  if (auto at = authority.rfind('@'); at != std::string_view::npos) {
    auto userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = detail::percent_decode(userinfo.substr(0, colon));
    auto password = colon == std::string_view::npos
                        ? std::string{}
                        : detail::percent_decode(userinfo.substr(colon + 1));
    result.authorization = "Basic " + base64_encode(user + ":" + password);
  }
  // Host and port as in any http:// URL.
  auto parts = parse_url("http://" + std::string{authority});
  if (authority.empty() || !parts)
    throw bad("no host, or a bad port");
  result.host = std::move(parts->host);
  result.port = std::move(parts->port);
  if (!detail::all_digits(result.port) || result.port.size() > 5 ||
      std::stoul(result.port) == 0 || std::stoul(result.port) > 65535)
    throw bad("bad port");
  return result;
}

/// Splits a `NO_PROXY` value: entries separated by commas (or spaces), each
/// `host`, `.host`, `host:port`, `[v6]:port`, an IP address or `*`.
inline std::vector<no_proxy_entry> parse_no_proxy(std::string_view list) {
  std::vector<no_proxy_entry> result;
  std::size_t pos = 0;
  while (pos <= list.size()) {
    auto end = list.find_first_of(", \t", pos);
    if (end == std::string_view::npos)
      end = list.size();
    auto item = detail::trim(list.substr(pos, end - pos));
    pos = end + 1;
    if (item.empty())
      continue;
    no_proxy_entry entry;
    if (item.front() == '[') {
      auto close = item.find(']');
      entry.host = item.substr(1, close == std::string::npos ? std::string::npos
                                                             : close - 1);
      if (close != std::string::npos && close + 1 < item.size() &&
          item[close + 1] == ':')
        entry.port = item.substr(close + 2);
    } else if (auto colon = item.find(':');
               colon != std::string::npos &&
               item.find(':', colon + 1) == std::string::npos &&
               detail::all_digits(item.substr(colon + 1))) {
      // One colon followed by digits is a port; more colons are IPv6.
      entry.host = item.substr(0, colon);
      entry.port = item.substr(colon + 1);
    } else {
      entry.host = item;
    }
    entry.host = detail::normalize_host(entry.host);
    while (!entry.host.empty() && entry.host.front() == '.')
      entry.host.erase(0, 1);
    if (!entry.host.empty())
      result.push_back(std::move(entry));
  }
  return result;
}

/// True when `host:port` must be reached directly per `entries` (curl's
/// rules): `*` matches everything; otherwise an entry matches the host
/// itself and every name under it (`example.com` and `.example.com` both
/// match `example.com` and `api.example.com`, not `badexample.com`), without
/// case and trailing dots; IP addresses match only exactly (no CIDR); an
/// entry with a port matches only that port. Loopback is not special.
inline bool bypasses_proxy(const std::vector<no_proxy_entry>& entries,
                           std::string_view host, std::string_view port) {
  auto name = detail::normalize_host(host);
  for (auto& entry : entries) {
    if (entry.host == "*")
      return true;
    if (!entry.port.empty() && entry.port != port)
      continue;
    if (name == entry.host)
      return true;
    if (detail::is_address(entry.host))
      continue;
    if (name.size() > entry.host.size() &&
        name.compare(name.size() - entry.host.size(), entry.host.size(),
                     entry.host) == 0 &&
        name[name.size() - entry.host.size() - 1] == '.')
      return true;
  }
  return false;
}

/// Reads an environment variable; nullopt when unset (tests inject their
/// own environment).
using env_lookup = std::function<std::optional<std::string>(const char*)>;

/// The process environment.
inline std::optional<std::string> process_env(const char* name) {
  if (auto value = std::getenv(name))
    return std::string{value};
  return std::nullopt;
}

/// The proxy decision for a client, made once from the options and the
/// environment, then applied to each target.
struct proxy_settings {
  /// For `http://` and `ws://` targets.
  std::optional<proxy_server> http;
  /// For `https://` and `wss://` targets.
  std::optional<proxy_server> https;
  /// Targets reached directly.
  std::vector<no_proxy_entry> no_proxy;

  /// The proxy for `target`, nullopt for a direct connection.
  std::optional<proxy_server> select(const url_parts& target) const {
    auto& proxy = target.secure() ? https : http;
    if (!proxy || bypasses_proxy(no_proxy, target.host, target.port))
      return std::nullopt;
    return proxy;
  }
};

namespace detail {

// The first set variable of `names` (an empty value counts as unset, as
// in curl).
inline std::optional<std::pair<std::string, std::string>>
first_env(const env_lookup& env, std::initializer_list<const char*> names) {
  for (auto name : names)
    if (auto value = env(name); value && !trim(*value).empty())
      return std::make_pair(std::string{name}, trim(*value));
  return std::nullopt;
}

} // namespace detail

/// Decides the proxies. `proxy` is the option: a URL (used for every target),
/// `"direct"` (no proxy at all, the environment is ignored) or empty (from
/// the environment: `https_proxy`/`HTTPS_PROXY` for https/wss targets,
/// `http_proxy`/`HTTP_PROXY` for http/ws, `all_proxy`/`ALL_PROXY` as the
/// fallback for both; lowercase first). `no_proxy` is the option for the
/// exceptions; when empty, `no_proxy`/`NO_PROXY` from the environment. The
/// exceptions apply to an explicit proxy too, as in curl. Throws
/// `std::invalid_argument` on a malformed proxy URL.
inline proxy_settings make_proxy_settings(std::string_view proxy,
                                          std::string_view no_proxy,
                                          const env_lookup& env = process_env) {
  proxy_settings result;
  auto option = detail::trim(proxy);
  if (detail::lowercase(option) == "direct")
    return result;
  if (!option.empty()) {
    result.http = parse_proxy_url(option, "the proxy option");
    result.https = result.http;
  } else {
    auto all = detail::first_env(env, {"all_proxy", "ALL_PROXY"});
    auto http = detail::first_env(env, {"http_proxy", "HTTP_PROXY"});
    auto https = detail::first_env(env, {"https_proxy", "HTTPS_PROXY"});
    if (!http)
      http = all;
    if (!https)
      https = all;
    if (http)
      result.http = parse_proxy_url(http->second, http->first);
    if (https)
      result.https = parse_proxy_url(https->second, https->first);
  }
  if (!detail::trim(no_proxy).empty())
    result.no_proxy = parse_no_proxy(no_proxy);
  else if (auto list = detail::first_env(env, {"no_proxy", "NO_PROXY"}))
    result.no_proxy = parse_no_proxy(list->second);
  return result;
}

} // namespace slackrtm
