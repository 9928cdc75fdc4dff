// The gateway's admission step: one-time challenges for the secret's proof,
// and a growing wait for a peer whose attempts keep failing. Plain data, no
// actor: the gateway asks it with its clock's time.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <string>
#include <unordered_map>

#include <caf/node_id.hpp>

namespace slackrtm {

class admission_guard {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using duration = std::chrono::steady_clock::duration;

  struct limits {
    /// Challenges alive at once; beyond, the oldest is forgotten.
    std::size_t max_challenges = 256;
    /// How long a challenge may be answered.
    duration challenge_ttl = std::chrono::seconds{30};
    /// Failed attempts a peer has before it must wait.
    std::size_t free_failures = 3;
    /// The first wait; it doubles with each further failure, up to
    /// `max_wait`.
    duration first_wait = std::chrono::seconds{1};
    duration max_wait = std::chrono::seconds{60};
    /// Peers whose failures are remembered; beyond, the one that failed
    /// longest ago is forgotten.
    std::size_t max_peers = 1024;
  };

  admission_guard() = default;

  explicit admission_guard(limits lim) : limits_(lim) {
    // nop
  }

  /// How long `peer` must still wait before its next attempt (zero: none).
  duration wait(const caf::node_id& peer, time_point now) const;

  /// A fresh challenge for `peer`, to be answered before `now + ttl`.
  std::string issue(const caf::node_id& peer, time_point now);

  /// True when `challenge` was issued to `peer` and is still alive; it is
  /// used up either way.
  bool redeem(const std::string& challenge, const caf::node_id& peer,
              time_point now);

  /// Counts a failed attempt of `peer` (a wrong proof, an unknown or
  /// expired challenge).
  void failed(const caf::node_id& peer, time_point now);

  /// `peer` was admitted: its failures are forgotten.
  void admitted(const caf::node_id& peer);

  /// Challenges alive now (at most `max_challenges`).
  std::size_t challenges() const noexcept { return challenges_.size(); }

private:
  struct challenge {
    caf::node_id peer;
    time_point expires;
  };

  struct failures {
    std::size_t count = 0;
    time_point last;
    time_point until;
  };

  void expire(time_point now);

  limits limits_;
  std::unordered_map<std::string, challenge> challenges_;
  // Issue order, for expiry and eviction (may name used-up challenges).
  std::deque<std::string> order_;
  std::unordered_map<caf::node_id, failures> failures_;
};

} // namespace slackrtm
