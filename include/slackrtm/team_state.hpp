// A cache of the team: the bot (`self`), the team, its users and its
// conversations (public and private channels, ims, mpims). Filled from
// rtm.start's answer or from users.list + conversations.list, then kept
// current from the events the socket delivers. Safe to read from any handler.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace slackrtm {

/// Read-only; every observer copies what it returns under a lock, so a
/// handler may keep the result as long as it likes.
class team_state {
public:
  virtual ~team_state() = default;

  // -- observers --------------------------------------------------------------

  /// True once users and conversations were loaded (rtm.start or the lists).
  virtual bool ready() const = 0;

  /// The bot's own user (`id`, `name`, ...); null before the first connect.
  virtual nlohmann::json self() const = 0;

  /// The team (`id`, `name`, `domain`, ...); null before the first connect.
  virtual nlohmann::json team() const = 0;

  /// The user with id `id`.
  virtual std::optional<nlohmann::json> user(std::string_view id) const = 0;

  /// The user named `name` (`name`, else `profile.display_name`), with or
  /// without a leading `@`.
  virtual std::optional<nlohmann::json>
  user_by_name(std::string_view name) const = 0;

  /// The conversation (channel, private channel, im or mpim) with id `id`.
  virtual std::optional<nlohmann::json>
  conversation(std::string_view id) const = 0;

  /// The channel or private channel named `name`, with or without `#`.
  virtual std::optional<nlohmann::json>
  conversation_by_name(std::string_view name) const = 0;

  /// The im with `user`.
  virtual std::optional<nlohmann::json>
  im_with(std::string_view user) const = 0;

  /// Every user, in no particular order.
  virtual std::vector<nlohmann::json> users() const = 0;

  /// Every conversation; `kind` filters: "channel" (public), "group"
  /// (private channels), "im", "mpim"; empty for all.
  virtual std::vector<nlohmann::json>
  conversations(std::string_view kind = {}) const = 0;

protected:
  // The client fills and updates its own (internal) implementation.
  team_state() = default;
  team_state(const team_state&) = default;
  team_state& operator=(const team_state&) = default;
};

} // namespace slackrtm
