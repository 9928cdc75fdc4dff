// Many workspaces in one process: one connection per token, one dispatcher
// and one set of handler workers for all, and handler nodes on other
// machines that join over CAF's network layer.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "slackrtm/client.hpp"
#include "slackrtm/options.hpp"
#include "slackrtm/stats.hpp"

namespace slackrtm {

/// How a hub runs.
struct hub_options {
  /// What every workspace starts from; `add(name, token)` sets its token.
  /// Its `workers_per_handler`, `scheduler_threads`, `level`, `sink`,
  /// `close_grace`, `tls`, `timeout` and proxy settings are the hub's.
  client_options defaults;
  /// Events a handler-node group holds at most while it has no member (no
  /// node joined, or all left); beyond, the oldest are dropped and counted.
  std::size_t hold_capacity = 10000;
  /// What a handler node must present to join (required to `listen`).
  std::string secret;
  /// TLS between the hub and its nodes: the hub's certificate and key
  /// (PEM), and the CA that must have signed the nodes' certificates (all
  /// three, or none). The middleman then serves loopback only, behind a TLS
  /// tunnel that demands a node certificate. Empty: plain TCP, for trusted
  /// networks only.
  std::string node_cert;
  std::string node_key;
  std::string node_ca;
  /// Without TLS, `listen` on anything but loopback throws unless this is
  /// true (then it logs a warning): events, Slack's answers and the nodes'
  /// proofs would cross the network in clear.
  bool plain_tcp_beyond_loopback = false;
};

/// A workspace's lifecycle change, with the workspace's name.
using hub_lifecycle_handler =
    std::function<void(const std::string& workspace, const lifecycle_event&)>;

/// Serves many workspaces (one token each) with one set of handlers.
/// Each event's handler gets a context acting on the event's workspace: its
/// Web API client, its socket, its name and team id. A workspace's faults
/// (a refused token, reconnects) never disturb the others.
class hub {
public:
  // -- constructors -----------------------------------------------------------

  explicit hub(hub_options options);

  /// Closes every workspace, waits up to `close_grace` for handler calls.
  ~hub();

  hub(const hub&) = delete;
  hub& operator=(const hub&) = delete;

  // -- handlers ---------------------------------------------------------------

  /// Registers `fn` for events of `type` from every workspace (see
  /// `client::on`). Register before the first `add()`, `connect()`,
  /// `start()` or `listen()`.
  hub& on(std::string type, handler fn, std::size_t workers = 0);

  /// `on(type + "::" + subtype, fn)`.
  hub& on(const std::string& type, const std::string& subtype, handler fn);

  /// Socket Mode: registers `fn` for the slash command `command` of every
  /// Socket Mode workspace (see `client::on_slash_command`). A responder
  /// (`fn` returning `nlohmann::json`) answers in the acknowledgement of the
  /// workspace the command came from. Responders run on the hub, never on
  /// handler nodes.
  template <class F>
  hub& on_slash_command(const std::string& command, F fn) {
    return on_envelope("slash_commands", command, std::move(fn));
  }

  /// Socket Mode: registers `fn` for interactive payloads of `type` (see
  /// `client::on_interactive`), as `on_slash_command`.
  template <class F>
  hub& on_interactive(const std::string& type, F fn) {
    return on_envelope("interactive", type, std::move(fn));
  }

  /// Registers `fn` for every workspace's lifecycle changes.
  hub& on_lifecycle(hub_lifecycle_handler fn);

  /// Holds events of `type` for handler nodes even before the first node
  /// registers a handler for it (see `hub_options::hold_capacity`).
  hub& expect(std::string type);

  // -- workspaces -------------------------------------------------------------

  /// Adds a workspace named `name` with `token` and the default options;
  /// it connects at once when the hub runs. Throws `std::invalid_argument`
  /// for an empty or taken name or a bad option.
  std::shared_ptr<client> add(const std::string& name,
                              const std::string& token);

  /// Adds a workspace with options of its own (its token included).
  std::shared_ptr<client> add(const std::string& name, client_options options);

  /// Closes and forgets the workspace `name`; false when there is none.
  /// Touches no other workspace. Not from a handler of that workspace.
  bool remove(const std::string& name);

  /// The workspace `name`, or null.
  std::shared_ptr<client> find(const std::string& name) const;

  /// The names of the workspaces served now.
  std::vector<std::string> workspaces() const;

  // -- lifecycle --------------------------------------------------------------

  /// Connects every workspace and returns; later ones connect when added.
  void connect();

  /// `connect()`, then blocks until `close()`.
  void start();

  /// Blocks until `close()`.
  void wait();

  /// Closes every workspace and lets `start()`/`wait()` return.
  void close();

  // -- handler nodes ----------------------------------------------------------

  /// Publishes the hub for handler nodes on `host:port` (port 0: any free
  /// one) through CAF's middleman, behind TLS when `node_cert` is set;
  /// returns the port. Needs `secret`. Handlers must be registered before.
  /// Without TLS, a `host` other than loopback throws
  /// `std::invalid_argument` unless `plain_tcp_beyond_loopback` is set.
  std::uint16_t listen(std::uint16_t port,
                       const std::string& host = "127.0.0.1");

  // -- observers --------------------------------------------------------------

  hub_stats stats() const;

private:
  template <class F>
  hub& on_envelope(const char* kind, const std::string& name, F fn) {
    auto route = detail::envelope_route(kind, name);
    auto callback = detail::envelope_callback(std::move(fn));
    if (auto* answer = std::get_if<responder>(&callback))
      return add_responder(std::move(route), std::move(*answer));
    return on(std::move(route), std::get<handler>(std::move(callback)));
  }

  hub& add_responder(std::string route, responder fn);

  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace slackrtm
