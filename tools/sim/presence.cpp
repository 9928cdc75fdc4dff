// presence.cpp — users' presence: POST /_sim/presence, the sockets'
// presence_sub and presence_query frames, and the presence_change events.
#include "team.hpp"

#include <algorithm>

namespace sim {

namespace {

constexpr std::size_t max_presence_query = 500;
constexpr std::size_t max_pending_tickets = 10000;

} // namespace

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
