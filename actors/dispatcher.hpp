// The dispatcher actor: routes each event by its `type` to the handlers
// registered for it (and to `"*"`), choosing a worker per conversation so
// that one conversation stays in order while others run in parallel. It
// never runs user code and never blocks.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"

namespace slackrtm {

/// The workers of one registered handler.
struct handler_group {
  /// The event type it wants (`"*"` for all).
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
};

/// Remembers the last `capacity` keys it was shown.
class recent_keys {
public:
  explicit recent_keys(std::size_t capacity = 4096) : capacity_(capacity) {
    // nop
  }

  /// Adds `key`; false when it was already among the recent ones.
  bool insert(std::string key);

private:
  std::size_t capacity_;
  std::unordered_set<std::string> keys_;
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
  /// Keys of recent events that were marked for deduplication.
  recent_keys recent;
  static inline const char* name = "slackrtm.dispatcher";
};

/// The conversation an event belongs to, as a non-zero hash: its `channel`
/// (or `channel.id`, or `item.channel`), else its `user`; 0 when none.
std::uint64_t conversation_key(const nlohmann::json& event);

/// What identifies an event across sockets: its type, subtype, channel, `ts`
/// and `event_ts`; empty for events that carry neither timestamp (those are
/// never treated as duplicates).
std::string dedupe_key(const nlohmann::json& event);

/// Spawns with `system.spawn(dispatcher, cfg)`.
caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         dispatcher_config cfg);

} // namespace slackrtm
