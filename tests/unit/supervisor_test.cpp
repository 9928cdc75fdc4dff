// The supervisor's restart policy: backoff with full jitter, Retry-After,
// immediate reconnect after goodbye, fatal errors end it, close ends it.
#define CAF_SUITE supervisor

#include "actors/supervisor.hpp"

#include "src/client_state.hpp"
#include "tests/unit/fixture.hpp"

#include <optional>
#include <set>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

// A connection stand-in that exits with whatever reason the test sends it.
// (The unused argument dodges a null dereference in CAF 0.17's spawn path
// for functions without arguments, which UBSan reports.)
caf::behavior fake_connection(caf::event_based_actor* self, int) {
  return {
      [=](caf::error& reason) { self->quit(reason); },
      [=](caf::close_atom) {
        self->quit(make_error(conn_errc::closed, "closed"));
      },
  };
}

struct fixture : slackrtm::test::fixture {
  std::shared_ptr<client_state> shared = std::make_shared<client_state>(
      std::make_shared<const logger>(log_level::off, [](auto, auto) {}));
  std::vector<caf::actor> spawned;
  std::optional<std::string> stopped_with;
  caf::actor sup;

  fixture() {
    supervisor_config cfg;
    cfg.shared = shared;
    cfg.min_backoff = 100ms;
    cfg.max_backoff = 1600ms;
    cfg.healthy_after = 10s;
    cfg.seed = 42;
    cfg.spawn_connection = [this](caf::actor) {
      spawned.push_back(sys.spawn(fake_connection, 0));
      return spawned.back();
    };
    cfg.on_stop = [this](const std::string& fatal) { stopped_with = fatal; };
    sup = sys.spawn(supervisor, cfg);
    drain();
  }

  // The base fixture's destructor fires pending timers after our members
  // are gone: stop the supervisor while they still exist.
  ~fixture() {
    self->send(sup, caf::close_atom::value);
    drain();
    sched.clock().trigger_timeouts();
    drain();
  }

  // Connections spawned before the last kill.
  std::size_t before_kill = 1;

  void kill_current(conn_errc code, std::int32_t retry_after = 0) {
    before_kill = spawned.size();
    self->send(spawned.back(), make_error(code, "test", retry_after));
    drain();
  }

  // Advances the clock until a connection newer than the last kill appears
  // (a zero delay restarts at once); returns the wait.
  caf::timespan time_to_restart(caf::timespan limit = 120s) {
    caf::timespan waited{0};
    while (spawned.size() == before_kill && waited < limit) {
      advance_time(10ms);
      waited += 10ms;
      drain();
    }
    return waited;
  }
};

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

CAF_TEST_FIXTURE_SCOPE(supervisor_tests, fixture)

CAF_TEST(a lost connection is restarted after a bounded delay) {
  CAF_REQUIRE_EQUAL(spawned.size(), 1u);
  kill_current(conn_errc::transient);
  auto first = time_to_restart();
  CAF_REQUIRE_EQUAL(spawned.size(), 2u);
  CAF_CHECK(first <= 110ms);
  // Repeated failures without hello keep the delays under the growing cap.
  for (int i = 0; i < 6; ++i) {
    kill_current(conn_errc::transient);
    CAF_CHECK(time_to_restart() <= 1610ms);
  }
  CAF_CHECK_EQUAL(spawned.size(), 8u);
  CAF_CHECK(!stopped_with);
}

CAF_TEST(retry after is honoured) {
  kill_current(conn_errc::transient, 3);
  auto waited = time_to_restart();
  CAF_CHECK(waited >= 3000ms);
  CAF_CHECK(waited <= 3010ms);
}

CAF_TEST(goodbye reconnects at once the first time) {
  kill_current(conn_errc::reconnect);
  CAF_CHECK_EQUAL(spawned.size(), 2u);
}

CAF_TEST(a fatal error stops the supervisor with Slacks code) {
  self->send(spawned.back(),
             make_error(conn_errc::fatal, "rtm.connect failed: invalid_auth"));
  drain();
  CAF_REQUIRE(stopped_with.has_value());
  CAF_CHECK_EQUAL(*stopped_with, "invalid_auth");
  time_to_restart(5s);
  CAF_CHECK_EQUAL(spawned.size(), 1u);
}

CAF_TEST(close stops the connection and nothing restarts) {
  self->send(sup, caf::close_atom::value);
  drain();
  CAF_REQUIRE(stopped_with.has_value());
  CAF_CHECK_EQUAL(*stopped_with, "");
  time_to_restart(5s);
  CAF_CHECK_EQUAL(spawned.size(), 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
