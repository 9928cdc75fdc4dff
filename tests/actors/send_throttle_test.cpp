// Pacing per channel: a burst, then one message per interval, in order;
// typing indicators at most every 3 s.
#define CAF_SUITE send_throttle

#include "actors/send_throttle.hpp"

#include <caf/test/unit_test.hpp>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

using ms = std::chrono::milliseconds;

ms as_ms(send_throttle::duration d) {
  return std::chrono::duration_cast<ms>(d);
}

} // namespace

CAF_TEST(a burst goes out at once and the rest is paced in order) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  std::vector<ms> waits;
  for (int i = 0; i < 6; ++i)
    waits.push_back(as_ms(throttle.book_message("C1", t0)));
  CAF_CHECK_EQUAL(waits,
                  (std::vector<ms>{0ms, 0ms, 0ms, 1000ms, 2000ms, 3000ms}));
  // Another channel has its own budget.
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("C2", t0)), 0ms);
}

CAF_TEST(a quiet channel earns its burst back) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  for (int i = 0; i < 3; ++i)
    throttle.book_message("C1", t0);
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("C1", t0 + 500ms)), 500ms);
  // Four messages booked until t0 + 4 s; at t0 + 10 s all is forgotten.
  for (int i = 0; i < 3; ++i)
    CAF_CHECK_EQUAL(as_ms(throttle.book_message("C1", t0 + 10s)), 0ms);
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("C1", t0 + 10s)), 1000ms);
}

CAF_TEST(sustained sending settles at one message per interval) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  // One message every 500 ms: twice the allowed rate.
  ms last{0};
  for (int i = 0; i < 20; ++i)
    last = as_ms(throttle.book_message("C1", t0 + i * 500ms));
  // The 20th message (sent at 9.5 s) may go at 17 s: 3 at once, then 1/s.
  CAF_CHECK_EQUAL(last, 7500ms);
}

CAF_TEST(typing indicators at most every three seconds per channel) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  CAF_CHECK(throttle.allow_typing("C1", t0));
  CAF_CHECK(!throttle.allow_typing("C1", t0 + 2999ms));
  CAF_CHECK(throttle.allow_typing("C2", t0 + 1s));
  CAF_CHECK(throttle.allow_typing("C1", t0 + 3s));
}

CAF_TEST(channels that hold nothing back are forgotten as the maps grow) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  // One message and one typing indicator each to 10,000 channels, 10 ms
  // apart: only those of the last few seconds can still hold a send back.
  for (int i = 0; i < 10000; ++i) {
    auto channel = "C" + std::to_string(i);
    auto now = t0 + i * 10ms;
    CAF_CHECK_EQUAL(as_ms(throttle.book_message(channel, now)), 0ms);
    CAF_CHECK(throttle.allow_typing(channel, now));
  }
  CAF_CHECK_LESS(throttle.tracked(), 2000u);
  // A channel still within its budget is remembered across sweeps.
  auto now = t0 + 100s;
  for (int i = 0; i < 3; ++i)
    throttle.book_message("busy", now);
  for (int i = 0; i < 1000; ++i)
    throttle.book_message("C" + std::to_string(i), now + 1ms);
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("busy", now + 1ms)), 999ms);
}

CAF_TEST(a released slot lets the next message go out in its place) {
  send_throttle throttle;
  send_throttle::time_point t0{};
  for (int i = 0; i < 5; ++i)
    throttle.book_message("C1", t0);
  // The last two (due at 1 s and 2 s) never went out.
  throttle.release_message("C1");
  throttle.release_message("C1");
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("C1", t0)), 1000ms);
  // Releasing in a channel never booked changes nothing.
  throttle.release_message("C2");
  CAF_CHECK_EQUAL(as_ms(throttle.book_message("C2", t0)), 0ms);
}
