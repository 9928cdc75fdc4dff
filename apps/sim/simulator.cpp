// simulator.cpp — what the simulated Slack answers; the network side hands
// it parsed requests and frames and carries its answers back.
#include "simulator.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace sim {

namespace {

const char* const bot_user = "U0BOT0001";
const char* const bot_id = "B0BOT0001";
constexpr std::size_t max_post_chars = 40000;
const char* const expired_url =
    R"({"type":"error","error":{"code":1,"msg":"Socket URL has expired"}})";

const std::set<std::string, std::less<>> known_methods = {
    "rtm.connect", "rtm.start", "auth.test", "chat.postMessage"};
const std::set<std::string, std::less<>> control_gets = {
    "calls", "posts", "sent", "connections", "workspaces"};
const std::set<std::string, std::less<>> control_posts = {
    "message", "inject", "raw",   "drop", "goodbye",  "pings",
    "fail",    "acks",   "reset", "team", "presence", "revoke"};
// The endpoints whose "team" field limits them to one workspace's sockets.
const std::set<std::string, std::less<>> team_filtered = {
    "message", "inject", "raw", "drop", "goodbye", "team", "presence"};

// /_sim/inject's list form; a single event is sent as is, its "team" too.
bool is_event_list(const json& body) {
  auto events = body.find("events");
  return events != body.end() && events->is_array() && !body.contains("type");
}

http_reply bad_arguments(std::string detail) {
  return json_reply(400, {{"ok", false},
                          {"error", "invalid_arguments"},
                          {"detail", std::move(detail)}});
}

bool positive_integer(const json& j) {
  if (j.is_number_unsigned())
    return j.get<std::uint64_t>() > 0;
  if (j.is_number_integer())
    return j.get<std::int64_t>() > 0;
  return false;
}

// An optional integer field within [lo, hi]; false if present but invalid.
bool int_field(const json& body, const char* key, long long lo, long long hi,
               std::optional<long long>& out) {
  auto i = body.find(key);
  if (i == body.end() || i->is_null())
    return true;
  if (!i->is_number_integer())
    return false;
  auto v =
      i->is_number_unsigned()
          ? static_cast<long long>(std::min<std::uint64_t>(
                i->get<std::uint64_t>(), static_cast<std::uint64_t>(hi) + 1))
          : i->get<long long>();
  if (v < lo || v > hi)
    return false;
  out = v;
  return true;
}

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

payload text_payload(std::string text) {
  return {std::make_shared<const std::string>(std::move(text)), false};
}

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

// -- Web API ------------------------------------------------------------------

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
  auto ws = tokens_[*call.token_id].workspace;
  const auto& w = workspaces_[ws];

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

ws_opening simulator::ws_open(const std::string& ticket) {
  ws_opening o;
  auto token = tickets_.redeem(ticket);
  // A ticket of a token revoked since is refused like an expired one.
  o.accepted = token && !tokens_[*token].revoked;
  auto now = clock_.now_ms();
  json team;
  if (o.accepted)
    team = workspaces_[tokens_[*token].workspace].id;
  o.id = rec_.open_connection(now, o.accepted, team);
  // Refused sockets count as closed at once, whatever the close handshake.
  if (!o.accepted)
    rec_.close_connection(o.id, now);
  if (o.accepted) {
    sockets_[o.id] = {*token, tokens_[*token].workspace};
    team_.socket_opened(o.id, ticket);
    o.first = text_payload(R"({"type":"hello"})");
  } else {
    o.first = text_payload(expired_url);
  }
  log_line("socket " + std::to_string(o.id) +
           (o.accepted ? " open (team " + team.get<std::string>() + ")"
                       : " refused: bad ticket"));
  return o;
}

void simulator::ws_closed(std::uint64_t conn,
                          std::optional<int> client_close_code) {
  rec_.close_connection(conn, clock_.now_ms(), client_close_code);
  team_.socket_closed(conn);
  sockets_.erase(conn);
}

void simulator::ws_frame(std::uint64_t conn, std::string_view data,
                         bool binary) {
  auto at = clock_.now_ms();
  std::optional<json> frame;
  if (!binary)
    frame = parse_json(data);
  if (!frame || !frame->is_object()) {
    rec_.record_frame(conn, at, data, binary, socket_team(conn));
    return;
  }
  std::string type;
  if (auto t = frame->find("type"); t != frame->end() && t->is_string())
    type = t->get<std::string>();
  if (type == "ping") {
    rec_.record_ping(conn, at);
    if (answer_pings_) {
      json pong = {{"type", "pong"}};
      if (auto id = frame->find("id"); id != frame->end())
        pong["reply_to"] = *id;
      for (auto& [k, v] : frame->items())
        if (k != "type" && k != "id")
          pong[k] = v;
      hub_.send(conn, text_payload(dump(pong)));
    }
  } else if (type == "message") {
    rtm_message(conn, *frame);
  } else if (type == "presence_sub" || type == "presence_query") {
    deliver(team_.presence_frame(conn, *frame), std::nullopt);
  }
  // typing, presence_sub and anything else: recorded, no reply.
  rec_.record_frame(conn, at, std::move(*frame), socket_team(conn));
}

void simulator::rtm_message(std::uint64_t conn, const json& frame) {
  auto id = frame.find("id");
  if (id == frame.end() || !positive_integer(*id)) {
    hub_.send(
        conn,
        text_payload(R"({"ok":false,"error":{"code":4,"msg":"invalid id"}})"));
    return;
  }
  auto fail = [&](int code, const char* msg) {
    json reply = {{"ok", false},
                  {"reply_to", *id},
                  {"error", {{"code", code}, {"msg", msg}}}};
    hub_.send(conn, text_payload(dump(reply)));
  };
  if (ack_count_ > 0) {
    --ack_count_;
    if (ack_mode_ == "none") {
      log_line("ack fault: message frame lost");
      return;
    }
    log_line("ack fault: error reply");
    return fail(ack_code_, ack_msg_.c_str());
  }
  auto text = frame.find("text");
  if (text == frame.end() || !text->is_string() || text->empty())
    return fail(2, "message text is missing");
  auto channel = frame.find("channel");
  if (channel == frame.end() || !channel->is_string() || channel->empty())
    return fail(3, "channel not found");

  auto ts = ts_.next();
  json reply = {{"ok", true}, {"reply_to", *id}, {"ts", ts}, {"text", *text}};
  hub_.send(conn, text_payload(dump(reply)));
  json event = {{"type", "message"},
                {"channel", *channel},
                {"user", bot_user},
                {"text", *text},
                {"ts", ts}};
  if (auto thread = frame.find("thread_ts");
      thread != frame.end() && !thread->is_null())
    event["thread_ts"] = *thread;
  // The sender's workspace only.
  auto owner = sockets_.find(conn);
  if (owner != sockets_.end())
    send_event(std::move(event), owner->second.workspace);
}

http_reply simulator::control(bool is_get, std::string_view name,
                              std::string_view body) {
  if (name == "flood")
    return control_flood(is_get, body);
  bool get_name = control_gets.count(name) != 0;
  if (!get_name && control_posts.count(name) == 0)
    return json_reply(404, {{"ok", false}, {"error", "unknown_control"}});
  if (is_get != get_name)
    return json_reply(405, {{"ok", false}, {"error", "method_not_allowed"}});

  if (name == "calls")
    return json_reply(200, {{"ok", true}, {"calls", rec_.calls_json(false)}});
  if (name == "posts") {
    // Under both names: "the same" shape as /calls, or its own name.
    auto posts = rec_.calls_json(true);
    return json_reply(200, {{"ok", true}, {"posts", posts}, {"calls", posts}});
  }
  if (name == "sent")
    return json_reply(200, {{"ok", true}, {"frames", rec_.frames_json()}});
  if (name == "connections")
    return json_reply(200,
                      {{"ok", true}, {"connections", rec_.connections_json()}});
  if (name == "workspaces")
    return json_reply(200, {{"ok", true}, {"workspaces", workspaces_json()}});

  json args = json::object();
  auto first = body.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos) {
    auto parsed = parse_json(body);
    if (!parsed || !parsed->is_object())
      return json_reply(400, {{"ok", false}, {"error", "invalid_json"}});
    args = std::move(*parsed);
  }
  team_filter ws;
  if (team_filtered.count(name) != 0 &&
      (name != "inject" || is_event_list(args))) {
    if (auto error = team_arg(args, ws))
      return *error;
  }
  if (name == "message")
    return control_message(args, ws);
  if (name == "inject")
    return control_inject(args, ws);
  if (name == "raw")
    return control_raw(args, ws);
  if (name == "drop")
    return control_drop(args, ws);
  if (name == "goodbye") {
    auto n = send_frame(text_payload(R"({"type":"goodbye"})"), ws);
    log_line("goodbye to " + std::to_string(n) + " socket(s)");
    return json_reply(200, {{"ok", true}, {"delivered", n}});
  }
  if (name == "pings")
    return control_pings(args);
  if (name == "fail")
    return control_fail(args);
  if (name == "acks")
    return control_acks(args);
  if (name == "team")
    return team_reply(team_.control(args), ws);
  if (name == "presence")
    return team_reply(team_.set_presence(args), ws);
  if (name == "revoke")
    return control_revoke(args);
  // reset
  rec_.clear();
  faults_.clear();
  answer_pings_ = true;
  ack_count_ = 0;
  log_line("reset");
  return json_reply(200, {{"ok", true}});
}

