// Options of the Web API client and of the RTM client.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "slackrtm/log.hpp"

namespace slackrtm {

/// Certificate checks for `https://` and `wss://`. The system trust store is
/// always used (it honours `SSL_CERT_FILE` and `SSL_CERT_DIR`); these add to
/// it.
struct tls_options {
  /// Extra PEM file of trusted CA certificates.
  std::string ca_file;
  /// Extra directory of hashed CA certificates.
  std::string ca_dir;
};

/// How the Web API client talks to Slack.
struct web_client_options {
  /// The token, sent as `Authorization: Bearer`; never logged.
  std::string token;
  /// Base URL of the Web API; methods are appended to it.
  std::string base_url = "https://slack.com/api/";
  /// Deadline for one HTTP exchange (connect, send, receive).
  std::chrono::milliseconds timeout{30000};
  /// How many times an HTTP 429 is waited out (per `Retry-After`) and retried.
  int max_rate_limit_retries = 3;
  /// Longest single wait for a `Retry-After`; a longer demand is an error.
  std::chrono::seconds max_retry_after{60};
  /// Retries of a call whose connection failed (refused, reset, timed out).
  /// Off by default: the request may have reached Slack, and a retried
  /// `chat.postMessage` would then post twice.
  int max_connection_error_retries = 0;
  /// Retries of an HTTP 5xx answer (off by default, for the same reason).
  int max_server_error_retries = 0;
  /// Wait before the first of those retries; each further one doubles it.
  std::chrono::milliseconds retry_backoff{500};
  /// Certificate checks.
  tls_options tls;
  /// HTTP proxy for every call, tunnelled with CONNECT:
  /// `http://[user:password@]host[:port]` (credentials sent as Basic
  /// `Proxy-Authorization`, never logged); `"direct"`: no proxy, whatever
  /// the environment says; empty: from `https_proxy`/`HTTPS_PROXY` (https
  /// targets), `http_proxy`/`HTTP_PROXY` (http targets), else
  /// `all_proxy`/`ALL_PROXY`.
  std::string proxy;
  /// Hosts reached without the proxy (curl's `NO_PROXY` syntax: comma list
  /// of host suffixes, IP addresses, optional `:port`, `*` for all); empty:
  /// from `no_proxy`/`NO_PROXY`.
  std::string no_proxy;
  /// Extra headers of every call (name, value), after the defaults: a
  /// `User-Agent` here replaces `slackrtm/<version>`. `Authorization` is
  /// always the token's.
  std::vector<std::pair<std::string, std::string>> headers;
};

/// Everything the client needs; only `token` is required. A client is a
/// Web API client too: what it has from `web_client_options` configures its
/// `web_client()` (`token` is the bot token, `xoxb-...`). The `token`
/// (without `app_token`), `timeout`, `tls` and proxy settings serve the
/// socket as well, and an `https://` `base_url` demands a `wss://` socket.
struct client_options : web_client_options {
  /// Socket Mode: the app-level token (`xapp-...`, scope
  /// `connections:write`). When set, the client gets its events over Socket
  /// Mode (`apps.connections.open` with this token, for every socket) instead
  /// of RTM; `token` is then only for the Web API. Never logged.
  std::string app_token;
  /// Socket Mode: sockets held open at once, 1 to 10 (Slack's limit per
  /// app, summed over every process of the app). Two by default: Slack
  /// spreads envelopes over them, so when one dies silently only the
  /// envelopes sent to it wait for redelivery, and two processes of the
  /// app (a rolling restart) still fit four times under the limit.
  std::size_t socket_mode_connections = 2;
  /// Socket Mode: how long the acknowledgement of a slash command or
  /// interactive payload waits for its responding handler (see
  /// `client::on_slash_command`) before it goes out without a response.
  /// Slack's deadline is 3 s.
  std::chrono::milliseconds response_deadline{2500};
  /// How often the client pings the server over the socket.
  std::chrono::milliseconds ping_interval{5000};
  /// A socket silent for this long after a ping (no pong, no event) is
  /// treated as dead and replaced; 0 means twice the ping interval for
  /// RTM, and 30 s for Socket Mode (where Slack's WebSocket pongs may come
  /// seconds late, and its own pings count as signs of life too).
  std::chrono::milliseconds pong_timeout{0};
  /// Worker actors per registered handler: how many conversations one handler
  /// serves at the same time (events of one conversation stay in order).
  std::size_t workers_per_handler = 4;
  /// First reconnect delay ceiling; later ones double up to `max_backoff`.
  std::chrono::milliseconds min_backoff{250};
  /// Longest wait between two reconnect attempts.
  std::chrono::milliseconds max_backoff{30000};
  /// On close, how long the client waits for handler calls already queued
  /// or running to finish before it stops the workers.
  std::chrono::milliseconds close_grace{5000};
  /// A send over the socket without Slack's reply after this long fails.
  std::chrono::milliseconds send_timeout{30000};
  /// Sends awaiting Slack's reply at most; more are refused at once.
  std::size_t outbox_capacity = 1000;
  /// Handler calls queued or running at most. At this many the socket is
  /// no longer read until half of them are done: what Slack sends meanwhile
  /// waits in TCP's buffers instead of in memory, and nothing is dropped.
  /// Counted in `stats().read_pauses`. 0: no bound.
  std::size_t max_pending_events = 1000;
  /// Bytes of frames the socket reads ahead of their parsing at most (as
  /// well as 256 frames): a flood of large frames then waits in TCP's
  /// buffers, not in memory. One frame larger than this (up to 16 MiB)
  /// still goes through alone.
  std::size_t read_ahead_bytes = 4 * 1024 * 1024;
  /// Lines below this level are not logged.
  log_level level = log_level::info;
  /// Where log lines go (stderr when empty). Lines are redacted first.
  log_sink sink;
  /// Threads of CAF's scheduler for the socket and dispatch actors (0: one
  /// per core). Handler workers have threads of their own.
  std::size_t scheduler_threads = 0;
  /// Skip events the bot itself caused (their `user` is the bot's own id,
  /// from rtm.connect's `self`): handlers and `read()` do not see them.
  bool skip_self_events = true;
  /// Events `read()` holds at most; when full, the oldest are dropped and
  /// counted in `stats().read_overflow`. 0: reading is off, unless no
  /// handler is registered at connect time (then 10,000).
  std::size_t read_buffer = 0;
  /// Arguments of rtm.connect (or rtm.start), e.g.
  /// `{"batch_presence_aware": true, "presence_sub": true}`.
  nlohmann::json connect_params = nlohmann::json::object();
  /// `"rtm.connect"` (default: light) or `"rtm.start"` (with the team's
  /// users and conversations, as the seeds' `connect_method`).
  std::string connect_method = "rtm.connect";
  /// Keep `client::team()` filled: from rtm.start's answer, else from
  /// users.list and conversations.list after each rtm.connect (as the 1.x
  /// seed's `with_team_state`). Events keep it current either way.
  bool with_team_state = false;
};

} // namespace slackrtm
