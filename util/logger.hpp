// The library's own logging layer (CAF's logger is compiled out in Debian's
// build): level filter, redaction, then the user's sink.
#pragma once

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "slackrtm/log.hpp"

namespace slackrtm {

/// Thread-safe as long as the sink is; shared by every actor of a client.
class logger {
public:
  /// `secret` (the token) is masked wherever it appears, even when it does
  /// not look like a Slack token.
  logger(log_level level, log_sink sink, std::string secret = {})
      : logger(level, std::move(sink),
               std::vector<std::string>{std::move(secret)}) {
    // nop
  }

  /// Masks each of `secrets` (the bot and app tokens).
  logger(log_level level, log_sink sink, std::vector<std::string> secrets)
      : level_(level), sink_(sink ? std::move(sink) : stderr_log_sink()),
        secrets_(std::move(secrets)) {
    // nop
  }

  /// True when lines of `level` are written.
  bool enabled(log_level level) const noexcept {
    return level >= level_ && level != log_level::off;
  }

  /// Writes `line` (redacted) when `level` is enabled.
  void write(log_level level, std::string_view line) const {
    if (!enabled(level))
      return;
    auto text = redact(line);
    // One pass per secret, resuming after each match: linear, and a secret
    // that occurs in the placeholder is not masked again.
    std::string masked;
    for (auto& secret : secrets_) {
      if (secret.size() < 4)
        continue;
      masked.clear();
      std::size_t from = 0;
      for (auto pos = text.find(secret); pos != std::string::npos;
           pos = text.find(secret, from)) {
        masked.append(text, from, pos - from);
        masked += "[redacted]";
        from = pos + secret.size();
      }
      if (from == 0)
        continue;
      masked.append(text, from);
      text.swap(masked);
    }
    sink_(level, text);
  }

  /// Formats the arguments with `<<` and writes them as one line.
  template <class... Ts>
  void log(log_level level, const Ts&... xs) const {
    if (!enabled(level))
      return;
    std::ostringstream out;
    (out << ... << xs);
    write(level, out.str());
  }

  template <class... Ts>
  void debug(const Ts&... xs) const {
    log(log_level::debug, xs...);
  }

  template <class... Ts>
  void info(const Ts&... xs) const {
    log(log_level::info, xs...);
  }

  template <class... Ts>
  void warning(const Ts&... xs) const {
    log(log_level::warning, xs...);
  }

  template <class... Ts>
  void error(const Ts&... xs) const {
    log(log_level::error, xs...);
  }

private:
  log_level level_;
  log_sink sink_;
  std::vector<std::string> secrets_;
};

} // namespace slackrtm
