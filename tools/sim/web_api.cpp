// web_api.cpp — Web API calls (HTTP /api/...): tokens, injected faults,
// rtm.connect/start, apps.connections.open, auth.test, chat.postMessage; the
// rest is team_api.cpp's.
#include "simulator.hpp"

#include <set>
#include <utility>

namespace sim {

namespace {

constexpr std::size_t max_post_chars = 40000;

const std::set<std::string, std::less<>> known_methods = {
    "rtm.connect", "rtm.start", "auth.test", "chat.postMessage",
    "apps.connections.open"};

// The one method that takes an app-level token, and only from a header.
const char* const app_method = "apps.connections.open";

const char* reason(int status) {
  switch (status) {
  case 400:
    return "Bad Request";
  case 403:
    return "Forbidden";
  case 404:
    return "Not Found";
  case 429:
    return "Too Many Requests";
  case 500:
    return "Internal Server Error";
  case 502:
    return "Bad Gateway";
  case 503:
    return "Service Unavailable";
  case 504:
    return "Gateway Timeout";
  default:
    return "Error";
  }
}

} // namespace

api_call simulator::api_begin(std::uint64_t http_connection, std::string method,
                              std::string_view query,
                              std::string_view content_type,
                              std::string_view body,
                              std::string_view authorization) {
  auto parsed = parse_api_params(query, content_type, body, authorization);
  api_call call;
  call.method = std::move(method);
  call.params = std::move(parsed.params);
  call.token = std::move(parsed.token);
  call.bad_json = parsed.bad_json;
  // A token given as a parameter is ignored there.
  if (call.method == app_method && !parsed.bearer)
    call.token.reset();
  json team;
  if (call.token) {
    if (auto i = token_ids_.find(*call.token); i != token_ids_.end()) {
      call.token_id = i->second;
      team = workspaces_[tokens_[i->second].workspace].id;
    }
  }
  // A call we cannot read cannot match a channel filter: no fault taken.
  if (!call.bad_json)
    call.injected = faults_.take(call.method, call.params);
  call.id = rec_.begin_call(http_connection, call.method, call.params,
                            clock_.now_ms(), std::move(team));
  return call;
}

http_reply simulator::answer(const api_call& call, int status, const json& body,
                             std::optional<std::string> ts) {
  bool ok = body.value("ok", false);
  auto e = body.find("error");
  rec_.end_call(call.id, status, ok, e == body.end() ? json() : *e,
                clock_.now_ms(), std::move(ts));
  log_line("api " + call.method + " -> " + std::to_string(status) +
           (ok ? " ok" : " " + dump(e == body.end() ? json() : *e)));
  return json_reply(status, body);
}

http_reply simulator::api_finish(const api_call& call) {
  if (call.bad_json)
    return answer(call, 200, {{"ok", false}, {"error", "invalid_json"}});
  if (call.injected) {
    const auto& f = *call.injected;
    http_reply r;
    if (f.error) {
      r = answer(call, f.status, {{"ok", false}, {"error", *f.error}});
    } else if (f.status == 429) {
      r = answer(call, 429, {{"ok", false}, {"error", "ratelimited"}});
    } else if (f.status != 200) {
      r.status = f.status;
      r.content_type = "text/plain; charset=utf-8";
      r.body = std::to_string(f.status) + " " + reason(f.status) + "\n";
      rec_.end_call(call.id, f.status, false, json(), clock_.now_ms(),
                    std::nullopt);
      log_line("api " + call.method + " -> " + std::to_string(f.status));
    }
    if (f.error || f.status != 200) {
      r.retry_after = f.retry_after;
      return r;
    }
    // A pure delay: answered normally, now.
  }
  if (known_methods.count(call.method) == 0 && !team::handles(call.method))
    return answer(call, 200, {{"ok", false}, {"error", "unknown_method"}});
  if (!call.token)
    return answer(call, 200, {{"ok", false}, {"error", "not_authed"}});
  if (!call.token_id)
    return answer(call, 200, {{"ok", false}, {"error", "invalid_auth"}});
  if (tokens_[*call.token_id].revoked)
    return answer(call, 200, {{"ok", false}, {"error", "token_revoked"}});
  // App tokens open sockets, bot tokens do the rest: never the other way.
  if (tokens_[*call.token_id].app != (call.method == app_method))
    return answer(call, 200,
                  {{"ok", false}, {"error", "not_allowed_token_type"}});
  auto ws = tokens_[*call.token_id].workspace;
  const auto& w = workspaces_[ws];

  if (call.method == app_method) {
    auto opened = links_.open_url(*w.app);
    if (!opened.error.empty())
      return answer(call, 200, {{"ok", false}, {"error", opened.error}});
    return answer(call, 200, {{"ok", true}, {"url", opened.url}});
  }

  if (call.method == "rtm.connect" || call.method == "rtm.start") {
    // The ticket remembers its token: the socket belongs to its workspace.
    auto ticket = tickets_.issue(*call.token_id);
    team_.ticket_issued(ticket, call.params);
    auto url = cfg_.ws_base + "/rtm/" + ticket + "?dp=1";
    json body = {
        {"ok", true},
        {"url", url},
        {"team", {{"id", w.id}, {"name", w.name}, {"domain", w.domain}}},
        {"self", {{"id", bot_user}, {"name", "simbot"}}}};
    // rtm.start: the whole team state, as Slack returned it before 2022.
    if (call.method == "rtm.start") {
      auto state = team_.rtm_start_state();
      state["team"] = team_json(ws);
      for (auto& [k, v] : state.items())
        body[k] = std::move(v);
    }
    return answer(call, 200, body);
  }
  if (call.method == "auth.test") {
    return answer(call, 200,
                  {{"ok", true},
                   {"url", "https://" + w.domain + ".slack.com/"},
                   {"team", w.name},
                   {"user", "simbot"},
                   {"team_id", w.id},
                   {"user_id", bot_user},
                   {"bot_id", bot_id}});
  }
  if (team::handles(call.method)) {
    auto out = team_.api(call.method, call.params);
    if (call.method == "team.info" && out.status == 200 &&
        out.body.value("ok", false))
      out.body["team"] = team_json(ws);
    // One team state for every workspace: its events go to every socket.
    deliver(out, std::nullopt);
    return answer(call, out.status, out.body);
  }
  return post_message(call, ws);
}

http_reply simulator::post_message(const api_call& call, std::size_t ws) {
  const auto& p = call.params;
  auto channel = param_text(p, "channel");
  if (!channel || channel->empty())
    return answer(call, 200, {{"ok", false}, {"error", "channel_not_found"}});
  auto text = param_text(p, "text");
  std::optional<json> blocks;
  if (auto b = p.find("blocks"); b != p.end() && !b->is_null()) {
    // Form bodies carry blocks as a JSON string; keep it structured if so.
    blocks = *b;
    if (b->is_string()) {
      if (auto parsed = parse_json(b->get<std::string>()))
        blocks = std::move(*parsed);
    }
    if (blocks->empty() || *blocks == "")
      blocks.reset();
  }
  if ((!text || text->empty()) && !blocks)
    return answer(call, 200, {{"ok", false}, {"error", "no_text"}});
  if (text && utf8_length(*text) > max_post_chars)
    return answer(call, 200, {{"ok", false}, {"error", "msg_too_long"}});

  auto ts = ts_.next();
  json message = {{"type", "message"},
                  {"user", bot_user},
                  {"bot_id", bot_id},
                  {"text", text.value_or("")},
                  {"ts", ts}};
  if (auto thread = param_text(p, "thread_ts"); thread && !thread->empty())
    message["thread_ts"] = *thread;
  if (blocks)
    message["blocks"] = *blocks;

  json event = {{"type", "message"}, {"channel", *channel}};
  for (auto& [k, v] : message.items())
    if (k != "type")
      event[k] = v;
  // Only the caller's workspace hears of it; the event names that team.
  send_event(std::move(event), ws);
  return answer(call, 200,
                {{"ok", true},
                 {"channel", *channel},
                 {"ts", ts},
                 {"message", std::move(message)}},
                ts);
}

} // namespace sim
