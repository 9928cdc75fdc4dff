// Log levels, the stderr sink and token redaction.
#include "slackrtm/log.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <utility>

namespace slackrtm {

const char* to_string(log_level x) {
  switch (x) {
  case log_level::debug:
    return "debug";
  case log_level::info:
    return "info";
  case log_level::warning:
    return "warning";
  case log_level::error:
    return "error";
  case log_level::off:
    break;
  }
  return "off";
}

bool parse_log_level(std::string_view text, log_level& out) {
  for (auto x : {log_level::debug, log_level::info, log_level::warning,
                 log_level::error, log_level::off}) {
    if (text == to_string(x)) {
      out = x;
      return true;
    }
  }
  return false;
}

log_sink stderr_log_sink() {
  return [](log_level level, std::string_view line) {
    static std::mutex mtx;
    auto now = std::chrono::system_clock::now();
    auto t = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  now.time_since_epoch())
                  .count() %
              1000;
    std::tm tm{};
    gmtime_r(&t, &tm);
    char stamp[32];
    std::strftime(stamp, sizeof(stamp), "%H:%M:%S", &tm);
    std::lock_guard<std::mutex> guard{mtx};
    std::fprintf(stderr, "%s.%03d [%s] %.*s\n", stamp, static_cast<int>(ms),
                 to_string(level), static_cast<int>(line.size()), line.data());
  };
}

