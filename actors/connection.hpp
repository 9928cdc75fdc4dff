// The connection actor: the connect call, the socket, hello, pings, and
// turning frames into events for the dispatcher and replies for the
// supervisor. One actor per socket; the supervisor spawns a new one after
// each loss. What the frames mean is the wire protocol's business.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/wire_protocol.hpp"
#include "transport/ws_transport.hpp"

namespace slackrtm {

struct client_state;

/// What a connection actor needs from the outside.
struct connection_config {
  /// Where events go (the dispatcher).
  event_sink_actor dispatcher;
  /// Stamped on every event: the workspace this connection serves.
  std::uint32_t workspace = 0;
  /// Told `hello_atom` once the server said hello, `goodbye_atom` when the
  /// socket will close soon, and sent every reply to a client frame as
  /// `socket_reply` (may be null).
  supervisor_actor supervisor;
  /// Opens sockets; tests pass a fake.
  std::shared_ptr<ws_transport> transport;
  /// What the frames mean.
  std::shared_ptr<const wire_protocol> protocol;
  /// Starts the protocol's connect call, which ends with a `connect_result`
  /// sent to the given actor; must not block.
  std::function<void(connection_actor)> connect;
  /// Time between two pings once connected.
  std::chrono::milliseconds ping_interval{5000};
  /// A socket that delivers no frame at all (not even the pong) within this
  /// time after a ping is dead, whatever TCP says.
  std::chrono::milliseconds pong_timeout{10000};
  /// Counters, state, logger and pending sends shared with the client.
  std::shared_ptr<client_state> shared;
  /// True when this connection replaces one that is still draining: its
  /// first events may arrive on both sockets.
  bool successor = false;
  /// How long after hello a successor marks its events for deduplication.
  std::chrono::milliseconds overlap_window{10000};
  /// True when the connect call went over TLS: a plain `ws://` socket URL
  /// in its answer is refused (the events would travel in clear).
  bool require_secure_socket = false;
  /// A socket whose server has not said hello this long after the
  /// WebSocket handshake is given up (and replaced).
  std::chrono::milliseconds hello_timeout{15000};
  /// How long an envelope's acknowledgement waits for its handler's
  /// response (Slack's deadline is 3 s) before it goes out without one.
  std::chrono::milliseconds response_deadline{2500};
  /// How far the socket reads ahead of this actor (frames and bytes).
  read_ahead_limits read_ahead;
};

/// The connection actor's state, with one member function per message.
class connection_actor_state {
public:
  using pointer = connection_actor::stateful_pointer<connection_actor_state>;

  explicit connection_actor_state(pointer self) : self_(self) {
    // nop
  }

  /// Starts the connect call and returns the actor's behaviour.
  connection_actor::behavior_type make_behavior(connection_config cfg);

  static inline const char* name = "slackrtm.connection";

private:
  // -- message handlers -------------------------------------------------------

  void on_connect_result(connect_result& res);
  void on_ready(std::uint64_t session);
  void on_binary(std::uint64_t session, std::size_t size);
  void on_closed(std::uint64_t session, const std::string& reason);
  void on_ping();
  void on_silence(std::uint64_t frames_at_ping, std::uint64_t pauses_at_ping);
  void on_send(socket_frame& out);
  void on_backlog(bool paused);
  void on_hello_due(std::uint64_t session);
  void on_response(envelope_response& msg);
  void on_ack_due(const std::string& envelope_id);

  // -- frames -----------------------------------------------------------------

  // The supervisor retires this draining socket: closes it once the frames
  // the server wrote before the successor's hello are read.
  void on_retire();
  void retired();
  // Processes every frame the session has queued, as one batch of events.
  void take_frames();
  // One text frame: parsed, then an event (or a reply, or dropped).
  void on_frame(std::string text);
  void on_event(event frame);
  void on_hello();
  // True when the pong answers this connection's own ping (and is no
  // event then).
  bool own_pong(std::uint64_t reply_to);
  void drop_malformed(std::string_view why, std::size_t size);
  // Writes an envelope's acknowledgement (Socket Mode).
  void acknowledge(std::string text);
  // Holds the acknowledgement of `envelope_id` for its handler's response.
  void defer_ack(const std::string& envelope_id);
  // Frames, pings and pongs seen on the current socket: signs of life.
  std::uint64_t signs_of_life() const;
  // Sends the events gathered so far to the dispatcher.
  void flush();
  // Every way out goes through here, while the state is still alive.
  void shutdown(caf::error reason);
  // A handle to this actor (for its own timers and the transport).
  connection_actor handle() const;

  pointer self_;
  connection_config cfg_;
  /// Session id of the current socket (messages of older ones are ignored).
  std::uint64_t session_id_ = 0;
  std::shared_ptr<ws_session> session_;
  /// True between `hello` and the end of the socket.
  bool connected_ = false;
  /// True after the protocol's `drain` (RTM's goodbye): the socket is still
  /// read (the server may send more before the new one says hello) until
  /// the supervisor retires it.
  bool draining_ = false;
  /// The ping whose pong ends a retired socket (RTM).
  std::optional<std::uint64_t> retire_ping_;
  /// A successor marks its events for deduplication until then.
  std::optional<caf::actor_clock::time_point> overlap_until_;
  /// Frames received on the current socket (for the silence check).
  std::uint64_t frames_seen_ = 0;
  /// True while the dispatcher has too much to do: the socket is not read
  /// (and its silence proves nothing).
  bool reading_paused_ = false;
  /// Times reading was paused (a silence check spanning one is void).
  std::uint64_t pauses_ = 0;
  /// Events of the frames being processed, sent to the dispatcher as one
  /// `rtm_events` when the frames are done (or before the actor ends).
  std::vector<rtm_event> batch_;
  /// Frames taken from the session and not processed yet.
  std::vector<std::string> frames_;
  /// True once the actor is ending: remaining frames are not processed.
  bool gone_ = false;
  /// Envelopes whose acknowledgement waits for a handler's response.
  std::unordered_set<std::string> deferred_;
  /// Frame id -> send time of pings awaiting their pong.
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point>
      pings_;
};

/// Spawns with `self->spawn(connection, cfg)`.
connection_actor::behavior_type connection(connection_actor_state::pointer self,
                                           connection_config cfg);

} // namespace slackrtm
