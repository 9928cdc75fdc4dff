// Restart policy of the connection actor.
#include "actors/supervisor.hpp"

#include <algorithm>
#include <string_view>

#include "actors/client_state.hpp"

namespace slackrtm {

std::chrono::milliseconds backoff_delay(std::uint32_t attempt,
                                        std::chrono::milliseconds min,
                                        std::chrono::milliseconds max,
                                        std::chrono::seconds retry_after,
                                        std::minstd_rand& rng) {
  auto ceiling = min.count();
  for (std::uint32_t i = 0; i < attempt && ceiling < max.count(); ++i)
    ceiling *= 2;
  ceiling = std::min<std::int64_t>(ceiling, max.count());
  std::uniform_int_distribution<std::int64_t> pick{
      0, std::max<std::int64_t>(ceiling, 0)};
  auto delay = std::chrono::milliseconds{pick(rng)};
  return std::max<std::chrono::milliseconds>(delay, retry_after);
}

caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         supervisor_config cfg) {
  auto shared = cfg.shared;
  auto log = shared->log;
  self->state.rng.seed(static_cast<std::minstd_rand::result_type>(cfg.seed));
  self->state.throttle = send_throttle{cfg.throttle};
  // Tells the application's lifecycle handler what just happened.
  auto announce = [=](const char* kind, std::string reason = {},
                      std::chrono::milliseconds delay = {}) {
    if (!cfg.lifecycle)
      return;
    nlohmann::json note{{"type", kind},
                        {"reason", std::move(reason)},
                        {"attempt", self->state.attempt},
                        {"delay_ms", delay.count()}};
    handler_job job;
    job.event = event{note};
    job.workspace = cfg.workspace;
    self->send(cfg.lifecycle, std::move(job));
  };
  // Writes `request` to the current socket under a fresh id.
  auto write = [=](std::uint64_t request) {
    auto& sends = self->state.sends;
    auto text = sends.stamp(request, ++shared->last_frame_id);
    if (text.empty())
      return;
    self->send(self->state.connection, socket_frame{std::move(text)});
    if (auto* frame = sends.frame(request);
        frame && frame->value("type", std::string{}) == "ping")
      self->state.pings[request] = self->clock().now();
    // Slack answers only messages: anything else is done once written.
    if (!sends.expects_reply(request)) {
      sends.remove(request);
      shared->acks.resolve(request, nlohmann::json{{"ok", true}});
    }
  };
  // Writes `request` now, or later when its channel has sent too much:
  // Slack disconnects clients that send more than about one message per
  // second. Typing indicators beyond one per 3 s are skipped.
  auto transmit = [=](std::uint64_t request) {
    auto& st = self->state;
    auto* frame = st.sends.frame(request);
    if (!frame)
      return;
    auto type = frame->value("type", std::string{});
    auto channel = frame->value("channel", std::string{});
    auto now = self->clock().now();
    if (type == "typing" && !st.throttle.allow_typing(channel, now)) {
      st.sends.remove(request);
      shared->acks.resolve(request, {{"ok", true}, {"throttled", true}});
      return;
    }
    if (type == "message") {
      auto wait = st.throttle.book_message(channel, now);
      if (wait.count() > 0) {
        st.paced.insert(request);
        self->delayed_send(self, wait, pace_atom::value, request);
        return;
      }
    }
    write(request);
  };
  // Fails every send still waiting for its reply.
  auto fail_sends = [=](const std::string& why) {
    for (auto request : self->state.sends.clear())
      shared->acks.fail(request, why);
    self->state.paced.clear();
    self->state.pings.clear();
  };
  auto start_connection = [=] {
    announce("connecting");
    auto& st = self->state;
    st.hello_at.reset();
    st.connection = cfg.spawn_connection(caf::actor_cast<caf::actor>(self),
                                         st.draining != nullptr);
    self->monitor(st.connection);
  };
  // Closes the socket left draining after `goodbye`, if any.
  auto retire_draining = [=] {
    auto& st = self->state;
    if (st.draining)
      self->send(st.draining, retire_atom::value);
  };
  // Schedules the next connection after a loss (`code` says what kind).
  auto schedule_restart = [=](conn_errc code, const std::string& reason,
                              std::int32_t retry_after) {
    auto& st = self->state;
    if (st.hello_at && self->clock().now() - *st.hello_at >= cfg.healthy_after)
      st.attempt = 0;
    std::chrono::milliseconds delay{0};
    // After a goodbye the server is fine: reconnect at once, the first time.
    if (code != conn_errc::reconnect || st.attempt > 0)
      delay = backoff_delay(st.attempt, cfg.min_backoff, cfg.max_backoff,
                            std::chrono::seconds{retry_after}, st.rng);
    ++st.attempt;
    log->info("reconnecting in ", delay.count(), " ms (attempt ", st.attempt,
              ", after: ", reason, ")");
    announce("reconnecting", reason, delay);
    if (delay.count() == 0)
      self->send(self, restart_atom::value);
    else
      self->delayed_send(self, delay, restart_atom::value);
  };
  self->attach_functor([=] {
    if (cfg.on_stop)
      cfg.on_stop(self->state.fatal_error);
  });
  self->set_down_handler([=](caf::down_msg& msg) {
    auto& st = self->state;
    if (st.draining && msg.source == st.draining.address()) {
      st.draining = nullptr;
      if (st.closing && !st.connection)
        self->quit();
      return;
    }
    if (msg.source != st.connection.address())
      return;
    st.connection = nullptr;
    st.connected = false;
    if (st.closing) {
      announce("disconnected", "closed on request");
      if (!st.draining)
        self->quit();
      return;
    }
    auto code = conn_errc::transient;
    std::string reason = "connection ended";
    std::int32_t retry_after = 0;
    if (msg.reason.category() == conn_category) {
      code = static_cast<conn_errc>(msg.reason.code());
      auto& ctx = msg.reason.context();
      if (ctx.match_elements<std::string, std::int32_t>()) {
        reason = ctx.get_as<std::string>(0);
        retry_after = ctx.get_as<std::int32_t>(1);
      }
    } else if (msg.reason) {
      reason = self->system().render(msg.reason);
    }
    announce("disconnected", reason);
    if (code == conn_errc::closed) {
      retire_draining();
      self->quit();
      return;
    }
    if (code == conn_errc::fatal) {
      fail_sends("connection failed: " + reason);
      // "<connect method> failed: <Slack's error code>"
      auto prefix = std::string_view{" failed: "};
      auto code_at = reason.find(prefix);
      st.fatal_error = code_at == std::string::npos
                           ? reason
                           : reason.substr(code_at + prefix.size());
      shared->state = connection_state::closed;
      log->error("giving up: ", reason);
      retire_draining();
      announce("error", st.fatal_error);
      self->quit();
      return;
    }
    schedule_restart(code, reason, retry_after);
  });
  start_connection();
  return {
      [=](restart_atom) {
        if (!self->state.closing && !self->state.connection)
          start_connection();
      },
      [=](hello_atom) {
        if (self->current_sender() != self->state.connection.address())
          return;
        self->state.hello_at = self->clock().now();
        self->state.connected = true;
        retire_draining();
        announce("connected");
        // Everything not yet answered, oldest first: sends made while
        // disconnected and those whose socket died before the reply.
        for (auto request : self->state.sends.requests())
          if (self->state.paced.count(request) == 0)
            transmit(request);
      },
      [=](outgoing_frame& out) {
        if (auto refused = self->state.sends.add(out.request, out.frame)) {
          shared->acks.fail(out.request, *refused);
          return;
        }
        self->delayed_send(self, cfg.send_timeout, expire_atom::value,
                           out.request);
        if (self->state.connected)
          transmit(out.request);
      },
      [=](socket_reply& msg) {
        auto& reply = msg.reply.json();
        auto id = msg.reply_to;
        if (auto request = self->state.sends.settle(id)) {
          auto& pings = self->state.pings;
          if (auto i = pings.find(*request); i != pings.end()) {
            // A pong: tell the caller the round trip too.
            auto pong = reply;
            pong["latency_us"] =
                std::chrono::duration_cast<std::chrono::microseconds>(
                    self->clock().now() - i->second)
                    .count();
            pings.erase(i);
            pong["ok"] = true; // a pong has no `ok`; it is the answer
            shared->acks.resolve(*request, pong);
          } else {
            shared->acks.resolve(*request, reply);
          }
        } else
          log->debug("reply to unknown frame ", id);
      },
      [=](pace_atom, std::uint64_t request) {
        // Already booked with the throttle; if the socket is down, the next
        // hello sends it (booking anew).
        self->state.paced.erase(request);
        if (self->state.connected)
          write(request);
      },
      [=](goodbye_atom) {
        // The server asked to reconnect: open the next socket now, and read
        // the old one until the new one says hello (events the server still
        // writes there are not lost; the dispatcher drops the duplicates).
        auto& st = self->state;
        if (st.closing || self->current_sender() != st.connection.address())
          return;
        retire_draining(); // a second goodbye before the first one's hello
        st.draining = st.connection;
        st.connection = nullptr;
        st.connected = false;
        announce("disconnected", "goodbye");
        self->delayed_send(self, cfg.drain_limit, retire_atom::value,
                           st.draining.address());
        schedule_restart(conn_errc::reconnect, "goodbye", 0);
      },
      [=](retire_atom, const caf::actor_addr& which) {
        if (self->state.draining && self->state.draining.address() == which)
          retire_draining();
      },
      [=](job_done&) {
        // The lifecycle handler finished with a note: nothing to do.
      },
      [=](expire_atom, std::uint64_t request) {
        self->state.pings.erase(request);
        if (self->state.sends.remove(request))
          shared->acks.fail(
              request, "no reply from Slack within " +
                           std::to_string(cfg.send_timeout.count()) + " ms");
      },
      [=](caf::close_atom) {
        fail_sends("client closed before Slack's reply");
        self->state.closing = true;
        shared->state = connection_state::closed;
        retire_draining();
        if (self->state.connection)
          self->send(self->state.connection, caf::close_atom::value);
        else if (!self->state.draining)
          self->quit();
      },
  };
}

} // namespace slackrtm
