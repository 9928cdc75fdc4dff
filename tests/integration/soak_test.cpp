// Chaos soak: for SLACKRTM_SOAK_SECONDS (default 45) the simulator injects
// random faults (resets, clean closes, goodbye, silence, lost replies,
// rtm.connect 429/503) while events flow in and the client sends messages.
// Afterwards: every event the client received reached each matching handler
// exactly once, every send resolved exactly once, and memory stayed flat.
#define CAF_SUITE soak

#include <caf/test/unit_test.hpp>

#include <atomic>

#include "apps/common/subprocess.hpp"
#include "slackrtm/slackrtm.hpp"
#include "tests/support/soak.hpp"

using namespace std::chrono_literals;
using slackrtm::cli::wait_until;

namespace {

using slackrtm::test::resident_kib;
using slackrtm::test::tally;

// One chaos step against the simulator's RTM control.
void inject_fault(slackrtm::web_client& control, int which) {
  switch (which) {
  case 0:
    control.api_call_json("drop", {{"mode", "reset"}});
    break;
  case 1:
    control.api_call_json("drop", {{"mode", "close"}});
    break;
  case 2:
    control.api_call_json("goodbye", nlohmann::json::object());
    break;
  case 3:
    control.api_call_json("pings", {{"answer", false}});
    std::this_thread::sleep_for(700ms);
    control.api_call_json("pings", {{"answer", true}});
    break;
  case 4:
    control.api_call_json("acks", {{"mode", "none"}, {"count", 1}});
    break;
  case 5:
    control.api_call_json(
        "fail", {{"method", "rtm.connect"}, {"count", 1}, {"status", 503}});
    break;
  default:
    control.api_call_json("fail", {{"method", "rtm.connect"},
                                   {"count", 1},
                                   {"status", 429},
                                   {"retry_after", 1}});
  }
}

} // namespace

CAF_TEST(events and sends survive random faults) {
  slackrtm::cli::sim_process sim{slackrtm::cli::own_dir()};
  slackrtm::web_client_options control_opts;
  control_opts.base_url = sim.control_url();
  slackrtm::web_client control{control_opts};
  tally by_message;
  tally by_wildcard;
  auto opts = slackrtm::test::soak_options(sim.api_url());
  opts.send_timeout = 8s;
  slackrtm::client rtm{opts};
  slackrtm::test::tally_messages(rtm, by_message, by_wildcard);
  rtm.connect();
  CAF_REQUIRE(wait_until([&] { return rtm.is_connected(); }, 10s));

  slackrtm::test::soak_window window{45s};
  std::atomic<std::int64_t> injected{0};
  std::atomic<std::int64_t> delivered{0};
  std::atomic<int> faults{0};
  // Events: one at a time, numbered, over 16 channels.
  auto injector = slackrtm::test::feed_events(
      window, injected, 2ms, [&](const nlohmann::json& ev) {
        auto res = control.api_call_json("inject", ev);
        if (res.value("delivered", 0) > 0)
          ++delivered;
      });
  std::thread chaos{[&] {
    slackrtm::test::run_faults(window, faults, 20261129, 7, [&](int which) {
      inject_fault(control, which);
    });
  }};

  // Sends: about six a second over eight channels.
  std::vector<std::future<nlohmann::json>> sends;
  int round = 0;
  while (window.running()) {
    sends.push_back(rtm.send_message("C" + std::to_string(round % 8),
                                     "soak send " + std::to_string(round)));
    ++round;
    std::this_thread::sleep_for(160ms);
  }
  injector.join();
  chaos.join();
  control.api_call_json("pings", {{"answer", true}});
  control.api_call_json("acks", {{"mode", "normal"}});

  // Every send resolves exactly once: a future holds one outcome.
  int acked = 0;
  int failed = 0;
  std::map<std::string, int> reasons;
  for (auto& f : sends) {
    CAF_REQUIRE(f.wait_for(opts.send_timeout + 5s) ==
                std::future_status::ready);
    try {
      f.get();
      ++acked;
    } catch (const std::exception& ex) {
      ++failed;
      ++reasons[ex.what()];
    }
  }
  // Let the last events reach the handlers.
  CAF_REQUIRE(wait_until([&] { return rtm.is_connected(); }, 10s));
  auto settle = [&] {
    std::scoped_lock guard{by_message.mtx, by_wildcard.mtx};
    return by_message.seen.size() == by_wildcard.seen.size();
  };
  CAF_CHECK(wait_until(settle, 10s));
  auto rss_end = resident_kib();

  std::scoped_lock guard{by_message.mtx, by_wildcard.mtx};
  CAF_CHECK_EQUAL(by_message.duplicates() + by_wildcard.duplicates(), 0);
  // Both handlers saw the same events.
  CAF_CHECK(by_message.seen == by_wildcard.seen);
  auto received = static_cast<std::int64_t>(by_message.seen.size());
  auto stats = rtm.stats();
  CAF_MESSAGE("soak: " << window.duration().count() << " s, " << faults
                       << " faults, " << stats.connections << " connections");
  CAF_MESSAGE("soak: events injected " << injected << ", written to a socket "
                                       << delivered << ", handled " << received
                                       << " (each exactly once; "
                                       << stats.duplicate_events
                                       << " copies from overlapping sockets "
                                          "dropped)");
  CAF_MESSAGE("soak: sends " << sends.size() << ", acknowledged " << acked
                             << ", failed " << failed);
  for (auto& [why, n] : reasons)
    CAF_MESSAGE("soak:   " << n << " x " << why);
  auto rss_early = window.rss_early();
  CAF_MESSAGE("soak: RSS " << rss_early << " KiB at 1/3, " << rss_end
                           << " KiB at the end");
  CAF_CHECK_GREATER(stats.connections, 3u);
  CAF_CHECK_EQUAL(acked + failed, static_cast<int>(sends.size()));
  // Lost only what died with a reset socket or was written while none was
  // open: most events arrive.
  CAF_CHECK_GREATER(received * 10, delivered * 8);
  // Sends fail only for lack of a reply within the timeout.
  CAF_CHECK_GREATER(acked * 10, static_cast<int>(sends.size()) * 9);
#ifndef __SANITIZE_ADDRESS__
  // (ASan's quarantine keeps freed memory resident: no RSS check there.)
  CAF_CHECK_LESS(rss_end, rss_early + rss_early / 4 + 4096);
#endif
  rtm.close();
}
