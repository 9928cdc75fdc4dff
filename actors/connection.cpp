// The connection actor's state machine: connecting (the protocol's connect
// call) -> opening (socket) -> connected (hello) -> gone (exit; the
// supervisor decides).
#include "actors/connection.hpp"

#include <atomic>
#include <optional>

#include "actors/client_state.hpp"
#include "slackrtm/error.hpp"

namespace slackrtm {

namespace {

std::atomic<std::uint64_t> session_counter{0};

// Host part of a socket URL, for logs: the full URL carries a one-time
// ticket that has no business in log files.
std::string host_of(const std::string& url) {
  auto start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  auto end = url.find_first_of("/?", start);
  return url.substr(start, end == std::string::npos ? end : end - start);
}

// Hands what the transport's thread learns to the connection actor, as
// messages.
class mailbox_listener final : public ws_listener {
public:
  explicit mailbox_listener(connection_actor actor) : actor_(std::move(actor)) {
    // nop
  }

  void opened(std::uint64_t session) override {
    caf::anon_send(actor_, ws_opened{session});
  }

  void ready(std::uint64_t session) override {
    caf::anon_send(actor_, ws_ready{session});
  }

  void binary(std::uint64_t session, std::size_t size) override {
    caf::anon_send(actor_, ws_binary{session, size});
  }

