// Splits http(s):// and ws(s):// URLs into what a socket needs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace slackrtm {

/// The parts of an absolute URL.
struct url_parts {
  /// `http`, `https`, `ws` or `wss`.
  std::string scheme;
  std::string host;
  std::string port;
  /// Path and query exactly as given (at least `/`).
  std::string target;

  /// True for `https` and `wss`.
  bool secure() const noexcept { return scheme == "https" || scheme == "wss"; }

  /// `host` or `host:port` when the port is not the scheme's default; what
  /// goes into the `Host` header.
  std::string host_header() const;
};

/// Parses `url`; nullopt when it is not an absolute http(s)/ws(s) URL.
std::optional<url_parts> parse_url(std::string_view url);

/// Percent-encodes `text` for a form body or query string.
std::string form_encode(std::string_view text);

/// True for a name of this machine only: `localhost`, `127.*`, `::1`.
bool is_loopback(std::string_view host) noexcept;

} // namespace slackrtm
