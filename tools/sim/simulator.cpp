// simulator.cpp — the simulator's workspaces, tokens and open sockets, and
// the delivery of events to the sockets of one workspace or all (and, as
// events_api envelopes, to their Socket Mode apps).
#include "simulator.hpp"

#include <utility>

namespace sim {

namespace {

// The Socket Mode apps: one per workspace with an app token, in order.
std::vector<app_config> apps_of(const sim_config& cfg) {
  std::vector<app_config> apps;
  for (const auto& w : cfg.workspaces)
    if (!w.app_token.empty())
      apps.push_back(
          {socket_mode::app_id_for(w.app_token, w.id), w.id, w.domain});
  return apps;
}

} // namespace

simulator::simulator(sim_config cfg, socket_hub& hub, socket_hub& link_hub,
                     scheduler& timers)
    : cfg_(std::move(cfg)), hub_(hub), tickets_(cfg_.url_ttl),
      team_(cfg_.extra_users, cfg_.extra_channels),
      links_(apps_of(cfg_), link_hub, timers, clock_, cfg_.url_ttl,
             cfg_.ws_base) {
  std::size_t next_app = 0;
  for (const auto& w : cfg_.workspaces) {
    workspaces_.push_back({w.id, w.name, w.domain, std::nullopt});
    for (const auto& t : w.tokens) {
      // A token repeated (--token twice) is one token.
      if (token_ids_.emplace(t, tokens_.size()).second)
        tokens_.push_back({workspaces_.size() - 1, false});
    }
    if (w.app_token.empty())
      continue;
    workspaces_.back().app = next_app++;
    if (token_ids_.emplace(w.app_token, tokens_.size()).second)
      tokens_.push_back({workspaces_.size() - 1, false, true});
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
    if (ws && w != *ws)
      continue;
    event["team"] = workspaces_[w].id;
    // The app hears of it too; the count stays RTM's.
    to_app(w, event);
    if (by_team[w].empty())
      continue;
    auto p = text_payload(dump(event));
    for (auto conn : by_team[w])
      n += hub_.send(conn, p) ? 1 : 0;
  }
  return n;
}

void simulator::to_app(std::size_t ws, const json& event) {
  if (auto app = workspaces_[ws].app)
    links_.deliver_event(*app, event);
}

void simulator::to_apps(const json& event, team_filter ws) {
  for (std::size_t w = 0; w < workspaces_.size(); ++w)
    if (!ws || w == *ws)
      to_app(w, event);
}

json simulator::workspaces_json() const {
  json list = json::array();
  for (std::size_t w = 0; w < workspaces_.size(); ++w) {
    std::size_t tokens = 0;
    std::size_t revoked = 0;
    for (const auto& t : tokens_)
      if (t.workspace == w && !t.app) {
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
  for (const auto& event : out.broadcast) {
    if (event.contains("team")) {
      n += send_event(event, ws);
      continue;
    }
    n += send_frame(text_payload(dump(event)), ws);
    to_apps(event, ws);
  }
  // Presence (the direct events) is RTM's only: no Events API event.
  for (const auto& [conn, event] : out.direct) {
    auto owner = sockets_.find(conn);
    if (ws && (owner == sockets_.end() || owner->second.workspace != *ws))
      continue;
    n += hub_.send(conn, text_payload(dump(event))) ? 1 : 0;
  }
  return n;
}

} // namespace sim
