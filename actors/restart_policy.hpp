// When the supervisor opens the next connection: exponential backoff with
// full jitter, Retry-After honoured, an immediate first retry when the
// server itself asked for a new socket, and a reset once a connection has
// been healthy for a while. Plain data, no actor.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>

namespace slackrtm {

/// The delay before restart number `attempt` (0-based): uniform in
/// [0, min(max, min * 2^attempt)], at least `retry_after`.
std::chrono::milliseconds backoff_delay(std::uint32_t attempt,
                                        std::chrono::milliseconds min,
                                        std::chrono::milliseconds max,
                                        std::chrono::seconds retry_after,
                                        std::minstd_rand& rng);

class restart_policy {
public:
  // -- member types -----------------------------------------------------------

  using time_point = std::chrono::steady_clock::time_point;

  struct limits {
    /// Ceiling of the first delay; each attempt doubles it up to `max`.
    std::chrono::milliseconds min_backoff{250};
    std::chrono::milliseconds max_backoff{30000};
    /// A connection that lived this long after hello resets the backoff.
    std::chrono::milliseconds healthy_after{30000};
  };

  // -- constructors -----------------------------------------------------------

  restart_policy(limits lim, std::uint64_t seed);

  // -- observers --------------------------------------------------------------

  /// Restarts since the last healthy connection.
  std::uint32_t attempt() const noexcept { return attempt_; }

  // -- mutators ---------------------------------------------------------------

  /// A new connection starts.
  void starting() noexcept { hello_at_.reset(); }

  /// The current connection said hello at `now`.
  void connected(time_point now) noexcept { hello_at_ = now; }

  /// The current connection ended at `now`: the delay before the next one,
  /// counted as one more attempt. `server_asked`: the server asked for a
  /// new socket (the first such retry goes at once).
  std::chrono::milliseconds next_delay(bool server_asked,
                                       std::chrono::seconds retry_after,
                                       time_point now);

private:
  limits limits_;
  std::uint32_t attempt_ = 0;
  std::optional<time_point> hello_at_;
  std::minstd_rand rng_;
};

} // namespace slackrtm