http_reply simulator::control_message(const json& body, team_filter ws) {
  auto channel = body.find("channel");
  if (channel == body.end() || !channel->is_string() || channel->empty())
    return bad_arguments("channel must be a non-empty string");
  auto ts = ts_.next();
  json event = {{"type", "message"}, {"channel", *channel}};
  for (const char* key : {"user", "text"})
    if (auto i = body.find(key); i != body.end())
      event[key] = *i;
  event["ts"] = ts;
  // Anything else (thread_ts, subtype, blocks...) goes along as given;
  // "team" is the socket's workspace.
  for (auto& [k, v] : body.items())
    if (event.find(k) == event.end() && k != "ts" && k != "team")
      event[k] = v;
  auto n = send_event(std::move(event), ws);
  return json_reply(200, {{"ok", true}, {"ts", ts}, {"delivered", n}});
}

http_reply simulator::control_inject(const json& body, team_filter ws) {
  std::size_t delivered = 0;
  if (is_event_list(body)) {
    for (const auto& e : body["events"])
      delivered += send_frame(text_payload(dump(e)), ws);
  } else {
    delivered = send_frame(text_payload(dump(body)), ws);
  }
  return json_reply(200, {{"ok", true}, {"delivered", delivered}});
}

http_reply simulator::control_raw(const json& body, team_filter ws) {
  // "text_base64": a text frame of any bytes, such as invalid UTF-8, which
  // a JSON string cannot carry.
  std::string key;
  int given = 0;
  for (auto k : {"text", "binary", "text_base64"})
    if (body.contains(k)) {
      key = k;
      ++given;
    }
  if (given != 1)
    return bad_arguments("give exactly one of text, binary and text_base64");
  auto& value = body.at(key);
  if (!value.is_string())
    return bad_arguments(key + " must be a string");
  auto bytes = value.get<std::string>();
  if (key == "text_base64") {
    auto decoded = unbase64(bytes);
    if (!decoded)
      return bad_arguments("text_base64 is not base64");
    bytes = std::move(*decoded);
  }
  payload p = text_payload(std::move(bytes));
  p.binary = key == "binary";
  auto n = send_frame(p, ws);
  return json_reply(200, {{"ok", true}, {"delivered", n}});
}

