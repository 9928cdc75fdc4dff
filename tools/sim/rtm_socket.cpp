// rtm_socket.cpp — the RTM socket's protocol: hello for a ticket, ping/pong,
// message acks (and ack faults), presence frames, goodbye.
#include "simulator.hpp"

#include <utility>

namespace sim {

namespace {

const char* const expired_url =
    R"({"type":"error","error":{"code":1,"msg":"Socket URL has expired"}})";

bool positive_integer(const json& j) {
  if (j.is_number_unsigned())
    return j.get<std::uint64_t>() > 0;
  if (j.is_number_integer())
    return j.get<std::int64_t>() > 0;
  return false;
}

} // namespace

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

std::size_t simulator::goodbye(team_filter ws) {
  auto n = send_frame(text_payload(R"({"type":"goodbye"})"), ws);
  log_line("goodbye to " + std::to_string(n) + " socket(s)");
  return n;
}

// A flood armed for the next socket (POST /_sim/flood) starts on this one.
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

} // namespace sim
