// The connection actor's state machine: connecting (rtm.connect) -> opening
// (socket) -> connected (hello) -> gone (exit; the supervisor decides).
#include "actors/connection.hpp"

#include <atomic>
#include <optional>

#include "slackrtm/error.hpp"
#include "src/client_state.hpp"

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

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

} // namespace

caf::behavior connection(caf::stateful_actor<connection_actor_state>* self,
                         connection_config cfg) {
  auto shared = cfg.shared;
  auto log = shared->log;
  shared->state = connection_state::connecting;
  self->state.session_id = ++session_counter;
  // Sends the events gathered so far to the dispatcher.
  auto flush = [self, dispatcher = cfg.dispatcher] {
    auto& batch = self->state.batch;
    if (batch.size() == 1)
      self->send(dispatcher, std::move(batch.front()));
    else if (!batch.empty())
      self->send(dispatcher, rtm_events{std::move(batch)});
    batch.clear();
  };
  // Every way out goes through here, while the state is still alive.
  auto shutdown = [self, shared, flush](caf::error reason) {
    auto& st = self->state;
    flush();
    st.gone = true;
    if (st.session) {
      st.session->close();
      st.session = nullptr;
    }
    // A draining socket was already replaced: the state is its successor's.
    if (!st.draining && shared->state != connection_state::closed)
      shared->state = connection_state::connecting;
    self->quit(std::move(reason));
  };
  self->set_exit_handler(
      [shutdown](caf::exit_msg& msg) { shutdown(std::move(msg.reason)); });
  cfg.rtm_connect(caf::actor_cast<caf::actor>(self));
  // Sends a frame with a fresh id; returns the id.
  auto send_frame = [self, shared](nlohmann::json& frame) {
    auto id = ++shared->last_frame_id;
    frame["id"] = id;
    self->state.session->send(frame.dump());
    return id;
  };
  auto drop_malformed = [shared, log](std::string_view why, std::size_t size) {
    ++shared->malformed_frames;
    log->warning("dropped a malformed frame (", why, ", ", size, " bytes)");
  };
  auto on_event = [=](event frame) {
    if (!frame.get_string("type")) {
      // A reply to one of our frames (sends are settled by the supervisor,
      // which outlives this socket).
      if (frame.contains("reply_to")) {
        if (cfg.supervisor)
          self->send(cfg.supervisor, rtm_reply{std::move(frame)});
        return;
      }
      return drop_malformed("no type", frame.raw().size());
    }
    auto type = frame.type();
    std::optional<caf::error> exit_after;
    if (type == "hello") {
      if (!self->state.connected) {
        self->state.connected = true;
        if (cfg.successor)
          self->state.overlap_until = self->clock().now() + cfg.overlap_window;
        shared->state = connection_state::connected;
        ++shared->connections;
        log->info("connected");
        if (cfg.supervisor)
          self->send(cfg.supervisor, hello_atom::value);
        self->delayed_send(self, cfg.ping_interval, ping_atom::value);
      }
    } else if (type == "pong") {
      auto reply_to = frame.get_int("reply_to");
      if (reply_to && *reply_to >= 0) {
        auto i = self->state.pings.find(static_cast<std::uint64_t>(*reply_to));
        if (i != self->state.pings.end()) {
          auto rtt = std::chrono::duration_cast<std::chrono::microseconds>(
                         std::chrono::steady_clock::now() - i->second)
                         .count();
          shared->last_pong_us = rtt;
          log->debug("pong after ", rtt, " us");
          self->state.pings.erase(i);
          // The keep-alive's own business: not an event for handlers.
          return;
        } else if (cfg.supervisor) {
          // The application's own ping: its send settles with this pong.
          self->send(cfg.supervisor, rtm_reply{frame});
        }
      }
    } else if (type == "goodbye") {
      if (!cfg.supervisor) {
        log->info("server said goodbye; reconnecting");
        exit_after = make_error(conn_errc::reconnect, "goodbye");
      } else if (!self->state.draining) {
        // Keep reading: the server may still write here until the new
        // socket says hello, and the supervisor retires this one then.
        log->info("server said goodbye; reconnecting while this socket "
                  "drains");
        self->state.draining = true;
        self->send(cfg.supervisor, goodbye_atom::value);
      }
    } else if (type == "team_migration_started") {
      log->info("team migration started; reconnecting");
      exit_after = make_error(conn_errc::reconnect, "team migration");
    } else if (type == "error") {
      const auto& body = frame.json();
      auto err = body.find("error");
      std::string msg = "unknown";
      if (err != body.end() && err->is_object()) {
        if (auto m = err->find("msg"); m != err->end() && m->is_string())
          msg = m->get<std::string>();
        if (auto c = err->find("code"); c != err->end() && c->is_number())
          msg = "code " + c->dump() + ": " + msg;
      }
      log->warning("server error event (", msg, ")");
      if (!self->state.connected)
        exit_after = make_error(conn_errc::reconnect, "error event " + msg);
    }
    ++shared->events;
    auto& st = self->state;
    bool overlap = st.draining;
    if (cfg.successor && !overlap)
      overlap = !st.overlap_until || self->clock().now() < *st.overlap_until;
    st.batch.push_back(rtm_event{std::move(frame), overlap ? st.session_id : 0,
                                 cfg.workspace});
    if (exit_after)
      shutdown(std::move(*exit_after));
  };
  // One text frame: parsed, then an event (or a reply, or dropped).
  auto on_frame = [=](std::string text) {
    ++self->state.frames_seen;
    auto size = text.size();
    std::string why;
    auto frame = event::parse(std::move(text), &why);
    if (!frame)
      return drop_malformed(why, size);
    on_event(std::move(*frame));
  };
  // Processes every frame the session has queued, as one batch of events.
  auto take_frames = [=] {
    auto& st = self->state;
    if (!st.session)
      return;
    auto session = st.session;
    session->take_frames(st.frames);
    auto frames = std::move(st.frames);
    st.frames.clear();
    for (auto& text : frames) {
      if (st.gone)
        break;
      on_frame(std::move(text));
    }
    session->frame_done(static_cast<std::uint32_t>(frames.size()));
    frames.clear();
    // The buffer's capacity is kept for the next batch.
    if (!st.gone)
      st.frames.swap(frames);
    flush();
  };
  return {
      [=](rtm_connect_result& res) {
        if (!res.ok) {
          auto fatal = is_fatal_error_code(res.error);
          log->log(fatal ? log_level::error : log_level::warning,
                   "rtm.connect failed: ", res.error);
          shutdown(make_error(fatal ? conn_errc::fatal : conn_errc::transient,
                              "rtm.connect failed: " + res.error,
                              res.retry_after));
          return;
        }
        auto identity = nlohmann::json::parse(res.identity, nullptr, false);
        // The dispatcher hears the bot's id before any event of this socket.
        if (identity.is_object() && identity.contains("self") &&
            identity["self"].is_object())
          self->send(cfg.dispatcher, identity_atom::value, cfg.workspace,
                     identity["self"].value("id", std::string{}));
        shared->set_identity(std::move(identity));
        log->info("opening socket to ", host_of(res.url));
        self->state.session = cfg.transport->open(
            res.url, caf::actor_cast<caf::actor>(self), self->state.session_id);
        if (self->state.reading_paused && self->state.session)
          self->state.session->pause_reading(true);
      },
      [=](ws_opened& msg) {
        if (msg.session == self->state.session_id)
          log->debug("socket open, waiting for hello");
      },
      [=](ws_ready& msg) {
        if (msg.session == self->state.session_id)
          take_frames();
      },
      [=](ws_binary& msg) {
        if (msg.session != self->state.session_id)
          return;
        if (self->state.session)
          self->state.session->frame_done(1);
        ++self->state.frames_seen;
        drop_malformed("binary", msg.size);
      },
      [=](ws_closed& msg) {
        if (msg.session != self->state.session_id)
          return;
        // Frames read before the end are still events.
        take_frames();
        if (self->state.gone)
          return;
        self->state.session = nullptr;
        self->state.connected = false;
        if (self->state.draining) {
          log->info("old socket ended after goodbye: ", msg.reason);
          return shutdown(make_error(conn_errc::closed, "drained"));
        }
        log->warning("socket lost: ", msg.reason);
        shutdown(
            make_error(conn_errc::transient, "socket lost: " + msg.reason));
      },
      [=](ping_atom) {
        if (!self->state.connected)
          return;
        nlohmann::json ping{{"type", "ping"}, {"time", now_ms()}};
        auto id = send_frame(ping);
        self->state.pings.emplace(id, std::chrono::steady_clock::now());
        // Pings are answered or the socket dies; forget the unanswered ones.
        if (self->state.pings.size() > 16)
          self->state.pings.erase(self->state.pings.begin());
        self->delayed_send(self, cfg.ping_interval, ping_atom::value);
        // The pong of a ping sent while the socket is not read cannot come.
        if (!self->state.reading_paused)
          self->delayed_send(self, cfg.pong_timeout, silence_atom::value,
                             self->state.frames_seen, self->state.pauses);
      },
      [=](silence_atom, std::uint64_t frames_at_ping,
          std::uint64_t pauses_at_ping) {
        // Any frame since the ping proves the socket alive, not just a pong;
        // a socket paused since the ping proves nothing (no check is armed
        // while paused, so a changed count of pauses covers that too).
        if (!self->state.connected ||
            self->state.frames_seen != frames_at_ping ||
            self->state.pauses != pauses_at_ping)
          return;
        log->warning("no frame within ", cfg.pong_timeout.count(),
                     " ms of a ping; the socket is dead");
        shutdown(make_error(conn_errc::transient, "socket went silent"));
      },
      [=](socket_frame& out) {
        // Not connected: the supervisor sends it again after the next hello.
        if (self->state.connected && self->state.session)
          self->state.session->send(std::move(out.text));
      },
      [=](backlog_atom, bool paused) {
        if (self->state.reading_paused == paused)
          return;
        self->state.reading_paused = paused;
        if (paused)
          ++self->state.pauses;
        log->debug(paused ? "handlers are behind: reading paused"
                          : "reading resumed");
        if (self->state.session)
          self->state.session->pause_reading(paused);
      },
      [=](retire_atom) {
        log->debug("closing the old socket: its successor said hello");
        shutdown(make_error(conn_errc::closed, "replaced after goodbye"));
      },
      [=](caf::close_atom) {
        if (!self->state.draining)
          shared->state = connection_state::closed;
        shutdown(make_error(conn_errc::closed, "closed on request"));
      },
  };
}

} // namespace slackrtm
