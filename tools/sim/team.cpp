// team.cpp — the simulated workspace's state: the seeded users and
// conversations, look-ups, and the user and conversation objects Slack shows.
#include "team.hpp"

#include <algorithm>
#include <cstdio>
#include <utility>

namespace sim {

namespace {

// Seeded objects look created on 2023-11-14; new ones get the wall clock.
constexpr std::int64_t seeded_at = 1700000000;

team_outcome failure(int status, const std::string& error,
                     const std::string& detail = {}) {
  team_outcome out;
  out.status = status;
  out.body = {{"ok", false}, {"error", error}};
  if (!detail.empty())
    out.body["detail"] = detail;
  return out;
}

} // namespace

// -- answers ------------------------------------------------------------------

// Web API errors are HTTP 200 with ok:false, as Slack answers them.
team_outcome team::api_error(const std::string& error) {
  return failure(200, error);
}

// Control errors are HTTP 400, like the other /_sim/ endpoints.
team_outcome team::control_error(const std::string& error,
                                 const std::string& detail) {
  return failure(400, error, detail);
}

// -- building the workspace ---------------------------------------------------

team::team(int extra_users, int extra_channels) {
  add_user(make_user("USLACKBOT", "slackbot", "Slackbot", false), "active");
  add_user(make_user(bot_user, "simbot", "simbot", true), "active");
  add_user(make_user("U0USER001", "tester", "Terry Tester", false), "active");
  add_user(make_user("U0ALICE", "alice", "Alice Archer", false), "active");
  add_user(make_user("U0BOB", "bob", "Bob Baker", false), "away");
  add_user(make_user("U0CAROL", "carol", "Carol Chen", false), "active");
  auto gone = make_user("U0DAVE", "dave", "Dave Departed", false);
  gone["deleted"] = true;
  add_user(std::move(gone), "away");
  json& tester = users_[user_index_["U0USER001"]];
  tester["is_admin"] = true;
  tester["is_owner"] = true;
  tester["is_primary_owner"] = true;

  std::vector<std::string> everyone = {"U0USER001", "U0ALICE", "U0BOB",
                                       "U0CAROL", bot_user};
  auto channel = [&](const char* id, const char* name, conversation_kind kind,
                     std::vector<std::string> members, const char* topic) {
    conversation c;
    c.id = id;
    c.name = name;
    c.kind = kind;
    c.created = seeded_at;
    c.creator = "U0USER001";
    c.members = std::move(members);
    c.topic = topic;
    return c;
  };
  auto general =
      channel("C0GENERAL", "general", conversation_kind::public_channel,
              everyone, "Company-wide announcements");
  general.general = true;
  general.purpose = "This channel is for team-wide communication.";
  add_conversation(std::move(general));
  add_conversation(channel("C0RANDOM", "random",
                           conversation_kind::public_channel, everyone,
                           "Anything goes"));
  add_conversation(channel("C0DEV", "dev", conversation_kind::public_channel,
                           {"U0ALICE", "U0CAROL", bot_user},
                           "Builds and bugs"));
  auto old =
      channel("C0ARCHIVE", "old-projects", conversation_kind::public_channel,
              {"U0USER001", "U0ALICE"}, "");
  old.archived = true;
  add_conversation(std::move(old));
  add_conversation(channel("G0PRIVATE", "secret-plans",
                           conversation_kind::private_channel,
                           {"U0ALICE", "U0BOB", bot_user}, "Do not tell"));
  auto mpim =
      channel("G0MPIM0001", "mpdm-alice--bob--simbot-1",
              conversation_kind::mpim, {"U0ALICE", "U0BOB", bot_user}, "");
  mpim.creator = "U0ALICE";
  add_conversation(std::move(mpim));
  for (auto [id, user] : {std::pair{"D0USER001", "U0USER001"},
                          std::pair{"D0ALICE01", "U0ALICE"}}) {
    conversation im;
    im.id = id;
    im.kind = conversation_kind::im;
    im.created = seeded_at;
    im.user = user;
    im.members = {bot_user, user};
    add_conversation(std::move(im));
  }

  char buf[32];
  for (int i = 1; i <= extra_users; ++i) {
    std::snprintf(buf, sizeof buf, "%05d", i);
    add_user(make_user(std::string("U0GEN") + buf, std::string("user-") + buf,
                       std::string("Generated User ") + buf, false),
             "away");
  }
  for (int i = 1; i <= extra_channels; ++i) {
    std::snprintf(buf, sizeof buf, "%05d", i);
    auto id = std::string("C0GEN") + buf;
    auto name = std::string("channel-") + buf;
    add_conversation(channel(id.c_str(), name.c_str(),
                             conversation_kind::public_channel, {"U0USER001"},
                             ""));
  }
}

json team::make_user(const std::string& id, const std::string& name,
                     const std::string& real_name, bool is_bot) const {
  json profile = {{"real_name", real_name}, {"real_name_normalized", real_name},
                  {"display_name", name},   {"display_name_normalized", name},
                  {"status_text", ""},      {"status_emoji", ""},
                  {"team", team_id}};
  if (is_bot) {
    profile["bot_id"] = bot_id;
    profile["always_active"] = true;
  } else {
    profile["email"] = name + "@sim.example";
  }
  return {{"id", id},
          {"team_id", team_id},
          {"name", name},
          {"deleted", false},
          {"color", "9f69e7"},
          {"real_name", real_name},
          {"tz", "Europe/London"},
          {"tz_label", "Greenwich Mean Time"},
          {"tz_offset", 0},
          {"profile", std::move(profile)},
          {"is_admin", false},
          {"is_owner", false},
          {"is_primary_owner", false},
          {"is_restricted", false},
          {"is_ultra_restricted", false},
          {"is_bot", is_bot},
          {"is_app_user", false},
          {"updated", seeded_at}};
}

void team::add_user(json user, std::string presence) {
  auto seq = next_seq_++;
  auto id = user["id"].get<std::string>();
  user_index_[id] = seq;
  presence_[id] = std::move(presence);
  users_[seq] = std::move(user);
}

team::conversation& team::add_conversation(conversation c) {
  c.seq = next_seq_++;
  conversation_index_[c.id] = c.seq;
  auto& stored = conversations_[c.seq];
  stored = std::move(c);
  return stored;
}

// -- look-ups -----------------------------------------------------------------

json* team::find_user(const std::string& id) {
  auto i = user_index_.find(id);
  return i == user_index_.end() ? nullptr : &users_[i->second];
}

team::conversation* team::find_conversation(const std::string& id) {
  auto i = conversation_index_.find(id);
  return i == conversation_index_.end() ? nullptr : &conversations_[i->second];
}

bool team::name_taken(const std::string& name) const {
  return std::any_of(conversations_.begin(), conversations_.end(),
                     [&](const auto& entry) {
                       return entry.second.kind != conversation_kind::im &&
                              entry.second.name == name;
                     });
}

std::string team::next_id(const char* prefix) {
  char buf[32];
  std::string id;
  do {
    std::snprintf(buf, sizeof buf, "%s0NEW%04d", prefix,
                  ++id_counters_[prefix]);
    id = buf;
  } while (user_index_.count(id) != 0 || conversation_index_.count(id) != 0);
  return id;
}

std::optional<std::string> team::new_id(const json& object,
                                        const char* prefixes) {
  auto given = param_text(object, "id");
  if (!given)
    return next_id(std::string(1, prefixes[0]).c_str());
  if (given->size() < 2 ||
      std::string_view(prefixes).find((*given)[0]) == std::string_view::npos ||
      find_conversation(*given) || find_user(*given))
    return std::nullopt;
  return given;
}

bool team::bot_is_member(const conversation& c) const {
  return std::find(c.members.begin(), c.members.end(), bot_user) !=
         c.members.end();
}

// -- JSON shapes --------------------------------------------------------------

json team::conversation_json(const conversation& c, bool with_members) const {
  if (c.kind == conversation_kind::im) {
    auto u = user_index_.find(c.user);
    bool deleted =
        u != user_index_.end() && users_.at(u->second).value("deleted", false);
    return {{"id", c.id},
            {"created", c.created},
            {"is_archived", c.archived},
            {"is_im", true},
            {"is_org_shared", false},
            {"context_team_id", team_id},
            {"user", c.user},
            {"is_user_deleted", deleted},
            {"is_open", true},
            {"priority", 0}};
  }
  bool is_public = c.kind == conversation_kind::public_channel;
  auto text_set = [&](const std::string& value) {
    return json{{"value", value},
                {"creator", value.empty() ? "" : c.creator},
                {"last_set", value.empty() ? 0 : c.created}};
  };
  json j = {{"id", c.id},
            {"name", c.name},
            {"is_channel", is_public},
            {"is_group", !is_public},
            {"is_im", false},
            {"is_mpim", c.kind == conversation_kind::mpim},
            {"is_private", !is_public},
            {"created", c.created},
            {"is_archived", c.archived},
            {"is_general", c.general},
            {"unlinked", 0},
            {"name_normalized", c.name},
            {"is_shared", false},
            {"is_org_shared", false},
            {"is_pending_ext_shared", false},
            {"is_ext_shared", false},
            {"context_team_id", team_id},
            {"creator", c.creator},
            {"is_member", bot_is_member(c)},
            {"topic", text_set(c.topic)},
            {"purpose", text_set(c.purpose)},
            {"previous_names", c.previous_names},
            {"num_members", c.members.size()}};
  if (with_members)
    j["members"] = c.members;
  return j;
}

json team::team_json() const {
  return {{"id", team_id},
          {"name", "Simulated"},
          {"domain", "sim"},
          {"email_domain", "sim.example"},
          {"icon", {{"image_default", true}}}};
}

json team::rtm_start_state() const {
  json users = json::array();
  for (const auto& [seq, user] : users_)
    users.push_back(user);
  json channels = json::array();
  json groups = json::array();
  json mpims = json::array();
  json ims = json::array();
  for (const auto& [seq, c] : conversations_) {
    switch (c.kind) {
    case conversation_kind::public_channel:
      channels.push_back(conversation_json(c, true));
      break;
    case conversation_kind::private_channel:
      if (bot_is_member(c))
        groups.push_back(conversation_json(c, true));
      break;
    case conversation_kind::mpim:
      if (bot_is_member(c))
        mpims.push_back(conversation_json(c, true));
      break;
    case conversation_kind::im:
      ims.push_back(conversation_json(c, false));
      break;
    }
  }
  return {{"self",
           {{"id", bot_user},
            {"name", "simbot"},
            {"prefs", json::object()},
            {"created", seeded_at},
            {"manual_presence", "active"}}},
          {"team", team_json()},
          {"users", std::move(users)},
          {"channels", std::move(channels)},
          {"groups", std::move(groups)},
          {"mpims", std::move(mpims)},
          {"ims", std::move(ims)},
          {"bots",
           {{{"id", bot_id},
             {"deleted", false},
             {"name", "simbot"},
             {"updated", seeded_at},
             {"app_id", "A0SIM0001"},
             {"user_id", bot_user}}}},
          {"cache_ts", now_seconds()}};
}

} // namespace sim
