// GCRA: a message is allowed at max(now, tat - tolerance), and moves the
// channel's theoretical arrival time (tat) one interval on.
#include "actors/send_throttle.hpp"

#include <algorithm>
#include <iterator>

namespace slackrtm {

send_throttle::duration send_throttle::book_message(const std::string& channel,
                                                    time_point now) {
  auto interval =
      std::chrono::duration_cast<duration>(limits_.message_interval);
  auto tolerance = interval * std::max(limits_.burst - 1, 0);
  if (next_message_.size() >= prune_at_)
    prune(now);
  // A channel seen for the first time starts with tat = now.
  auto i = next_message_.emplace(channel, now).first;
  auto tat = std::max(i->second, now);
  auto allowed_at = std::max(now, tat - tolerance);
  i->second = tat + interval;
  return allowed_at - now;
}

void send_throttle::release_message(const std::string& channel) {
  // The channel's tat moves back one interval: each later message, booked
  // or not, then goes out no later than before. A tat that falls into the
  // past means the same as a forgotten channel; the next sweep drops it.
  if (auto i = next_message_.find(channel); i != next_message_.end())
    i->second -= std::chrono::duration_cast<duration>(limits_.message_interval);
}

bool send_throttle::allow_typing(const std::string& channel, time_point now) {
  auto i = last_typing_.find(channel);
  if (i != last_typing_.end() && now - i->second < limits_.typing_interval)
    return false;
  if (i == last_typing_.end() && last_typing_.size() >= prune_at_)
    prune(now);
  last_typing_[channel] = now;
  return true;
}

void send_throttle::prune(time_point now) {
  auto erase_if = [](auto& map, auto stale) {
    for (auto i = map.begin(); i != map.end();)
      i = stale(i->second) ? map.erase(i) : std::next(i);
  };
  erase_if(next_message_, [now](time_point tat) { return tat <= now; });
  erase_if(last_typing_,
           [&](time_point at) { return now - at >= limits_.typing_interval; });
  prune_at_ = std::max<std::size_t>(
      64, 2 * std::max(next_message_.size(), last_typing_.size()));
}

} // namespace slackrtm
