// socket_hub.hpp — the open WebSockets as the simulator sees them (frames
// out, drops, floods), whatever protocol they speak; free of Beast.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace sim {

class flood_stream;

// One outgoing frame, serialised once and shared by every socket's queue.
struct payload {
  std::shared_ptr<const std::string> data;
  bool binary = false;
};

payload text_payload(std::string text);

enum class drop_mode { reset, close, corrupt };

// How a socket misbehaves on the wire, below the frames a protocol sends.
struct wire_faults {
  // Nothing is written: frames and pings handed over are discarded, the
  // client's pings go unanswered (a half-open connection).
  bool mute = false;
  // The client's pings are answered this many ms late; -1: never.
  long pong_delay_ms = 0;
};

// Runs a callback later, on the one thread the network side runs on.
class scheduler {
public:
  virtual ~scheduler() = default;
  virtual void after(std::chrono::milliseconds delay,
                     std::function<void()> fn) = 0;
};

// The open (accepted, not closing) WebSockets, as the network side keeps them.
class socket_hub {
public:
  virtual ~socket_hub() = default;
  // False if that socket is not open.
  virtual bool send(std::uint64_t conn, const payload& p) = 0;
  // Returns how many sockets got the frame.
  virtual std::size_t broadcast(const payload& p) = 0;
  // Drops every open socket, or those of `only` that are open. Returns the
  // ids of the sockets dropped; none of them is open afterwards.
  virtual std::vector<std::uint64_t>
  drop(drop_mode mode, const std::vector<std::uint64_t>* only) = 0;
  // The ids of the open sockets, oldest first.
  virtual std::vector<std::uint64_t> open_sockets() const { return {}; }
  // Hands a flood's pre-encoded frames to a socket; false if it is not open.
  virtual bool flood(std::uint64_t, std::shared_ptr<flood_stream>) {
    return false;
  }
  // A WebSocket ping control frame; false if that socket is not open.
  virtual bool ping(std::uint64_t, const std::string&) { return false; }
  virtual bool set_faults(std::uint64_t, const wire_faults&) { return false; }
};

// What the hub needs from an open WebSocket, whatever its stream type.
class ws_link {
public:
  virtual ~ws_link() = default;
  virtual void send(const payload& p) = 0;
  // reset: the TCP connection closed abruptly; close: a close frame (1001);
  // corrupt: bytes that are no valid TLS record or WebSocket frame written
  // under the stream, for the client to find out.
  virtual void drop(drop_mode mode) = 0;
  // Writes a benchmark flood's frames when nothing else waits to be sent.
  virtual void flood(std::shared_ptr<flood_stream> frames) = 0;
  // A ping control frame with this payload (at most 125 bytes).
  virtual void ping(const std::string& payload) = 0;
  virtual void set_faults(const wire_faults& faults) = 0;
};

// The hub the network side fills: a socket is attached once its handshake
// is done and it is accepted, detached when it ends.
class socket_registry final : public socket_hub {
public:
  void attach(std::uint64_t id, std::shared_ptr<ws_link> link);
  void detach(std::uint64_t id);

  bool send(std::uint64_t conn, const payload& p) override;
  std::size_t broadcast(const payload& p) override;
  std::vector<std::uint64_t>
  drop(drop_mode mode, const std::vector<std::uint64_t>* only) override;
  std::vector<std::uint64_t> open_sockets() const override;
  bool flood(std::uint64_t conn, std::shared_ptr<flood_stream> s) override;
  bool ping(std::uint64_t conn, const std::string& payload) override;
  bool set_faults(std::uint64_t conn, const wire_faults& faults) override;

private:
  ws_link* find(std::uint64_t conn) const;

  // Ordered, so that every socket sees broadcasts in the same order.
  std::map<std::uint64_t, std::shared_ptr<ws_link>> open_;
};

} // namespace sim
