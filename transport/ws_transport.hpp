// The socket behind a small interface: the connection actor opens sessions
// through it, and tests replace it with a fake that records what was sent.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "slackrtm/options.hpp"
#include "transport/proxy.hpp"
#include "transport/read_window.hpp"

namespace slackrtm {

class logger;

/// What a session reports, each call tagged with the session id given to
/// `ws_transport::open`: `opened`, `ready` (text frames wait in the session's
/// queue: the listener takes them all with `ws_session::take_frames`),
/// `binary`, and finally one `closed`. Called on the transport's own thread:
/// an implementation only hands the news on (the connection actor's adapter
/// sends it a message) and never blocks.
class ws_listener {
public:
  virtual ~ws_listener() = default;

  /// The WebSocket handshake completed.
  virtual void opened(std::uint64_t session) = 0;

  /// Text frames wait in the session's queue (sent once per empty queue).
  virtual void ready(std::uint64_t session) = 0;

  /// A binary message of `size` bytes arrived and was dropped.
  virtual void binary(std::uint64_t session, std::size_t size) = 0;

  /// The session ended; nothing follows.
  virtual void closed(std::uint64_t session, std::string reason) = 0;
};

/// One WebSocket, reporting to a `ws_listener`.
class ws_session {
public:
  virtual ~ws_session() = default;

  /// Queues a text frame; frames go out in the order of the calls.
  virtual void send(std::string text) = 0;

  /// Queues a WebSocket ping control frame carrying `payload` (at most 125
  /// bytes; longer is cut). The server's pong counts in `control_frames`.
  virtual void ping(std::string payload) = 0;

  /// Control frames (pings and pongs) received so far: proof that the
  /// server is alive even when it sends no data frame. Thread-safe.
  virtual std::uint64_t control_frames() const noexcept = 0;

  /// Sends a close frame and ends the session; `closed` follows, at the
  /// latest one second later if the server does not answer the close.
  virtual void close() = 0;

  /// Stops (`true`) or resumes reading frames: while paused, what the
  /// server writes waits in TCP's buffers, so a backlog of events cannot
  /// grow in memory. A frame being read when pausing is still delivered.
  virtual void pause_reading(bool paused) = 0;

  /// Moves the text frames queued since the last call to the end of `out`.
  /// The session reports `ready` when the first frame lands in an empty
  /// queue, so under load one message carries many frames. Thread-safe.
  virtual void take_frames(std::vector<std::string>& out) = 0;

  /// The listener has processed `n` frames of `bytes` bytes in all (taken,
  /// or `binary`). A session reads at most its `read_ahead_limits` (frames
  /// and bytes) ahead of the listener, so that a listener slower than the
  /// socket does not pile frames up in memory. Thread-safe.
  virtual void frame_done(std::uint32_t n, std::size_t bytes) = 0;
};

/// Opens WebSocket sessions.
class ws_transport {
public:
  virtual ~ws_transport() = default;

  /// Opens `url` (`ws://` or `wss://`, query string kept as given) and reports
  /// to `listener`, reading at most `limits` ahead of it. Never blocks.
  virtual std::shared_ptr<ws_session>
  open(const std::string& url, std::shared_ptr<ws_listener> listener,
       std::uint64_t session, read_ahead_limits limits) = 0;
};

/// The real transport: Boost.Beast on an io_context thread of its own, TLS
/// through OpenSSL with certificate and host name verification. A socket
/// whose URL `proxy` selects a proxy for goes through a CONNECT tunnel (TLS
/// still with the target's name and certificate).
std::shared_ptr<ws_transport>
make_beast_ws_transport(tls_options tls, std::chrono::milliseconds timeout,
                        std::shared_ptr<const logger> log,
                        proxy_settings proxy = {});

} // namespace slackrtm
