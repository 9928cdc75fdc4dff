// socket_mode.hpp — Slack's Socket Mode beside RTM: each workspace's app, its
// sockets (/link/), envelopes, acks, redeliveries and faults; free of Beast.
#pragma once

#include "control_args.hpp"
#include "flood.hpp"
#include "sim_state.hpp"
#include "socket_hub.hpp"
#include "websocket.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim {

// One workspace's app: what its envelopes and hello name.
struct app_config {
  std::string app_id;
  std::string team_id;
  std::string team_domain;
};

// What POST /_sim/socket_mode/config sets; see docs/simulator.md.
struct socket_mode_config {
  long ack_timeout_ms = 3000;
  long max_retries = 3;
  long ping_interval_ms = 10000;
  long max_sockets = 10;
  long connection_time_s = 18060;
  long warning_close_ms = 10000;
  long grace_ms = 1000;
  long queue_ttl_ms = 360000;
};

// One class, its members defined by role: socket_mode.cpp (the sockets),
// socket_mode_delivery.cpp (envelopes and acks), socket_mode_control.cpp
// (/_sim/socket_mode/... settings, faults, reads) and socket_mode_inject.cpp
// (envelopes and frames injected).
class socket_mode final : public ws_protocol {
public:
  socket_mode(std::vector<app_config> apps, socket_hub& hub, scheduler& timers,
              const sim_clock& clock, std::chrono::seconds url_ttl,
              std::string ws_base);

  // The app id an app token names ("xapp-1-A…-…"), else "A" and the team
  // id without its "T".
  static std::string app_id_for(const std::string& token,
                                const std::string& team_id);

  // -- the Web API's side (socket_mode.cpp) -----------------------------------

  // apps.connections.open for app `app`: a fresh socket URL, or the error
  // code while its link is disabled.
  struct open_answer {
    std::string url;
    std::string error;
  };
  open_answer open_url(std::size_t app);
  // The app's token was revoked (its sockets are closed: how many) or
  // restored.
  std::size_t set_revoked(std::size_t app, bool revoked);

  // -- events (socket_mode_delivery.cpp) --------------------------------------

  // An event the workspace's RTM sockets get, as an events_api envelope;
  // returns its event_id.
  std::string deliver_event(std::size_t app, const json& event);

  // -- benchmark floods (socket_mode_delivery.cpp) ----------------------------

  // The live sockets of app `app` (of every app if none), in id order.
  std::vector<std::uint64_t>
  flood_sockets(std::optional<std::size_t> app) const;
  // Where a flood's frames to live socket `conn` go: its app's team, and
  // the envelope its events are wrapped in.
  flood_target flood_target_of(std::uint64_t conn) const;
  // `run`'s streams to their sockets; acks of its envelopes are counted by
  // `run` (not recorded here) from now on.
  void flood(std::shared_ptr<flood_run> run,
             const std::vector<std::uint64_t>& sockets,
             const std::vector<std::shared_ptr<flood_stream>>& streams);

  // -- control interface (socket_mode_control.cpp) ---------------------------

  // `name`: what follows "/_sim/socket_mode" ("" or "/acks", ...).
  http_reply control(bool is_get, std::string_view name, std::string_view body);
  // /_sim/reset: recordings, counters and faults forgotten.
  void reset();

  // -- the socket protocol (socket_mode.cpp; frames: the delivery's) ---------

  ws_opening ws_open(const std::string& query) override;
  void ws_ready(std::uint64_t conn) override;
  // A client's frame: an ack, or recorded with what is wrong with it.
  void ws_frame(std::uint64_t conn, std::string_view data,
                bool binary) override;
  void ws_closed(std::uint64_t conn,
                 std::optional<int> client_close_code) override;
  void ws_control_frame(std::uint64_t conn, ws_control kind,
                        std::string_view payload) override;

private:
  struct app_state {
    app_config cfg;
    bool revoked = false;
    bool link_enabled = true;
    std::string link_error = "no_permission";
    // Faults new sockets start with.
    wire_faults faults;
    std::size_t round_robin = 0;
    // Events waiting for a socket, oldest first.
    std::deque<std::string> queue;
    json counters;
  };
  struct link_socket {
    std::size_t app = 0;
    bool accepted = false;
    // Accepted and neither closed nor being closed: envelopes may go here.
    bool live = false;
    std::string refused;
    millis opened_ms = 0;
    std::optional<millis> closed_ms;
    std::string closed_by;
    std::optional<int> client_close_code;
    std::optional<millis> close_frame_ms;
    bool silent = false;
    // Numbers silences, so that the end of an old one does nothing.
    std::uint64_t silence = 0;
    wire_faults faults;
    // The latest server pings and client pongs (the counts: all of them).
    std::deque<millis> ping_ms;
    std::deque<millis> pong_ms;
    std::size_t pings = 0;
    std::size_t pongs = 0;
    std::size_t client_pings = 0;
    std::size_t envelopes = 0;
    std::size_t acks = 0;
    std::deque<std::string> disconnects;
    bool debug_reconnects = false;
  };
  struct envelope_record {
    std::string id;
    std::string type;
    std::size_t app = 0;
    std::string event_id;
    int retry_attempt = 0;
    std::string retry_reason;
    std::uint64_t socket = 0;
    millis sent_ms = 0;
    // Sent into a silence: the client never saw it.
    bool lost = false;
    std::optional<millis> acked_ms;
  };
  struct event_record {
    std::size_t app = 0;
    json payload;
    // The retry_attempt of its next envelope.
    int next_attempt = 0;
    bool acked = false;
    bool queued = false;
    // Given up: retries used up, or too long in the queue.
    bool expired = false;
    millis queued_ms = 0;
  };

  // -- sockets (socket_mode.cpp) ----------------------------------------------

  std::vector<std::uint64_t> live_sockets(std::size_t app) const;
  json hello(std::uint64_t conn, const link_socket& s) const;
  json disconnect_frame(std::uint64_t conn, const std::string& reason) const;
  ws_opening refuse(std::uint64_t id, link_socket& s, const std::string& why,
                    payload first, int close_code);
  void schedule_ping(std::uint64_t conn);
  // Sends `disconnect` with `reason`, then closes after `close_after_ms`
  // (never if negative).
  void disconnect(std::uint64_t conn, const std::string& reason,
                  long close_after_ms);
  // The simulator ends a socket: drop_mode close (1001) or reset.
  void close_socket(std::uint64_t conn, drop_mode mode);
  void set_socket_faults(std::uint64_t conn, const wire_faults& f);
  void silence(std::uint64_t conn, long ms);
  void bump(std::size_t app, const char* counter, long long by = 1);
  // A callback that runs later unless /_sim/reset came in between.
  void later(long ms, std::function<void()> fn);

  // -- envelopes (socket_mode_delivery.cpp) -----------------------------------

  std::string new_envelope_id();
  // The Events API body of `event` for app `app`.
  json event_payload(std::size_t app, const std::string& event_id,
                     json event) const;
  static json events_api_envelope(const std::string& envelope_id,
                                  int retry_attempt,
                                  const std::string& retry_reason,
                                  json payload);
  // The envelope to the socket given, or the app's next live socket (round
  // robin in id order); the envelope's sequence number, 0 if no socket.
  std::uint64_t send_envelope(std::size_t app, const json& envelope,
                              std::optional<std::uint64_t> socket);
  // The event's next envelope, or its place in the queue when the app has
  // no live socket.
  void send_event(const std::string& event_id, const std::string& reason);
  void on_deadline(std::uint64_t envelope_seq);
  void expire(event_record& e);
  void flush_queue(std::size_t app);
  void queue_event(const std::string& event_id);
  void on_ack(link_socket& s, std::uint64_t conn, const json& frame, millis at);
  // Forgets the oldest finished events, envelopes and closed sockets.
  void prune();

  // -- control (socket_mode_control.cpp) --------------------------------------

  static bool names_socket(const json& args);
  // The sockets a control names: "socket" (one, open), else
  // "team" (that app's live ones), else every live one.
  std::optional<http_reply> targets(const json& args,
                                    std::vector<std::uint64_t>& out) const;
  std::optional<http_reply> app_arg(const json& args, std::size_t& app) const;
  // "team": that app; none: every app.
  std::optional<http_reply> apps_arg(const json& args,
                                     std::vector<std::size_t>& out) const;
  json config_json() const;
  http_reply control_config(bool is_get, const json& args);
  http_reply control_disconnect(const json& args);
  http_reply control_faults(const std::string& name, const json& args);
  http_reply control_link(const json& args);
  http_reply control_event(const json& args);
  http_reply control_interactive(const std::string& name, const json& args);
  http_reply control_raw(const json& args);
  json summary() const;
  json sockets_json() const;
  json envelopes_json() const;

  std::vector<app_state> apps_;
  socket_hub& hub_;
  scheduler& timers_;
  const sim_clock& clock_;
  ticket_book tickets_;
  std::string ws_base_;
  socket_mode_config cfg_;
  std::map<std::uint64_t, link_socket> sockets_;
  std::uint64_t next_socket_ = 1;
  // Envelopes by sequence number; ids to sequence numbers.
  std::map<std::uint64_t, envelope_record> envelopes_;
  std::unordered_map<std::string, std::uint64_t> envelope_ids_;
  std::uint64_t next_envelope_ = 1;
  // Events by id (their ids sort in creation order).
  std::map<std::string, event_record> events_;
  std::uint64_t next_event_ = 1;
  std::uint64_t next_trigger_ = 1;
  // The latest acks, oldest first.
  std::deque<json> acks_;
  // The latest Socket Mode flood, which counts its own acks.
  std::shared_ptr<flood_run> flood_;
  json counters_;
  // Counts /_sim/reset calls: a timer set before one does nothing.
  std::uint64_t epoch_ = 0;
  std::mt19937_64 rng_;
};

} // namespace sim
