// Logging: levels, a pluggable sink, and redaction of tokens and secrets.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace slackrtm {

/// Severity of a log line.
enum class log_level { debug = 0, info = 1, warning = 2, error = 3, off = 4 };

/// Returns "debug", "info", ... for `x`.
const char* to_string(log_level x);

/// Parses "debug", "info", "warning", "error" or "off"; false on anything else.
bool parse_log_level(std::string_view text, log_level& out);

/// Receives every log line at or above the configured level, already redacted.
/// May be called from any thread.
using log_sink = std::function<void(log_level, std::string_view line)>;

/// The default sink: one line per call on stderr.
log_sink stderr_log_sink();

/// Replaces every Slack token (`xoxb-...`, `xoxe.xoxp-...`, `xapp-...`,
/// `xwfp-...`, also percent-encoded or glued to the text before it), every
/// `Bearer` and `Basic` credential and the password of every
/// `scheme://user:password@` in `text` with a placeholder. Linear in the
/// size of `text`; redacting twice changes nothing more.
std::string redact(std::string_view text);

} // namespace slackrtm
