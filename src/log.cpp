// Log levels, the stderr sink and token redaction.
#include "slackrtm/log.hpp"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

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

constexpr std::string_view placeholder = "[redacted]";

} // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (auto n = token_prefix_length(text, i); n > 0) {
      // A bare prefix (or one already masked) stays as it is.
      if (auto end = credential_end(text, i + n); end > i + n) {
        out.append(text.substr(i, n));
        out += placeholder;
        i = end;
        continue;
      }
    }
    auto at_word_start = i == 0 || !is_alnum(text[i - 1]);
    if (at_word_start && text.substr(i, 7) == "Bearer ") {
      out += "Bearer [redacted]";
      i += 7;
      i = credential_end(text, i);
      continue;
    }
    out += text[i++];
  }
  return out;
}

} // namespace slackrtm
