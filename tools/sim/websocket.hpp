// websocket.hpp — the generic WebSocket server, free of Beast: what a socket
// protocol (RTM, Socket Mode) answers, and the hand-over of an upgraded
// request.
#pragma once

#include "socket_hub.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sim {

// For a TLS or WebSocket handshake, and a TLS shutdown.
inline constexpr std::chrono::seconds handshake_timeout{10};

// A socket just past its handshake: its id, and the first frame it gets
// (none if `first.data` is null).
struct ws_opening {
  std::uint64_t id = 0;
  bool accepted = false;
  payload first;
  // The code of the close frame that follows `first` on a refused socket.
  int close_code = 1000;
};

// The control frames a client sends, as a protocol hears of them.
enum class ws_control { ping, pong, close };

// What a kind of socket does with the sockets the WebSocket server runs.
class ws_protocol {
public:
  virtual ~ws_protocol() = default;
  // Redeems the ticket of a socket that just completed its handshake (what
  // its URL carries to name it: RTM's path ticket, Socket Mode's query); an
  // accepted socket gets `first` and stays open, another gets it and a close.
  virtual ws_opening ws_open(const std::string& ticket) = 0;
  // The accepted socket got its first frame.
  virtual void ws_ready(std::uint64_t conn) = 0;
  virtual void ws_frame(std::uint64_t conn, std::string_view data,
                        bool binary) = 0;
  // `client_close_code`: the code of the client's close frame, if it sent one.
  virtual void ws_closed(std::uint64_t conn,
                         std::optional<int> client_close_code) = 0;
  // A control frame from the client, read (a ping is answered by the
  // socket itself, as its wire_faults allow); `payload` is a close
  // frame's reason.
  virtual void ws_control_frame(std::uint64_t, ws_control, std::string_view) {}
};

// Takes over a connection whose HTTP request asked for a WebSocket: answers
// the handshake and runs the socket, attached to `hub` while it is open.
// Stream is the plain or TLS stream and Request the upgrade request, as
// server.cpp holds them; websocket.cpp defines it for both streams.
template <class Stream, class Request>
void run_websocket(Stream stream, Request upgrade, std::string ticket,
                   socket_registry& hub, ws_protocol& protocol);

} // namespace sim
