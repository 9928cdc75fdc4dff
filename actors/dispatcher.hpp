// The dispatcher actor: routes each event by its `type` to the handlers
// registered for it (and to `"*"`), choosing a worker per conversation so
// that one conversation stays in order while others run in parallel. It
// never runs user code and never blocks.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "slackrtm/team_state.hpp"

namespace slackrtm {

/// The workers of one registered handler.
struct handler_group {
  /// The event type it wants: `"message"`, `"message::bot_message"` (type and
  /// subtype), or `"*"` for all.
  std::string type;
  /// Its worker actors (at least one).
  std::vector<caf::actor> workers;
};

/// Per-group routing state.
struct group_routing {
  std::vector<caf::actor> workers;
  /// Jobs sent to each worker and not yet done.
  std::vector<std::uint32_t> load;
  /// Conversation key -> (worker, jobs in flight) while it has jobs in flight.
  std::unordered_map<std::uint64_t, std::pair<std::uint32_t, std::uint32_t>>
      bound;
};

/// What the dispatcher needs.
struct dispatcher_config {
  std::vector<handler_group> groups;
  /// Counts events dropped as duplicates (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> duplicates;
  /// How many recent marked events are remembered for deduplication.
  std::size_t dedupe_capacity = 4096;
  /// Drop events whose `user` is the bot itself (told by `identity_atom`).
  bool skip_self = false;
  /// Counts events skipped as the bot's own (may be null).
  std::shared_ptr<std::atomic<std::uint64_t>> self_skipped;
  /// Kept current from team events before they are routed (may be null).
  std::shared_ptr<team_state> team;
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

/// State of the dispatcher.
struct dispatcher_state {
  std::vector<group_routing> groups;
  /// Type -> indexes into `groups`; `"*"` groups are kept apart.
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_type;
  std::vector<std::uint32_t> wildcard;
  /// Events that matched no handler.
  std::uint64_t unhandled = 0;
  /// Recent events that came while sockets overlapped.
  overlap_filter overlap;
  /// The bot's own user id (empty until a connection tells it).
  std::string self_id;
  /// True when some handler wants a `type::subtype`.
  bool subtype_routes = false;
  static inline const char* name = "slackrtm.dispatcher";
};

/// The conversation an event belongs to, as a non-zero hash: its `channel`
/// (or `channel.id`, or `item.channel`), else its `user`; 0 when none.
std::uint64_t conversation_key(const nlohmann::json& event);

/// What identifies an event across sockets: its type, subtype, channel, `ts`
/// and `event_ts` when it has a timestamp, else its whole content; empty for
/// the events of one socket alone (`hello`, `goodbye`, `pong`).
std::string dedupe_key(const nlohmann::json& event);

/// Spawns with `system.spawn(dispatcher, cfg)`.
caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         dispatcher_config cfg);

} // namespace slackrtm
