// The supervisor actor: keeps one connection actor alive. It restarts the
// connection after every loss (its restart policy: backoff with jitter,
// Retry-After) and gives up only on fatal errors (a refused token) or when
// told to close. It owns the outbox, so that a frame whose socket dies
// before Slack's reply goes out again on the next socket, and the send
// throttle that paces those frames.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/interfaces.hpp"
#include "actors/messages.hpp"
#include "actors/outbox.hpp"
#include "actors/restart_policy.hpp"
#include "actors/send_throttle.hpp"

namespace slackrtm {

struct client_state;

/// What a supervisor needs.
struct supervisor_config {
  /// Spawns a new connection actor reporting `hello_atom` to the given
  /// supervisor; `successor` when it replaces a socket still draining after
  /// `goodbye`.
  std::function<connection_actor(supervisor_actor supervisor, bool successor)>
      spawn_connection;
  /// Backoff bounds and when a connection counts as healthy.
  restart_policy::limits restarts;
  /// A socket draining after `goodbye` is closed at the latest this long
  /// after it, even if its successor has not said hello yet.
  std::chrono::milliseconds drain_limit{10000};
  /// True: the successor's hello retires the draining socket (RTM). False:
  /// it is read until the server closes it or the drain limit passes
  /// (Socket Mode, where the server still delivers envelopes there).
  bool retire_on_hello = true;
  /// Shared counters, logger and state.
  std::shared_ptr<client_state> shared;
  /// Told every lifecycle change as a `lifecycle_note` (may be null).
  lifecycle_actor lifecycle;
  /// Stamped on those notes: the workspace this supervisor serves.
  std::uint32_t workspace = 0;
  /// Called once when the supervisor ends: with Slack's error code after a
  /// fatal error, with an empty string after a requested close.
  std::function<void(const std::string& fatal_error)> on_stop;
  /// Limits of the outbox (capacity, frame and text size).
  outbox::limits outbox_limits;
  /// Pacing of socket sends per channel.
  send_throttle::limits throttle;
  /// A send without Slack's reply after this long fails.
  std::chrono::milliseconds send_timeout{30000};
  /// Seed of the jitter (tests fix it).
  std::uint64_t seed = std::random_device{}();
};

/// The supervisor's state, with one member function per message.
class supervisor_state {
public:
  using pointer = supervisor_actor::stateful_pointer<supervisor_state>;

  explicit supervisor_state(pointer self) : self_(self) {
    // nop
  }

  /// Spawns the first connection and returns the actor's behaviour.
  supervisor_actor::behavior_type make_behavior(supervisor_config cfg);

  static inline const char* name = "slackrtm.supervisor";

private:
  // -- message handlers -------------------------------------------------------

  void on_down(caf::down_msg& msg);
  void on_hello();
  void on_send(outgoing_frame& out);
  void on_reply(socket_reply& msg);
  void on_goodbye(const std::string& why);
  void on_expire(std::uint64_t request);
  void on_close();

  // -- connections ------------------------------------------------------------

  void start_connection();
  // Schedules the next connection after a loss (`code` says what kind).
  void schedule_restart(conn_errc code, const std::string& reason,
                        std::int32_t retry_after);
  // Closes the socket left draining after `goodbye`, if any.
  void retire_draining();
  // Tells the application's lifecycle handler what just happened.
  void announce(lifecycle_kind kind, std::string reason = {},
                std::chrono::milliseconds delay = {});

  // -- sends ------------------------------------------------------------------

  // Writes `request` now, or later when its channel has sent too much.
  void transmit(std::uint64_t request);
  // Writes `request` to the current socket under a fresh id.
  void write(std::uint64_t request);
  // Gives the throttle back the slot of `request`, which was booked but
  // never written.
  void release_slot(std::uint64_t request);
  // Fails every send still waiting for its reply.
  void fail_sends(const std::string& why);
  // A handle to this actor (for its own timers and its connections).
  supervisor_actor handle() const;

  pointer self_;
  supervisor_config cfg_;
  connection_actor connection_;
  /// The previous connection, still reading after `goodbye` until the
  /// current one says hello.
  connection_actor draining_;
  bool closing_ = false;
  /// True between the current connection's hello and its end.
  bool connected_ = false;
  std::string fatal_error_;
  restart_policy restarts_{{}, 0};
  outbox sends_;
  send_throttle throttle_;
  /// Sends waiting for the throttle (their timer resends them).
  std::unordered_set<std::uint64_t> paced_;
  /// Application pings -> when they were last written (for their latency).
  std::unordered_map<std::uint64_t, caf::actor_clock::time_point> pings_;
};

/// Spawns with `system.spawn(supervisor, cfg)`.
supervisor_actor::behavior_type supervisor(supervisor_state::pointer self,
                                           supervisor_config cfg);

} // namespace slackrtm