  void closed(std::uint64_t session, std::string reason) override {
    caf::anon_send(actor_, ws_closed{session, std::move(reason)});
  }

private:
  connection_actor actor_;
};

} // namespace

connection_actor::behavior_type connection(connection_actor_state::pointer self,
                                           connection_config cfg) {
  return self->state.make_behavior(std::move(cfg));
}

connection_actor::behavior_type
connection_actor_state::make_behavior(connection_config cfg) {
  cfg_ = std::move(cfg);
  if (cfg_.shared->live_sockets == 0 &&
      cfg_.shared->state != connection_state::closed)
    cfg_.shared->state = connection_state::connecting;
  session_id_ = ++session_counter;
  self_->set_exit_handler(
      [this](caf::exit_msg& msg) { shutdown(std::move(msg.reason)); });
  cfg_.connect(handle());
  return {
      [this](connect_result& res) { on_connect_result(res); },
      [this](ws_opened& msg) {
        if (msg.session != session_id_)
          return;
        cfg_.shared->log->debug("socket open, waiting for hello");
        self_->delayed_send(handle(), cfg_.hello_timeout, hello_due_atom::value,
                            msg.session);
      },
      [this](ws_ready& msg) { on_ready(msg.session); },
      [this](ws_binary& msg) { on_binary(msg.session, msg.size); },
      [this](ws_closed& msg) { on_closed(msg.session, msg.reason); },
      [this](ping_atom) { on_ping(); },
      [this](silence_atom, std::uint64_t frames, std::uint64_t pauses) {
        on_silence(frames, pauses);
      },
      [this](socket_frame& out) { on_send(out); },
      [this](backlog_atom, bool paused) { on_backlog(paused); },
      [this](hello_due_atom, std::uint64_t session) { on_hello_due(session); },
      [this](envelope_response& msg) { on_response(msg); },
      [this](ack_due_atom, std::string& id) { on_ack_due(id); },
      [this](retire_atom) { on_retire(); },
      [this](caf::close_atom) {
        if (!draining_)
          cfg_.shared->state = connection_state::closed;
        shutdown(make_error(conn_errc::closed, "closed on request"));
      },
  };
}

// -- message handlers ---------------------------------------------------------

void connection_actor_state::on_connect_result(connect_result& res) {
  auto& log = *cfg_.shared->log;
  auto& method =
      res.method.empty() ? cfg_.protocol->connect_method() : res.method;
  if (!res.ok) {
    auto fatal = is_fatal_error_code(res.error);
    log.log(fatal ? log_level::error : log_level::warning, method,
            " failed: ", res.error);
    shutdown(make_error(fatal ? conn_errc::fatal : conn_errc::transient,
                        method + " failed: " + res.error, res.retry_after));
    return;
  }
  if (cfg_.require_secure_socket && res.url.rfind("wss://", 0) != 0) {
    log.error(method, " over https answered a socket URL that is not wss:// (",
              host_of(res.url), "); refused");
    shutdown(
        make_error(conn_errc::fatal, method + " failed: insecure_socket_url"));
    return;
  }
  auto identity = nlohmann::json::parse(res.identity, nullptr, false);
  // The dispatcher hears the bot's id before any event of this socket.
  if (identity.is_object() && identity.contains("self") &&
      identity["self"].is_object())
    self_->send(cfg_.dispatcher, identity_atom::value, cfg_.workspace,
                identity["self"].value("id", std::string{}));
  cfg_.shared->set_identity(std::move(identity));
  log.info("opening socket to ", host_of(res.url));
  session_ = cfg_.transport->open(res.url,
                                  std::make_shared<mailbox_listener>(handle()),
                                  session_id_, cfg_.read_ahead);
  if (reading_paused_ && session_)
    session_->pause_reading(true);
}

void connection_actor_state::on_ready(std::uint64_t session) {
  if (session == session_id_)
    take_frames();
}

void connection_actor_state::on_binary(std::uint64_t session,
                                       std::size_t size) {
  if (session != session_id_)
    return;
  if (session_)
    session_->frame_done(1, size);
  ++frames_seen_;
  drop_malformed("binary", size);
}

void connection_actor_state::on_closed(std::uint64_t session,
                                       const std::string& reason) {
  if (session != session_id_)
    return;
  // Frames read before the end are still events.
  take_frames();
  if (gone_)
    return;
  session_ = nullptr;
  if (draining_) {
    cfg_.shared->log->info("old socket ended after goodbye: ", reason);
    return shutdown(make_error(conn_errc::closed, "drained"));
  }
  cfg_.shared->log->warning("socket lost: ", reason);
  shutdown(make_error(conn_errc::transient, "socket lost: " + reason));
}

void connection_actor_state::on_retire() {
  // Frames already read are events still.
  take_frames();
  if (gone_)
    return;
  if (!session_ || retire_ping_)
    return retired();
  // Taken atomically, as every frame id: the supervisor numbers sends from
  // the same counter on another thread.
  auto id = ++cfg_.shared->last_frame_id;
  auto ping = cfg_.protocol->ping_frame(id);
  if (ping.empty())
    return retired();
  // What the server wrote only here came before the successor's hello, so
  // before this ping reaches it: once its pong is read, all of that is too.
  // Closing at once lost the frames still on the wire.
  retire_ping_ = id;
  session_->send(std::move(ping));
  self_->delayed_send(handle(), cfg_.pong_timeout, retire_atom::value);
}

void connection_actor_state::retired() {
  cfg_.shared->log->debug("closing the old socket: it was replaced");
  shutdown(make_error(conn_errc::closed, "replaced after goodbye"));
}

void connection_actor_state::on_ping() {
  if (!connected_ || !session_)
    return;
  auto id = ++cfg_.shared->last_frame_id;
  if (auto frame = cfg_.protocol->ping_frame(id); !frame.empty()) {
    session_->send(std::move(frame));
    pings_.emplace(id, std::chrono::steady_clock::now());
    // Pings are answered or the socket dies; forget the unanswered ones.
    if (pings_.size() > 16)
      pings_.erase(pings_.begin());
  } else {
    session_->ping("slackrtm " + std::to_string(id));
  }
  self_->delayed_send(handle(), cfg_.ping_interval, ping_atom::value);
  // The pong of a ping sent while the socket is not read cannot come.
  if (!reading_paused_)
    self_->delayed_send(handle(), cfg_.pong_timeout, silence_atom::value,
                        signs_of_life(), pauses_);
}

void connection_actor_state::on_silence(std::uint64_t frames_at_ping,
                                        std::uint64_t pauses_at_ping) {
  // Any frame since the ping proves the socket alive, not just a pong; a
  // socket paused since the ping proves nothing (no check is armed while
  // paused, so a changed count of pauses covers that too).
  if (!connected_ || signs_of_life() != frames_at_ping ||
      pauses_ != pauses_at_ping)
    return;
  cfg_.shared->log->warning("no frame within ", cfg_.pong_timeout.count(),
                            " ms of a ping; the socket is dead");
  shutdown(make_error(conn_errc::transient, "socket went silent"));
}

void connection_actor_state::on_send(socket_frame& out) {
  // Not connected: the supervisor sends it again after the next hello.
  if (connected_ && session_)
    session_->send(std::move(out.text));
}

void connection_actor_state::on_hello_due(std::uint64_t session) {
  if (session != session_id_ || connected_ || gone_)
    return;
  cfg_.shared->log->warning("no hello within ", cfg_.hello_timeout.count(),
                            " ms of the socket opening");
  shutdown(make_error(conn_errc::transient, "no hello from the server"));
}

void connection_actor_state::on_response(envelope_response& msg) {
  if (deferred_.erase(msg.envelope_id) == 0) {
    ++cfg_.shared->late_responses;
    cfg_.shared->log->warning(
        "a handler's response came after the acknowledgement of envelope ",
        msg.envelope_id, " (deadline ", cfg_.response_deadline.count(),
        " ms); dropped");
    return;
  }
  acknowledge(cfg_.protocol->ack_with(msg.envelope_id, msg.payload));
}

void connection_actor_state::on_ack_due(const std::string& envelope_id) {
  if (deferred_.erase(envelope_id) == 0)
    return;
  cfg_.shared->responses.remove(envelope_id);
  cfg_.shared->log->warning("no handler response for envelope ", envelope_id,
                            " within ", cfg_.response_deadline.count(),
                            " ms; acknowledged without one");
  acknowledge(cfg_.protocol->ack_with(envelope_id, {}));
}

void connection_actor_state::on_backlog(bool paused) {
  if (reading_paused_ == paused)
    return;
  reading_paused_ = paused;
  if (paused)
    ++pauses_;
  cfg_.shared->log->debug(paused ? "handlers are behind: reading paused"
                                 : "reading resumed");
  if (session_)
    session_->pause_reading(paused);
}

// -- frames -------------------------------------------------------------------

void connection_actor_state::take_frames() {
  if (!session_)
    return;
  auto session = session_;
  session->take_frames(frames_);
  auto frames = std::move(frames_);
  frames_.clear();
  std::size_t bytes = 0;
  for (auto& text : frames)
    bytes += text.size();
  for (auto& text : frames) {
    if (gone_)
      break;
    on_frame(std::move(text));
  }
  session->frame_done(static_cast<std::uint32_t>(frames.size()), bytes);
  frames.clear();
  // The buffer's capacity is kept for the next batch.
  if (!gone_)
    frames_.swap(frames);
  flush();
}

void connection_actor_state::on_frame(std::string text) {
  ++frames_seen_;
  auto size = text.size();
  std::string why;
  auto frame = event::parse(std::move(text), &why);
  if (!frame)
    return drop_malformed(why, size);
  on_event(std::move(*frame));
}

void connection_actor_state::on_event(event frame) {
  auto& log = *cfg_.shared->log;
  auto meaning = cfg_.protocol->classify(frame);
  // Acknowledged as soon as read: no handler delays it.
  if (!meaning.ack.empty())
    acknowledge(std::move(meaning.ack));
  else if (!meaning.deferred_ack.empty())
    defer_ack(meaning.deferred_ack);
  std::optional<caf::error> exit_after;
  switch (meaning.kind) {
  case frame_kind::malformed:
    return drop_malformed(meaning.detail, frame.raw().size());
  case frame_kind::reply:
    // Sends are settled by the supervisor, which outlives this socket.
    if (cfg_.supervisor)
      self_->send(cfg_.supervisor,
                  socket_reply{meaning.reply_to, std::move(frame)});
    return;
  case frame_kind::pong:
    if (retire_ping_ && meaning.reply_to == *retire_ping_)
      return retired();
    if (own_pong(meaning.reply_to))
      return; // the keep-alive's own business: not an event for handlers
    // The application's own ping: its send settles with this pong.
    if (cfg_.supervisor)
      self_->send(cfg_.supervisor, socket_reply{meaning.reply_to, frame});
    break;
  case frame_kind::hello:
    on_hello();
    // Socket Mode counts the app's live sockets, this one included: more
    // than this client holds are other processes, or sockets that died
    // without a close and still take envelopes (ghosts).
    if (auto n = frame.get_int("num_connections");
        n && *n > static_cast<std::int64_t>(cfg_.shared->live_sockets))
      log.info("Slack counts ", *n, " sockets of this app; this client holds ",
               cfg_.shared->live_sockets.load());
    break;
  case frame_kind::drain:
    if (!cfg_.supervisor) {
      log.info("server said ", meaning.detail, "; reconnecting");
      exit_after = make_error(conn_errc::reconnect, meaning.detail);
    } else if (!draining_) {
      // Keep reading: the server may still write here until the new
      // socket says hello, and the supervisor retires this one then.
      log.info("server said ", meaning.detail,
               "; reconnecting while this socket drains");
      draining_ = true;
      self_->send(cfg_.supervisor, goodbye_atom::value, meaning.detail);
    }
    break;
  case frame_kind::reconnect:
    log.info("server asked for a new socket (", meaning.detail,
             "); reconnecting");
    exit_after = make_error(conn_errc::reconnect, meaning.detail);
    break;
  case frame_kind::fatal:
    log.error("server refused the app: ", meaning.detail);
    exit_after =
        make_error(conn_errc::fatal, "server disconnected: " + meaning.detail);
    break;
  case frame_kind::backoff:
    log.warning("server refused the socket (", meaning.detail,
                "); the next one waits ", meaning.retry_after, " s");
    exit_after =
        make_error(conn_errc::transient, meaning.detail, meaning.retry_after);
    break;
  case frame_kind::error:
    log.warning("server error event (", meaning.detail, ")");
    if (!connected_)
      exit_after =
          make_error(conn_errc::reconnect, "error event " + meaning.detail);
    break;
  case frame_kind::event:
    break;
  }
  ++cfg_.shared->events;
  bool overlap = draining_;
  if (cfg_.successor && !overlap)
    overlap = !overlap_until_ || self_->clock().now() < *overlap_until_;
  batch_.push_back(
      rtm_event{meaning.routed ? std::move(meaning.routed) : std::move(frame),
                overlap ? session_id_ : 0, cfg_.workspace});
  if (exit_after)
    shutdown(std::move(*exit_after));
}

void connection_actor_state::on_hello() {
  if (connected_)
    return;
  connected_ = true;
  if (cfg_.successor)
    overlap_until_ = self_->clock().now() + cfg_.overlap_window;
  cfg_.shared->socket_up();
  ++cfg_.shared->connections;
  cfg_.shared->log->info("connected");
  if (cfg_.supervisor)
    self_->send(cfg_.supervisor, hello_atom::value);
  self_->delayed_send(handle(), cfg_.ping_interval, ping_atom::value);
}

bool connection_actor_state::own_pong(std::uint64_t reply_to) {
  auto i = pings_.find(reply_to);
  if (i == pings_.end())
    return false;
  auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::steady_clock::now() - i->second)
                 .count();
  cfg_.shared->last_pong_us = rtt;
  cfg_.shared->log->debug("pong after ", rtt, " us");
  pings_.erase(i);
  return true;
}

