// Conventions shared by the command-line programs: token from the
// environment, --api-url / SLACK_API_URL, --ping-interval, --log-level,
// --ca-file, --proxy, and a SIGINT/SIGTERM watcher that closes the client.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "slackrtm/options.hpp"

namespace slackrtm::cli {

/// Options parsed from argv and the environment. `rest` holds what no
/// common option took (positional arguments and program options).
struct parsed {
  client_options options;
  std::vector<std::string> rest;
  bool help = false;
};

/// Parses the common options. Returns nullopt and prints the reason to
/// stderr on a bad option or value (the token never appears in it).
/// Without `need_token` (a hub, a handler node) no token is looked up.
std::optional<parsed> parse(int argc, char** argv, const char* program,
                            bool need_token = true);

/// Splits `[HOST:]PORT` (host defaults to `default_host`); false when the
/// port is not a number from 0 (only when `allow_zero`) to 65535.
bool parse_endpoint(const std::string& text, const std::string& default_host,
                    bool allow_zero, std::string& host, std::uint16_t& port);

/// The hub's secret: the first line of `file` when given, else
/// `$SLACKRTM_HUB_SECRET`. Returns nullopt and says why on stderr when
/// neither yields one.
std::optional<std::string> read_secret(const std::string& file,
                                       const char* program);

/// The common options' help text.
const char* common_usage();

/// If `arg` is `--name=value`, stores value and returns true.
bool take(const std::string& arg, const char* name, std::string& value);

/// Blocks SIGINT and SIGTERM; call first thing in main, before any thread
/// exists, so that every later thread inherits the mask.
void block_signals();

/// Starts a thread that calls `on_signal` when SIGINT or SIGTERM arrives
/// (after `block_signals`); a second one ends the process at once (exit
/// status 128 + the signal).
void watch_signals(std::function<void()> on_signal);

/// Call from a `catch (...)` around a program's run: says on stderr why
/// `program` failed (Slack's code when it refused to connect) and returns
/// the exit status, 1.
int report_failure(const char* program);

} // namespace slackrtm::cli
