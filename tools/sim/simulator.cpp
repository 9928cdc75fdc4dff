// simulator.cpp — the simulator's workspaces, tokens and open sockets, and
// the delivery of events to the sockets of one workspace or all.
#include "simulator.hpp"

#include <utility>

namespace sim {

http_reply json_reply(int status, const json& body) {
  http_reply r;
  r.status = status;
  r.body = dump(body);
  return r;
}

simulator::simulator(sim_config cfg, socket_hub& hub)
    : cfg_(std::move(cfg)), hub_(hub), tickets_(cfg_.url_ttl),
      team_(cfg_.extra_users, cfg_.extra_channels) {
  for (const auto& w : cfg_.workspaces) {
    workspaces_.push_back({w.id, w.name, w.domain});
    for (const auto& t : w.tokens) {
      // A token repeated (--token twice) is one token.
      if (token_ids_.emplace(t, tokens_.size()).second)
        tokens_.push_back({workspaces_.size() - 1, false});
    }
  }
}

// -- workspaces ---------------------------------------------------------------

json simulator::team_json(std::size_t ws) const {
  const auto& w = workspaces_[ws];
  return {{"id", w.id},
          {"name", w.name},
          {"domain", w.domain},
          {"email_domain", w.domain + ".example"},
          {"icon", {{"image_default", true}}}};
}

json simulator::socket_team(std::uint64_t conn) const {
  auto i = sockets_.find(conn);
  if (i == sockets_.end())
    return json();
  return workspaces_[i->second.workspace].id;
}

std::vector<std::uint64_t> simulator::sockets_of(std::size_t ws) const {
  std::vector<std::uint64_t> ids;
  for (const auto& [conn, owner] : sockets_)
    if (owner.workspace == ws)
      ids.push_back(conn);
  return ids;
}

std::optional<http_reply> simulator::team_arg(const json& body,
                                              team_filter& ws) const {
  ws.reset();
  auto t = body.find("team");
  if (t == body.end() || t->is_null())
    return std::nullopt;
  if (t->is_string())
    for (std::size_t i = 0; i < workspaces_.size(); ++i)
      if (workspaces_[i].id == t->get<std::string>()) {
        ws = i;
        return std::nullopt;
      }
  return json_reply(400, {{"ok", false}, {"error", "team_not_found"}});
}

std::size_t simulator::send_frame(const payload& p, team_filter ws) {
  if (!ws)
    return hub_.broadcast(p);
  std::size_t n = 0;
  for (auto conn : sockets_of(*ws))
    n += hub_.send(conn, p) ? 1 : 0;
  return n;
}

std::size_t simulator::send_event(json event, team_filter ws) {
  std::vector<std::vector<std::uint64_t>> by_team(workspaces_.size());
  for (const auto& [conn, owner] : sockets_)
    if (!ws || owner.workspace == *ws)
      by_team[owner.workspace].push_back(conn);
  std::size_t n = 0;
  for (std::size_t w = 0; w < by_team.size(); ++w) {
    if (by_team[w].empty())
      continue;
    event["team"] = workspaces_[w].id;
    auto p = text_payload(dump(event));
    for (auto conn : by_team[w])
      n += hub_.send(conn, p) ? 1 : 0;
  }
  return n;
}

json simulator::workspaces_json() const {
  json list = json::array();
  for (std::size_t w = 0; w < workspaces_.size(); ++w) {
    std::size_t tokens = 0;
    std::size_t revoked = 0;
    for (const auto& t : tokens_)
      if (t.workspace == w) {
        ++tokens;
        revoked += t.revoked ? 1 : 0;
      }
    list.push_back({{"id", workspaces_[w].id},
                    {"name", workspaces_[w].name},
                    {"domain", workspaces_[w].domain},
                    {"tokens", tokens},
                    {"revoked", revoked},
                    {"open_sockets", sockets_of(w).size()}});
  }
  return list;
}

// -- team events --------------------------------------------------------------

std::size_t simulator::deliver(const team_outcome& out, team_filter ws) {
  std::size_t n = 0;
  // Events that name the team (member_joined_channel) name each socket's.
  for (const auto& event : out.broadcast)
    n += event.contains("team") ? send_event(event, ws)
                                : send_frame(text_payload(dump(event)), ws);
  for (const auto& [conn, event] : out.direct) {
    auto owner = sockets_.find(conn);
    if (ws && (owner == sockets_.end() || owner->second.workspace != *ws))
      continue;
    n += hub_.send(conn, text_payload(dump(event))) ? 1 : 0;
  }
  return n;
}

} // namespace sim
