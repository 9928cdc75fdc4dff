// socket_mode_delivery.cpp — Socket Mode's envelopes: events wrapped as
// events_api envelopes, round robin over an app's sockets, acks, ack
// deadlines, redeliveries, and the queue of events waiting for a socket.
#include "socket_mode.hpp"
#include "team.hpp"

#include <cstdio>
#include <utility>

namespace sim {

namespace {

// The deprecated verification token every payload carries.
const char* const verification_token = "sim-verification-token";
// Events waiting for a socket, per app; the oldest are given up beyond.
constexpr std::size_t max_queue = 1000;
// Records kept; the oldest finished ones are forgotten beyond.
constexpr std::size_t max_events = 10000;
constexpr std::size_t max_envelopes = 10000;
constexpr std::size_t max_acks = 10000;
constexpr std::size_t max_closed_sockets = 1000;

} // namespace

std::string socket_mode::new_envelope_id() {
  std::string id;
  do {
    // 8-4-4-4-12 hexadecimal digits, like Slack's.
    id = random_hex(rng_);
    for (std::size_t at : {20, 16, 12, 8})
      id.insert(at, 1, '-');
  } while (envelope_ids_.count(id) != 0);
  return id;
}

std::string socket_mode::deliver_event(std::size_t app, const json& event) {
  char id[32];
  std::snprintf(id, sizeof id, "Ev0S%08llu",
                static_cast<unsigned long long>(next_event_++));
  auto& e = events_[id];
  e.app = app;
  json body = event;
  // Events API events carry event_ts; RTM's message events only ts.
  if (body.is_object() && !body.contains("event_ts") && body.contains("ts"))
    body["event_ts"] = body["ts"];
  e.payload = event_payload(app, id, std::move(body));
  send_event(id, "");
  prune();
  return id;
}

json socket_mode::event_payload(std::size_t app, const std::string& event_id,
                                json event) const {
  const auto& a = apps_[app].cfg;
  json authorization = {{"enterprise_id", nullptr},
                        {"team_id", a.team_id},
                        {"user_id", bot_user},
                        {"is_bot", true},
                        {"is_enterprise_install", false}};
  return {{"token", verification_token},
          {"team_id", a.team_id},
          {"api_app_id", a.app_id},
          {"type", "event_callback"},
          {"event_id", event_id},
          {"event_time", now_seconds()},
          {"authorizations", json::array({authorization})},
          {"event", std::move(event)}};
}

json socket_mode::events_api_envelope(const std::string& envelope_id,
                                      int retry_attempt,
                                      const std::string& retry_reason,
                                      json payload) {
  return {{"envelope_id", envelope_id},        {"type", "events_api"},
          {"accepts_response_payload", false}, {"retry_attempt", retry_attempt},
          {"retry_reason", retry_reason},      {"payload", std::move(payload)}};
}

std::uint64_t socket_mode::send_envelope(std::size_t app, const json& envelope,
                                         std::optional<std::uint64_t> socket) {
  std::uint64_t conn = 0;
  if (socket) {
    conn = *socket;
  } else {
    auto live = live_sockets(app);
    if (live.empty())
      return 0;
    conn = live[apps_[app].round_robin++ % live.size()];
  }
  auto& s = sockets_.at(conn);
  auto seq = next_envelope_++;
  auto& r = envelopes_[seq];
  r.id = envelope.at("envelope_id").get<std::string>();
  r.type = envelope.at("type").get<std::string>();
  r.app = app;
  if (r.type == "events_api") {
    r.event_id = envelope.at("payload").at("event_id").get<std::string>();
    r.retry_attempt = envelope.at("retry_attempt").get<int>();
    r.retry_reason = envelope.at("retry_reason").get<std::string>();
  }
  r.socket = conn;
  r.sent_ms = clock_.now_ms();
  r.lost = s.silent;
  envelope_ids_[r.id] = seq;
  ++s.envelopes;
  bump(app, "envelopes");
  if (!r.lost)
    hub_.send(conn, text_payload(dump(envelope)));
  return seq;
}

void socket_mode::send_event(const std::string& event_id,
                             const std::string& reason) {
  auto& e = events_.at(event_id);
  if (live_sockets(e.app).empty())
    return queue_event(event_id);
  auto envelope =
      events_api_envelope(new_envelope_id(), e.next_attempt, reason, e.payload);
  auto seq = send_envelope(e.app, envelope, std::nullopt);
  if (e.next_attempt > 0)
    bump(e.app, "redeliveries");
  ++e.next_attempt;
  later(cfg_.ack_timeout_ms, [this, seq] { on_deadline(seq); });
}

void socket_mode::expire(event_record& e) {
  e.expired = true;
  e.queued = false;
  bump(e.app, "expired");
}

void socket_mode::queue_event(const std::string& event_id) {
  auto& e = events_.at(event_id);
  // The first delivery went to no socket: what comes later is a retry.
  e.next_attempt = std::max(e.next_attempt, 1);
  if (e.queued)
    return;
  e.queued = true;
  e.queued_ms = clock_.now_ms();
  auto& queue = apps_[e.app].queue;
  queue.push_back(event_id);
  if (queue.size() > max_queue) {
    if (auto oldest = events_.find(queue.front()); oldest != events_.end())
      expire(oldest->second);
    queue.pop_front();
  }
}

void socket_mode::flush_queue(std::size_t app) {
  auto queue = std::move(apps_[app].queue);
  apps_[app].queue.clear();
  auto now = clock_.now_ms();
  for (const auto& id : queue) {
    auto i = events_.find(id);
    if (i == events_.end() || !i->second.queued)
      continue;
    auto& e = i->second;
    e.queued = false;
    if (e.acked)
      continue;
    if (now - e.queued_ms > cfg_.queue_ttl_ms ||
        e.next_attempt > cfg_.max_retries)
      expire(e);
    else
      send_event(id, "timeout");
  }
}

void socket_mode::on_deadline(std::uint64_t envelope_seq) {
  auto i = envelopes_.find(envelope_seq);
  if (i == envelopes_.end() || i->second.acked_ms)
    return;
  auto ev = events_.find(i->second.event_id);
  if (ev == events_.end())
    return;
  auto& e = ev->second;
  // Acked, waiting for a socket, given up, or carried on by a newer
  // envelope: nothing to do.
  if (e.acked || e.queued || e.expired ||
      e.next_attempt > i->second.retry_attempt + 1)
    return;
  if (e.next_attempt > cfg_.max_retries)
    return expire(e);
  send_event(ev->first, "timeout");
}

void socket_mode::on_ack(link_socket& s, std::uint64_t conn, const json& frame,
                         millis at) {
  auto id = frame.find("envelope_id");
  if (id == frame.end() || !id->is_string())
    return bump(s.app, "bad_frames");
  // A flood's envelopes are counted by the flood alone: no record each.
  if (flood_ && flood_->ack(id->get_ref<const std::string&>(), steady_ns()))
    return;
  auto seq = envelope_ids_.find(id->get<std::string>());
  if (seq == envelope_ids_.end())
    return bump(s.app, "unknown_acks");
  auto& env = envelopes_.at(seq->second);
  auto delay = at - env.sent_ms;
  bool duplicate = env.acked_ms.has_value();
  auto payload = frame.find("payload");
  acks_.push_back(
      {{"envelope_id", env.id},
       {"type", env.type},
       {"event_id", env.event_id.empty() ? json() : json(env.event_id)},
       {"team", apps_[env.app].cfg.team_id},
       {"socket", conn},
       {"envelope_socket", env.socket},
       {"retry_attempt",
        env.type == "events_api" ? json(env.retry_attempt) : json()},
       {"sent_ms", env.sent_ms},
       {"received_ms", at},
       {"delay_ms", delay},
       {"late", delay > cfg_.ack_timeout_ms},
       {"duplicate", duplicate},
       {"payload", payload == frame.end() ? json() : *payload}});
  if (acks_.size() > max_acks)
    acks_.pop_front();
  ++s.acks;
  bump(env.app, duplicate ? "duplicate_acks" : "acks");
  if (duplicate)
    return;
  env.acked_ms = at;
  if (auto e = events_.find(env.event_id); e != events_.end())
    e->second.acked = true;
}

// -- benchmark floods ---------------------------------------------------------

std::vector<std::uint64_t>
socket_mode::flood_sockets(std::optional<std::size_t> app) const {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, s] : sockets_)
    if (s.live && (!app || s.app == *app))
      ids.push_back(id);
  return ids;
}

