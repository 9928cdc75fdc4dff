// control.cpp — the /_sim control interface: recordings read back, events,
// faults and floods injected, team changes, tokens revoked.
#include "simulator.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace sim {

namespace {

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

} // namespace

http_reply simulator::control(bool is_get, std::string_view name,
                              std::string_view body) {
  if (name == "flood")
    return control_flood(is_get, body);
  if (name.substr(0, 11) == "socket_mode")
    return links_.control(is_get, name.substr(11), body);
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

  json args;
  if (auto error = json_body_arg(body, args))
    return *error;
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
  if (name == "goodbye")
    return json_reply(200, {{"ok", true}, {"delivered", goodbye(ws)}});
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
  links_.reset();
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
  auto inject = [&](const json& event) {
    delivered += send_frame(text_payload(dump(event)), ws);
    // Socket Mode apps get what is an event: an object with a type.
    if (event.is_object() && event.contains("type"))
      to_apps(event, ws);
  };
  if (is_event_list(body)) {
    for (const auto& e : body["events"])
      inject(e);
  } else {
    inject(body);
  }
  return json_reply(200, {{"ok", true}, {"delivered", delivered}});
}

http_reply simulator::control_raw(const json& body, team_filter ws) {
  payload p;
  if (auto error = raw_frame_arg(body, p))
    return *error;
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
  // An app token's sockets are Socket Mode's to close.
  std::size_t links_closed = 0;
  for (auto t : ids) {
    tokens_[t].revoked = !restore;
    if (tokens_[t].app)
      links_closed +=
          links_.set_revoked(*workspaces_[tokens_[t].workspace].app, !restore);
  }
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
  auto n = closed.size() + links_closed;
  log_line("revoked " + what + ", " + std::to_string(n) + " socket(s) closed");
  return json_reply(200,
                    {{"ok", true}, {"revoked", ids.size()}, {"closed", n}});
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

// -- team changes -------------------------------------------------------------

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

// -- benchmark floods ---------------------------------------------------------

http_reply simulator::control_flood(bool is_get, std::string_view body) {
  if (is_get) {
    if (!flood_)
      return json_reply(200, {{"ok", true}, {"flood", nullptr}});
    auto status = flood_->status();
    status["armed"] = armed_ != nullptr;
    return json_reply(200, status);
  }
  json args;
  if (auto error = json_body_arg(body, args))
    return *error;
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
  spec.socket_mode = args.value("socket_mode", false);
  bool spread = args.value("spread", false);
  bool next_connection = args.value("on_next_connection", false);
  if (spec.socket_mode && next_connection)
    return bad_arguments("on_next_connection is for RTM floods only");
  team_filter ws;
  if (auto error = team_arg(args, ws))
    return *error;

  // The sockets flooded, and per socket where its stream goes; none for a
  // flood waiting for the next socket.
  std::vector<std::uint64_t> sockets;
  std::vector<flood_target> targets;
  if (spec.socket_mode) {
    std::optional<std::size_t> app;
    if (ws) {
      app = workspaces_[*ws].app;
      if (!app)
        return json_reply(400, {{"ok", false}, {"error", "team_not_found"}});
    }
    // Envelopes go over every live socket of the app, as Slack spreads them.
    sockets = links_.flood_sockets(app);
    if (connection) {
      auto id = static_cast<std::uint64_t>(*connection);
      bool live =
          std::find(sockets.begin(), sockets.end(), id) != sockets.end();
      sockets =
          live ? std::vector<std::uint64_t>{id} : std::vector<std::uint64_t>{};
    }
  } else if (!next_connection) {
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
  }
  if (sockets.empty() && !next_connection)
    return json_reply(409, {{"ok", false}, {"error", "no_open_socket"}});
  spec.id = next_flood_++;
  flood_ = std::make_shared<flood_run>(std::move(spec));
  // The default event names each socket's workspace; a flood for the next
  // socket, that of `team` (or the default team).
  if (next_connection)
    targets.push_back({workspaces_[ws.value_or(0)].id, nullptr});
  for (auto id : sockets) {
    if (flood_->spec().socket_mode) {
      targets.push_back(links_.flood_target_of(id));
      continue;
    }
    auto team = socket_team(id);
    targets.push_back(
        {team.is_string() ? team.get<std::string>() : workspaces_[0].id,
         nullptr});
  }
  auto streams = flood_->encode(flood_, targets, ts_);
  if (next_connection) {
    armed_ = streams.front();
    armed_team_ = ws;
  } else if (flood_->spec().socket_mode) {
    links_.flood(flood_, sockets, streams);
  } else {
    for (std::size_t i = 0; i < sockets.size(); ++i)
      hub_.flood(sockets[i], streams[i]);
  }
  log_line("flood " + std::to_string(flood_->spec().id) + ": " +
           std::to_string(flood_->spec().count) + " frames" +
           (next_connection
                ? " for the next socket"
                : " over " + std::to_string(sockets.size()) +
                      (flood_->spec().socket_mode ? " Socket Mode" : "") +
                      " socket(s)"));
  auto status = flood_->status();
  status["armed"] = armed_ != nullptr;
  return json_reply(200, status);
}

} // namespace sim
