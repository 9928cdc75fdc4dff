// socket_mode.cpp — Socket Mode's sockets: URLs and tickets, hello, refusals,
// server pings, client control frames, disconnects, closes and silences.
#include "socket_mode.hpp"

#include <algorithm>
#include <utility>

namespace sim {

namespace {

// Counters every app (and the simulator as a whole) keeps, in this order.
json zero_counters() {
  json c = json::object();
  for (const char* name :
       {"opens", "refused", "too_many_websockets", "envelopes", "acks",
        "duplicate_acks", "unknown_acks", "bad_frames", "redeliveries",
        "expired", "disconnects", "closes_with_frame", "closes_without_frame",
        "closed_by_server", "pings", "pongs", "client_pings"})
    c[name] = 0;
  return c;
}

bool app_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Per socket, the latest pings, pongs and disconnect reasons kept.
constexpr std::size_t max_kept = 100;

template <class T>
void keep_latest(std::deque<T>& list, T value) {
  list.push_back(std::move(value));
  if (list.size() > max_kept)
    list.pop_front();
}

} // namespace

socket_mode::socket_mode(std::vector<app_config> apps, socket_hub& hub,
                         scheduler& timers, const sim_clock& clock,
                         std::chrono::seconds url_ttl, std::string ws_base)
    : hub_(hub), timers_(timers), clock_(clock), tickets_(url_ttl),
      ws_base_(std::move(ws_base)), counters_(zero_counters()),
      rng_(std::random_device{}()) {
  for (auto& a : apps) {
    app_state s;
    s.cfg = std::move(a);
    s.counters = zero_counters();
    apps_.push_back(std::move(s));
  }
}

std::string socket_mode::app_id_for(const std::string& token,
                                    const std::string& team_id) {
  // "xapp-1-A0123ABC-…": the third field.
  const std::string prefix = "xapp-1-";
  if (token.compare(0, prefix.size(), prefix) == 0) {
    auto id = token.substr(prefix.size());
    id = id.substr(0, id.find('-'));
    if (id.size() >= 2 && id.size() <= 32 && id[0] == 'A' &&
        std::all_of(id.begin(), id.end(), app_id_char))
      return id;
  }
  return "A" + team_id.substr(1);
}

// -- the Web API's side -------------------------------------------------------

socket_mode::open_answer socket_mode::open_url(std::size_t app) {
  const auto& a = apps_[app];
  if (!a.link_enabled)
    return {{}, a.link_error};
  auto ticket = tickets_.issue(app);
  return {ws_base_ + "/link/?ticket=" + ticket + "&app_id=" + a.cfg.app_id, {}};
}

std::size_t socket_mode::set_revoked(std::size_t app, bool revoked) {
  apps_[app].revoked = revoked;
  if (!revoked)
    return 0;
  auto victims = live_sockets(app);
  for (auto conn : victims)
    close_socket(conn, drop_mode::close);
  return victims.size();
}

// -- sockets ------------------------------------------------------------------

std::vector<std::uint64_t> socket_mode::live_sockets(std::size_t app) const {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, s] : sockets_)
    if (s.live && s.app == app)
      ids.push_back(id);
  return ids;
}

void socket_mode::bump(std::size_t app, const char* counter, long long by) {
  auto& c = apps_[app].counters[counter];
  c = c.get<long long>() + by;
  auto& total = counters_[counter];
  total = total.get<long long>() + by;
}

void socket_mode::later(long ms, std::function<void()> fn) {
  timers_.after(std::chrono::milliseconds(std::max(0L, ms)),
                [this, epoch = epoch_, fn = std::move(fn)] {
                  if (epoch == epoch_)
                    fn();
                });
}

json socket_mode::hello(std::uint64_t conn, const link_socket& s) const {
  long lifetime = s.debug_reconnects ? 360 : cfg_.connection_time_s;
  return {{"type", "hello"},
          {"num_connections", live_sockets(s.app).size()},
          {"debug_info",
           {{"host", "applink-sim-" + std::to_string(conn)},
            {"build_number", 1},
            {"approximate_connection_time", lifetime}}},
          {"connection_info", {{"app_id", apps_[s.app].cfg.app_id}}}};
}

