// The connection actor: rtm.connect, the socket, hello, pings, and turning
// frames into events for the dispatcher and replies for the supervisor. One
// actor per socket; the supervisor spawns a new one after each loss.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "transport/ws_transport.hpp"

namespace slackrtm {

struct client_state;

/// What a connection actor needs from the outside.
struct connection_config {
  /// Where events go.
  caf::actor dispatcher;
  /// Stamped on every event: the workspace this connection serves.
  std::uint32_t workspace = 0;
  /// Told `hello_atom` once the server said hello, and sent every reply to
  /// a client frame as `rtm_reply` (may be null).
  caf::actor supervisor;
  /// Opens sockets; tests pass a fake.
  std::shared_ptr<ws_transport> transport;
  /// Starts an rtm.connect call that ends with an `rtm_connect_result` sent
  /// to the given actor; must not block.
  std::function<void(caf::actor)> rtm_connect;
  /// Time between two pings once connected.
  std::chrono::milliseconds ping_interval{5000};
  /// A socket that delivers no frame at all (not even the pong) within this
  /// time after a ping is dead, whatever TCP says.
  std::chrono::milliseconds pong_timeout{10000};
  /// Counters, state, logger and pending sends shared with the client.
  std::shared_ptr<client_state> shared;
  /// True when this connection replaces one that is still draining after
  /// `goodbye`: its first events may arrive on both sockets.
  bool successor = false;
  /// How long after hello a successor marks its events for deduplication.
  std::chrono::milliseconds overlap_window{10000};
};

/// State of one connection actor.
struct connection_actor_state {
  /// Session id of the current socket (messages of older ones are ignored).
  std::uint64_t session_id = 0;
  std::shared_ptr<ws_session> session;
  /// True between `hello` and the end of the socket.
  bool connected = false;
  /// True after `goodbye`: the socket is still read (the server may send
  /// more before the new one says hello) until the supervisor retires it.
  bool draining = false;
  /// A successor marks its events for deduplication until then.
  std::optional<caf::actor_clock::time_point> overlap_until;
  /// Frames received on the current socket (for the silence check).
  std::uint64_t frames_seen = 0;
  /// True while the dispatcher has too much to do: the socket is not read
  /// (and its silence proves nothing).
  bool reading_paused = false;
  /// Times reading was paused (a silence check spanning one is void).
  std::uint64_t pauses = 0;
  /// Events of the frames being processed, sent to the dispatcher as one
  /// `rtm_events` when the frames are done (or before the actor ends).
  std::vector<rtm_event> batch;
  /// Frames taken from the session and not processed yet.
  std::vector<std::string> frames;
  /// True once the actor is ending: remaining frames are not processed.
  bool gone = false;
  /// Frame id -> send time of pings awaiting their pong.
  std::unordered_map<std::uint64_t, std::chrono::steady_clock::time_point>
      pings;
  static inline const char* name = "slackrtm.connection";
};

/// Spawns with `self->spawn(connection, cfg)`.
caf::behavior connection(caf::stateful_actor<connection_actor_state>* self,
                         connection_config cfg);

} // namespace slackrtm
