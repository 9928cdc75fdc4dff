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
#include "slackrtm/error.hpp"
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
  /// The server refuses this app for good (Socket Mode's `link_disabled`):
  /// the client stops, with `detail` as the error code.
  fatal,
  /// The server holds too many sockets of this app: this one ends, and the
  /// next waits `retry_after` seconds.
  backoff,
};

/// A frame's kind, with what the connection needs to act on it.
struct frame_meaning {
  frame_kind kind = frame_kind::event;
  /// For `reply` and `pong`: the id of the client's frame answered.
  std::uint64_t reply_to = 0;
  /// For `drain`, `reconnect`, `error`, `malformed` and `fatal`: why.
  std::string detail;
  /// Written back on this socket at once, before the frame goes anywhere
  /// (Socket Mode's acknowledgement); empty when none.
  std::string ack;
  /// The id of an envelope whose acknowledgement waits for a handler's
  /// response (see `wire_protocol::ack_with`), up to the response
  /// deadline; empty when none.
  std::string deferred_ack;
  /// What the handlers get in place of the frame (Socket Mode: the
  /// envelope's inner event); an empty event means the frame itself.
  event routed;
  /// For `backoff`: seconds to wait before the next socket.
  std::int32_t retry_after = 0;
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
  /// connected; its answer is a `pong` with `reply_to` = `id`. Empty when
  /// the protocol keeps alive with WebSocket pings instead, whose pongs
  /// (and the server's own pings) count as signs of life.
  virtual std::string ping_frame(std::uint64_t id) const = 0;

  /// The acknowledgement of envelope `id` carrying a handler's `response`
  /// (JSON object text; empty: none); empty for a protocol without
  /// acknowledgements.
  virtual std::string ack_with(const std::string& id,
                               const std::string& response) const {
    (void)id;
    (void)response;
    return {};
  }

  /// True when a socket the server asked to leave is read until the server
  /// closes it (or the drain limit passes), even after its successor said
  /// hello; false when the successor's hello retires it.
  virtual bool drain_until_closed() const noexcept { return false; }
};

/// The connection's message for a connect call that ended with `err`:
/// Slack's error code, or the transport's error text.
inline connect_result failed_connect(std::exception_ptr err) {
  connect_result result;
  try {
    std::rethrow_exception(err);
  } catch (const api_error& ex) {
    result.error = ex.error();
  } catch (const std::exception& ex) {
    result.error = ex.what();
  }
  return result;
}

/// How an event is routed: by `type`, and by `type::subtype` for handlers
/// of a subtype. An RTM event's and an `events_api` envelope's inner
/// event's are their `type` and `subtype`; a slash command's are
/// `slash_commands` and its `command`; an interactive payload's
/// `interactive` and its `type`; another envelope's its type.
struct event_route {
  std::string_view type;
  std::string_view subtype;
};

inline event_route route_of(const event& ev) noexcept {
  auto* env = ev.envelope();
  if (!env || env->type == "events_api")
    return {ev.type(), ev.subtype()};
  if (env->type == "slash_commands")
    return {env->type, ev.string("command")};
  if (env->type == "interactive")
    return {env->type, ev.type()};
  return {env->type, {}};
}

} // namespace slackrtm
