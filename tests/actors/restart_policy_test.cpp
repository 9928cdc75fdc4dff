// The restart policy: backoff with full jitter under a cap, Retry-After, an
// immediate first retry when the server asked, a reset after a healthy
// connection.
#define CAF_SUITE restart_policy

#include "actors/restart_policy.hpp"

#include "tests/support/fixture.hpp"

#include <set>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

restart_policy::limits test_limits() {
  restart_policy::limits lim;
  lim.min_backoff = 100ms;
  lim.max_backoff = 1600ms;
  lim.healthy_after = 10s;
  return lim;
}

} // namespace

CAF_TEST(backoff delays grow stay under the cap and are jittered) {
  std::minstd_rand rng{7};
  std::set<std::int64_t> distinct;
  for (std::uint32_t attempt = 0; attempt < 12; ++attempt) {
    auto ceiling = std::min<std::int64_t>(100 << std::min(attempt, 20u), 1600);
    for (int i = 0; i < 50; ++i) {
      auto d = backoff_delay(attempt, 100ms, 1600ms, 0s, rng);
      CAF_CHECK(d.count() >= 0);
      CAF_CHECK(d.count() <= ceiling);
      distinct.insert(d.count());
    }
  }
  CAF_CHECK(distinct.size() > 100u);
  CAF_CHECK_EQUAL(backoff_delay(0, 100ms, 1600ms, 5s, rng), 5000ms);
}

CAF_TEST(a server request retries at once the first time only) {
  restart_policy policy{test_limits(), 42};
  auto now = std::chrono::steady_clock::now();
  policy.starting();
  CAF_CHECK_EQUAL(policy.next_delay(true, 0s, now), 0ms);
  CAF_CHECK_EQUAL(policy.attempt(), 1u);
  // A second one in a row backs off like any loss; Retry-After is a floor.
  CAF_CHECK_EQUAL(policy.next_delay(true, 3s, now), 3000ms);
  CAF_CHECK_EQUAL(policy.attempt(), 2u);
}

CAF_TEST(only a connection healthy long enough resets the attempts) {
  restart_policy policy{test_limits(), 42};
  auto now = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) {
    policy.starting();
    policy.next_delay(false, 0s, now);
  }
  CAF_CHECK_EQUAL(policy.attempt(), 5u);
  // Hello, then lost before `healthy_after`: still counting.
  policy.starting();
  policy.connected(now);
  policy.next_delay(false, 0s, now + 9s);
  CAF_CHECK_EQUAL(policy.attempt(), 6u);
  // Hello, then lost after it: back to the first attempt's bounds.
  policy.starting();
  policy.connected(now);
  auto delay = policy.next_delay(false, 0s, now + 10s);
  CAF_CHECK_EQUAL(policy.attempt(), 1u);
  CAF_CHECK(delay <= 100ms);
  // A connection that never said hello never counts as healthy.
  policy.starting();
  policy.next_delay(false, 0s, now + 1h);
  CAF_CHECK_EQUAL(policy.attempt(), 2u);
}
