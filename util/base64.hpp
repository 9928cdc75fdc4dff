// Base64, for the Basic credentials of a proxy.
#pragma once

#include <string>
#include <string_view>

namespace slackrtm {

/// Base64 (RFC 4648, with padding) of `text`.
inline std::string base64_encode(std::string_view text) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((text.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < text.size(); i += 3) {
    auto n = (static_cast<unsigned char>(text[i]) << 16) |
             (static_cast<unsigned char>(text[i + 1]) << 8) |
             static_cast<unsigned char>(text[i + 2]);
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (auto rest = text.size() - i; rest > 0) {
    auto n = static_cast<unsigned char>(text[i]) << 16;
    if (rest == 2)
      n |= static_cast<unsigned char>(text[i + 1]) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += rest == 2 ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

} // namespace slackrtm
