// One-time challenges and the wait after failed attempts.
#include "actors/admission.hpp"

#include <algorithm>

#include "util/secret_proof.hpp"

namespace slackrtm {

admission_guard::duration admission_guard::wait(const caf::node_id& peer,
                                                time_point now) const {
  auto i = failures_.find(peer);
  if (i == failures_.end() || i->second.until <= now)
    return duration::zero();
  return i->second.until - now;
}

std::string admission_guard::issue(const caf::node_id& peer, time_point now) {
  expire(now);
  // `order_` may still name used-up challenges: bounding it bounds both.
  while (order_.size() >= limits_.max_challenges) {
    challenges_.erase(order_.front());
    order_.pop_front();
  }
  auto text = random_hex(32);
  challenges_.emplace(text, challenge{peer, now + limits_.challenge_ttl});
  order_.push_back(text);
  return text;
}

bool admission_guard::redeem(const std::string& text, const caf::node_id& peer,
                             time_point now) {
  expire(now);
  auto i = challenges_.find(text);
  if (i == challenges_.end())
    return false;
  auto alive = i->second.peer == peer && i->second.expires > now;
  challenges_.erase(i);
  return alive;
}

void admission_guard::failed(const caf::node_id& peer, time_point now) {
  if (failures_.count(peer) == 0 && failures_.size() >= limits_.max_peers) {
    auto oldest = std::min_element(
        failures_.begin(), failures_.end(),
        [](auto& x, auto& y) { return x.second.last < y.second.last; });
    failures_.erase(oldest);
  }
  auto& f = failures_[peer];
  ++f.count;
  f.last = now;
  if (f.count <= limits_.free_failures)
    return;
  auto wait = limits_.first_wait;
  for (auto n = f.count - limits_.free_failures;
       n > 1 && wait < limits_.max_wait; --n)
    wait *= 2;
  f.until = now + std::min(wait, limits_.max_wait);
}

void admission_guard::admitted(const caf::node_id& peer) {
  failures_.erase(peer);
}

void admission_guard::expire(time_point now) {
  while (!order_.empty()) {
    auto i = challenges_.find(order_.front());
    if (i != challenges_.end() && i->second.expires > now)
      break;
    if (i != challenges_.end())
      challenges_.erase(i);
    order_.pop_front();
  }
}

} // namespace slackrtm
