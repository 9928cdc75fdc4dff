// Chaos soak in Socket Mode: for SLACKRTM_SOAK_SECONDS (default 20) the
// simulator resets and closes sockets, asks for refreshes and warns of
// closes, goes silent, answers pings late and refuses apps.connections.open
// (503, 429), while numbered events flow in as envelopes. Afterwards every
// event reached each matching handler exactly once (redeliveries included),
// every ack the simulator received came within Slack's 3 s, and memory
// stayed flat.
#define CAF_SUITE soak_socket_mode

#include <caf/test/unit_test.hpp>

#include <atomic>
#include <set>

#include "apps/common/subprocess.hpp"
#include "slackrtm/slackrtm.hpp"
#include "tests/support/soak.hpp"

using namespace std::chrono_literals;
using slackrtm::cli::wait_until;
using slackrtm::test::resident_kib;
using slackrtm::test::tally;

namespace {

const std::string app_token = "xapp-1-A0APP0001-1-soak";

// One chaos step against the simulator's Socket Mode control.
void inject_fault(slackrtm::web_client& control, int which) {
  switch (which) {
  case 0:
    control.api_call_json("socket_mode/drop", {{"mode", "reset"}});
    break;
  case 1:
    control.api_call_json("socket_mode/drop", {{"mode", "close"}});
    break;
  case 2:
    control.api_call_json(
        "socket_mode/disconnect",
        {{"reason", "refresh_requested"}, {"close_after_ms", 500}});
    break;
  case 3:
    control.api_call_json("socket_mode/disconnect",
                          {{"reason", "warning"}, {"close_after_ms", 1000}});
    break;
  case 4:
    control.api_call_json("socket_mode/silence", {{"ms", 700}});
    break;
  case 5:
    control.api_call_json("socket_mode/pongs", {{"delay_ms", 1000}});
    std::this_thread::sleep_for(1s);
    control.api_call_json("socket_mode/pongs", {{"delay_ms", 0}});
    break;
  case 6:
    control.api_call_json(
        "fail",
        {{"method", "apps.connections.open"}, {"count", 1}, {"status", 503}});
    break;
  default:
    control.api_call_json("fail", {{"method", "apps.connections.open"},
                                   {"count", 1},
                                   {"status", 429},
                                   {"retry_after", 1}});
  }
}

} // namespace

CAF_TEST(envelopes survive random faults and are handled exactly once) {
  slackrtm::cli::sim_process sim{slackrtm::cli::own_dir(),
                                 {"--app-token=" + app_token}};
  slackrtm::web_client_options control_opts;
  control_opts.base_url = sim.control_url();
  slackrtm::web_client control{control_opts};
  // Envelopes not acked within 3 s come again, up to ten times; the
  // server pings every half second.
  control.api_call_json("socket_mode/config", {{"ack_timeout_ms", 3000},
                                               {"max_retries", 10},
                                               {"ping_interval_ms", 500}});
  tally by_message;
  tally by_wildcard;
  auto opts = slackrtm::test::soak_options(sim.api_url());
  opts.app_token = app_token;
  opts.pong_timeout = 1500ms;
  slackrtm::client app{opts};
  slackrtm::test::tally_messages(app, by_message, by_wildcard);
  app.connect();
  CAF_REQUIRE(wait_until([&] { return app.is_connected(); }, 10s));

  slackrtm::test::soak_window window{20s};
  std::atomic<std::int64_t> injected{0};
  std::atomic<int> faults{0};
  // Events, numbered, over 16 channels, to the app only.
  auto injector = slackrtm::test::feed_events(
      window, injected, 4ms, [&](const nlohmann::json& ev) {
        control.api_call_json("socket_mode/event", {{"event", ev}});
      });
  slackrtm::test::run_faults(window, faults, 20261202, 8,
                             [&](int which) { inject_fault(control, which); });
  injector.join();
  control.api_call_json("socket_mode/pongs", {{"delay_ms", 0}});

  // Every event comes: lost envelopes come again after 3 s.
  auto total = static_cast<std::size_t>(injected.load());
  auto all_handled = [&] {
    std::scoped_lock guard{by_message.mtx, by_wildcard.mtx};
    return by_message.seen.size() == total && by_wildcard.seen.size() == total;
  };
  CAF_CHECK(wait_until(all_handled, 45s));
  auto rss_end = resident_kib();
  auto sim_state = control.api_get("socket_mode");
  auto acks = control.api_get("socket_mode/acks")["acks"];
  double slowest = 0;
  int late = 0;
  for (auto& ack : acks) {
    slowest = std::max(slowest, ack.value("delay_ms", 0.0));
    late += ack.value("late", false) ? 1 : 0;
  }
  auto stats = app.stats();
  auto& counters = sim_state["counters"];

  std::scoped_lock guard{by_message.mtx, by_wildcard.mtx};
  CAF_MESSAGE("soak_socket_mode: " << window.duration().count() << " s, "
                                   << faults << " faults, " << stats.connections
                                   << " sockets opened");
  CAF_MESSAGE("soak_socket_mode: events injected "
              << total << ", handled " << by_message.seen.size()
              << " (duplicates " << by_message.duplicates()
              << "); envelopes sent " << counters.value("envelopes", 0)
              << ", redelivered " << counters.value("redeliveries", 0)
              << ", expired " << counters.value("expired", 0)
              << ", redeliveries dropped as seen " << stats.duplicate_events);
  CAF_MESSAGE("soak_socket_mode: acks " << stats.envelopes_acked << " sent, "
                                        << acks.size() << " received, slowest "
                                        << slowest << " ms, " << late
                                        << " late");
  auto rss_early = window.rss_early();
  CAF_MESSAGE("soak_socket_mode: RSS " << rss_early << " KiB at 1/3, "
                                       << rss_end << " KiB at the end");
  CAF_CHECK_EQUAL(by_message.duplicates() + by_wildcard.duplicates(), 0);
  CAF_CHECK(by_message.seen == by_wildcard.seen);
  CAF_CHECK_EQUAL(by_message.seen.size(), total);
  CAF_CHECK_EQUAL(counters.value("expired", 0), 0);
  CAF_CHECK_EQUAL(late, 0);
  CAF_CHECK_LESS(slowest, 3000.0);
  CAF_CHECK_GREATER(stats.connections, 3u);
#ifndef __SANITIZE_ADDRESS__
  CAF_CHECK_LESS(rss_end, rss_early + rss_early / 4 + 4096);
#endif
  app.close();
}
