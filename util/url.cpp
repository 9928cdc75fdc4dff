// URL parsing and form encoding, kept free of Beast so it compiles fast.
#include "util/url.hpp"

#include <cctype>

namespace slackrtm {

std::string url_parts::host_header() const {
  auto default_port = secure() ? "443" : "80";
  auto h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return port == default_port ? h : h + ":" + port;
}

std::optional<url_parts> parse_url(std::string_view url) {
  url_parts result;
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return std::nullopt;
  for (auto c : url.substr(0, sep))
    result.scheme +=
        static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (result.scheme != "http" && result.scheme != "https" &&
      result.scheme != "ws" && result.scheme != "wss")
    return std::nullopt;
  auto rest = url.substr(sep + 3);
  auto slash = rest.find_first_of("/?");
  auto authority = rest.substr(0, slash);
  result.target = slash == std::string_view::npos
                      ? std::string{"/"}
                      : std::string{rest.substr(slash)};
  if (!result.target.empty() && result.target.front() == '?')
    result.target.insert(0, "/");
  if (auto at = authority.rfind('@'); at != std::string_view::npos)
    authority = authority.substr(at + 1);
  if (authority.empty())
    return std::nullopt;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      return std::nullopt;
    result.host = std::string{authority.substr(1, close - 1)};
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return std::nullopt;
      result.port = std::string{after.substr(1)};
    }
  } else if (auto colon = authority.rfind(':');
             colon != std::string_view::npos) {
    result.host = std::string{authority.substr(0, colon)};
    result.port = std::string{authority.substr(colon + 1)};
  } else {
    result.host = std::string{authority};
  }
  if (result.host.empty())
    return std::nullopt;
  if (result.port.empty())
    result.port = result.secure() ? "443" : "80";
  for (auto c : result.port)
    if (!std::isdigit(static_cast<unsigned char>(c)))
      return std::nullopt;
  return result;
}

std::string form_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 0xF];
    }
  }
  return out;
}

bool is_loopback(std::string_view host) noexcept {
  return host == "localhost" || host == "::1" || host == "[::1]" ||
         host.substr(0, 4) == "127.";
}

} // namespace slackrtm