json socket_mode::disconnect_frame(std::uint64_t conn,
                                   const std::string& reason) const {
  return {{"type", "disconnect"},
          {"reason", reason},
          {"debug_info", {{"host", "applink-sim-" + std::to_string(conn)}}}};
}

ws_opening socket_mode::refuse(std::uint64_t id, link_socket& s,
                               const std::string& why, payload first,
                               int close_code) {
  s.refused = why;
  s.closed_ms = s.opened_ms;
  s.closed_by = "server";
  log_line("socket mode socket " + std::to_string(id) + " refused: " + why);
  ws_opening o;
  o.id = id;
  o.first = std::move(first);
  o.close_code = close_code;
  return o;
}

ws_opening socket_mode::ws_open(const std::string& query) {
  prune();
  auto id = next_socket_++;
  auto& s = sockets_[id];
  s.opened_ms = clock_.now_ms();
  auto params = parse_form(query);
  auto ticket = param_text(params, "ticket");
  auto owner = ticket ? tickets_.redeem(*ticket) : std::nullopt;
  // A URL is used as given: its app_id must be the ticket's app's.
  if (!owner || param_text(params, "app_id") != apps_[*owner].cfg.app_id) {
    counters_["refused"] = counters_["refused"].get<long long>() + 1;
    return refuse(id, s, "invalid_ticket", {}, 1008);
  }
  s.app = *owner;
  s.debug_reconnects = truthy(params, "debug_reconnects");
  auto& app = apps_[s.app];
  std::string why;
  if (app.revoked)
    why = "token_revoked";
  else if (!app.link_enabled)
    why = "link_disabled";
  else if (live_sockets(s.app).size() >=
           static_cast<std::size_t>(cfg_.max_sockets))
    why = "too_many_websockets";
  if (!why.empty()) {
    bump(s.app, "refused");
    if (why == "token_revoked")
      return refuse(id, s, why, {}, 1008);
    // During the handshake: the disconnect frame instead of hello.
    bump(s.app, "disconnects");
    if (why == "too_many_websockets")
      bump(s.app, "too_many_websockets");
    keep_latest(s.disconnects, why);
    return refuse(id, s, why, text_payload(dump(disconnect_frame(id, why))),
                  1000);
  }
  bump(s.app, "opens");
  s.accepted = true;
  s.live = true;
  s.faults = app.faults;
  log_line("socket mode socket " + std::to_string(id) + " open (app " +
           app.cfg.app_id + ")");
  ws_opening o;
  o.id = id;
  o.accepted = true;
  o.first = text_payload(dump(hello(id, s)));
  return o;
}

void socket_mode::ws_ready(std::uint64_t conn) {
  auto& s = sockets_.at(conn);
  hub_.set_faults(conn, s.faults);
  schedule_ping(conn);
  long lifetime = s.debug_reconnects ? 360 : cfg_.connection_time_s;
  // Slack recycles a socket after about its approximate_connection_time.
  if (lifetime > 0)
    timers_.after(std::chrono::seconds(lifetime), [this, conn] {
      disconnect(conn, "refresh_requested", cfg_.grace_ms);
    });
  flush_queue(s.app);
}

void socket_mode::schedule_ping(std::uint64_t conn) {
  long interval = cfg_.ping_interval_ms;
  // With pings off, look again now and then whether they are back on.
  // Not `later`: a reset does not stop them.
  auto wait = std::chrono::milliseconds(interval > 0 ? interval : 1000);
  timers_.after(wait, [this, conn, interval] {
    auto i = sockets_.find(conn);
    if (i == sockets_.end() || !i->second.live)
      return;
    auto& s = i->second;
    if (interval > 0 && !s.silent &&
        hub_.ping(conn, "Ping from applink-sim-" + std::to_string(conn))) {
      keep_latest(s.ping_ms, clock_.now_ms());
      ++s.pings;
      bump(s.app, "pings");
    }
    schedule_ping(conn);
  });
}

