// socket_mode_control.cpp — /_sim/socket_mode/...: Socket Mode's settings,
// faults, envelopes injected, and what clients did, read back.
#include "socket_mode.hpp"

#include <algorithm>
#include <functional>
#include <set>
#include <utility>

namespace sim {

namespace {

const std::set<std::string, std::less<>> gets = {"", "/sockets", "/envelopes",
                                                 "/acks"};
const std::set<std::string, std::less<>> posts = {
    "/disconnect", "/silence", "/pongs",       "/drop", "/link",
    "/event",      "/slash",   "/interactive", "/raw"};

json ids_json(const std::vector<std::uint64_t>& ids) {
  return json(ids);
}

} // namespace

http_reply socket_mode::control(bool is_get, std::string_view name,
                                std::string_view body) {
  bool get_name = gets.count(name) != 0;
  if (name != "/config" && !get_name && posts.count(name) == 0)
    return json_reply(404, {{"ok", false}, {"error", "unknown_control"}});
  if (name != "/config" && is_get != get_name)
    return json_reply(405, {{"ok", false}, {"error", "method_not_allowed"}});
  if (name.empty())
    return json_reply(200, summary());
  if (name == "/sockets")
    return json_reply(200, {{"ok", true}, {"sockets", sockets_json()}});
  if (name == "/envelopes")
    return json_reply(200, {{"ok", true}, {"envelopes", envelopes_json()}});
  if (name == "/acks")
    return json_reply(200, {{"ok", true}, {"acks", acks_}});

  json args;
  if (auto error = json_body_arg(body, args))
    return *error;
  if (name == "/config")
    return control_config(is_get, args);
  if (name == "/disconnect")
    return control_disconnect(args);
  if (name == "/link")
    return control_link(args);
  if (name == "/event")
    return control_event(args);
  if (name == "/slash" || name == "/interactive")
    return control_interactive(std::string(name.substr(1)), args);
  if (name == "/raw")
    return control_raw(args);
  return control_faults(std::string(name.substr(1)), args);
}

std::optional<http_reply> socket_mode::app_arg(const json& args,
                                               std::size_t& app) const {
  auto t = args.find("team");
  if (t != args.end() && t->is_string())
    for (std::size_t i = 0; i < apps_.size(); ++i)
      if (apps_[i].cfg.team_id == t->get<std::string>()) {
        app = i;
        return std::nullopt;
      }
  return json_reply(400, {{"ok", false}, {"error", "team_not_found"}});
}

bool socket_mode::names_socket(const json& args) {
  return args.contains("socket") && !args["socket"].is_null();
}

std::optional<http_reply>
socket_mode::apps_arg(const json& args, std::vector<std::size_t>& out) const {
  out.clear();
  if (args.contains("team") && !args["team"].is_null()) {
    std::size_t app = 0;
    if (auto error = app_arg(args, app))
      return error;
    out.push_back(app);
    return std::nullopt;
  }
  for (std::size_t a = 0; a < apps_.size(); ++a)
    out.push_back(a);
  return std::nullopt;
}

std::optional<http_reply>
socket_mode::targets(const json& args, std::vector<std::uint64_t>& out) const {
  out.clear();
  if (names_socket(args)) {
    const auto& s = args["socket"];
    auto i = s.is_number_unsigned() ? sockets_.find(s.get<std::uint64_t>())
                                    : sockets_.end();
    if (i == sockets_.end() || !i->second.live)
      return json_reply(400, {{"ok", false}, {"error", "socket_not_open"}});
    out.push_back(i->first);
    return std::nullopt;
  }
  std::vector<std::size_t> apps;
  if (auto error = apps_arg(args, apps))
    return error;
  for (auto app : apps)
    for (auto id : live_sockets(app))
      out.push_back(id);
  std::sort(out.begin(), out.end());
  return std::nullopt;
}

namespace {

// The settings of /_sim/socket_mode/config and their ranges.
struct config_field {
  const char* name;
  long long lo, hi;
  long socket_mode_config::*value;
};

const config_field config_fields[] = {
    {"ack_timeout_ms", 1, 600000, &socket_mode_config::ack_timeout_ms},
    {"max_retries", 0, 100, &socket_mode_config::max_retries},
    {"ping_interval_ms", 0, 3600000, &socket_mode_config::ping_interval_ms},
    {"max_sockets", 1, 100000, &socket_mode_config::max_sockets},
    {"connection_time_s", 0, 86400 * 7, &socket_mode_config::connection_time_s},
    {"warning_close_ms", 0, 3600000, &socket_mode_config::warning_close_ms},
    {"grace_ms", 0, 3600000, &socket_mode_config::grace_ms},
    {"queue_ttl_ms", 0, 86400000, &socket_mode_config::queue_ttl_ms}};

} // namespace

http_reply socket_mode::control_config(bool is_get, const json& args) {
  if (!is_get) {
    std::vector<std::pair<long*, long>> values;
    for (const auto& f : config_fields) {
      std::optional<long long> v;
      if (!int_field(args, f.name, f.lo, f.hi, v))
        return bad_arguments(std::string(f.name) + " must be an integer from " +
                             std::to_string(f.lo) + " to " +
                             std::to_string(f.hi));
      if (v)
        values.emplace_back(&(cfg_.*f.value), static_cast<long>(*v));
    }
    // All or nothing: set only once every field checked out.
    for (auto& [target, v] : values)
      *target = v;
  }
  return json_reply(200, {{"ok", true}, {"config", config_json()}});
}

json socket_mode::config_json() const {
  json out = json::object();
  for (const auto& f : config_fields)
    out[f.name] = cfg_.*f.value;
  return out;
}

http_reply socket_mode::control_disconnect(const json& args) {
  auto reason = args.find("reason");
  if (reason == args.end() || !reason->is_string() || reason->empty())
    return bad_arguments("reason must be a non-empty string");
  auto why = reason->get<std::string>();
  std::optional<long long> after;
  if (!int_field(args, "close_after_ms", -1, 3600000, after))
    return bad_arguments("close_after_ms must be -1 (never) to 3600000");
  std::vector<std::uint64_t> ids;
  if (auto error = targets(args, ids))
    return *error;
  if (why == "link_disabled") {
    // The app's link stays off (new opens refused) until /link enables it.
    std::vector<std::size_t> apps;
    if (names_socket(args))
      apps.push_back(sockets_.at(ids.front()).app);
    else
      apps_arg(args, apps);
    for (auto a : apps)
      apps_[a].link_enabled = false;
  }
  long close_after = after              ? static_cast<long>(*after)
                     : why == "warning" ? cfg_.warning_close_ms
                                        : cfg_.grace_ms;
  for (auto id : ids)
    disconnect(id, why, close_after);
  log_line("socket mode: disconnect (" + why + ") to " +
           std::to_string(ids.size()) + " socket(s)");
  return json_reply(200, {{"ok", true}, {"sockets", ids_json(ids)}});
}

http_reply socket_mode::control_faults(const std::string& name,
                                       const json& args) {
  std::vector<std::uint64_t> ids;
  if (auto error = targets(args, ids))
    return *error;
  if (name == "silence" || name == "drop") {
    std::optional<long long> ms;
    auto mode = args.value("mode", json("reset"));
    if (name == "silence" && (!int_field(args, "ms", 0, 3600000, ms) || !ms))
      return bad_arguments("ms must be an integer from 0 to 3600000");
    if (name == "drop" && mode != "reset" && mode != "close")
      return bad_arguments("mode must be \"reset\" or \"close\"");
    for (auto id : ids)
      if (name == "silence")
        silence(id, static_cast<long>(*ms));
      else
        close_socket(id, mode == "reset" ? drop_mode::reset : drop_mode::close);
    return json_reply(200, {{"ok", true}, {"sockets", ids_json(ids)}});
  }
  // pongs: the sockets named, and the app's (or every app's) sockets to
  // come as well.
  std::optional<long long> delay;
  if (!int_field(args, "delay_ms", 0, 3600000, delay))
    return bad_arguments("delay_ms must be an integer from 0 to 3600000");
  auto answer = args.value("answer", json(true));
  if (!answer.is_boolean())
    return bad_arguments("answer must be true or false");
  long value = answer.get<bool>() ? static_cast<long>(delay.value_or(0)) : -1;
  std::vector<std::size_t> apps;
  if (!names_socket(args))
    apps_arg(args, apps);
  for (auto a : apps)
    apps_[a].faults.pong_delay_ms = value;
  for (auto id : ids) {
    auto f = sockets_.at(id).faults;
    f.pong_delay_ms = value;
    set_socket_faults(id, f);
  }
  return json_reply(200, {{"ok", true}, {"sockets", ids_json(ids)}});
}

http_reply socket_mode::control_link(const json& args) {
  auto enabled = args.find("enabled");
  if (enabled == args.end() || !enabled->is_boolean())
    return bad_arguments("enabled must be true or false");
  auto error = args.value("error", json("no_permission"));
  if (!error.is_string() || error.empty())
    return bad_arguments("error must be a non-empty string");
  std::vector<std::size_t> apps;
  if (auto bad = apps_arg(args, apps))
    return *bad;
  for (auto a : apps) {
    apps_[a].link_enabled = enabled->get<bool>();
    apps_[a].link_error = error.get<std::string>();
  }
  return json_reply(200, {{"ok", true}, {"enabled", *enabled}});
}

// -- reads --------------------------------------------------------------------

json socket_mode::summary() const {
  json apps = json::array();
  for (std::size_t a = 0; a < apps_.size(); ++a) {
    const auto& app = apps_[a];
    apps.push_back({{"app_id", app.cfg.app_id},
                    {"team", app.cfg.team_id},
                    {"link_enabled", app.link_enabled},
                    {"revoked", app.revoked},
                    {"live_sockets", live_sockets(a)},
                    {"queued", app.queue.size()},
                    {"counters", app.counters}});
  }
  return {{"ok", true},
          {"config", config_json()},
          {"counters", counters_},
          {"apps", apps}};
}

json socket_mode::sockets_json() const {
  json out = json::array();
  for (const auto& [id, s] : sockets_) {
    bool known = s.refused != "invalid_ticket";
    const auto& app = apps_[s.app].cfg;
    out.push_back(
        {{"id", id},
         {"app_id", known ? json(app.app_id) : json()},
         {"team", known ? json(app.team_id) : json()},
         {"accepted", s.accepted},
         {"refused", s.refused.empty() ? json() : json(s.refused)},
         {"open", s.live},
         {"opened_ms", s.opened_ms},
         {"closed_ms", s.closed_ms ? json(*s.closed_ms) : json()},
         {"closed_by", s.closed_by.empty() ? json() : json(s.closed_by)},
         {"close_frame",
          s.close_frame_ms.has_value() || s.client_close_code.has_value()},
         {"client_close_code",
          s.client_close_code ? json(*s.client_close_code) : json()},
         {"silent", s.silent},
         {"pong_delay_ms", s.faults.pong_delay_ms},
         {"pings", s.pings},
         {"ping_ms", s.ping_ms},
         {"pongs", s.pongs},
         {"pong_ms", s.pong_ms},
         {"client_pings", s.client_pings},
         {"envelopes", s.envelopes},
         {"acks", s.acks},
         {"disconnects", s.disconnects},
         {"debug_reconnects", s.debug_reconnects}});
  }
  return out;
}

json socket_mode::envelopes_json() const {
  json out = json::array();
  for (const auto& [seq, r] : envelopes_) {
    bool event = r.type == "events_api";
    out.push_back({{"envelope_id", r.id},
                   {"type", r.type},
                   {"team", apps_[r.app].cfg.team_id},
                   {"event_id", event ? json(r.event_id) : json()},
                   {"retry_attempt", event ? json(r.retry_attempt) : json()},
                   {"retry_reason", event ? json(r.retry_reason) : json()},
                   {"socket", r.socket},
                   {"sent_ms", r.sent_ms},
                   {"lost", r.lost},
                   {"acked_ms", r.acked_ms ? json(*r.acked_ms) : json()}});
  }
  return out;
}

} // namespace sim
