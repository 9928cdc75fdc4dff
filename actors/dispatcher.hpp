// The dispatcher actor: routes each event by its `type` to the handlers
// registered for it (and to `"*"`), choosing a worker per conversation so
// that one conversation stays in order while others run in parallel. It
// never runs user code and never blocks.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
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

/// State of the dispatcher.
struct dispatcher_state {
  std::vector<group_routing> groups;
  /// Type -> indexes into `groups`; `"*"` groups are kept apart.
  std::map<std::string, std::vector<std::uint32_t>, std::less<>> by_type;
  std::vector<std::uint32_t> wildcard;
  /// Events that matched no handler.
  std::uint64_t unhandled = 0;
  static inline const char* name = "slackrtm.dispatcher";
};

/// The conversation an event belongs to, as a non-zero hash: its `channel`
/// (or `channel.id`, or `item.channel`), else its `user`; 0 when none.
std::uint64_t conversation_key(const nlohmann::json& event);

/// Spawns with `system.spawn(dispatcher, groups)`.
caf::behavior dispatcher(caf::stateful_actor<dispatcher_state>* self,
                         std::vector<handler_group> groups);

} // namespace slackrtm
