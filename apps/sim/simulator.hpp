// simulator.hpp — the simulated Slack: Web API methods, RTM frames and the
// /_sim control interface; it reaches sockets only through socket_hub.
#pragma once

#include "flood.hpp"
#include "sim_state.hpp"
#include "team.hpp"

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sim {

// One outgoing frame, serialised once and shared by every socket's queue.
struct payload {
  std::shared_ptr<const std::string> data;
  bool binary = false;
};

payload text_payload(std::string text);

enum class drop_mode { reset, close, corrupt };

// The open (accepted, not closing) WebSockets, as the network side keeps them.
class socket_hub {
public:
  virtual ~socket_hub() = default;
  virtual void send(std::uint64_t conn, const payload& p) = 0;
  // Returns how many sockets got the frame.
  virtual std::size_t broadcast(const payload& p) = 0;
  // Returns the ids of the sockets dropped; none of them is open afterwards.
  virtual std::vector<std::uint64_t> drop(drop_mode mode) = 0;
  // The ids of the open sockets, oldest first.
  virtual std::vector<std::uint64_t> open_sockets() const { return {}; }
  // Hands a flood's pre-encoded frames to a socket; false if it is not open.
  virtual bool flood(std::uint64_t, std::shared_ptr<flood_stream>) {
    return false;
  }
};

struct http_reply {
  int status = 200;
  std::string content_type = "application/json; charset=utf-8";
  std::string body;
  std::optional<int> retry_after;
};

http_reply json_reply(int status, const json& body);

struct sim_config {
  std::vector<std::string> tokens;
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
  bool bad_json = false;
  std::optional<fault> injected;

  millis delay_ms() const { return injected ? injected->delay_ms : 0; }
};

struct ws_opening {
  std::uint64_t id = 0;
  bool accepted = false;
  payload first;
};

class simulator {
public:
  simulator(sim_config cfg, socket_hub& hub);

  // `http_connection` numbers the TCP connection the call came on, so tests
  // can see keep-alive at work.
  api_call api_begin(std::uint64_t http_connection, std::string method,
                     std::string_view query, std::string_view content_type,
                     std::string_view body, std::string_view authorization);
  http_reply api_finish(const api_call& call);

  http_reply control(bool is_get, std::string_view name, std::string_view body);

  // Redeems the ticket of a socket that just completed its handshake.
  ws_opening ws_open(const std::string& ticket);
  // The socket said hello: a flood waiting for a new socket starts on it.
  void ws_ready(std::uint64_t conn);
  void ws_frame(std::uint64_t conn, std::string_view data, bool binary);
  // `client_close_code`: the code of the client's close frame, if it sent one.
  void ws_closed(std::uint64_t conn,
                 std::optional<int> client_close_code = std::nullopt);

private:
  http_reply answer(const api_call& call, int status, const json& body,
                    std::optional<std::string> ts = std::nullopt);
  http_reply post_message(const api_call& call);
  void rtm_message(std::uint64_t conn, const json& frame);

  http_reply control_message(const json& body);
  http_reply control_inject(const json& body);
  http_reply control_raw(const json& body);
  http_reply control_drop(const json& body);
  http_reply control_pings(const json& body);
  http_reply control_fail(const json& body);
  http_reply control_acks(const json& body);
  // Sends a team change's events; returns how many frames went out.
  std::size_t deliver(const team_outcome& out);
  http_reply team_reply(const team_outcome& out);
  http_reply control_flood(bool is_get, std::string_view body);

  sim_config cfg_;
  socket_hub& hub_;
  sim_clock clock_;
  ts_generator ts_;
  ticket_book tickets_;
  fault_queue faults_;
  recorder rec_;
  team team_;
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
  std::uint64_t next_flood_ = 1;
};

} // namespace sim
