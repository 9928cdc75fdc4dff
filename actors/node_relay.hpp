// A handler node's relay actor: carries the calls its handlers make (Web API
// calls, socket sends, workspace lookups) to the hub the node joined, with
// the ticket the hub gave it, and answers each one, also when there is no
// hub or it does not answer in time.
#pragma once

#include <chrono>
#include <string>

#include "actors/interfaces.hpp"

namespace slackrtm {

/// State of a node's relay.
struct node_relay_state {
  /// The hub's calls, and the ticket to show with them (null: no hub).
  hub_calls_actor hub;
  std::string ticket;
  static inline const char* name = "slackrtm.node_relay";
};

/// Spawns with `system.spawn(node_relay, timeout)`: a call the hub has not
/// answered within `timeout` fails.
node_relay_actor::behavior_type
node_relay(node_relay_actor::stateful_pointer<node_relay_state> self,
           std::chrono::milliseconds timeout);

/// Runs `req` through `relay` and waits for its answer. For handler threads,
/// which may block; never call it from an actor.
relay_answer relay_and_wait(const node_relay_actor& relay, relay_request req);

} // namespace slackrtm
