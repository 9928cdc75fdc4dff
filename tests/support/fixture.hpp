// Shared fixture of the deterministic actor tests: CAF's test coordinator
// with slackrtm's message types announced.
#pragma once

// caf/test/dsl.hpp uses FAIL in request<T>() without defining it.
#define FAIL(...) CAF_FAIL(__VA_ARGS__)

#include <caf/test/dsl.hpp>

#include "actors/interfaces.hpp"

namespace slackrtm::test {

struct config : caf::actor_system_config {
  config() { slackrtm::add_message_types(*this); }
};

/// The coordinator fixture, with `drain()`: delivers every pending message
/// but, unlike `run()`, never fires timers (periodic pings would never let
/// `run()` return). Time moves only through `advance_time`.
struct fixture : test_coordinator_fixture<config> {
  void drain() { sched.run(); }
};

} // namespace slackrtm::test
