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

#include "actors/messages.hpp"
#include "slackrtm/team_state.hpp"

namespace slackrtm {

class logger;

// -- who sent the message being handled ---------------------------------------

/// The peer the current message of `self` came from over the network, or
/// nullopt for a message of this process. An empty `node_id` stands for a
/// peer that hid (an anonymous send, or one naming a local actor as sender).
std::optional<caf::node_id> network_peer(caf::local_actor* self);

/// Tells the origin of the current message (`network_peer`; tests, which
/// cannot make a remote sender, inject their own).
using peer_check =
    std::function<std::optional<caf::node_id>(caf::local_actor* self)>;

/// The gateway admitted a handler node (`admitted`), or its connection died.
/// Local only: no type ID, so no peer can send one.
struct node_admission {
  caf::node_id node;
  bool admitted = false;
};

/// Counts and logs the messages an actor refuses from the network: one log
/// line per peer, so that a peer cannot flood the log.
class refusals {
public:
  /// Counts a refused `what` from `peer`; logs it when `peer` is new.
  void note(const logger* log, const caf::node_id& peer, const char* actor,
            const char* what);

  /// Messages refused.
  std::uint64_t count() const noexcept { return count_; }

private:
  std::uint64_t count_ = 0;
  std::unordered_set<std::string> logged_;
};

/// The workers of one registered handler.
struct handler_group {
  /// The event type it wants: `"message"`, `"message::bot_message"` (type and
  /// subtype), or `"*"` for all.
  std::string type;
  /// Its worker actors (at least one).
  std::vector<caf::actor> workers;
};

/// Per-group routing state. A local group has a fixed set of workers; a
/// node group's members (handler nodes' workers) join and leave, so its
/// slots may be empty, and it keeps every job until its member confirms it.
struct group_routing {
  std::string type;
  /// True for a group of handler-node members.
  bool nodes = false;
  /// Null for a slot whose member left.
  std::vector<caf::actor> workers;
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

/// What the dispatcher does with one workspace's events before routing them.
struct workspace_config {
  /// Kept current from team events before they are routed (may be null).
  std::shared_ptr<team_state> team;
  /// Drop events whose `user` is the bot itself (told by `identity_atom`).
  bool skip_self = false;
  /// Counts events dropped as duplicates (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> duplicates;
  /// Counts events skipped as the bot's own (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> self_skipped;
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

/// Merges the event streams of overlapping sockets, which carry copies of
/// the same events: an event is new when the socket it came on has now seen
/// it more often than it was delivered. So a copy is dropped, while an event
/// that really happens twice (the same presence change again) is delivered
/// twice. Remembers the last `capacity` distinct events.
class overlap_filter {
public:
  explicit overlap_filter(std::size_t capacity = 4096)
      : capacity_(std::max<std::size_t>(capacity, 1)) {
    // nop
  }

  /// Records `key` seen on socket `session`; true when it is to be
  /// delivered, false for a copy of an event already delivered.
  bool admit(const std::string& key, std::uint64_t session);

private:
  struct entry {
    std::uint32_t delivered = 0;
    /// Socket session -> copies seen on it.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> seen;
  };

  std::size_t capacity_;
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::string> order_;
};

/// Remembers the `event_id`s of Socket Mode events for a window of time (at
/// most `capacity` of them, as 64-bit hashes), so that Slack's redelivery of
/// an event already delivered is dropped. An event whose first delivery
/// never arrived is delivered when its retry comes.
class event_id_filter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit event_id_filter(
      std::chrono::milliseconds window = std::chrono::minutes{15},
      std::size_t capacity = 100000)
      : window_(window), capacity_(std::max<std::size_t>(capacity, 1)) {
    // nop
  }

  /// True when `id` was not seen within the window; remembers it from
  /// `now` on.
  bool admit(std::string_view id, time_point now);

  /// Ids remembered.
  std::size_t size() const noexcept { return order_.size(); }

private:
  struct entry {
    std::uint64_t hash;
    time_point at;
  };

  std::chrono::milliseconds window_;
  std::size_t capacity_;
  std::deque<entry> order_;
  std::unordered_set<std::uint64_t> seen_;
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

/// Messages the dispatcher refused from the network (local only).
using refused_atom = caf::atom_constant<caf::atom("refused")>;

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
  std::vector<std::pair<caf::actor, std::vector<handler_job>>> outbox;
  /// Handler calls queued or running (the sum of every group's load).
  std::uint64_t in_flight = 0;
  /// True while the connections are told not to read.
  bool paused = false;
  std::uint64_t pauses = 0;
  /// Connections that sent events (told when reading pauses or resumes).
  std::unordered_map<caf::actor_addr, caf::actor> sources;
  /// Events that matched no handler.
  std::uint64_t unhandled = 0;
  /// Node jobs sent again to another member after theirs left unconfirmed.
  std::uint64_t redelivered = 0;
  /// Held node jobs dropped because the hold was full.
  std::uint64_t held_dropped = 0;
  /// True when some handler wants a `type::subtype`.
  bool subtype_routes = false;
  /// Nodes the gateway admitted (node -> admissions alive).
  std::unordered_map<caf::node_id, std::uint32_t> admitted;
  /// Messages refused from the network.
  slackrtm::refusals refusals;
  std::shared_ptr<const logger> log;
  peer_check peer_of;
  static inline const char* name = "slackrtm.dispatcher";
};

/// The conversation an event belongs to, as a non-zero hash: its `channel`
/// (or `channel.id`, or `item.channel`), else its `user`; 0 when none.
std::uint64_t conversation_key(const event& ev);

/// What identifies an event across sockets: its type, subtype, channel, `ts`
/// and `event_ts` when it has a timestamp, else its whole content; empty for
/// the events of one socket alone (`hello`, `goodbye`, `pong`).
std::string dedupe_key(const event& ev);

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
caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         dispatcher_config cfg);

} // namespace slackrtm

// Local only: it holds the workspace's team cache and counters.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::workspace_config)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(slackrtm::node_admission)
