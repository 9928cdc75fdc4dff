// The team cache: loading and keeping current from events, behind the
// read-only team_state a client hands out.
#include "actors/team_cache.hpp"

#include <algorithm>
#include <array>
#include <mutex>

namespace slackrtm {

namespace {

using json = nlohmann::json;

std::string_view text_of(const json& obj, const char* key) {
  if (!obj.is_object())
    return {};
  auto i = obj.find(key);
  if (i == obj.end() || !i->is_string())
    return {};
  return i->get_ref<const std::string&>();
}

bool flag(const json& obj, const char* key) {
  auto i = obj.find(key);
  return i != obj.end() && i->is_boolean() && i->get<bool>();
}

std::string_view kind_of(const json& conv) {
  if (flag(conv, "is_im"))
    return "im";
  if (flag(conv, "is_mpim"))
    return "mpim";
  if (flag(conv, "is_private") || flag(conv, "is_group"))
    return "group";
  return "channel";
}

std::string_view without_prefix(std::string_view name, char prefix) {
  if (!name.empty() && name.front() == prefix)
    name.remove_prefix(1);
  return name;
}

// The id of the conversation an event names, whether as a string or as an
// object with `id`.
std::string_view channel_id_of(const json& event) {
  auto i = event.find("channel");
  if (i == event.end())
    return {};
  if (i->is_string())
    return i->get_ref<const std::string&>();
  return text_of(*i, "id");
}

constexpr std::array<std::string_view, 24> team_events{"channel_created",
                                                       "channel_joined",
                                                       "channel_left",
                                                       "channel_rename",
                                                       "channel_deleted",
                                                       "channel_archive",
                                                       "channel_unarchive",
                                                       "group_joined",
                                                       "group_left",
                                                       "group_rename",
                                                       "group_deleted",
                                                       "group_archive",
                                                       "group_unarchive",
                                                       "member_joined_channel",
                                                       "member_left_channel",
                                                       "im_created",
                                                       "im_open",
                                                       "im_close",
                                                       "mpim_joined",
                                                       "team_join",
                                                       "user_change",
                                                       "team_rename",
                                                       "team_domain_change",
                                                       "self_change"};

} // namespace

// -- observers ----------------------------------------------------------------

bool team_cache::ready() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return ready_;
}

json team_cache::self() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return self_;
}

json team_cache::team() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return team_;
}

std::optional<json> team_cache::user(std::string_view id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (auto i = users_.find(std::string{id}); i != users_.end())
    return i->second;
  return std::nullopt;
}

template <class Predicate>
std::optional<json> team_cache::find_if(const map& in, Predicate pred) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (auto& [id, obj] : in)
    if (pred(obj))
      return obj;
  return std::nullopt;
}

std::optional<json> team_cache::user_by_name(std::string_view name) const {
  name = without_prefix(name, '@');
  return find_if(users_, [name](const json& u) {
    if (text_of(u, "name") == name)
      return true;
    auto profile = u.find("profile");
    return profile != u.end() && !name.empty() &&
           text_of(*profile, "display_name") == name;
  });
}

std::optional<json> team_cache::conversation(std::string_view id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (auto i = conversations_.find(std::string{id}); i != conversations_.end())
    return i->second;
  return std::nullopt;
}

std::optional<json>
team_cache::conversation_by_name(std::string_view name) const {
  name = without_prefix(name, '#');
  return find_if(conversations_, [name](const json& c) {
    return !name.empty() && text_of(c, "name") == name && !flag(c, "is_im");
  });
}

std::optional<json> team_cache::im_with(std::string_view user) const {
  return find_if(conversations_, [user](const json& c) {
    return flag(c, "is_im") && text_of(c, "user") == user;
  });
}

std::vector<json> team_cache::users() const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  std::vector<json> result;
  result.reserve(users_.size());
  for (auto& [id, u] : users_)
    result.push_back(u);
  return result;
}

std::vector<json> team_cache::conversations(std::string_view kind) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  std::vector<json> result;
  for (auto& [id, c] : conversations_)
    if (kind.empty() || kind_of(c) == kind)
      result.push_back(c);
  return result;
}

// -- mutators -----------------------------------------------------------------

void team_cache::put(map& into, json obj) {
  auto id = std::string{text_of(obj, "id")};
  if (id.empty())
    return;
  auto [i, added] = into.try_emplace(id, json::object());
  // Events carry only some fields: merge them into what is known.
  for (auto& [key, value] : obj.items())
    i->second[key] = value;
}

