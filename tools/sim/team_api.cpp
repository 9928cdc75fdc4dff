// team_api.cpp — the Web API methods answered from the team state: users.list,
// users.info, conversations.list/info/join and team.info, with cursor paging.
#include "team.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <set>

namespace sim {

namespace {

constexpr std::size_t max_page = 1000;
constexpr std::size_t default_conversations_page = 100;

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

} // namespace

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

} // namespace sim