http_reply simulator::control_drop(const json& body, team_filter ws) {
  auto mode = body.value("mode", json("reset"));
  if (mode != "reset" && mode != "close" && mode != "corrupt")
    return bad_arguments("mode must be \"reset\", \"close\" or \"corrupt\"");
  std::vector<std::uint64_t> only;
  if (ws)
    only = sockets_of(*ws);
  auto ids = hub_.drop(mode == "reset"   ? drop_mode::reset
                       : mode == "close" ? drop_mode::close
                                         : drop_mode::corrupt,
                       ws ? &only : nullptr);
  for (auto id : ids)
    ws_closed(id);
  log_line("drop (" + mode.get<std::string>() + ") " +
           std::to_string(ids.size()) + " socket(s)");
  return json_reply(200, {{"ok", true}, {"dropped", ids.size()}});
}

http_reply simulator::control_revoke(const json& body) {
  auto token = body.find("token");
  bool by_token = token != body.end() && !token->is_null();
  bool by_team = body.contains("team") && !body["team"].is_null();
  if (by_token == by_team)
    return bad_arguments("give exactly one of token and team");
  bool restore = false;
  if (auto r = body.find("restore"); r != body.end() && !r->is_null()) {
    if (!r->is_boolean())
      return bad_arguments("restore must be true or false");
    restore = r->get<bool>();
  }
  // Which tokens; the log and the answer never show one.
  std::vector<std::size_t> ids;
  std::string what;
  if (by_token) {
    auto i = token->is_string() ? token_ids_.find(token->get<std::string>())
                                : token_ids_.end();
    if (i == token_ids_.end())
      return json_reply(400, {{"ok", false}, {"error", "token_not_found"}});
    ids.push_back(i->second);
    what = "a token of team " + workspaces_[tokens_[i->second].workspace].id;
  } else {
    team_filter ws;
    if (auto error = team_arg(body, ws))
      return *error;
    for (std::size_t t = 0; t < tokens_.size(); ++t)
      if (tokens_[t].workspace == *ws)
        ids.push_back(t);
    what = "the tokens of team " + workspaces_[*ws].id;
  }
  for (auto t : ids)
    tokens_[t].revoked = !restore;
  if (restore) {
    log_line("restored " + what);
    return json_reply(200, {{"ok", true}, {"restored", ids.size()}});
  }
  // Their sockets end as Slack ends them: a close frame (1001).
  std::vector<std::uint64_t> victims;
  for (const auto& [conn, owner] : sockets_)
    if (std::find(ids.begin(), ids.end(), owner.token) != ids.end())
      victims.push_back(conn);
  auto closed = hub_.drop(drop_mode::close, &victims);
  for (auto id : closed)
    ws_closed(id);
  log_line("revoked " + what + ", " + std::to_string(closed.size()) +
           " socket(s) closed");
  return json_reply(
      200, {{"ok", true}, {"revoked", ids.size()}, {"closed", closed.size()}});
}

