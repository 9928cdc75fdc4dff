// team_control.cpp — POST /_sim/team: one change of the workspace (channels,
// members, ims, users) and the RTM event Slack sends for it.
#include "team.hpp"

#include <algorithm>
#include <cctype>

namespace sim {

namespace {

const char* const default_actor = "U0USER001";

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

team::conversation* team::channel_arg(const json& body, team_outcome& error) {
  auto id = param_text(body, "channel");
  auto* c = id ? find_conversation(*id) : nullptr;
  if (!c)
    error = control_error("channel_not_found",
                          "no conversation " + id.value_or("(missing)"));
  return c;
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

} // namespace sim