void socket_mode::ws_control_frame(std::uint64_t conn, ws_control kind,
                                   std::string_view) {
  auto i = sockets_.find(conn);
  if (i == sockets_.end() || i->second.silent)
    return;
  auto& s = i->second;
  auto now = clock_.now_ms();
  if (kind == ws_control::ping) {
    ++s.client_pings;
    bump(s.app, "client_pings");
  } else if (kind == ws_control::pong) {
    keep_latest(s.pong_ms, now);
    ++s.pongs;
    bump(s.app, "pongs");
  } else if (!s.close_frame_ms) {
    // The client's close frame: it closed the socket, whatever the TCP
    // connection does next.
    s.close_frame_ms = now;
    if (!s.closed_ms) {
      s.live = false;
      s.closed_ms = now;
      s.closed_by = "client";
      bump(s.app, "closes_with_frame");
    }
  }
}

void socket_mode::ws_closed(std::uint64_t conn,
                            std::optional<int> client_close_code) {
  auto i = sockets_.find(conn);
  if (i == sockets_.end())
    return;
  auto& s = i->second;
  if (client_close_code)
    s.client_close_code = client_close_code;
  if (s.closed_ms)
    return;
  s.live = false;
  s.closed_ms = clock_.now_ms();
  s.closed_by = "client";
  bump(s.app, client_close_code ? "closes_with_frame" : "closes_without_frame");
}

void socket_mode::disconnect(std::uint64_t conn, const std::string& reason,
                             long close_after_ms) {
  auto i = sockets_.find(conn);
  if (i == sockets_.end() || !i->second.live)
    return;
  auto& s = i->second;
  keep_latest(s.disconnects, reason);
  bump(s.app, "disconnects");
  if (reason == "too_many_websockets")
    bump(s.app, "too_many_websockets");
  if (!s.silent)
    hub_.send(conn, text_payload(dump(disconnect_frame(conn, reason))));
  if (close_after_ms >= 0)
    later(close_after_ms,
          [this, conn] { close_socket(conn, drop_mode::close); });
}

void socket_mode::close_socket(std::uint64_t conn, drop_mode mode) {
  auto i = sockets_.find(conn);
  if (i == sockets_.end() || !i->second.live)
    return;
  auto& s = i->second;
  s.live = false;
  s.closed_ms = clock_.now_ms();
  s.closed_by = "server";
  bump(s.app, "closed_by_server");
  std::vector<std::uint64_t> one{conn};
  hub_.drop(mode, &one);
  log_line("socket mode socket " + std::to_string(conn) +
           " closed by the simulator");
}

void socket_mode::set_socket_faults(std::uint64_t conn, const wire_faults& f) {
  auto& s = sockets_.at(conn);
  s.faults = f;
  s.faults.mute = s.silent;
  hub_.set_faults(conn, s.faults);
}

void socket_mode::silence(std::uint64_t conn, long ms) {
  auto& s = sockets_.at(conn);
  auto token = ++s.silence;
  s.silent = ms > 0;
  set_socket_faults(conn, s.faults);
  if (ms > 0)
    later(ms, [this, conn, token] {
      auto i = sockets_.find(conn);
      if (i == sockets_.end() || i->second.silence != token ||
          !i->second.silent)
        return;
      i->second.silent = false;
      if (i->second.live)
        set_socket_faults(conn, i->second.faults);
    });
}

void socket_mode::reset() {
  ++epoch_;
  acks_.clear();
  envelopes_.clear();
  envelope_ids_.clear();
  events_.clear();
  counters_ = zero_counters();
  for (auto& app : apps_) {
    app.link_enabled = true;
    app.faults = {};
    app.queue.clear();
    app.counters = zero_counters();
  }
  for (auto& [id, s] : sockets_)
    if (s.live) {
      s.silent = false;
      set_socket_faults(id, {});
    }
}

} // namespace sim
