// The supervisor actor: keeps one connection actor alive. It restarts the
// connection after every loss with exponential backoff and full jitter,
// honours Retry-After, and gives up only on fatal errors (a refused token)
// or when told to close. It owns the outbox, so that a frame whose socket
// dies before Slack's reply goes out again on the next socket.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <caf/all.hpp>

#include "actors/messages.hpp"
#include "actors/outbox.hpp"
#include "actors/send_throttle.hpp"

namespace slackrtm {

struct client_state;

/// What a supervisor needs.
struct supervisor_config {
  /// Spawns a new connection actor reporting `hello_atom` to the given
  /// supervisor; `successor` when it replaces a socket still draining after
  /// `goodbye`.
  std::function<caf::actor(caf::actor supervisor, bool successor)>
      spawn_connection;
  /// Ceiling of the first delay; each attempt doubles it up to `max_backoff`.
  std::chrono::milliseconds min_backoff{250};
  std::chrono::milliseconds max_backoff{30000};
  /// A connection that lived this long after hello resets the backoff.
  std::chrono::milliseconds healthy_after{30000};
  /// A socket draining after `goodbye` is closed at the latest this long
  /// after it, even if its successor has not said hello yet.
  std::chrono::milliseconds drain_limit{10000};
  /// Shared counters, logger and state.
  std::shared_ptr<client_state> shared;
  /// Told every lifecycle change as a `handler_job` whose event is
  /// `{"type":"connecting"|"connected"|"disconnected"|"reconnecting"|"error",
  /// "reason":..,"attempt":..,"delay_ms":..}` (may be null).
  caf::actor lifecycle;
  /// Stamped on those jobs: the workspace this supervisor serves.
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

/// State of the supervisor.
struct supervisor_state {
  caf::actor connection;
  /// The previous connection, still reading after `goodbye` until the
  /// current one says hello.
  caf::actor draining;
  /// Restarts since the last healthy connection.
  std::uint32_t attempt = 0;
  /// When the current connection said hello.
  std::optional<caf::actor_clock::time_point> hello_at;
  bool closing = false;
  /// True between the current connection's hello and its end.
  bool connected = false;
  std::string fatal_error;
  outbox sends;
  send_throttle throttle;
  /// Sends waiting for the throttle (their timer resends them).
  std::unordered_set<std::uint64_t> paced;
  /// Application pings -> when they were last written (for their latency).
  std::unordered_map<std::uint64_t, caf::actor_clock::time_point> pings;
  std::minstd_rand rng;
  static inline const char* name = "slackrtm.supervisor";
};

/// The delay before restart number `attempt` (0-based): uniform in
/// [0, min(max, min * 2^attempt)], at least `retry_after`.
std::chrono::milliseconds backoff_delay(std::uint32_t attempt,
                                        std::chrono::milliseconds min,
                                        std::chrono::milliseconds max,
                                        std::chrono::seconds retry_after,
                                        std::minstd_rand& rng);

/// Spawns with `system.spawn(supervisor, cfg)`.
caf::behavior supervisor(caf::stateful_actor<supervisor_state>* self,
                         supervisor_config cfg);

} // namespace slackrtm