flood_target socket_mode::flood_target_of(std::uint64_t conn) const {
  auto app = sockets_.at(conn).app;
  return {apps_[app].cfg.team_id,
          events_api_envelope({}, 0, "", event_payload(app, {}, nullptr))};
}

void socket_mode::flood(
    std::shared_ptr<flood_run> run, const std::vector<std::uint64_t>& sockets,
    const std::vector<std::shared_ptr<flood_stream>>& streams) {
  flood_ = std::move(run);
  for (std::size_t i = 0; i < sockets.size(); ++i)
    hub_.flood(sockets[i], streams[i]);
}

void socket_mode::ws_frame(std::uint64_t conn, std::string_view data,
                           bool binary) {
  auto i = sockets_.find(conn);
  // Over a dead path nothing arrives: what the client sent is lost.
  if (i == sockets_.end() || i->second.silent)
    return;
  std::optional<json> frame;
  if (!binary)
    frame = parse_json(data);
  if (!frame || !frame->is_object())
    return bump(i->second.app, "bad_frames");
  on_ack(i->second, conn, *frame, clock_.now_ms());
}

void socket_mode::prune() {
  for (auto i = events_.begin();
       events_.size() > max_events && i != events_.end();) {
    if (i->second.acked || i->second.expired)
      i = events_.erase(i);
    else
      ++i;
  }
  while (envelopes_.size() > max_envelopes) {
    envelope_ids_.erase(envelopes_.begin()->second.id);
    envelopes_.erase(envelopes_.begin());
  }
  std::size_t closed = 0;
  for (const auto& [id, s] : sockets_)
    closed += s.live ? 0 : 1;
  for (auto i = sockets_.begin();
       closed > max_closed_sockets && i != sockets_.end();) {
    if (i->second.live) {
      ++i;
      continue;
    }
    i = sockets_.erase(i);
    --closed;
  }
}

} // namespace sim
