// team.cpp — the simulated workspace and the shapes Slack documents for it:
// user and conversation objects, cursor pagination, team events, presence.
#include "team.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>

namespace sim {

namespace {

const char* const team_id = "T0SIM0001";
const char* const bot_user = "U0BOT0001";
const char* const bot_id = "B0BOT0001";
const char* const default_actor = "U0USER001";
// Seeded objects look created on 2023-11-14; new ones get the wall clock.
constexpr std::int64_t seeded_at = 1700000000;
constexpr std::size_t max_page = 1000;
constexpr std::size_t default_conversations_page = 100;
constexpr std::size_t max_presence_query = 500;
constexpr std::size_t max_pending_tickets = 10000;

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

team_outcome failure(int status, const std::string& error,
                     const std::string& detail = {}) {
  team_outcome out;
  out.status = status;
  out.body = {{"ok", false}, {"error", error}};
  if (!detail.empty())
    out.body["detail"] = detail;
  return out;
}

// Web API errors are HTTP 200 with ok:false, as Slack answers them.
team_outcome api_error(const std::string& error) {
  return failure(200, error);
}

// Control errors are HTTP 400, like the other /_sim/ endpoints.
team_outcome control_error(const std::string& error,
                           const std::string& detail) {
  return failure(400, error, detail);
}

// Slack's boolean arguments: true, 1, "true", "1".
bool truthy(const json& params, const char* key) {
  auto i = params.find(key);
  if (i == params.end())
    return false;
  if (i->is_boolean())
    return i->get<bool>();
  if (i->is_number())
    return i->get<double>() != 0;
  if (i->is_string()) {
    auto s = i->get<std::string>();
    return s == "1" || s == "true" || s == "TRUE" || s == "True";
  }
  return false;
}

std::string lowercase(std::string s) {
  for (auto& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool valid_channel_name(const std::string& name) {
  if (name.empty() || utf8_length(name) > 80)
    return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return std::isspace(static_cast<unsigned char>(c)) || c == '#' ||
           c == ',' || c == '.';
  });
}

// Cursors are opaque to clients; ours name the sequence number of the first
// item of the next page, so deleting earlier items does not shift pages.
std::string make_cursor(const char* kind, std::uint64_t seq) {
  return base64(std::string(kind) + ":" + std::to_string(seq));
}

struct page_args {
  std::size_t limit = 0;
  std::uint64_t start = 0;
};

// nullopt plus `error` set on a bad limit or cursor.
std::optional<page_args> parse_page(const json& params, const char* kind,
                                    std::size_t default_limit,
                                    std::string& error) {
  page_args page;
  page.limit = default_limit;
  if (auto limit = param_text(params, "limit"); limit && !limit->empty()) {
    char* end = nullptr;
    long long n = std::strtoll(limit->c_str(), &end, 10);
    if (*end != '\0' || n < 0) {
      error = "invalid_limit";
      return std::nullopt;
    }
    if (n > 0)
      page.limit = std::min<std::size_t>(static_cast<std::size_t>(n), max_page);
  }
  if (auto cursor = param_text(params, "cursor"); cursor && !cursor->empty()) {
    auto decoded = unbase64(*cursor);
    std::string prefix = std::string(kind) + ":";
    if (!decoded || decoded->compare(0, prefix.size(), prefix) != 0 ||
        decoded->size() == prefix.size()) {
      error = "invalid_cursor";
      return std::nullopt;
    }
    auto digits = decoded->substr(prefix.size());
    if (!std::all_of(digits.begin(), digits.end(), [](char c) {
          return std::isdigit(static_cast<unsigned char>(c));
        })) {
      error = "invalid_cursor";
      return std::nullopt;
    }
    page.start = std::strtoull(digits.c_str(), nullptr, 10);
  }
  return page;
}

json metadata(const std::string& next_cursor) {
  return {{"next_cursor", next_cursor}};
}

// Merges `patch` into `user`; `profile` is merged field by field.
void merge_user(json& user, const json& patch) {
  for (auto& [k, v] : patch.items()) {
    if (k == "id")
      continue;
    if (k == "profile" && v.is_object() && user["profile"].is_object()) {
      for (auto& [pk, pv] : v.items())
        user["profile"][pk] = pv;
    } else {
      user[k] = v;
    }
  }
  // real_name lives in two places: keep them in step, as Slack does.
  auto profile = patch.find("profile");
  bool profile_name = profile != patch.end() && profile->is_object() &&
                      profile->contains("real_name");
  if (patch.contains("real_name") && !profile_name)
    user["profile"]["real_name"] = user["real_name"];
  else if (profile_name && !patch.contains("real_name"))
    user["real_name"] = user["profile"]["real_name"];
  auto& p = user["profile"];
  p["real_name_normalized"] = p["real_name"];
  if (p.contains("display_name"))
    p["display_name_normalized"] = p["display_name"];
}

} // namespace

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

// -- look-ups
// -------------------------------------------------------------------

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

team::conversation* team::channel_arg(const json& body, team_outcome& error) {
  auto id = param_text(body, "channel");
  auto* c = id ? find_conversation(*id) : nullptr;
  if (!c)
    error = control_error("channel_not_found",
                          "no conversation " + id.value_or("(missing)"));
  return c;
}

bool team::bot_is_member(const conversation& c) const {
  return std::find(c.members.begin(), c.members.end(), bot_user) !=
         c.members.end();
}

// -- JSON shapes
// ------------------------------------------------------------------

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

// One event per user, or per presence value when the socket asked for
// batches (batch_presence_aware).
json team::presence_events(const socket_presence& socket,
                           const std::vector<std::string>& users) const {
  json events = json::array();
  if (!socket.batch) {
    for (const auto& u : users)
      events.push_back({{"type", "presence_change"},
                        {"user", u},
                        {"presence", presence_.at(u)}});
    return events;
  }
  std::vector<std::pair<std::string, json>> groups;
  for (const auto& u : users) {
    const auto& p = presence_.at(u);
    auto g = std::find_if(groups.begin(), groups.end(),
                          [&](const auto& g) { return g.first == p; });
    if (g == groups.end()) {
      groups.emplace_back(p, json::array());
      g = groups.end() - 1;
    }
    g->second.push_back(u);
  }
  for (auto& [p, ids] : groups)
    events.push_back(
        {{"type", "presence_change"}, {"users", ids}, {"presence", p}});
  return events;
}

// -- Web API
// ------------------------------------------------------------------------

bool team::handles(std::string_view method) {
  return method == "users.list" || method == "users.info" ||
         method == "conversations.list" || method == "conversations.info" ||
         method == "conversations.join" || method == "team.info";
}

team_outcome team::api(const std::string& method, const json& params) {
  if (method == "users.list")
    return users_list(params);
  if (method == "conversations.list")
    return conversations_list(params);
  if (method == "conversations.join")
    return conversations_join(params);
  team_outcome out;
  if (method == "team.info") {
    out.body = {{"ok", true}, {"team", team_json()}};
  } else if (method == "users.info") {
    auto id = param_text(params, "user");
    if (!id || id->empty())
      return api_error("user_not_found");
    auto* user = find_user(*id);
    if (!user)
      return api_error("user_not_found");
    out.body = {{"ok", true}, {"user", *user}};
  } else { // conversations.info
    auto id = param_text(params, "channel");
    auto* c = id ? find_conversation(*id) : nullptr;
    if (!c)
      return api_error("channel_not_found");
    out.body = {{"ok", true}, {"channel", conversation_json(*c, false)}};
  }
  return out;
}

team_outcome team::users_list(const json& params) const {
  std::string error;
  // No limit: the whole list, as Slack tries to deliver.
  auto page = parse_page(params, "user", 0, error);
  if (!page)
    return api_error(error);
  json members = json::array();
  std::string next;
  for (auto i = users_.lower_bound(page->start); i != users_.end(); ++i) {
    if (page->limit != 0 && members.size() == page->limit) {
      next = make_cursor("user", i->first);
      break;
    }
    members.push_back(i->second);
  }
  team_outcome out;
  out.body = {{"ok", true},
              {"members", std::move(members)},
              {"cache_ts", now_seconds()},
              {"response_metadata", metadata(next)}};
  return out;
}

team_outcome team::conversations_list(const json& params) const {
  std::set<conversation_kind> kinds;
  auto types = param_text(params, "types").value_or("");
  std::size_t pos = 0;
  while (pos <= types.size()) {
    auto comma = types.find(',', pos);
    auto word = types.substr(pos, comma == std::string::npos ? std::string::npos
                                                             : comma - pos);
    word.erase(0, word.find_first_not_of(" \t"));
    word.erase(word.find_last_not_of(" \t") + 1);
    if (word == "public_channel")
      kinds.insert(conversation_kind::public_channel);
    else if (word == "private_channel")
      kinds.insert(conversation_kind::private_channel);
    else if (word == "mpim")
      kinds.insert(conversation_kind::mpim);
    else if (word == "im")
      kinds.insert(conversation_kind::im);
    else if (!word.empty())
      return api_error("invalid_types");
    if (comma == std::string::npos)
      break;
    pos = comma + 1;
  }
  if (kinds.empty())
    kinds.insert(conversation_kind::public_channel);
  bool exclude_archived = truthy(params, "exclude_archived");

  std::string error;
  auto page =
      parse_page(params, "conversation", default_conversations_page, error);
  if (!page)
    return api_error(error);
  json channels = json::array();
  std::string next;
  for (auto i = conversations_.lower_bound(page->start);
       i != conversations_.end(); ++i) {
    const auto& c = i->second;
    if (kinds.count(c.kind) == 0 || (exclude_archived && c.archived))
      continue;
    // A bot sees private channels, mpims and ims only as a member.
    if (c.kind != conversation_kind::public_channel && !bot_is_member(c))
      continue;
    if (channels.size() == page->limit) {
      next = make_cursor("conversation", i->first);
      break;
    }
    channels.push_back(conversation_json(c, false));
  }
  team_outcome out;
  out.body = {{"ok", true},
              {"channels", std::move(channels)},
              {"response_metadata", metadata(next)}};
  return out;
}

team_outcome team::conversations_join(const json& params) {
  auto id = param_text(params, "channel");
  auto* c = id ? find_conversation(*id) : nullptr;
  if (!c)
    return api_error("channel_not_found");
  if (c->kind != conversation_kind::public_channel)
    return api_error("method_not_supported_for_channel_type");
  if (c->archived)
    return api_error("is_archived");
  team_outcome out;
  if (bot_is_member(*c)) {
    out.body = {{"ok", true},
                {"channel", conversation_json(*c, false)},
                {"warning", "already_in_channel"},
                {"response_metadata", {{"warnings", {"already_in_channel"}}}}};
    return out;
  }
  c->members.push_back(bot_user);
  out.broadcast.push_back(
      {{"type", "channel_joined"}, {"channel", conversation_json(*c, true)}});
  out.body = {{"ok", true}, {"channel", conversation_json(*c, false)}};
  return out;
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

// -- control actions
// ------------------------------------------------------------------

team_outcome team::control(const json& body) {
  auto action = body.find("action");
  if (action == body.end() || !action->is_string())
    return control_error("invalid_arguments", "action must be a string");
  auto name = action->get<std::string>();
  if (name == "channel_created")
    return channel_created(body);
  if (name == "channel_rename" || name == "channel_deleted" ||
      name == "channel_archive" || name == "channel_unarchive" ||
      name == "channel_joined" || name == "channel_left")
    return channel_change(name, body);
  if (name == "member_joined_channel" || name == "member_left_channel")
    return member_change(name, body);
  if (name == "im_created")
    return im_created(body);
  if (name == "team_join" || name == "user_change")
    return user_added_or_changed(name, body);
  return control_error("invalid_arguments", "unknown action '" + name + "'");
}

team_outcome team::channel_created(const json& body) {
  auto name = param_text(body, "name");
  if (!name || !valid_channel_name(*name))
    return control_error("invalid_name",
                         "name must be 1-80 characters without spaces, "
                         "'#', ',' or '.'");
  auto lowered = lowercase(*name);
  if (name_taken(lowered))
    return control_error("name_taken", "a conversation is named " + lowered);
  auto creator = param_text(body, "user").value_or(default_actor);
  if (!find_user(creator))
    return control_error("user_not_found", "no user " + creator);
  bool is_private = truthy(body, "is_private");
  const char* prefix = is_private ? "G" : "C";
  auto id = new_id(body, prefix);
  if (!id)
    return control_error("invalid_arguments", "id must be new and start with " +
                                                  std::string(prefix));
  conversation c;
  c.id = *id;
  c.name = lowered;
  c.kind = is_private ? conversation_kind::private_channel
                      : conversation_kind::public_channel;
  c.created = now_seconds();
  c.creator = creator;
  c.members = {creator};
  // A private channel is only visible to its members: the bot is put in, so
  // that it hears of it at all.
  if (is_private && creator != bot_user)
    c.members.push_back(bot_user);
  auto& stored = add_conversation(std::move(c));
  team_outcome out;
  if (is_private) {
    out.broadcast.push_back({{"type", "group_joined"},
                             {"channel", conversation_json(stored, true)}});
  } else {
    out.broadcast.push_back({{"type", "channel_created"},
                             {"channel",
                              {{"id", stored.id},
                               {"name", stored.name},
                               {"created", stored.created},
                               {"creator", stored.creator}}}});
  }
  out.body = {{"ok", true}, {"channel", conversation_json(stored, false)}};
  return out;
}

team_outcome team::channel_change(const std::string& action, const json& body) {
  team_outcome error;
  auto* c = channel_arg(body, error);
  if (!c)
    return error;
  if (c->kind == conversation_kind::im || c->kind == conversation_kind::mpim)
    return control_error("method_not_supported_for_channel_type",
                         action + " applies to channels only");
  bool is_private = c->kind == conversation_kind::private_channel;
  // Private channels have their own event names (group_rename, ...).
  auto verb = action.substr(std::string("channel_").size());
  auto type = (is_private ? "group_" : "channel_") + verb;
  auto user = param_text(body, "user").value_or(default_actor);
  team_outcome out;
  json event = {{"type", type}, {"channel", c->id}};

  if (verb == "rename") {
    auto name = param_text(body, "name");
    if (!name || !valid_channel_name(*name))
      return control_error("invalid_name", "name must be 1-80 characters "
                                           "without spaces, '#', ',' or '.'");
    auto lowered = lowercase(*name);
    if (lowered != c->name && name_taken(lowered))
      return control_error("name_taken", "a conversation is named " + lowered);
    if (lowered != c->name)
      c->previous_names.insert(c->previous_names.begin(), c->name);
    c->name = lowered;
    event["channel"] = {{"id", c->id},
                        {"name", c->name},
                        {"name_normalized", c->name},
                        {"created", c->created},
                        {"is_channel", !is_private},
                        {"is_mpim", false}};
  } else if (verb == "deleted") {
    if (c->general)
      return control_error("cant_delete_general", "#general stays");
    auto seq = c->seq;
    conversation_index_.erase(c->id);
    conversations_.erase(seq);
    out.broadcast.push_back(std::move(event));
    out.body = {{"ok", true}};
    return out;
  } else if (verb == "archive" || verb == "unarchive") {
    bool archive = verb == "archive";
    if (archive && c->general)
      return control_error("cant_archive_general", "#general stays");
    if (c->archived == archive)
      return control_error(archive ? "already_archived" : "not_archived",
                           c->id);
    if (!find_user(user))
      return control_error("user_not_found", "no user " + user);
    c->archived = archive;
    if (!is_private)
      event["user"] = user;
  } else if (verb == "joined") {
    if (c->archived)
      return control_error("is_archived", c->id);
    if (bot_is_member(*c))
      return control_error("already_in_channel", c->id);
    c->members.push_back(bot_user);
    event["channel"] = conversation_json(*c, true);
  } else { // left
    if (!bot_is_member(*c))
      return control_error("not_in_channel", c->id);
    c->members.erase(std::remove(c->members.begin(), c->members.end(),
                                 std::string(bot_user)),
                     c->members.end());
  }
  out.broadcast.push_back(std::move(event));
  out.body = {{"ok", true}, {"channel", conversation_json(*c, false)}};
  return out;
}

team_outcome team::member_change(const std::string& action, const json& body) {
  team_outcome error;
  auto* c = channel_arg(body, error);
  if (!c)
    return error;
  if (c->kind == conversation_kind::im)
    return control_error("method_not_supported_for_channel_type",
                         "an im has fixed members");
  auto user = param_text(body, "user");
  if (!user || !find_user(*user))
    return control_error("user_not_found",
                         "no user " + user.value_or("(missing)"));
  bool joined = action == "member_joined_channel";
  auto member = std::find(c->members.begin(), c->members.end(), *user);
  if (joined && member != c->members.end())
    return control_error("already_in_channel", *user + " in " + c->id);
  if (!joined && member == c->members.end())
    return control_error("not_in_channel", *user + " in " + c->id);
  if (joined)
    c->members.push_back(*user);
  else
    c->members.erase(member);
  json event = {{"type", action},
                {"user", *user},
                {"channel", c->id},
                {"channel_type",
                 c->kind == conversation_kind::public_channel ? "C" : "G"},
                {"team", team_id}};
  if (auto inviter = param_text(body, "inviter"); inviter && joined)
    event["inviter"] = *inviter;
  team_outcome out;
  out.broadcast.push_back(std::move(event));
  out.body = {{"ok", true}, {"channel", conversation_json(*c, false)}};
  return out;
}

team_outcome team::im_created(const json& body) {
  auto user = param_text(body, "user");
  if (!user || !find_user(*user) || *user == bot_user)
    return control_error("user_not_found",
                         "no other user " + user.value_or("(missing)"));
  for (const auto& [seq, c] : conversations_)
    if (c.kind == conversation_kind::im && c.user == *user)
      return control_error("already_open", "the im is " + c.id);
  auto id = new_id(body, "D");
  if (!id)
    return control_error("invalid_arguments",
                         "id must be new and start with D");
  conversation im;
  im.id = *id;
  im.kind = conversation_kind::im;
  im.created = now_seconds();
  im.user = *user;
  im.members = {bot_user, *user};
  auto& stored = add_conversation(std::move(im));
  team_outcome out;
  out.broadcast.push_back({{"type", "im_created"},
                           {"user", *user},
                           {"channel", conversation_json(stored, false)}});
  out.body = {{"ok", true}, {"channel", conversation_json(stored, false)}};
  return out;
}

team_outcome team::user_added_or_changed(const std::string& action,
                                         const json& body) {
  auto patch = body.find("user");
  if (patch == body.end() || !patch->is_object())
    return control_error("invalid_arguments", "user must be an object");
  json* user = nullptr;
  if (action == "team_join") {
    auto name = param_text(*patch, "name");
    if (!name || name->empty())
      return control_error("invalid_arguments", "user.name is required");
    auto id = new_id(*patch, "UW");
    if (!id)
      return control_error("invalid_arguments",
                           "user.id must be new and start with U or W");
    add_user(make_user(*id, *name,
                       param_text(*patch, "real_name").value_or(*name), false),
             "active");
    user = find_user(*id);
  } else {
    auto id = param_text(*patch, "id");
    user = id ? find_user(*id) : nullptr;
    if (!user)
      return control_error("user_not_found",
                           "no user " + id.value_or("(missing)"));
  }
  merge_user(*user, *patch);
  (*user)["updated"] = now_seconds();
  team_outcome out;
  out.broadcast.push_back({{"type", action}, {"user", *user}});
  out.body = {{"ok", true}, {"user", *user}};
  return out;
}

// -- presence
// ---------------------------------------------------------------------

team_outcome team::set_presence(const json& body) {
  std::vector<std::string> ids;
  if (auto one = body.find("user"); one != body.end() && one->is_string())
    ids.push_back(one->get<std::string>());
  if (auto many = body.find("users"); many != body.end() && many->is_array())
    for (const auto& u : *many)
      if (u.is_string())
        ids.push_back(u.get<std::string>());
  auto presence = param_text(body, "presence");
  if (ids.empty() || !presence ||
      (*presence != "active" && *presence != "away"))
    return control_error("invalid_arguments",
                         "give user (or users) and presence active or away");
  for (const auto& id : ids)
    if (!find_user(id))
      return control_error("user_not_found", "no user " + id);
  // Only a change is news: setting the same presence again sends nothing.
  std::vector<std::string> changed;
  for (const auto& id : ids) {
    if (presence_[id] != *presence &&
        std::find(changed.begin(), changed.end(), id) == changed.end())
      changed.push_back(id);
    presence_[id] = *presence;
  }
  team_outcome out;
  for (const auto& [conn, socket] : sockets_) {
    std::vector<std::string> wanted;
    for (const auto& id : changed)
      if (socket.subscribed.count(id) != 0)
        wanted.push_back(id);
    if (wanted.empty())
      continue;
    for (auto& event : presence_events(socket, wanted))
      out.direct.emplace_back(conn, std::move(event));
  }
  out.body = {{"ok", true}, {"changed", changed}};
  return out;
}

void team::ticket_issued(const std::string& ticket, const json& params) {
  // Unredeemed tickets expire; forget them wholesale if too many pile up.
  if (tickets_.size() >= max_pending_tickets)
    tickets_.clear();
  tickets_[ticket] = truthy(params, "batch_presence_aware");
}

void team::socket_opened(std::uint64_t conn, const std::string& ticket) {
  auto i = tickets_.find(ticket);
  socket_presence socket;
  if (i != tickets_.end()) {
    socket.batch = i->second;
    tickets_.erase(i);
  }
  sockets_[conn] = std::move(socket);
}

void team::socket_closed(std::uint64_t conn) {
  sockets_.erase(conn);
}

team_outcome team::presence_frame(std::uint64_t conn, const json& frame) {
  team_outcome out;
  auto socket = sockets_.find(conn);
  if (socket == sockets_.end())
    return out;
  std::vector<std::string> ids;
  if (auto list = frame.find("ids"); list != frame.end() && list->is_array())
    for (const auto& id : *list)
      if (id.is_string())
        ids.push_back(id.get<std::string>());
  if (frame.value("type", "") == "presence_sub") {
    // The whole list each time: it replaces the earlier subscription.
    socket->second.subscribed = {ids.begin(), ids.end()};
    return out;
  }
  // presence_query: the current presence of the known users asked about.
  std::vector<std::string> known;
  for (const auto& id : ids) {
    if (known.size() == max_presence_query)
      break;
    if (presence_.count(id) != 0 &&
        std::find(known.begin(), known.end(), id) == known.end())
      known.push_back(id);
  }
  if (!known.empty())
    for (auto& event : presence_events(socket->second, known))
      out.direct.emplace_back(conn, std::move(event));
  return out;
}

} // namespace sim