http_reply simulator::control_pings(const json& body) {
  auto a = body.find("answer");
  if (a == body.end() || !a->is_boolean())
    return bad_arguments("answer must be true or false");
  answer_pings_ = a->get<bool>();
  log_line(answer_pings_ ? "answering pings" : "pings muted");
  return json_reply(200, {{"ok", true}});
}

http_reply simulator::control_acks(const json& body) {
  auto mode = body.find("mode");
  if (mode == body.end() || !mode->is_string() ||
      (*mode != "none" && *mode != "error" && *mode != "normal"))
    return bad_arguments("mode must be \"none\", \"error\" or \"normal\"");
  std::optional<long long> count;
  std::optional<long long> code;
  if (!int_field(body, "count", 1, 1000000, count) ||
      !int_field(body, "code", -1000, 1000, code))
    return bad_arguments("count must be 1..1000000, code -1000..1000");
  ack_mode_ = mode->get<std::string>();
  ack_count_ = ack_mode_ == "normal" ? 0 : count.value_or(1);
  ack_code_ = static_cast<int>(code.value_or(-1));
  auto msg = body.find("msg");
  ack_msg_ = msg != body.end() && msg->is_string()
                 ? msg->get<std::string>()
                 : std::string{"slow down, too many messages..."};
  return json_reply(200, {{"ok", true}});
}

http_reply simulator::control_fail(const json& body) {
  fault f;
  auto method = body.find("method");
  if (method == body.end() || !method->is_string() || method->empty())
    return bad_arguments("method must be a non-empty string");
  f.method = method->get<std::string>();
  std::optional<long long> count, status, retry_after, delay;
  if (!int_field(body, "count", 1, 1000000000, count))
    return bad_arguments("count must be a positive integer");
  if (!int_field(body, "status", 200, 599, status))
    return bad_arguments("status must be an integer from 200 to 599");
  if (!int_field(body, "retry_after", 0, 86400, retry_after))
    return bad_arguments("retry_after must be an integer of seconds");
  if (!int_field(body, "delay_ms", 0, 3600000, delay))
    return bad_arguments("delay_ms must be a non-negative integer");
  f.remaining = static_cast<int>(count.value_or(1));
  f.status = static_cast<int>(status.value_or(200));
  if (retry_after)
    f.retry_after = static_cast<int>(*retry_after);
  f.delay_ms = delay.value_or(0);
  if (auto e = body.find("error"); e != body.end() && !e->is_null()) {
    if (!e->is_string() || e->empty())
      return bad_arguments("error must be a non-empty string");
    f.error = e->get<std::string>();
  }
  if (auto c = body.find("channel"); c != body.end() && !c->is_null()) {
    if (!c->is_string())
      return bad_arguments("channel must be a string");
    f.channel = c->get<std::string>();
  }
  if (!f.error && f.status == 200 && f.delay_ms == 0)
    return bad_arguments("give status, error or delay_ms");
  log_line("fault queued for " + f.method);
  faults_.add(std::move(f));
  return json_reply(200, {{"ok", true}});
}

// -- benchmark floods ---------------------------------------------------------

