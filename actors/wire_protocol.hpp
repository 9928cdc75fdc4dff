// What differs between Slack's socket protocols: the Web API method that
// hands out a socket URL and how its answer reads, what each inbound frame
// means, and the keep-alive frame. The connection and the supervisor see a
// protocol only through this interface; RTM is `rtm_protocol`, and a second
// protocol is a second implementation of it.
#pragma once

#include <cstdint>
#include <exception>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "actors/messages.hpp"
#include "slackrtm/event.hpp"

namespace slackrtm {

/// What an inbound frame is to the connection. Every kind but `reply`,
/// `malformed` and the answer to the connection's own keep-alive also goes
/// to the handlers as an event.
enum class frame_kind {
  /// An event and nothing more.
  event,
  /// The server accepted the socket: the connection is up.
  hello,
  /// The answer to one of the client's frames (`reply_to`): it settles that
  /// send and is no event.
  reply,
  /// The answer to a ping (`reply_to`): the connection's own keep-alive, or
  /// else a ping the application sent (then settled like a `reply`).
  pong,
  /// The server will close this socket soon: open the next one and keep
  /// reading this one until then.
  drain,
  /// The server asks for a new socket now.
  reconnect,
  /// The server reports an error; before `hello` it ends the socket.
  error,
  /// Not a frame of the protocol: dropped and counted.
  malformed,
};

/// A frame's kind, with what the connection needs to act on it.
struct frame_meaning {
  frame_kind kind = frame_kind::event;
  /// For `reply` and `pong`: the id of the client's frame answered.
  std::uint64_t reply_to = 0;
  /// For `drain`, `reconnect`, `error` and `malformed`: why, for the log.
  std::string detail;
};

/// One of Slack's socket protocols. Stateless and shared by every actor of
/// a client: all its members are const and thread-safe.
class wire_protocol {
public:
  virtual ~wire_protocol() = default;

  /// The Web API method that hands out a socket URL.
  virtual const std::string& connect_method() const noexcept = 0;

  /// The connection's message for that method's `answer`, or for the error
  /// `err` the call ended with.
  virtual connect_result read_connect_answer(const nlohmann::json& answer,
                                             std::exception_ptr err) const = 0;

  /// What `frame` is.
  virtual frame_meaning classify(const event& frame) const = 0;

  /// The keep-alive frame numbered `id`, sent every ping interval once
  /// connected; its answer is a `pong` with `reply_to` = `id`.
  virtual std::string ping_frame(std::uint64_t id) const = 0;
};

} // namespace slackrtm
