// The dispatcher's two filters against duplicate events: copies that
// overlapping sockets carry (RTM, while an old socket drains), and Slack's
// redeliveries of a Socket Mode event it already delivered.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "slackrtm/event.hpp"

namespace slackrtm {

/// Merges the event streams of overlapping sockets, which carry copies of
/// the same events: an event is new when the socket it came on has now seen
/// it more often than it was delivered. So a copy is dropped, while an event
/// that really happens twice (the same presence change again) is delivered
/// twice. Remembers the last `capacity` distinct events.
class overlap_filter {
public:
  explicit overlap_filter(std::size_t capacity = 4096)
      : capacity_(std::max<std::size_t>(capacity, 1)) {
    // nop
  }

  /// Records `key` seen on socket `session`; true when it is to be
  /// delivered, false for a copy of an event already delivered.
  bool admit(const std::string& key, std::uint64_t session);

private:
  struct entry {
    std::uint32_t delivered = 0;
    /// Socket session -> copies seen on it.
    std::vector<std::pair<std::uint64_t, std::uint32_t>> seen;
  };

  std::size_t capacity_;
  std::unordered_map<std::string, entry> entries_;
  std::deque<std::string> order_;
};

/// Remembers the `event_id`s of Socket Mode events for a window of time (at
/// most `capacity` of them, as 64-bit hashes), so that Slack's redelivery of
/// an event already delivered is dropped. An event whose first delivery
/// never arrived is delivered when its retry comes.
class event_id_filter {
public:
  using time_point = std::chrono::steady_clock::time_point;

  explicit event_id_filter(
      std::chrono::milliseconds window = std::chrono::minutes{15},
      std::size_t capacity = 100000)
      : window_(window), capacity_(std::max<std::size_t>(capacity, 1)) {
    // nop
  }

  /// True when `id` was not seen within the window; remembers it from
  /// `now` on.
  bool admit(std::string_view id, time_point now);

  /// Ids remembered.
  std::size_t size() const noexcept { return order_.size(); }

private:
  struct entry {
    std::uint64_t hash;
    time_point at;
  };

  std::chrono::milliseconds window_;
  std::size_t capacity_;
  std::deque<entry> order_;
  std::unordered_set<std::uint64_t> seen_;
};

/// What identifies an event across sockets: its type, subtype, channel, `ts`
/// and `event_ts` when it has a timestamp, else its whole content; empty for
/// the events of one socket alone (`hello`, `goodbye`, `pong`).
std::string dedupe_key(const event& ev);

} // namespace slackrtm
