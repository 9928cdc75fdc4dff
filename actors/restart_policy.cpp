// Backoff with full jitter, reset by a healthy connection.
#include "actors/restart_policy.hpp"

#include <algorithm>

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

restart_policy::restart_policy(limits lim, std::uint64_t seed)
    : limits_(lim), rng_(static_cast<std::minstd_rand::result_type>(seed)) {
  // nop
}

std::chrono::milliseconds
restart_policy::next_delay(bool server_asked, std::chrono::seconds retry_after,
                           time_point now) {
  if (hello_at_ && now - *hello_at_ >= limits_.healthy_after)
    attempt_ = 0;
  std::chrono::milliseconds delay{0};
  if (!server_asked || attempt_ > 0)
    delay = backoff_delay(attempt_, limits_.min_backoff, limits_.max_backoff,
                          retry_after, rng_);
  ++attempt_;
  return delay;
}

} // namespace slackrtm
