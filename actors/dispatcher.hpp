// The dispatcher actor: routes each event by its `type` to the handlers
// registered for it (and to `"*"`), choosing a worker per conversation so
// that one conversation stays in order while others run in parallel. It
// never runs user code and never blocks.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "actors/dedupe.hpp"
#include "actors/interfaces.hpp"
#include "actors/refusals.hpp"

namespace slackrtm {

class logger;

/// The workers of one registered handler.
struct handler_group {
  /// The event type it wants: `"message"`, `"message::bot_message"` (type and
  /// subtype), or `"*"` for all.
  std::string type;
  /// Its worker actors (at least one).
  std::vector<worker_actor> workers;
};

/// Per-group routing state. A local group has a fixed set of workers; a
/// node group's members (handler nodes' workers) join and leave, so its
/// slots may be empty, and it keeps every job until its member confirms it.
struct group_routing {
  std::string type;
  /// True for a group of handler-node members.
  bool nodes = false;
  /// Null for a slot whose member left.
  std::vector<worker_actor> workers;
  /// Jobs sent to each worker and not yet done.
  std::vector<std::uint32_t> load;
  /// Conversation key -> (worker, jobs in flight) while it has jobs in flight.
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>>
      bound;
  /// Numbers this group's jobs.
  std::uint64_t next_seq = 1;
  /// Node groups: per slot, the jobs sent and not yet confirmed, by `seq`.
  std::vector<std::map<std::uint64_t, handler_job>> unconfirmed;
  /// Node groups: jobs waiting for a member while the group has none.
  std::deque<handler_job> held;
};

/// What the dispatcher needs.
struct dispatcher_config {
  std::vector<handler_group> groups;
  /// Workspace 0, a client's only one; a hub adds its workspaces with
  /// `add_workspace_atom`.
  workspace_config workspace;
  /// How many recent marked events are remembered for deduplication.
  std::size_t dedupe_capacity = 4096;
  /// How long, and for how many events at most, Socket Mode event ids are
  /// remembered (Slack's last retry comes about 5 minutes after the first
  /// try).
  std::chrono::milliseconds event_id_window{std::chrono::minutes{15}};
  std::size_t event_id_capacity = 100000;
  /// Jobs a node group without members holds at most; beyond, the oldest
  /// are dropped and counted.
  std::size_t hold_capacity = 10000;
  /// Handler calls queued or running at most: at this many, the connections
  /// are told to stop reading (`backlog_atom`, true) until half are done.
  /// 0: no bound.
  std::size_t max_in_flight = 0;
  /// Where refused messages are reported (may be null).
  std::shared_ptr<const logger> log;
  /// Tells a network message from a local one (null: `network_peer`).
  peer_check peer_of;
};

/// Per-workspace state of the dispatcher.
struct workspace_routing {
  workspace_config config;
  /// Recent events that came while sockets overlapped.
  overlap_filter overlap;
  /// Recent Socket Mode event ids.
  event_id_filter event_ids;
  /// The bot's own user id (empty until a connection tells it).
  std::string self_id;
};

/// State of the dispatcher.
struct dispatcher_state {
  std::vector<group_routing> groups;
  /// Type -> indexes into `groups`; `"*"` groups are kept apart.
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_type;
  std::vector<std::uint32_t> wildcard;
  /// Type -> index of its node group.
  std::map<std::string, std::uint32_t, std::less<>> node_groups;
  std::unordered_map<std::uint32_t, workspace_routing> workspaces;
  std::size_t dedupe_capacity = 4096;
  std::chrono::milliseconds event_id_window{std::chrono::minutes{15}};
  std::size_t event_id_capacity = 100000;
  std::size_t hold_capacity = 10000;
  std::size_t max_in_flight = 0;
  /// Jobs routed while handling the current message, per worker; sent when
  /// it is done (a batch of events becomes one message per worker).
  std::vector<std::pair<worker_actor, std::vector<handler_job>>> outbox;
  /// Handler calls queued or running (the sum of every group's load).
  std::uint64_t in_flight = 0;
  /// True while the connections are told not to read.
  bool paused = false;
  /// Connections that sent events (told when reading pauses or resumes).
  std::unordered_map<caf::actor_addr, connection_actor> sources;
  /// The counters of `dispatch_stats` (unhandled events, read pauses, node
  /// jobs redelivered, held jobs dropped); its gauges (`held`,
  /// `node_workers`, `in_flight`) stay zero here and are read when asked.
  dispatch_stats counters;
  /// True when some handler wants a `type::subtype`.
  bool subtype_routes = false;
  /// Nodes the gateway admitted (node -> admissions alive).
  std::unordered_map<caf::node_id, std::uint32_t> admitted;
  /// Messages refused from the network.
  slackrtm::refusals refusals;
  static inline const char* name = "slackrtm.dispatcher";
};

/// The conversation an event belongs to, as a non-zero hash: its `channel`
/// (or `channel.id`, or `item.channel`), else its `user`; 0 when none.
std::uint64_t conversation_key(const event& ev);

/// Spawns with `system.spawn(dispatcher, cfg)`. Besides `rtm_event` and
/// `job_done` it takes:
/// - `(add_workspace_atom, id, workspace_config)` and
///   `(remove_workspace_atom, id)`: a
///   workspace's events are routed from the first until the second;
/// - `(join_group_atom, type, member)`: a handler node's worker joins the node
///   group of `type` (created on first use; a null member only creates it,
///   so that its events are held until a member joins);
///   `(leave_group_atom, type, member)` or the member's death: it leaves, and
///   its unconfirmed jobs go to the other members (or are held);
/// - `stats_atom` -> `dispatch_stats`; `unhandled_atom` -> events that
///   matched no handler; `in_flight_atom` -> calls
///   queued or running.
/// With `max_in_flight`, it sends `(backlog_atom, bool)` to the actors that
/// send it events: stop reading at the bound, resume at half of it.
///
/// Any peer connected to the hub can address it by its actor id, so it takes
/// from the network only what the gateway let in: `join_group_atom` and
/// `leave_group_atom` from a node the gateway admitted (`node_admission`),
/// for a member on that node, and `job_done(s)` from the member the job went
/// to. Everything else must come from this process; the rest is refused,
/// counted (`refused_atom` -> count) and logged once per peer.
dispatcher_actor::behavior_type
dispatcher(dispatcher_actor::stateful_pointer<dispatcher_state> self,
           dispatcher_config cfg);

} // namespace slackrtm
