// A cache of the team: the bot (`self`), the team, its users and its
// conversations (public and private channels, ims, mpims). Filled from
// rtm.start's answer or from users.list + conversations.list, then kept
// current from the events the socket delivers. Safe to read from any handler.
#pragma once

#include <cstddef>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

namespace slackrtm {

class team_state {
public:
  // -- observers --------------------------------------------------------------

  /// True once users and conversations were loaded (rtm.start or the lists).
  bool ready() const;

  /// The bot's own user (`id`, `name`, ...); null before the first connect.
  nlohmann::json self() const;

  /// The team (`id`, `name`, `domain`, ...); null before the first connect.
  nlohmann::json team() const;

  /// The user with id `id`.
  std::optional<nlohmann::json> user(std::string_view id) const;

  /// The user named `name` (`name`, else `profile.display_name`), with or
  /// without a leading `@`.
  std::optional<nlohmann::json> user_by_name(std::string_view name) const;

  /// The conversation (channel, private channel, im or mpim) with id `id`.
  std::optional<nlohmann::json> conversation(std::string_view id) const;

  /// The channel or private channel named `name`, with or without `#`.
  std::optional<nlohmann::json>
  conversation_by_name(std::string_view name) const;

  /// The im with `user`.
  std::optional<nlohmann::json> im_with(std::string_view user) const;

  /// Every user, in no particular order.
  std::vector<nlohmann::json> users() const;

  /// Every conversation; `kind` filters: "channel" (public), "group"
  /// (private channels), "im", "mpim"; empty for all.
  std::vector<nlohmann::json> conversations(std::string_view kind = {}) const;

  // -- mutators (the client's; applications read) -------------------------

  /// Takes `self` and `team` from an rtm.connect or rtm.start answer, and
  /// the users and conversations when it has them (rtm.start).
  void load_connect_answer(const nlohmann::json& answer);

  /// Replaces the users and conversations (from users.list and
  /// conversations.list).
  void load_lists(std::vector<nlohmann::json> users,
                  std::vector<nlohmann::json> conversations);

  /// Applies an event that changes the team (`channel_created`,
  /// `channel_rename`, `team_join`, `user_change`, ...); others are ignored.
  /// Returns true when the event changed the cache.
  bool apply(const nlohmann::json& event);

  /// True when `type` is an event `apply` acts on.
  static bool is_team_event(std::string_view type) noexcept;

private:
  using map = std::unordered_map<std::string, nlohmann::json>;

  static void put(map& into, nlohmann::json obj);

  template <class Predicate>
  std::optional<nlohmann::json> find_if(const map& in, Predicate pred) const;

  mutable std::shared_mutex mtx_;
  bool ready_ = false;
  nlohmann::json self_;
  nlohmann::json team_;
  map users_;
  map conversations_;
};

} // namespace slackrtm