http_reply simulator::control_flood(bool is_get, std::string_view body) {
  if (is_get) {
    if (!flood_)
      return json_reply(200, {{"ok", true}, {"flood", nullptr}});
    auto status = flood_->status();
    status["armed"] = armed_ != nullptr;
    return json_reply(200, status);
  }
  json args = json::object();
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    auto parsed = parse_json(body);
    if (!parsed || !parsed->is_object())
      return json_reply(400, {{"ok", false}, {"error", "invalid_json"}});
    args = std::move(*parsed);
  }
  flood_spec spec;
  std::optional<long long> count, size, channels, connection;
  if (!int_field(args, "count", 1, 10000000, count) ||
      !int_field(args, "size", 64, 16000, size) ||
      !int_field(args, "channels", 1, 100000, channels) ||
      !int_field(args, "connection", 1, 1LL << 62, connection))
    return bad_arguments("count 1..10000000, size 64..16000, channels "
                         "1..100000, connection a socket id");
  spec.count = static_cast<std::size_t>(count.value_or(100000));
  spec.size = static_cast<std::size_t>(size.value_or(600));
  spec.channels = static_cast<std::size_t>(channels.value_or(1));
  if (auto r = args.find("rate"); r != args.end() && !r->is_null()) {
    if (!r->is_number() || r->get<double>() < 0)
      return bad_arguments("rate must be events per second, 0 or more");
    spec.rate = r->get<double>();
  }
  if (auto t = args.find("template"); t != args.end() && !t->is_null()) {
    if (!t->is_object() || !t->contains("type"))
      return bad_arguments("template must be an event object with a type");
    spec.event = *t;
  }
  auto hello = args.value("hello", json("last"));
  if (hello == "all")
    spec.hello = flood_hello::all;
  else if (hello == "none")
    spec.hello = flood_hello::none;
  else if (hello != "last")
    return bad_arguments("hello must be \"last\", \"all\" or \"none\"");
  bool spread = args.value("spread", false);
  bool next_connection = args.value("on_next_connection", false);
  team_filter ws;
  if (auto error = team_arg(args, ws))
    return *error;

  std::vector<std::uint64_t> sockets;
  if (!next_connection) {
    auto open = hub_.open_sockets();
    // With "team": that workspace's sockets only.
    if (ws) {
      auto mine = sockets_of(*ws);
      open.erase(std::remove_if(open.begin(), open.end(),
                                [&](std::uint64_t id) {
                                  return std::find(mine.begin(), mine.end(),
                                                   id) == mine.end();
                                }),
                 open.end());
    }
    if (connection) {
      auto id = static_cast<std::uint64_t>(*connection);
      if (std::find(open.begin(), open.end(), id) != open.end())
        sockets.push_back(id);
    } else if (spread) {
      sockets = open;
    } else if (!open.empty()) {
      sockets.push_back(open.back()); // the newest socket
    }
    if (sockets.empty())
      return json_reply(409, {{"ok", false}, {"error", "no_open_socket"}});
  }
  spec.id = next_flood_++;
  flood_ = std::make_shared<flood_run>(std::move(spec));
  // The default event names each socket's workspace; a flood for the next
  // socket, that of `team` (or the default team).
  std::vector<std::string> teams;
  if (next_connection)
    teams.push_back(workspaces_[ws.value_or(0)].id);
  for (auto id : sockets) {
    auto team = socket_team(id);
    teams.push_back(team.is_string() ? team.get<std::string>()
                                     : workspaces_[0].id);
  }
  auto streams = flood_->encode(flood_, teams, ts_);
  if (next_connection) {
    armed_ = streams.front();
    armed_team_ = ws;
  } else {
    for (std::size_t i = 0; i < sockets.size(); ++i)
      hub_.flood(sockets[i], streams[i]);
  }
  log_line("flood " + std::to_string(flood_->spec().id) + ": " +
           std::to_string(flood_->spec().count) + " frames" +
           (next_connection
                ? " for the next socket"
                : " over " + std::to_string(sockets.size()) + " socket(s)"));
  auto status = flood_->status();
  status["armed"] = armed_ != nullptr;
  return json_reply(200, status);
}

void simulator::ws_ready(std::uint64_t conn) {
  if (!armed_)
    return;
  if (armed_team_) {
    auto owner = sockets_.find(conn);
    if (owner == sockets_.end() || owner->second.workspace != *armed_team_)
      return;
  }
  hub_.flood(conn, std::move(armed_));
  armed_.reset();
}

// -- team state ---------------------------------------------------------------

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

http_reply simulator::team_reply(const team_outcome& out, team_filter ws) {
  auto n = deliver(out, ws);
  json body = out.body;
  if (out.status == 200) {
    body["delivered"] = n;
    if (!out.broadcast.empty()) {
      body["events"] = out.broadcast;
      // As the targeted workspace got them.
      if (ws)
        for (auto& event : body["events"])
          if (event.contains("team"))
            event["team"] = workspaces_[*ws].id;
    }
  }
  return json_reply(out.status, body);
}

} // namespace sim