void connection_actor_state::drop_malformed(std::string_view why,
                                            std::size_t size) {
  ++cfg_.shared->malformed_frames;
  cfg_.shared->log->warning("dropped a malformed frame (", why, ", ", size,
                            " bytes)");
}

void connection_actor_state::acknowledge(std::string text) {
  if (!session_)
    return;
  session_->send(std::move(text));
  ++cfg_.shared->acks;
}

void connection_actor_state::defer_ack(const std::string& envelope_id) {
  if (!deferred_.insert(envelope_id).second)
    return;
  cfg_.shared->responses.add(envelope_id, handle());
  self_->delayed_send(handle(), cfg_.response_deadline, ack_due_atom::value,
                      envelope_id);
}

std::uint64_t connection_actor_state::signs_of_life() const {
  return frames_seen_ + (session_ ? session_->control_frames() : 0);
}

void connection_actor_state::flush() {
  if (batch_.size() == 1)
    self_->send(cfg_.dispatcher, std::move(batch_.front()));
  else if (!batch_.empty())
    self_->send(cfg_.dispatcher, rtm_events{std::move(batch_)});
  batch_.clear();
}

connection_actor connection_actor_state::handle() const {
  return caf::actor_cast<connection_actor>(self_);
}

void connection_actor_state::shutdown(caf::error reason) {
  flush();
  gone_ = true;
  // Held acknowledgements go out plain while the socket is still there.
  for (auto& id : deferred_) {
    cfg_.shared->responses.remove(id);
    acknowledge(cfg_.protocol->ack_with(id, {}));
  }
  deferred_.clear();
  if (connected_) {
    connected_ = false;
    cfg_.shared->socket_down();
  }
  if (session_) {
    session_->close();
    session_ = nullptr;
  }
  self_->quit(std::move(reason));
}

} // namespace slackrtm
