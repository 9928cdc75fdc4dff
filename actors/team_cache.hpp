// The client's team cache: the team_state handlers read, with the mutators
// the client (connect answers, the lists) and the dispatcher (team events,
// before handlers see them) write through.
#pragma once

#include <shared_mutex>
#include <unordered_map>

#include "slackrtm/team_state.hpp"

namespace slackrtm {

class team_cache final : public team_state {
public:
  // -- observers (team_state) -------------------------------------------------

  bool ready() const override;
  nlohmann::json self() const override;
  nlohmann::json team() const override;
  std::optional<nlohmann::json> user(std::string_view id) const override;
  std::optional<nlohmann::json>
  user_by_name(std::string_view name) const override;
  std::optional<nlohmann::json>
  conversation(std::string_view id) const override;
  std::optional<nlohmann::json>
  conversation_by_name(std::string_view name) const override;
  std::optional<nlohmann::json> im_with(std::string_view user) const override;
  std::vector<nlohmann::json> users() const override;
  std::vector<nlohmann::json>
  conversations(std::string_view kind = {}) const override;

  // -- mutators ---------------------------------------------------------------

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
