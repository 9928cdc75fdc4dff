// GCRA: a message is allowed at max(now, tat - tolerance), and moves the
// channel's theoretical arrival time (tat) one interval on.
#include "actors/send_throttle.hpp"

#include <algorithm>

namespace slackrtm {

send_throttle::duration send_throttle::book_message(const std::string& channel,
                                                    time_point now) {
  auto interval =
      std::chrono::duration_cast<duration>(limits_.message_interval);
  auto tolerance = interval * std::max(limits_.burst - 1, 0);
  // A channel seen for the first time starts with tat = now.
  auto i = next_message_.emplace(channel, now).first;
  auto tat = std::max(i->second, now);
  auto allowed_at = std::max(now, tat - tolerance);
  i->second = tat + interval;
  return allowed_at - now;
}

bool send_throttle::allow_typing(const std::string& channel, time_point now) {
  auto i = last_typing_.find(channel);
  if (i != last_typing_.end() && now - i->second < limits_.typing_interval)
    return false;
  last_typing_[channel] = now;
  return true;
}

} // namespace slackrtm
