// A handler node: runs handlers for a hub on another process or machine.
// It holds no token: its handlers' Web API calls and socket sends go
// through the hub.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "slackrtm/client.hpp"
#include "slackrtm/log.hpp"
#include "slackrtm/stats.hpp"

namespace slackrtm {

/// How a node reaches its hub.
struct node_options {
  /// The hub's address (its `listen` port).
  std::string hub_host = "127.0.0.1";
  std::uint16_t hub_port = 0;
  /// The hub's secret (never logged).
  std::string secret;
  /// TLS to the hub: this node's certificate and key (PEM), and the CA that
  /// must have signed the hub's (all three, or none). Empty: plain TCP.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_ca;
  /// Workers per handler: how many conversations it serves at once.
  std::size_t workers_per_handler = 4;
  /// Waits between attempts to reach the hub: from `min_backoff`, doubling
  /// up to `max_backoff`.
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{5000};
  /// Deadline of a Web API call or socket send relayed through the hub.
  std::chrono::milliseconds call_timeout{120000};
  /// Threads of CAF's scheduler (0: one per core).
  std::size_t scheduler_threads = 0;
  log_level level = log_level::info;
  log_sink sink;
};

/// Registers handlers with a hub and runs them as the hub routes events:
/// each event of a type goes to one node among those that registered it,
/// a conversation stays on one node while it has events in flight, and a
/// node that dies has its unconfirmed events handed to another
/// (at-least-once). A node that loses its hub rejoins by itself.
class node {
public:
  // -- constructors -----------------------------------------------------------

  /// Throws `std::invalid_argument` on bad options (no port, no secret).
  explicit node(node_options options);

  /// Closes the node; handler calls still running are waited for.
  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  // -- handlers ---------------------------------------------------------------

  /// Registers `fn` for events of `type` (see `client::on`), with `workers`
  /// workers (0: `workers_per_handler`). Register before `start()`. The
  /// context's `client()` throws here: use `context::send` and
  /// `context::web_client()`.
  node& on(std::string type, handler fn, std::size_t workers = 0);

  /// `on(type + "::" + subtype, fn)`.
  node& on(const std::string& type, const std::string& subtype, handler fn);

  // -- lifecycle --------------------------------------------------------------

  /// Joins the hub and serves it until `close()`, rejoining after a loss.
  /// Throws `std::runtime_error` when the hub refuses the secret.
  void start();

  /// Leaves the hub and lets `start()` return. Safe from any thread.
  void close();

  // -- observers --------------------------------------------------------------

  /// True while joined to a hub.
  bool joined() const noexcept;

  node_stats stats() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm
