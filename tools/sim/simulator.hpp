// simulator.hpp — the simulated Slack: Web API methods, the RTM socket and
// the /_sim control interface; it reaches sockets only through socket_hub.
#pragma once

#include "control_args.hpp"
#include "flood.hpp"
#include "sim_state.hpp"
#include "socket_hub.hpp"
#include "socket_mode.hpp"
#include "team.hpp"
#include "websocket.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace sim {

// One simulated workspace (team) and the tokens that belong to it: bot
// tokens, and its Socket Mode app's app-level token.
struct workspace_config {
  std::string id;
  std::string name;
  std::string domain;
  std::vector<std::string> tokens;
  std::string app_token;
};

struct sim_config {
  // The first is the default team, T0SIM0001 "Simulated".
  std::vector<workspace_config> workspaces;
  std::chrono::seconds url_ttl{30};
  // "ws://127.0.0.1:PORT" or "wss://...", to build socket URLs.
  std::string ws_base;
  // Generated users and channels on top of the seeded team (pagination).
  int extra_users = 0;
  int extra_channels = 0;
};

// A Web API call between receipt and answer (a delay fault may lie between).
struct api_call {
  std::uint64_t id = 0;
  std::string method;
  json params;
  std::optional<std::string> token;
  // The token's index among the simulator's tokens, if it is one of them.
  std::optional<std::size_t> token_id;
  bool bad_json = false;
  std::optional<fault> injected;

  millis delay_ms() const { return injected ? injected->delay_ms : 0; }
};

// One class, its members defined by role: simulator.cpp (workspaces, tokens
// and sockets), web_api.cpp, rtm_socket.cpp and control.cpp. Socket Mode is
// its member's (socket_mode.hpp), on sockets of a hub of their own.
class simulator final : public ws_protocol {
public:
  simulator(sim_config cfg, socket_hub& hub, socket_hub& link_hub,
            scheduler& timers);

  // The protocol of the Socket Mode sockets (/link/).
  ws_protocol& socket_mode_protocol() { return links_; }

  // -- Web API (web_api.cpp) --------------------------------------------------

  // `http_connection` numbers the TCP connection the call came on, so tests
  // can see keep-alive at work.
  api_call api_begin(std::uint64_t http_connection, std::string method,
                     std::string_view query, std::string_view content_type,
                     std::string_view body, std::string_view authorization);
  http_reply api_finish(const api_call& call);

  // -- control interface (control.cpp) ----------------------------------------

  http_reply control(bool is_get, std::string_view name, std::string_view body);

  // -- RTM socket (rtm_socket.cpp) --------------------------------------------

  // Redeems the ticket of a socket that just completed its handshake.
  ws_opening ws_open(const std::string& ticket) override;
  // The socket said hello: a flood waiting for a new socket starts on it.
  void ws_ready(std::uint64_t conn) override;
  void ws_frame(std::uint64_t conn, std::string_view data,
                bool binary) override;
  // `client_close_code`: the code of the client's close frame, if it sent one.
  void ws_closed(std::uint64_t conn,
                 std::optional<int> client_close_code = std::nullopt) override;

private:
  // A workspace is named by its index in workspaces_; nullopt where a
  // workspace is optional means every workspace.
  using team_filter = std::optional<std::size_t>;

  struct workspace {
    std::string id;
    std::string name;
    std::string domain;
    // Its Socket Mode app, if it has an app token: the index of socket_mode.
    std::optional<std::size_t> app;
  };
  struct token_state {
    std::size_t workspace = 0;
    bool revoked = false;
    // The workspace's app-level token.
    bool app = false;
  };
  struct socket_owner {
    std::size_t token = 0;
    std::size_t workspace = 0;
  };

  // -- Web API (web_api.cpp) --------------------------------------------------

  http_reply answer(const api_call& call, int status, const json& body,
                    std::optional<std::string> ts = std::nullopt);
  http_reply post_message(const api_call& call, std::size_t ws);

  // -- RTM socket (rtm_socket.cpp) --------------------------------------------

  void rtm_message(std::uint64_t conn, const json& frame);
  // {"type":"goodbye"} to the open sockets of `ws` (or all); how many got it.
  std::size_t goodbye(team_filter ws);

  // -- workspaces and sockets (simulator.cpp) ---------------------------------

  // The team object of team.info and rtm.start.
  json team_json(std::size_t ws) const;
  // The team id of an open socket, or null.
  json socket_team(std::uint64_t conn) const;
  std::vector<std::uint64_t> sockets_of(std::size_t ws) const;
  // Reads the optional "team" field of a control body into `ws`; an error
  // answer if it names no workspace.
  std::optional<http_reply> team_arg(const json& body, team_filter& ws) const;
  // One frame, as is, to the open sockets of `ws` (or all); how many got it.
  std::size_t send_frame(const payload& p, team_filter ws);
  // An event to the open sockets of `ws` (or all), its "team" set to each
  // socket's workspace: serialised once per workspace.
  std::size_t send_event(json event, team_filter ws);
  // An event to the Socket Mode app of `ws` (if it has an app token), or
  // of every workspace, as an events_api envelope.
  void to_app(std::size_t ws, const json& event);
  void to_apps(const json& event, team_filter ws);
  json workspaces_json() const;
  // Sends a team change's events; returns how many frames went out.
  std::size_t deliver(const team_outcome& out, team_filter ws);

  // -- control interface (control.cpp) ----------------------------------------

  http_reply control_message(const json& body, team_filter ws);
  http_reply control_inject(const json& body, team_filter ws);
  http_reply control_raw(const json& body, team_filter ws);
  http_reply control_drop(const json& body, team_filter ws);
  http_reply control_pings(const json& body);
  http_reply control_fail(const json& body);
  http_reply control_acks(const json& body);
  http_reply control_revoke(const json& body);
  http_reply team_reply(const team_outcome& out, team_filter ws);
  http_reply control_flood(bool is_get, std::string_view body);

  sim_config cfg_;
  socket_hub& hub_;
  sim_clock clock_;
  ts_generator ts_;
  ticket_book tickets_;
  fault_queue faults_;
  recorder rec_;
  team team_;
  socket_mode links_;
  std::vector<workspace> workspaces_;
  std::vector<token_state> tokens_;
  std::unordered_map<std::string, std::size_t> token_ids_;
  // The open sockets (accepted, not yet closed) and whose they are.
  std::map<std::uint64_t, socket_owner> sockets_;
  bool answer_pings_ = true;
  // Ack faults for the next `ack_count_` message frames: "none" loses the
  // frame (no ack, no event), "error" answers ok:false with code and msg.
  std::string ack_mode_ = "normal";
  long long ack_count_ = 0;
  int ack_code_ = -1;
  std::string ack_msg_;
  // The benchmark's flood: the latest one, and one waiting for a socket.
  std::shared_ptr<flood_run> flood_;
  std::shared_ptr<flood_stream> armed_;
  // The workspace whose next socket the armed flood waits for, if one.
  team_filter armed_team_;
  std::uint64_t next_flood_ = 1;
};

} // namespace sim
