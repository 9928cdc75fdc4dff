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

bool is_token_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' ||
         c == '.';
}

// Slack tokens start with `xox?-` (bot, user, app, legacy...) or `xapp-`.
std::size_t token_prefix_length(std::string_view text, std::size_t pos) {
  auto rest = text.substr(pos);
  if (rest.size() >= 5 && rest.substr(0, 3) == "xox" &&
      std::isalpha(static_cast<unsigned char>(rest[3])) && rest[4] == '-')
    return 5;
  if (rest.substr(0, 5) == "xapp-")
    return 5;
  return 0;
}

} // namespace

std::string redact(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    auto at_word_start = i == 0 || !is_token_char(text[i - 1]);
    if (at_word_start) {
      if (auto n = token_prefix_length(text, i); n > 0) {
        out.append(text.substr(i, n));
        out += "[redacted]";
        i += n;
        while (i < text.size() && is_token_char(text[i]))
          ++i;
        continue;
      }
      if (text.substr(i, 7) == "Bearer ") {
        out += "Bearer [redacted]";
        i += 7;
        while (i < text.size() && is_token_char(text[i]))
          ++i;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

} // namespace slackrtm
