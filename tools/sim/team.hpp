// team.hpp — the simulated workspace (users, conversations, presence): its
// state, the Web API methods that read it, the /_sim actions that change it.
#pragma once

#include "sim_state.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace sim {

/// The seeded team's id, and the bot user every token speaks as.
inline constexpr const char* team_id = "T0SIM0001";
inline constexpr const char* bot_user = "U0BOT0001";
inline constexpr const char* bot_id = "B0BOT0001";

/// What a team call produced: the HTTP answer and the RTM events it causes.
struct team_outcome {
  int status = 200;
  json body;
  /// Events for every open socket, in order.
  std::vector<json> broadcast;
  /// Events for one socket each (presence), in order.
  std::vector<std::pair<std::uint64_t, json>> direct;
};

// Defined by role: team.cpp (state), team_api.cpp, team_control.cpp and
// presence.cpp.
class team {
public:
  // -- member types -----------------------------------------------------------

  enum class conversation_kind { public_channel, private_channel, mpim, im };

  struct conversation {
    std::uint64_t seq = 0;
    std::string id;
    std::string name;
    conversation_kind kind = conversation_kind::public_channel;
    std::int64_t created = 0;
    std::string creator;
    bool archived = false;
    bool general = false;
    /// The other party of an im.
    std::string user;
    std::vector<std::string> members;
    std::vector<std::string> previous_names;
    std::string topic;
    std::string purpose;
  };

  // -- constructors -----------------------------------------------------------

  /// The seeded workspace plus `extra_users` and `extra_channels` generated
  /// ones, for pagination tests.
  team(int extra_users, int extra_channels);

  // -- Web API ----------------------------------------------------------------

  /// True for the Web API methods answered here.
  static bool handles(std::string_view method);

  /// Answers users.list, users.info, conversations.list, conversations.info,
  /// conversations.join and team.info (token already checked).
  team_outcome api(const std::string& method, const json& params);

  /// The team state rtm.start adds to rtm.connect's answer.
  json rtm_start_state() const;

  // -- control interface ------------------------------------------------------

  /// POST /_sim/team: one change of the workspace and its RTM event.
  team_outcome control(const json& body);

  /// POST /_sim/presence: users go away or come back.
  team_outcome set_presence(const json& body);

  // -- sockets ----------------------------------------------------------------

  /// Remembers how rtm.connect/rtm.start was called for the socket that will
  /// redeem `ticket` (batch_presence_aware changes the presence events).
  void ticket_issued(const std::string& ticket, const json& params);
  void socket_opened(std::uint64_t conn, const std::string& ticket);
  void socket_closed(std::uint64_t conn);

  /// presence_sub and presence_query frames from a client.
  team_outcome presence_frame(std::uint64_t conn, const json& frame);

private:
  struct socket_presence {
    bool batch = false;
    std::set<std::string> subscribed;
  };

  // -- answers ----------------------------------------------------------------

  /// Web API errors are HTTP 200 with ok:false, as Slack answers them.
  static team_outcome api_error(const std::string& error);
  /// Control errors are HTTP 400, like the other /_sim/ endpoints.
  static team_outcome control_error(const std::string& error,
                                    const std::string& detail);

  // -- building the workspace -------------------------------------------------

  void add_user(json user, std::string presence);
  json make_user(const std::string& id, const std::string& name,
                 const std::string& real_name, bool is_bot) const;
  conversation& add_conversation(conversation c);

  // -- look-ups ---------------------------------------------------------------

  json* find_user(const std::string& id);
  conversation* find_conversation(const std::string& id);
  bool name_taken(const std::string& name) const;
  std::string next_id(const char* prefix);
  /// `object["id"]` if given (it must be new and start with one of
  /// `prefixes`), else the next free id for prefixes[0]; nullopt if unfit.
  std::optional<std::string> new_id(const json& object, const char* prefixes);
  /// The conversation `body["channel"]` names, or null and `error` set.
  conversation* channel_arg(const json& body, team_outcome& error);
  bool bot_is_member(const conversation& c) const;

  // -- JSON shapes ------------------------------------------------------------

  json conversation_json(const conversation& c, bool with_members) const;
  json team_json() const;
  json presence_events(const socket_presence& socket,
                       const std::vector<std::string>& users) const;

  // -- Web API methods --------------------------------------------------------

  team_outcome users_list(const json& params) const;
  team_outcome conversations_list(const json& params) const;
  team_outcome conversations_join(const json& params);

  // -- control actions --------------------------------------------------------

  team_outcome channel_created(const json& body);
  team_outcome channel_change(const std::string& action, const json& body);
  team_outcome member_change(const std::string& action, const json& body);
  team_outcome im_created(const json& body);
  team_outcome user_added_or_changed(const std::string& action,
                                     const json& body);

  std::uint64_t next_seq_ = 1;
  // Keyed by sequence number: list order is creation order, and a cursor
  // (a sequence number) stays valid when items before it are deleted.
  std::map<std::uint64_t, json> users_;
  std::unordered_map<std::string, std::uint64_t> user_index_;
  std::map<std::string, std::string> presence_;
  std::map<std::uint64_t, conversation> conversations_;
  std::unordered_map<std::string, std::uint64_t> conversation_index_;
  std::map<std::string, int> id_counters_;
  std::map<std::string, bool> tickets_;
  std::map<std::uint64_t, socket_presence> sockets_;
};

} // namespace sim
