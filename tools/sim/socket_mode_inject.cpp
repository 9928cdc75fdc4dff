// socket_mode_inject.cpp — /_sim/socket_mode/{event,slash,interactive,raw}:
// envelopes and frames a test puts on an app's sockets.
#include "socket_mode.hpp"

#include <algorithm>

namespace sim {

http_reply socket_mode::control_event(const json& args) {
  auto event = args.find("event");
  if (event == args.end() || !event->is_object() || !event->contains("type"))
    return bad_arguments("event must be an event object with a type");
  std::vector<std::size_t> apps;
  if (auto bad = apps_arg(args, apps))
    return *bad;
  json ids = json::array();
  for (auto a : apps)
    ids.push_back(deliver_event(a, *event));
  return json_reply(200, {{"ok", true}, {"event_ids", ids}});
}

http_reply socket_mode::control_interactive(const std::string& name,
                                            const json& args) {
  std::vector<std::uint64_t> ids;
  if (auto error = targets(args, ids))
    return *error;
  std::optional<std::uint64_t> socket;
  std::size_t app = 0;
  if (names_socket(args)) {
    socket = ids.front();
    app = sockets_.at(*socket).app;
  } else if (ids.empty()) {
    return json_reply(409, {{"ok", false}, {"error", "no_open_socket"}});
  } else {
    app = sockets_.at(ids.front()).app;
  }
  const auto& a = apps_[app].cfg;
  auto trigger = std::to_string(next_trigger_++) + ".sim";
  auto response_url =
      "https://hooks.slack.com/sim/" + a.team_id + "/" + trigger;
  json payload;
  if (name == "slash") {
    payload = {{"token", "sim-verification-token"},
               {"team_id", a.team_id},
               {"team_domain", a.team_domain},
               {"channel_id", "C0GENERAL"},
               {"channel_name", "general"},
               {"user_id", "U0USER001"},
               {"user_name", "tester"},
               {"command", "/sim"},
               {"text", ""},
               {"api_app_id", a.app_id},
               {"is_enterprise_install", "false"},
               {"response_url", response_url},
               {"trigger_id", trigger}};
    for (auto& [k, v] : args.items())
      if (k != "team" && k != "socket")
        payload[k] = v;
  } else {
    payload = {
        {"type", "block_actions"},
        {"user",
         {{"id", "U0USER001"}, {"username", "tester"}, {"team_id", a.team_id}}},
        {"api_app_id", a.app_id},
        {"token", "sim-verification-token"},
        {"trigger_id", trigger},
        {"team", {{"id", a.team_id}, {"domain", a.team_domain}}},
        {"channel", {{"id", "C0GENERAL"}, {"name", "general"}}},
        {"response_url", response_url},
        {"actions",
         {{{"action_id", "sim_button"},
           {"block_id", "sim_block"},
           {"type", "button"},
           {"value", "clicked"}}}}};
    auto given = args.find("payload");
    if (given != args.end() && !given->is_object())
      return bad_arguments("payload must be an object");
    if (given != args.end())
      for (auto& [k, v] : given->items())
        payload[k] = v;
  }
  json envelope = {{"envelope_id", new_envelope_id()},
                   {"type", name == "slash" ? "slash_commands" : "interactive"},
                   {"accepts_response_payload", true},
                   {"payload", payload}};
  auto seq = send_envelope(app, envelope, socket);
  const auto& r = envelopes_.at(seq);
  return json_reply(200, {{"ok", true},
                          {"envelope_id", r.id},
                          {"socket", r.socket},
                          {"lost", r.lost}});
}

http_reply socket_mode::control_raw(const json& args) {
  payload p;
  if (auto error = raw_frame_arg(args, p))
    return *error;
  std::vector<std::uint64_t> ids;
  if (auto error = targets(args, ids))
    return *error;
  std::size_t n = 0;
  for (auto id : ids)
    if (!sockets_.at(id).silent)
      n += hub_.send(id, p) ? 1 : 0;
  return json_reply(200, {{"ok", true}, {"delivered", n}});
}

} // namespace sim