namespace {

// A hand-written scan, linear in the input: no regex, no backtracking. Each
// rule looks at a bounded window or consumes what it reads.

bool is_alnum(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

char lower(char c) {
  return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
}

bool is_hex(char c) {
  return std::isxdigit(static_cast<unsigned char>(c)) != 0;
}

int hex_value(char c) {
  return std::isdigit(static_cast<unsigned char>(c)) ? c - '0'
                                                     : lower(c) - 'a' + 10;
}

// `%XX` at `pos` decoded, or -1.
int percent_decoded(std::string_view text, std::size_t pos) {
  if (pos + 2 >= text.size() || text[pos] != '%' || !is_hex(text[pos + 1]) ||
      !is_hex(text[pos + 2]))
    return -1;
  return hex_value(text[pos + 1]) * 16 + hex_value(text[pos + 2]);
}

// Width of the character at `pos` if it is `c`, plain or percent-encoded;
// 0 otherwise.
std::size_t literal_width(std::string_view text, std::size_t pos, char c) {
  if (pos < text.size() && text[pos] == c)
    return 1;
  return percent_decoded(text, pos) == c ? 3 : 0;
}

// Width of one character of a token or credential at `pos` (0: none): the
// token68 alphabet of RFC 7235 (base64 and base64url included), plain,
// percent-encoded (tokens in query strings) or as JSON's `\/`.
std::size_t credential_char_width(std::string_view text, std::size_t pos) {
  constexpr std::string_view punctuation = "-._~+/=";
  auto c = text[pos];
  if (is_alnum(c) || punctuation.find(c) != std::string_view::npos)
    return 1;
  if (c == '\\' && pos + 1 < text.size() && text[pos + 1] == '/')
    return 2;
  if (auto x = percent_decoded(text, pos);
      x > 0 && punctuation.find(static_cast<char>(x)) != std::string_view::npos)
    return 3;
  return 0;
}

// End of the credential starting at `pos` (`pos` itself when there is none).
std::size_t credential_end(std::string_view text, std::size_t pos) {
  while (pos < text.size()) {
    auto n = credential_char_width(text, pos);
    if (n == 0)
      break;
    pos += n;
  }
  return pos;
}

bool starts_with_nocase(std::string_view text, std::size_t pos,
                        std::string_view word) {
  if (text.size() - pos < word.size())
    return false;
  for (std::size_t i = 0; i < word.size(); ++i)
    if (lower(text[pos + i]) != word[i])
      return false;
  return true;
}

// Length of a Slack token's prefix at `pos`, separator included (0: none):
// `xox?-` (bot, user, refresh, config...), `xoxe.` (rotated: `xoxe.xoxb-1-`),
// `xapp-` (app-level) and `xwfp-` (workflow), in any case, wherever they
// start: escaped JSON, query strings and `=` glue them to the text before.
std::size_t token_prefix_length(std::string_view text, std::size_t pos) {
  if (lower(text[pos]) != 'x' || text.size() - pos < 5)
    return 0;
  if (starts_with_nocase(text, pos, "xox") &&
      std::isalpha(static_cast<unsigned char>(text[pos + 3]))) {
    if (auto n = literal_width(text, pos + 4, '-'); n > 0)
      return 4 + n;
    if (lower(text[pos + 3]) == 'e')
      if (auto n = literal_width(text, pos + 4, '.'); n > 0)
        return 4 + n;
    return 0;
  }
  if (starts_with_nocase(text, pos, "xapp") ||
      starts_with_nocase(text, pos, "xwfp"))
    if (auto n = literal_width(text, pos + 4, '-'); n > 0)
      return 4 + n;
  return 0;
}

// After the word `Bearer` or `Basic`: spaces, tabs or `%20`.
std::size_t skip_spaces(std::string_view text, std::size_t pos) {
  for (;;) {
    if (pos < text.size() && (text[pos] == ' ' || text[pos] == '\t'))
      ++pos;
    else if (percent_decoded(text, pos) == ' ')
      pos += 3;
    else
      return pos;
  }
}

// Whether the scheme at `pos` is the value of an `Authorization` or
// `Proxy-Authorization` header, also as JSON or percent-encoded: then any
// credential, however short, is masked.
bool follows_authorization(std::string_view text, std::size_t pos) {
  constexpr std::string_view glue = " \t\"'\\:=";
  constexpr std::string_view name = "authorization";
  for (int n = 0; n < 8 && pos > 0; ++n) {
    if (glue.find(text[pos - 1]) != std::string_view::npos)
      pos -= 1;
    else if (auto x = pos >= 3 ? percent_decoded(text, pos - 3) : -1;
             x > 0 && glue.find(static_cast<char>(x)) != std::string_view::npos)
      pos -= 3;
    else
      break;
  }
  return pos >= name.size() &&
         starts_with_nocase(text, pos - name.size(), name);
}

// Whether `credential` after a `Bearer` outside a header looks like one
// rather than a word ("the bearer of news", "bearer bonds"): 8 characters or
// more, not all lowercase letters after the first.
bool looks_like_bearer_token(std::string_view credential) {
  if (credential.size() < 8)
    return false;
  for (std::size_t i = 0; i < credential.size(); ++i) {
    auto c = static_cast<unsigned char>(credential[i]);
    if (!std::isalpha(c) || (i > 0 && std::isupper(c)))
      return true;
  }
  return false;
}

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

int base64_value(char c) {
  auto x = base64_alphabet.find(c);
  return x < 64 ? static_cast<int>(x) : -1;
}

// Whether `credential` after a `Basic` outside a header is padded base64 of
// printable `user:password`, which no ordinary word is ("basic usage").
bool looks_like_basic_credentials(std::string_view credential) {
  if (credential.empty() || credential.size() % 4 != 0)
    return false;
  auto colon = false;
  auto check = [&colon](unsigned byte) {
    colon = colon || byte == ':';
    return byte >= 0x20 && byte != 0x7f;
  };
  for (std::size_t i = 0; i < credential.size(); i += 4) {
    auto last = i + 4 == credential.size();
    int v[4];
    for (int j = 0; j < 4; ++j)
      v[j] = base64_value(credential[i + j]);
    if (v[0] < 0 || v[1] < 0)
      return false;
    auto bits = (v[0] << 18) | (v[1] << 12);
    if (!check((bits >> 16) & 0xff))
      return false;
    if (v[2] < 0 || v[3] < 0) {
      // Padding only ends the last group: `xx==` or `xxx=`.
      auto pad2 = credential[i + 2] == '=' && credential[i + 3] == '=';
      auto pad1 = v[2] >= 0 && credential[i + 3] == '=';
      if (!last || !(pad1 || pad2))
        return false;
      if (pad1 && !check(((bits | (v[2] << 6)) >> 8) & 0xff))
        return false;
      return colon;
    }
    bits |= (v[2] << 6) | v[3];
    if (!check((bits >> 8) & 0xff) || !check(bits & 0xff))
      return false;
  }
  return colon;
}

// The password of `scheme://user:password@host` when `pos` is at `://`:
// [first, last) of `text`, or empty.
std::pair<std::size_t, std::size_t> url_password(std::string_view text,
                                                 std::size_t pos) {
  if (text.substr(pos, 3) != "://")
    return {0, 0};
  // The authority ends at the path, query or fragment, or where the URL does
  // in prose or JSON; a password may hold an unescaped `@`, the last one
  // ends the user info.
  auto begin = pos + 3;
  auto end =
      std::min(text.find_first_of("/?#\"'<>\\ \t\r\n", begin), text.size());
  auto at = text.substr(begin, end - begin).rfind('@');
  if (at == std::string_view::npos)
    return {0, 0};
  auto colon = text.substr(begin, at).find(':');
  if (colon == std::string_view::npos)
    return {0, 0};
  return {begin + colon + 1, begin + at};
}

constexpr std::string_view placeholder = "[redacted]";

} // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  // The password of the URL being read, masked once `i` reaches it.
  std::pair<std::size_t, std::size_t> password{0, 0};
  while (i < text.size()) {
    if (i >= password.first && i < password.second) {
      out += placeholder;
      i = password.second;
      continue;
    }
    if (auto found = url_password(text, i); found.second > found.first) {
      password = found;
      out += "://";
      i += 3;
      continue;
    }
    if (auto n = token_prefix_length(text, i); n > 0) {
      // A bare prefix (or one already masked) stays as it is.
      if (auto end = credential_end(text, i + n); end > i + n) {
        out.append(text.substr(i, n));
        out += placeholder;
        i = end;
        continue;
      }
    }
    // `Bearer` or `Basic` (any case) as a word, spaces, a credential.
    auto bearer = starts_with_nocase(text, i, "bearer");
    auto basic = !bearer && starts_with_nocase(text, i, "basic");
    if ((bearer || basic) &&
        (i == 0 || !std::isalpha(static_cast<unsigned char>(text[i - 1])))) {
      auto begin = skip_spaces(text, i + (bearer ? 6 : 5));
      auto end = credential_end(text, begin);
      auto header = follows_authorization(text, i);
      if (basic && !header) // Plain base64, without a trailing `.`.
        end = std::min(end, text.find_first_not_of(base64_alphabet, begin));
      auto credential = text.substr(begin, end - begin);
      if (begin > i + (bearer ? 6 : 5) && !credential.empty() &&
          (header || (bearer ? looks_like_bearer_token(credential)
                             : looks_like_basic_credentials(credential)))) {
        out.append(text.substr(i, begin - i));
        out += placeholder;
        i = end;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

} // namespace slackrtm