void team_cache::load_connect_answer(const json& answer) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (auto i = answer.find("self"); i != answer.end() && i->is_object())
    self_ = *i;
  if (auto i = answer.find("team"); i != answer.end() && i->is_object())
    team_ = *i;
  auto users = answer.find("users");
  if (users == answer.end() || !users->is_array())
    return; // rtm.connect: the lists come from the Web API
  users_.clear();
  conversations_.clear();
  for (auto& u : *users)
    put(users_, u);
  for (auto key : {"channels", "groups", "ims", "mpims"}) {
    auto list = answer.find(key);
    if (list == answer.end() || !list->is_array())
      continue;
    for (auto c : *list) {
      if (std::string_view{key} == "ims")
        c["is_im"] = true;
      else if (std::string_view{key} == "mpims")
        c["is_mpim"] = true;
      put(conversations_, std::move(c));
    }
  }
  ready_ = true;
}

void team_cache::load_lists(std::vector<json> users,
                            std::vector<json> conversations) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  users_.clear();
  conversations_.clear();
  for (auto& u : users)
    put(users_, std::move(u));
  for (auto& c : conversations)
    put(conversations_, std::move(c));
  ready_ = true;
}

bool team_cache::is_team_event(std::string_view type) noexcept {
  for (auto name : team_events)
    if (name == type)
      return true;
  return false;
}

bool team_cache::apply(const json& event) {
  auto type = text_of(event, "type");
  if (!is_team_event(type))
    return false;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  auto conv_id = std::string{channel_id_of(event)};
  auto conv = conversations_.find(conv_id);
  auto set_flag = [&](const char* key, bool value) {
    if (conv == conversations_.end())
      return false;
    conv->second[key] = value;
    return true;
  };
  auto channel = event.find("channel");
  bool has_object = channel != event.end() && channel->is_object();
  if (type == "channel_created" || type == "channel_joined" ||
      type == "group_joined" || type == "mpim_joined" || type == "im_created" ||
      type == "channel_rename" || type == "group_rename") {
    if (!has_object)
      return false;
    json obj = *channel;
    if (type == "channel_created" && !obj.contains("is_channel")) {
      obj["is_channel"] = true;
      obj["is_private"] = false;
    }
    if (type == "group_joined" && !obj.contains("is_private"))
      obj["is_private"] = true;
    if (type == "mpim_joined")
      obj["is_mpim"] = true;
    if (type == "im_created") {
      obj["is_im"] = true;
      if (auto user = text_of(event, "user"); !user.empty())
        obj["user"] = std::string{user};
    }
    if (type == "channel_joined" || type == "group_joined" ||
        type == "mpim_joined")
      obj["is_member"] = true;
    put(conversations_, std::move(obj));
    return true;
  }
  if (type == "channel_deleted" || type == "group_deleted")
    return conversations_.erase(conv_id) > 0;
  if (type == "channel_archive" || type == "group_archive")
    return set_flag("is_archived", true);
  if (type == "channel_unarchive" || type == "group_unarchive")
    return set_flag("is_archived", false);
  if (type == "channel_left" || type == "group_left")
    return set_flag("is_member", false);
  if (type == "im_open")
    return set_flag("is_open", true);
  if (type == "im_close")
    return set_flag("is_open", false);
  if (type == "member_joined_channel" || type == "member_left_channel") {
    if (conv == conversations_.end())
      return false;
    auto user = std::string{text_of(event, "user")};
    bool joined = type == "member_joined_channel";
    auto& obj = conv->second;
    if (user == text_of(self_, "id"))
      obj["is_member"] = joined;
    if (auto members = obj.find("members");
        members != obj.end() && members->is_array()) {
      auto at = std::find(members->begin(), members->end(), json(user));
      if (joined && at == members->end())
        members->push_back(user);
      else if (!joined && at != members->end())
        members->erase(at);
      obj["num_members"] = members->size();
    }
    return true;
  }
  if (type == "team_join" || type == "user_change") {
    auto user = event.find("user");
    if (user == event.end() || !user->is_object() ||
        text_of(*user, "id").empty())
      return false;
    users_[std::string{text_of(*user, "id")}] = *user;
    return true;
  }
  if (type == "self_change") {
    if (auto name = text_of(event, "name"); !name.empty())
      self_["name"] = std::string{name};
    return true;
  }
  if (type == "team_rename" || type == "team_domain_change") {
    auto key = type == "team_rename" ? "name" : "domain";
    auto value = text_of(event, key);
    if (value.empty())
      return false;
    team_[key] = std::string{value};
    return true;
  }
  return false;
}

} // namespace slackrtm
