// The gateway actor: what a hub publishes for handler nodes. It admits a
// node's workers into the dispatcher's node groups once they show the
// shared secret, and carries out the Web API calls and socket sends their
// handlers make, so that tokens never leave the hub.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include <caf/all.hpp>

#include "actors/admission.hpp"
#include "actors/dispatcher.hpp"
#include "actors/messages.hpp"
#include "slackrtm/client.hpp"

namespace slackrtm {

class logger;

/// A workspace as the gateway reaches it.
struct gateway_target {
  std::shared_ptr<client> owner;
  std::string name;
  /// The workspace's team id (`T...`; empty before its first connection).
  std::function<std::string()> team_id;
  /// Runs a job on one of the workspace's Web API threads; false, with the
  /// job dropped, while the workspace closes.
  std::function<bool(std::function<void()>)> post;
};

/// What the gateway needs.
struct gateway_config {
  /// What a node must present to join (never empty, never logged).
  std::string secret;
  /// Where admissions and node workers go (the dispatcher).
  node_groups_actor dispatcher;
  /// The workspace numbered `id`, or null once it is gone.
  std::function<std::shared_ptr<gateway_target>(std::uint32_t id)> find;
  std::shared_ptr<const logger> log;
  /// Tells a network message from a local one (null: `network_peer`).
  peer_check peer_of;
};

/// State of the gateway.
struct gateway_state {
  /// Ticket -> the node (its relay actor) it was issued to. Joins and
  /// relayed calls must carry one; it dies with the node.
  std::unordered_map<std::string, caf::actor_addr> tickets;
  /// Relayed calls running on Web API threads.
  std::unordered_map<std::uint64_t, caf::typed_response_promise<relay_answer>>
      calls;
  std::uint64_t next_call = 0;
  /// Calls refused for a missing ticket or one shown by another node.
  slackrtm::refusals refusals;
  /// Challenges out, and the waits of peers whose attempts failed.
  admission_guard admission;
  static inline const char* name = "slackrtm.gateway";
};

/// Spawns with `system.spawn(gateway, cfg)`. It tells the dispatcher which
/// nodes it admitted (`node_admission`), and when their connection dies.
/// A ticket counts only when the node it was issued to shows it. Takes,
/// from nodes:
/// - `challenge_atom` -> `relay_answer` whose body is a one-time challenge
///   for the asking node (alive 30 s);
/// - `(admit_atom, challenge, proof, node)` -> `relay_answer` whose body is
///   a ticket for `node` (the node's relay actor), when `proof` is
///   `secret_proof(secret, challenge)` (util/secret_proof.hpp): the secret
///   never crosses the network, and a proof is worthless once its challenge
///   is used. A wrong proof is refused with kind `"refused"` (logged without
///   either); after three failures a peer waits 1 s, doubling per further
///   failure up to 60 s, before any challenge or admission;
/// - `(join_group_atom, ticket, type, worker)` -> `relay_answer`: `worker`
/// joins
///   the node group of `type`;
/// - `(leave_group_atom, ticket, type, worker)`;
/// - `(webapi_atom, ticket, workspace, encoding, method, params)` and
///   `(rtmsend_atom, ticket, workspace, frame)` -> `relay_answer`;
/// - `(workspace_atom, ticket, workspace)` -> `relay_answer` with
///   `{"name":..,"team_id":..}`.
gateway_actor::behavior_type
gateway(gateway_actor::stateful_pointer<gateway_state> self,
        gateway_config cfg);

} // namespace slackrtm
