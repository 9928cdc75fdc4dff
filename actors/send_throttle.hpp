// Client-side pacing of socket sends, so that a chatty bot stays under
// Slack's disconnect limit: about one message per second per channel with a
// small burst (a GCRA token bucket), and a typing indicator at most every
// 3 s per channel. Plain data, no actor; time comes from the caller.
#pragma once

#include <chrono>
#include <string>
#include <unordered_map>

#include <caf/actor_clock.hpp>

namespace slackrtm {

class send_throttle {
public:
  // -- member types -----------------------------------------------------------

  using time_point = caf::actor_clock::time_point;
  using duration = caf::actor_clock::duration_type;

  struct limits {
    /// Sustained messages per channel: one per `message_interval`.
    std::chrono::milliseconds message_interval{1000};
    /// Messages a quiet channel may send at once.
    int burst = 3;
    /// Shortest time between two typing indicators in one channel.
    std::chrono::milliseconds typing_interval{3000};
  };

  // -- constructors -----------------------------------------------------------

  explicit send_throttle(limits lim) : limits_(lim) {
    // nop
  }

  send_throttle() : send_throttle(limits{}) {
    // nop
  }

  // -- mutators ---------------------------------------------------------------

  /// Books a message to `channel` at `now`; returns how long it must wait
  /// (zero: send now). Later bookings wait longer, so messages of one
  /// channel keep their order.
  duration book_message(const std::string& channel, time_point now);

  /// Gives back a slot of `channel` booked with `book_message` whose message
  /// never went out (it expired or failed while waiting for its turn):
  /// Slack counts only what it receives, so later messages of the channel
  /// must not wait behind it.
  void release_message(const std::string& channel);

  /// True when a typing indicator for `channel` may go out at `now` (and
  /// books it); false when the last one went out too recently.
  bool allow_typing(const std::string& channel, time_point now);

  // -- observers --------------------------------------------------------------

  /// Channels remembered (messages and typing); stale ones are forgotten as
  /// the maps grow, so a bot that posts to very many channels stays bounded
  /// by the channels active within the last few seconds.
  std::size_t tracked() const noexcept {
    return next_message_.size() + last_typing_.size();
  }

private:
  /// Forgets channels whose entries no longer hold anything back (a
  /// message tat in the past, a typing indicator older than its interval):
  /// a missing entry means exactly the same. Runs when a map has doubled
  /// since the last sweep, so the cost per booking stays constant.
  void prune(time_point now);

  limits limits_;
  std::size_t prune_at_ = 64;
  /// Per channel: the theoretical arrival time of the next message.
  std::unordered_map<std::string, time_point> next_message_;
  std::unordered_map<std::string, time_point> last_typing_;
};

} // namespace slackrtm
