// The supervisor: restarts, the outbox and its pacing, ping latency.
#include "actors/supervisor.hpp"

#include <string_view>

#include "actors/client_state.hpp"

namespace slackrtm {

supervisor_actor::behavior_type supervisor(supervisor_state::pointer self,
                                           supervisor_config cfg) {
  return self->state.make_behavior(std::move(cfg));
}

supervisor_actor::behavior_type
supervisor_state::make_behavior(supervisor_config cfg) {
  cfg_ = std::move(cfg);
  restarts_ = restart_policy{cfg_.restarts, cfg_.seed};
  sends_ = outbox{cfg_.outbox_limits};
  throttle_ = send_throttle{cfg_.throttle};
  self_->attach_functor([this] {
    if (cfg_.on_stop)
      cfg_.on_stop(fatal_error_);
  });
  self_->set_down_handler([this](caf::down_msg& msg) { on_down(msg); });
  start_connection();
  return {
      [this](restart_atom) {
        if (!closing_ && !connection_)
          start_connection();
      },
      [this](hello_atom) { on_hello(); },
      [this](outgoing_frame& out) { on_send(out); },
      [this](socket_reply& msg) { on_reply(msg); },
      [this](pace_atom, std::uint64_t request) {
        // Gone already when it expired while waiting (its slot went back
        // then).
        if (paced_.erase(request) == 0)
          return;
        // Already booked with the throttle; if the socket is down, the next
        // hello sends it, booking anew: this slot was never used.
        if (connected_)
          write(request);
        else
          release_slot(request);
      },
      [this](goodbye_atom, std::string& why) { on_goodbye(why); },
      [this](retire_atom, const caf::actor_addr& which) {
        if (draining_ && draining_.address() == which)
          retire_draining();
      },
      [this](expire_atom, std::uint64_t request) { on_expire(request); },
      [this](caf::close_atom) { on_close(); },
  };
}

// -- message handlers ---------------------------------------------------------

void supervisor_state::on_down(caf::down_msg& msg) {
  if (draining_ && msg.source == draining_.address()) {
    draining_ = nullptr;
    if (closing_ && !connection_)
      self_->quit();
    return;
  }
  if (msg.source != connection_.address())
    return;
  connection_ = nullptr;
  connected_ = false;
  if (closing_) {
    announce(lifecycle_kind::disconnected, "closed on request");
    if (!draining_)
      self_->quit();
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
    reason = self_->system().render(msg.reason);
  }
  announce(lifecycle_kind::disconnected, reason);
  if (code == conn_errc::closed) {
    retire_draining();
    self_->quit();
    return;
  }
  if (code == conn_errc::fatal) {
    fail_sends("connection failed: " + reason);
    // "<connect method> failed: <Slack's error code>", or "server
    // disconnected: <reason>"
    auto code_at = reason.rfind(": ");
    fatal_error_ =
        code_at == std::string::npos ? reason : reason.substr(code_at + 2);
    cfg_.shared->state = connection_state::closed;
    cfg_.shared->log->error("giving up: ", reason);
    retire_draining();
    announce(lifecycle_kind::error, fatal_error_);
    self_->quit();
    return;
  }
  schedule_restart(code, reason, retry_after);
}

void supervisor_state::on_hello() {
  if (self_->current_sender() != connection_.address())
    return;
  restarts_.connected(self_->clock().now());
  connected_ = true;
  if (cfg_.retire_on_hello)
    retire_draining();
  announce(lifecycle_kind::connected);
  // Everything not yet answered, oldest first: sends made while
  // disconnected and those whose socket died before the reply.
  for (auto request : sends_.requests())
    if (paced_.count(request) == 0)
      transmit(request);
}

void supervisor_state::on_send(outgoing_frame& out) {
  // Once closing, nothing more goes out, and nothing would settle it.
  if (closing_) {
    cfg_.shared->sends.fail(out.request, "client closed before the send");
    return;
  }
  if (auto refused = sends_.add(out.request, out.frame)) {
    cfg_.shared->sends.fail(out.request, *refused);
    return;
  }
  self_->delayed_send(handle(), cfg_.send_timeout, expire_atom::value,
                      out.request);
  if (connected_)
    transmit(out.request);
}

void supervisor_state::on_reply(socket_reply& msg) {
  auto request = sends_.settle(msg.reply_to);
  if (!request) {
    cfg_.shared->log->debug("reply to unknown frame ", msg.reply_to);
    return;
  }
  auto& reply = msg.reply.json();
  auto i = pings_.find(*request);
  if (i == pings_.end()) {
    cfg_.shared->sends.resolve(*request, reply);
    return;
  }
  // A pong: tell the caller the round trip too, and `last_pong_latency`
  // (which the connection's keep-alive pings set as well).
  auto latency = std::chrono::duration_cast<std::chrono::microseconds>(
                     self_->clock().now() - i->second)
                     .count();
  cfg_.shared->last_pong_us = latency;
  auto pong = reply;
  pong["latency_us"] = latency;
  pings_.erase(i);
  pong["ok"] = true; // a pong has no `ok`; it is the answer
  cfg_.shared->sends.resolve(*request, pong);
}

void supervisor_state::on_goodbye(const std::string& why) {
  // The server asked to reconnect: open the next socket now, and read the
  // old one until the new one says hello (events the server still writes
  // there are not lost; the dispatcher drops the duplicates).
  if (closing_ || self_->current_sender() != connection_.address())
    return;
  retire_draining(); // a second goodbye before the first one's hello
  draining_ = connection_;
  connection_ = nullptr;
  connected_ = false;
  announce(lifecycle_kind::disconnected, why);
  self_->delayed_send(handle(), cfg_.drain_limit, retire_atom::value,
                      draining_.address());
  schedule_restart(conn_errc::reconnect, why, 0);
}

void supervisor_state::on_expire(std::uint64_t request) {
  pings_.erase(request);
  // A send still waiting for its turn never went out: its slot must not
  // hold back the channel's later sends.
  if (paced_.erase(request) > 0)
    release_slot(request);
  if (sends_.remove(request))
    cfg_.shared->sends.fail(
        request, "no reply from Slack within " +
                     std::to_string(cfg_.send_timeout.count()) + " ms");
}

void supervisor_state::on_close() {
  fail_sends("client closed before Slack's reply");
  closing_ = true;
  cfg_.shared->state = connection_state::closed;
  retire_draining();
  if (connection_)
    self_->send(connection_, caf::close_atom::value);
  else if (!draining_)
    self_->quit();
}

// -- connections --------------------------------------------------------------

void supervisor_state::start_connection() {
  announce(lifecycle_kind::connecting);
  restarts_.starting();
  connection_ = cfg_.spawn_connection(handle(), draining_ != nullptr);
  self_->monitor(connection_);
}

void supervisor_state::schedule_restart(conn_errc code,
                                        const std::string& reason,
                                        std::int32_t retry_after) {
  auto delay = restarts_.next_delay(code == conn_errc::reconnect,
                                    std::chrono::seconds{retry_after},
                                    self_->clock().now());
  cfg_.shared->log->info("reconnecting in ", delay.count(), " ms (attempt ",
                         restarts_.attempt(), ", after: ", reason, ")");
  announce(lifecycle_kind::reconnecting, reason, delay);
  if (delay.count() == 0)
    self_->send(handle(), restart_atom::value);
  else
    self_->delayed_send(handle(), delay, restart_atom::value);
}

void supervisor_state::retire_draining() {
  if (draining_)
    self_->send(draining_, retire_atom::value);
}

void supervisor_state::announce(lifecycle_kind kind, std::string reason,
                                std::chrono::milliseconds delay) {
  if (!cfg_.lifecycle)
    return;
  lifecycle_note note;
  note.workspace = cfg_.workspace;
  note.change.kind = kind;
  note.change.reason = std::move(reason);
  note.change.attempt = restarts_.attempt();
  note.change.delay = delay;
  self_->send(cfg_.lifecycle, std::move(note));
}

// -- sends --------------------------------------------------------------------

void supervisor_state::transmit(std::uint64_t request) {
  // Slack disconnects clients that send more than about one message per
  // second and channel; typing indicators beyond one per 3 s are skipped.
  auto* frame = sends_.frame(request);
  if (!frame)
    return;
  auto type = frame->value("type", std::string{});
  auto channel = frame->value("channel", std::string{});
  auto now = self_->clock().now();
  if (type == "typing" && !throttle_.allow_typing(channel, now)) {
    sends_.remove(request);
    cfg_.shared->sends.resolve(request, {{"ok", true}, {"throttled", true}});
    return;
  }
  if (type == "message") {
    auto wait = throttle_.book_message(channel, now);
    if (wait.count() > 0) {
      paced_.insert(request);
      self_->delayed_send(handle(), wait, pace_atom::value, request);
      return;
    }
  }
  write(request);
}

void supervisor_state::write(std::uint64_t request) {
  auto text = sends_.stamp(request, ++cfg_.shared->last_frame_id);
  if (text.empty())
    return;
  self_->send(connection_, socket_frame{std::move(text)});
  if (auto* frame = sends_.frame(request);
      frame && frame->value("type", std::string{}) == "ping")
    pings_[request] = self_->clock().now();
  // Slack answers only messages: anything else is done once written.
  if (!sends_.expects_reply(request)) {
    sends_.remove(request);
    cfg_.shared->sends.resolve(request, nlohmann::json{{"ok", true}});
  }
}

void supervisor_state::release_slot(std::uint64_t request) {
  if (auto* frame = sends_.frame(request))
    throttle_.release_message(frame->value("channel", std::string{}));
}

supervisor_actor supervisor_state::handle() const {
  return caf::actor_cast<supervisor_actor>(self_);
}

void supervisor_state::fail_sends(const std::string& why) {
  for (auto request : sends_.clear())
    cfg_.shared->sends.fail(request, why);
  paced_.clear();
  pings_.clear();
}

} // namespace slackrtm
