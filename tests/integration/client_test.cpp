// The library against slackrtm-sim over loopback: a handler that sleeps
// holds up neither other conversations nor the pings; one conversation
// stays in order while several run at once; sends over the socket get
// Slack's acknowledgement.
#define CAF_SUITE client

#include <caf/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "apps/common/subprocess.hpp"
#include "slackrtm/slackrtm.hpp"

using namespace std::chrono_literals;
using slackrtm::cli::wait_until;

namespace {

using clock_type = std::chrono::steady_clock;

struct fixture {
  slackrtm::cli::sim_process sim{slackrtm::cli::own_dir()};
  slackrtm::web_client control{control_options()};

  slackrtm::web_client_options control_options() {
    slackrtm::web_client_options opts;
    opts.base_url = sim.control_url();
    return opts;
  }

  slackrtm::client_options options() {
    slackrtm::client_options opts;
    opts.token = "xoxb-sim-token";
    opts.base_url = sim.api_url();
    opts.level = slackrtm::log_level::warning;
    return opts;
  }

  std::string say(const std::string& channel, const std::string& text) {
    auto res = control.api_call_json(
        "message",
        {{"channel", channel}, {"user", "U0USER001"}, {"text", text}});
    return res.at("ts").get<std::string>();
  }

  void wait_connected(slackrtm::client& c) {
    CAF_REQUIRE(wait_until([&] { return c.is_connected(); }, 10s));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(client_tests, fixture)

CAF_TEST(a sleeping handler delays neither other channels nor pings) {
  auto opts = options();
  opts.ping_interval = 500ms;
  // Declared before the client: handlers may still run while it closes.
  std::mutex mtx;
  std::map<std::string, clock_type::time_point> handled;
  std::atomic<bool> slow_started{false};
  slackrtm::client rtm{opts};
  rtm.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
    auto channel = ev.value("channel", "");
    if (channel == "C0SLOW") {
      slow_started = true;
      std::this_thread::sleep_for(3s);
    }
    std::lock_guard<std::mutex> guard{mtx};
    handled.emplace(channel, clock_type::now());
  });
  rtm.connect();
  wait_connected(rtm);
  say("C0SLOW", "Hello slow");
  CAF_REQUIRE(wait_until([&] { return slow_started.load(); }, 5s));
  auto sent_at = clock_type::now();
  auto pings_before =
      control.api_get("connections")["connections"][0].value("pings", 0);
  say("C0FAST", "Hello fast");
  CAF_REQUIRE(wait_until(
      [&] {
        std::lock_guard<std::mutex> guard{mtx};
        return handled.count("C0FAST") > 0;
      },
      5s));
  {
    std::lock_guard<std::mutex> guard{mtx};
    CAF_CHECK(handled["C0FAST"] - sent_at < 1s);
    CAF_CHECK_EQUAL(handled.count("C0SLOW"), 0u);
  }
  CAF_REQUIRE(wait_until(
      [&] {
        std::lock_guard<std::mutex> guard{mtx};
        return handled.count("C0SLOW") > 0;
      },
      10s));
  // The slow handler slept about 3 s; at 500 ms the pings went on.
  auto pings_after =
      control.api_get("connections")["connections"][0].value("pings", 0);
  CAF_CHECK_GREATER_OR_EQUAL(pings_after - pings_before, 4);
  CAF_CHECK(rtm.is_connected());
  rtm.close();
}

CAF_TEST(one conversation keeps its order while conversations run at once) {
  auto opts = options();
  opts.workers_per_handler = 4;
  // Declared before the client: handlers may still run while it closes.
  std::mutex mtx;
  std::map<std::string, std::vector<int>> seen;
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  slackrtm::client rtm{opts};
  rtm.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
    auto now = ++in_flight;
    auto prev = most_in_flight.load();
    while (now > prev && !most_in_flight.compare_exchange_weak(prev, now))
      ;
    std::this_thread::sleep_for(2ms);
    {
      std::lock_guard<std::mutex> guard{mtx};
      seen[ev.value("channel", "")].push_back(std::stoi(ev.value("text", "0")));
    }
    --in_flight;
  });
  rtm.connect();
  wait_connected(rtm);
  nlohmann::json events = nlohmann::json::array();
  const int per_channel = 50;
  for (int i = 0; i < per_channel; ++i)
    for (auto channel : {"C1", "C2", "C3", "C4"})
      events.push_back({{"type", "message"},
                        {"channel", channel},
                        {"user", "U1"},
                        {"text", std::to_string(i)},
                        {"ts", "1." + std::to_string(i)}});
  control.api_call_json("inject", {{"events", events}});
  CAF_REQUIRE(wait_until(
      [&] {
        std::lock_guard<std::mutex> guard{mtx};
        std::size_t n = 0;
        for (auto& [channel, xs] : seen)
          n += xs.size();
        return n == 4 * per_channel;
      },
      20s));
  std::vector<int> expected(per_channel);
  for (int i = 0; i < per_channel; ++i)
    expected[i] = i;
  for (auto channel : {"C1", "C2", "C3", "C4"})
    CAF_CHECK_EQUAL(seen[channel], expected);
  CAF_CHECK_GREATER(most_in_flight.load(), 1);
  rtm.close();
}

CAF_TEST(a handler that falls behind pauses the socket and loses nothing) {
  auto opts = options();
  opts.workers_per_handler = 1;
  opts.max_pending_events = 50;
  std::mutex mtx;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> handled{0};
  std::set<std::int64_t> seqs;
  slackrtm::client rtm{opts};
  rtm.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
    std::unique_lock<std::mutex> guard{mtx};
    cv.wait(guard, [&] { return open; });
    seqs.insert(ev.value("sim_seq", std::int64_t{-1}));
    ++handled;
  });
  rtm.connect();
  wait_connected(rtm);
  const int count = 20000;
  control.api_call_json("flood", {{"count", count}, {"hello", "none"}});
  // The handler holds its first event: after 50 queued the socket is no
  // longer read, so the flood waits in TCP's buffers and the simulator.
  CAF_REQUIRE(wait_until([&] { return rtm.stats().read_pauses >= 1; }, 10s));
  auto read_while_blocked = rtm.stats().events;
  CAF_CHECK_LESS(read_while_blocked, static_cast<std::uint64_t>(count));
  {
    std::lock_guard<std::mutex> guard{mtx};
    open = true;
  }
  cv.notify_all();
  CAF_REQUIRE(wait_until([&] { return handled.load() == count; }, 60s));
  std::lock_guard<std::mutex> guard{mtx};
  CAF_CHECK_EQUAL(seqs.size(), static_cast<std::size_t>(count));
  CAF_CHECK_EQUAL(*seqs.begin(), 0);
  CAF_CHECK_EQUAL(*seqs.rbegin(), count - 1);
  CAF_MESSAGE("backpressure: " << read_while_blocked << " of " << count
                               << " events read while the handler was blocked, "
                               << rtm.stats().read_pauses << " pauses");
}

CAF_TEST(messages sent over the socket get slacks acknowledgement) {
  // Declared before the client: handlers may still run while it closes.
  std::atomic<int> echoed{0};
  auto opts = options();
  opts.skip_self_events = false; // the bot's own message comes back
  slackrtm::client rtm{opts};
  rtm.on("message", [&](slackrtm::context&, const nlohmann::json& ev) {
    if (ev.value("text", "") == "sent over the socket")
      ++echoed;
  });
  rtm.connect();
  wait_connected(rtm);
  auto reply = rtm.send_message("C1", "sent over the socket").get();
  CAF_CHECK_EQUAL(reply.value("ok", false), true);
  CAF_CHECK(!reply.value("ts", "").empty());
  // The simulator delivers the message back as an event.
  CAF_CHECK(wait_until([&] { return echoed.load() == 1; }, 5s));
  auto bad = rtm.send(nlohmann::json{{"type", "message"}, {"channel", "C1"}});
  try {
    bad.get();
    CAF_FAIL("expected an error reply");
  } catch (const slackrtm::api_error& ex) {
    CAF_CHECK_EQUAL(ex.error(), "message text is missing");
  }
  rtm.close();
}

CAF_TEST(a message sent around a drop is acknowledged after the reconnect) {
  auto opts = options();
  opts.min_backoff = 50ms;
  slackrtm::client rtm{opts};
  rtm.connect();
  wait_connected(rtm);
  control.api_call_json("drop", {{"mode", "reset"}});
  auto during = rtm.send_message("C1", "sent during the drop");
  CAF_REQUIRE(during.wait_for(10s) == std::future_status::ready);
  auto reply = during.get();
  CAF_CHECK_EQUAL(reply.value("ok", false), true);
  CAF_CHECK_EQUAL(reply.value("text", ""), "sent during the drop");
  // It reached the simulator on the new socket (perhaps the old one too).
  int copies = 0;
  auto sent = control.api_get("sent");
  for (auto& f : sent["frames"])
    if (f.contains("frame") &&
        f["frame"].value("text", "") == "sent during the drop")
      ++copies;
  CAF_CHECK_GREATER_OR_EQUAL(copies, 1);
  CAF_CHECK_LESS_OR_EQUAL(copies, 2);
  CAF_CHECK_GREATER_OR_EQUAL(rtm.stats().connections, 2u);
  rtm.close();
}

CAF_TEST(lifecycle handlers hear a drop and the reconnect) {
  auto opts = options();
  opts.min_backoff = 50ms;
  opts.ping_interval = 100ms;
  // Declared before the client: handlers may still run while it closes.
  std::mutex mtx;
  std::vector<std::string> kinds;
  slackrtm::client rtm{opts};
  rtm.on_lifecycle([&](const slackrtm::lifecycle_event& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    kinds.push_back(to_string(ev.kind));
  });
  auto count = [&](const std::string& kind) {
    std::lock_guard<std::mutex> guard{mtx};
    return std::count(kinds.begin(), kinds.end(), kind);
  };
  rtm.connect();
  CAF_REQUIRE(wait_until([&] { return count("connected") == 1; }, 10s));
  CAF_REQUIRE(
      wait_until([&] { return rtm.last_pong_latency().has_value(); }, 5s));
  CAF_CHECK(*rtm.last_pong_latency() < 1s);
  control.api_call_json("drop", {{"mode", "reset"}});
  CAF_REQUIRE(wait_until([&] { return count("connected") == 2; }, 10s));
  std::lock_guard<std::mutex> guard{mtx};
  CAF_CHECK_EQUAL(kinds, (std::vector<std::string>{
                             "connecting", "connected", "disconnected",
                             "reconnecting", "connecting", "connected"}));
  rtm.close();
}

CAF_TEST(a message whose reply was lost is sent again after a drop) {
  auto opts = options();
  opts.min_backoff = 50ms;
  slackrtm::client rtm{opts};
  rtm.connect();
  wait_connected(rtm);
  // The frame reaches the server but dies there, as with a dying socket.
  control.api_call_json("acks", {{"mode", "none"}, {"count", 1}});
  auto result = rtm.send_message("C1", "lost once");
  auto copies = [&] {
    auto sent = control.api_get("sent");
    int n = 0;
    for (auto& f : sent["frames"])
      if (f.contains("frame") && f["frame"].value("text", "") == "lost once")
        ++n;
    return n;
  };
  CAF_REQUIRE(wait_until([&] { return copies() == 1; }, 5s));
  CAF_CHECK(result.wait_for(200ms) == std::future_status::timeout);
  control.api_call_json("drop", {{"mode", "reset"}});
  CAF_REQUIRE(result.wait_for(10s) == std::future_status::ready);
  auto reply = result.get();
  CAF_CHECK_EQUAL(reply.value("ok", false), true);
  CAF_CHECK_EQUAL(copies(), 2);
  rtm.close();
}

CAF_TEST(an error reply fails the send with slacks message) {
  slackrtm::client rtm{options()};
  rtm.connect();
  wait_connected(rtm);
  control.api_call_json("acks", {{"mode", "error"}, {"msg", "slow down"}});
  auto result = rtm.send_message("C1", "too fast");
  try {
    result.get();
    CAF_FAIL("expected an error reply");
  } catch (const slackrtm::api_error& ex) {
    CAF_CHECK_EQUAL(ex.error(), "slow down");
  }
  // The next one is acknowledged again.
  CAF_CHECK_EQUAL(rtm.send_message("C1", "ok now").get().value("ok", false),
                  true);
  rtm.close();
}

CAF_TEST(sends made before any socket wait for hello and too long text fails) {
  slackrtm::client rtm{options()};
  rtm.connect();
  auto early = rtm.send_message("C1", "sent before hello");
  auto too_long = rtm.send_message("C1", std::string(4001, 'x'));
  CAF_REQUIRE(early.wait_for(10s) == std::future_status::ready);
  CAF_CHECK_EQUAL(early.get().value("ok", false), true);
  try {
    too_long.get();
    CAF_FAIL("4001 characters were accepted");
  } catch (const slackrtm::transport_error& ex) {
    CAF_CHECK_NOT_EQUAL(std::string{ex.what()}.find("4001 characters"),
                        std::string::npos);
  }
  rtm.close();
}

CAF_TEST(a handler that throws is counted and the next event still runs) {
  std::atomic<int> calls{0};
  slackrtm::client rtm{options()};
  rtm.on(
      "reaction_added",
      [&](slackrtm::context&, const nlohmann::json&) {
        if (++calls == 1)
          throw std::runtime_error("boom");
      },
      1);
  rtm.connect();
  wait_connected(rtm);
  for (int i = 0; i < 2; ++i)
    control.api_call_json("inject",
                          {{"type", "reaction_added"}, {"user", "U1"}});
  CAF_REQUIRE(wait_until([&] { return calls.load() == 2; }, 5s));
  CAF_CHECK(wait_until([&] { return rtm.stats().handler_errors == 1; }, 5s));
  rtm.close();
}

CAF_TEST(events no handler wants are counted as unhandled) {
  std::atomic<int> calls{0};
  slackrtm::client rtm{options()};
  rtm.on("reaction_added",
         [&](slackrtm::context&, const nlohmann::json&) { ++calls; });
  rtm.connect();
  wait_connected(rtm);
  control.api_call_json("inject", {{"type", "pin_added"}, {"user", "U1"}});
  control.api_call_json("inject", {{"type", "reaction_added"}, {"user", "U1"}});
  // One dispatcher routes them in order: when the handler ran, pin_added
  // had been routed (to nobody), as had `hello`.
  CAF_REQUIRE(wait_until([&] { return calls.load() == 1; }, 5s));
  auto stats = rtm.stats();
  CAF_CHECK_EQUAL(stats.unhandled, 2u);
  CAF_CHECK_EQUAL(stats.events, 3u);
  rtm.close();
}

CAF_TEST(the wildcard handler sees hello and every other event) {
  // Declared before the client: handlers may still run while it closes.
  std::mutex mtx;
  std::vector<std::string> types;
  slackrtm::client rtm{options()};
  rtm.on("*", [&](slackrtm::context&, const nlohmann::json& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    types.push_back(ev.value("type", ""));
  });
  rtm.connect();
  wait_connected(rtm);
  control.api_call_json("inject", {{"type", "reaction_added"}, {"user", "U1"}});
  CAF_REQUIRE(wait_until(
      [&] {
        std::lock_guard<std::mutex> guard{mtx};
        return types.size() >= 2;
      },
      5s));
  std::lock_guard<std::mutex> guard{mtx};
  CAF_CHECK_EQUAL(types[0], "hello");
  CAF_CHECK_EQUAL(types[1], "reaction_added");
  CAF_CHECK_EQUAL(rtm.stats().events, 2u);
  rtm.close();
}

CAF_TEST(close lets running handlers finish and says goodbye to the server) {
  std::atomic<bool> finished{false};
  std::atomic<bool> started{false};
  {
    slackrtm::client rtm{options()};
    rtm.on("message", [&](slackrtm::context&, const nlohmann::json&) {
      started = true;
      std::this_thread::sleep_for(500ms);
      finished = true;
    });
    rtm.connect();
    wait_connected(rtm);
    say("C1", "Hello");
    CAF_REQUIRE(wait_until([&] { return started.load(); }, 5s));
    auto pending = rtm.send_message("C1", "never answered");
    rtm.close();
    // Sends still waiting fail with a clear error.
    try {
      pending.get();
    } catch (const slackrtm::transport_error& ex) {
      CAF_CHECK_NOT_EQUAL(std::string{ex.what()}.find("closed"),
                          std::string::npos);
    } catch (...) {
      // Acknowledged before the close: also one outcome.
    }
    CAF_CHECK(rtm.state() == slackrtm::connection_state::closed);
  } // the destructor waits for the running handler
  CAF_CHECK(finished.load());
  auto conns = control.api_get("connections")["connections"];
  CAF_REQUIRE_EQUAL(conns.size(), 1u);
  CAF_CHECK_EQUAL(conns[0]["open"], false);
  CAF_CHECK_EQUAL(conns[0]["client_close_code"], 1000);
  // Nothing reconnects after close.
  CAF_CHECK_EQUAL(control.api_get("calls")["calls"].size(), 1u);
}

CAF_TEST(a fatal error makes start throw with slacks code) {
  auto opts = options();
  opts.token = "xoxb-not-the-right-one";
  slackrtm::client rtm{opts};
  try {
    rtm.start();
    CAF_FAIL("start() returned");
  } catch (const slackrtm::api_error& ex) {
    CAF_CHECK_EQUAL(ex.error(), "invalid_auth");
    CAF_CHECK(ex.is_fatal());
  }
}

CAF_TEST(web api errors carry slacks code) {
  slackrtm::client rtm{options()};
  try {
    rtm.web_client().chat_postMessage({{"text", "no channel"}});
    CAF_FAIL("expected channel_not_found");
  } catch (const slackrtm::api_error& ex) {
    CAF_CHECK_EQUAL(ex.error(), "channel_not_found");
    CAF_CHECK_EQUAL(ex.method(), "chat.postMessage");
  }
  auto who = rtm.web_client().auth_test();
  CAF_CHECK_EQUAL(who.value("user_id", ""), "U0BOT0001");
}

CAF_TEST(web api calls reuse one kept alive connection) {
  slackrtm::client rtm{options()};
  for (int i = 0; i < 3; ++i)
    rtm.web_client().auth_test();
  auto calls = control.api_get("calls")["calls"];
  CAF_REQUIRE_EQUAL(calls.size(), 3u);
  CAF_CHECK_EQUAL(calls[0]["http_connection"], calls[1]["http_connection"]);
  CAF_CHECK_EQUAL(calls[1]["http_connection"], calls[2]["http_connection"]);
}

CAF_TEST(read returns events in arrival order without the bots own) {
  slackrtm::client rtm{options()}; // no handler: reading is on
  CAF_CHECK(rtm.read().empty());
  rtm.connect();
  wait_connected(rtm);
  // The bot's own message comes back as an event from U0BOT0001: skipped.
  CAF_CHECK(rtm.send_message("C1", "own words").get().value("ok", false));
  std::vector<std::string> said;
  for (auto channel : {"C1", "C2", "C3", "C1"})
    said.push_back(say(channel, "Hello"));
  std::vector<nlohmann::json> got;
  auto messages = [&] {
    std::vector<std::string> ts;
    for (auto& ev : got)
      if (ev.value("type", "") == "message")
        ts.push_back(ev.value("ts", ""));
    return ts;
  };
  CAF_CHECK(wait_until(
      [&] {
        for (auto& ev : rtm.read(100ms))
          got.push_back(std::move(ev));
        return messages().size() >= said.size();
      },
      10s));
  CAF_REQUIRE(!got.empty());
  CAF_CHECK_EQUAL(got.front().value("type", ""), "hello");
  CAF_CHECK_EQUAL(messages(), said);
  CAF_CHECK_EQUAL(rtm.stats().self_events_skipped, 1u);
  // Nothing more arrived: a read with a deadline returns empty after it.
  auto before = clock_type::now();
  CAF_CHECK(rtm.read(200ms).empty());
  CAF_CHECK(clock_type::now() - before >= 200ms);
  rtm.close();
}

CAF_TEST(read needs a buffer when handlers are registered) {
  slackrtm::client rtm{options()};
  rtm.on("message", [](slackrtm::context&, const nlohmann::json&) {});
  rtm.connect();
  bool refused = false;
  try {
    rtm.read();
  } catch (const std::logic_error&) {
    refused = true;
  }
  CAF_CHECK(refused);
  rtm.close();
}

CAF_TEST(a full read buffer drops the oldest and counts them) {
  auto opts = options();
  opts.read_buffer = 2;
  slackrtm::client rtm{opts};
  rtm.connect();
  wait_connected(rtm);
  for (auto text : {"one", "two", "three"})
    say("C1", text);
  CAF_CHECK(wait_until([&] { return rtm.stats().read_overflow >= 2; }, 10s));
  auto got = rtm.read();
  CAF_REQUIRE_EQUAL(got.size(), 2u);
  CAF_CHECK_EQUAL(got[0].value("text", ""), "two");
  CAF_CHECK_EQUAL(got[1].value("text", ""), "three");
  rtm.close();
}

CAF_TEST(subtype handlers and rtm start with connect parameters) {
  auto opts = options();
  opts.connect_method = "rtm.start";
  opts.connect_params = {{"batch_presence_aware", true}};
  std::atomic<int> all{0};
  std::atomic<int> bots{0};
  slackrtm::client rtm{opts};
  rtm.on("message", [&](slackrtm::context&, const nlohmann::json&) { ++all; });
  rtm.on("message", "bot_message",
         [&](slackrtm::context&, const nlohmann::json& ev) {
           if (ev.value("subtype", "") == "bot_message")
             ++bots;
         });
  rtm.connect();
  wait_connected(rtm);
  control.api_call_json("inject", {{"type", "message"},
                                   {"subtype", "bot_message"},
                                   {"channel", "C1"},
                                   {"bot_id", "B9"},
                                   {"text", "beep"},
                                   {"ts", "1.000001"}});
  say("C1", "plain");
  CAF_CHECK(wait_until([&] { return all.load() == 2; }, 10s));
  CAF_CHECK_EQUAL(bots.load(), 1);
  auto calls = control.api_get("calls")["calls"];
  CAF_REQUIRE(!calls.empty());
  auto first = calls.front();
  CAF_CHECK_EQUAL(first.value("method", ""), "rtm.start");
  CAF_CHECK_EQUAL(first["params"].value("batch_presence_aware", ""), "true");
  rtm.close();
}

CAF_TEST(bad connect options are refused up front) {
  auto opts = options();
  opts.connect_method = "rtm.begin";
  bool refused = false;
  try {
    slackrtm::client rtm{opts};
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  CAF_CHECK(refused);
}

CAF_TEST(team state from the lists is kept current by events) {
  auto opts = options();
  opts.with_team_state = true;
  std::atomic<bool> seen_in_handler{false};
  slackrtm::client rtm{opts};
  rtm.on("channel_created", [&](slackrtm::context& ctx, const nlohmann::json&) {
    // The handler already sees the cache with the new channel.
    seen_in_handler =
        ctx.client().team().conversation_by_name("fresh") != std::nullopt;
  });
  rtm.connect();
  CAF_REQUIRE(wait_until([&] { return rtm.team().ready(); }, 10s));
  auto& team = rtm.team();
  CAF_CHECK_EQUAL(team.self().value("id", ""), "U0BOT0001");
  auto general = team.conversation_by_name("#general");
  CAF_REQUIRE(general.has_value());
  CAF_CHECK_EQUAL(general->value("id", ""), "C0GENERAL");
  CAF_CHECK(team.conversation("G0PRIVATE").has_value());
  CAF_CHECK(team.im_with("U0USER001").has_value());
  CAF_CHECK(team.user("U0USER001").has_value());
  control.api_call_json("team",
                        {{"action", "channel_created"}, {"name", "fresh"}});
  CAF_CHECK(wait_until([&] { return seen_in_handler.load(); }, 10s));
  control.api_call_json(
      "team", {{"action", "team_join"}, {"user", {{"name", "newbie"}}}});
  CAF_CHECK(
      wait_until([&] { return team.user_by_name("newbie").has_value(); }, 10s));
  rtm.close();
}

CAF_TEST(rtm start brings the team state with the socket url) {
  auto opts = options();
  opts.connect_method = "rtm.start";
  slackrtm::client rtm{opts};
  rtm.connect();
  wait_connected(rtm);
  CAF_CHECK(rtm.team().ready());
  CAF_CHECK(rtm.team().conversation_by_name("random").has_value());
  // Only rtm.start was called: no list calls.
  auto calls = control.api_get("calls")["calls"];
  CAF_CHECK_EQUAL(calls.size(), 1u);
  rtm.close();
}

CAF_TEST(paginate follows cursors over every page) {
  slackrtm::cli::sim_process big{slackrtm::cli::own_dir(), {"--channels=45"}};
  slackrtm::web_client_options wopts;
  wopts.token = "xoxb-sim-token";
  wopts.base_url = big.api_url();
  slackrtm::web_client web{wopts};
  auto all = web.paginate("conversations.list", nlohmann::json::object(),
                          "channels", 10);
  std::set<std::string> ids;
  for (auto& c : all)
    ids.insert(c.value("id", ""));
  CAF_CHECK_EQUAL(ids.size(), all.size()); // no page twice
  CAF_CHECK_GREATER(all.size(), 45u);
  slackrtm::web_client_options copts;
  copts.base_url = big.control_url();
  slackrtm::web_client ctl{copts};
  auto lists = 0;
  auto calls = ctl.api_get("calls");
  for (auto& call : calls["calls"])
    lists += call.value("method", "") == "conversations.list";
  CAF_CHECK_EQUAL(lists, static_cast<int>((all.size() + 9) / 10));
  auto first_two = web.paginate("conversations.list", nlohmann::json::object(),
                                "channels", 10, 2);
  CAF_CHECK_EQUAL(first_two.size(), 20u);
}

CAF_TEST(ping typing and presence over the socket) {
  std::mutex mtx;
  std::vector<nlohmann::json> presence;
  slackrtm::client rtm{options()};
  rtm.on("presence_change", [&](slackrtm::context&, const nlohmann::json& ev) {
    std::lock_guard<std::mutex> guard{mtx};
    presence.push_back(ev);
  });
  rtm.connect();
  wait_connected(rtm);
  auto pong = rtm.ping({{"time", 1234}, {"note", "extra"}}).get();
  CAF_CHECK_EQUAL(pong.value("type", ""), "pong");
  CAF_CHECK_EQUAL(pong.value("note", ""), "extra");
  CAF_CHECK_EQUAL(pong.value("time", 0), 1234);
  CAF_CHECK_GREATER_OR_EQUAL(pong.value("latency_us", -1), 0);
  CAF_CHECK(rtm.typing("C0GENERAL").get().value("ok", false));
  // A second indicator within 3 s is skipped.
  CAF_CHECK(rtm.typing("C0GENERAL").get().value("throttled", false));
  rtm.presence_query({"U0USER001"}).get();
  auto presence_of = [&](const std::string& user, const std::string& value) {
    std::lock_guard<std::mutex> guard{mtx};
    return std::count_if(presence.begin(), presence.end(), [&](auto& ev) {
      return ev.value("user", "") == user && ev.value("presence", "") == value;
    });
  };
  CAF_CHECK(wait_until(
      [&] {
        return presence_of("U0USER001", "active") +
                   presence_of("U0USER001", "away") >=
               1;
      },
      10s));
  rtm.presence_sub({"U0USER001"}).get();
  control.api_call_json("presence",
                        {{"user", "U0USER001"}, {"presence", "away"}});
  control.api_call_json("presence",
                        {{"user", "U0USER001"}, {"presence", "active"}});
  CAF_CHECK(wait_until(
      [&] {
        return presence_of("U0USER001", "active") >= 1 &&
               presence_of("U0USER001", "away") >= 1;
      },
      10s));
  auto sent = control.api_get("sent");
  int typing = 0;
  for (auto& f : sent["frames"])
    typing += f.contains("frame") && f["frame"].value("type", "") == "typing";
  CAF_CHECK_EQUAL(typing, 1);
  rtm.close();
}

CAF_TEST(web api retries server errors and connection errors when asked) {
  slackrtm::web_client_options wopts;
  wopts.token = "xoxb-sim-token";
  wopts.base_url = sim.api_url();
  wopts.max_server_error_retries = 2;
  wopts.retry_backoff = 10ms;
  slackrtm::web_client web{wopts};
  control.api_call_json(
      "fail", {{"method", "auth.test"}, {"count", 2}, {"status", 503}});
  CAF_CHECK_EQUAL(web.auth_test().value("user_id", ""), "U0BOT0001");
  control.api_call_json(
      "fail", {{"method", "auth.test"}, {"count", 3}, {"status", 503}});
  std::string code;
  try {
    web.auth_test();
  } catch (const slackrtm::api_error& ex) {
    code = ex.error();
  }
  CAF_CHECK_EQUAL(code, "http_503");
  auto calls = control.api_get("calls");
  CAF_CHECK_EQUAL(calls["calls"].size(), 6u);
  // Nobody listens on port 1: two retries, 10 ms then 20 ms apart.
  wopts.base_url = "http://127.0.0.1:1/api/";
  wopts.max_connection_error_retries = 2;
  slackrtm::web_client unreachable{wopts};
  auto before = clock_type::now();
  bool failed = false;
  try {
    unreachable.auth_test();
  } catch (const slackrtm::transport_error&) {
    failed = true;
  }
  CAF_CHECK(failed);
  CAF_CHECK(clock_type::now() - before >= 30ms);
}

CAF_TEST(the clients web client takes the retry options) {
  auto opts = options();
  opts.max_server_error_retries = 1;
  opts.retry_backoff = 5ms;
  slackrtm::client rtm{opts};
  control.api_call_json(
      "fail", {{"method", "auth.test"}, {"count", 1}, {"status", 502}});
  CAF_CHECK_EQUAL(rtm.web_client().auth_test().value("user_id", ""),
                  "U0BOT0001");
  CAF_CHECK_EQUAL(rtm.web_client().options().max_server_error_retries, 1);
}

CAF_TEST(a node that closes leaves the hub at once) {
  slackrtm::hub_options hub_opts;
  hub_opts.defaults = options();
  hub_opts.secret = "node-secret";
  slackrtm::hub hub{hub_opts};
  hub.expect("message");
  hub.add("one", "xoxb-sim-token");
  auto port = hub.listen(0, "127.0.0.1");
  hub.connect();
  slackrtm::node_options node_opts;
  node_opts.hub_port = port;
  node_opts.secret = "node-secret";
  node_opts.level = slackrtm::log_level::warning;
  slackrtm::node node{node_opts};
  std::atomic<int> handled{0};
  node.on("message",
          [&](slackrtm::context&, const nlohmann::json&) { ++handled; });
  std::thread running{[&] { node.start(); }};
  CAF_REQUIRE(wait_until([&] { return node.joined(); }, 10s));
  CAF_REQUIRE(wait_until([&] { return hub.stats().node_workers > 0; }, 10s));
  say("C1", "first");
  CAF_REQUIRE(wait_until([&] { return handled == 1; }, 10s));
  // close() tells the hub its workers leave; the node's actor system, and
  // so its connection to the hub, live on until the node is destroyed.
  node.close();
  running.join();
  CAF_CHECK(wait_until([&] { return hub.stats().node_workers == 0; }, 10s));
  say("C1", "second");
  CAF_CHECK(wait_until([&] { return hub.stats().held == 1; }, 10s));
  CAF_CHECK_EQUAL(handled.load(), 1);
  hub.close();
}

CAF_TEST(a hub responder answers in the ack of the workspace it came from) {
  // A simulator with a Socket Mode app, beside the fixture's RTM one.
  slackrtm::cli::sim_process app_sim{slackrtm::cli::own_dir(),
                                     {"--app-token=xapp-1-A0HUB0001-1-test"}};
  slackrtm::web_client_options app_control;
  app_control.base_url = app_sim.control_url();
  slackrtm::web_client sm_control{app_control};
  slackrtm::hub_options hub_opts;
  hub_opts.defaults = options();
  slackrtm::hub hub{hub_opts};
  std::atomic<int> plain{0};
  hub.on_slash_command("/echo", [](slackrtm::context& ctx,
                                   const slackrtm::event& ev) {
    return nlohmann::json{
        {"text", ctx.workspace() + " heard " + ev.json().value("text", "")}};
  });
  hub.on_slash_command(
      "/quiet", [&](slackrtm::context&, const nlohmann::json&) { ++plain; });
  auto sm = options();
  sm.base_url = app_sim.api_url();
  sm.app_token = "xapp-1-A0HUB0001-1-test";
  sm.socket_mode_connections = 1;
  auto ws = hub.add("app", sm);
  hub.add("classic", options()); // RTM, beside it
  hub.connect();
  CAF_REQUIRE(wait_until([&] { return ws->is_connected(); }, 10s));
  auto slash = [&](const std::string& command) {
    return sm_control
        .api_call_json("socket_mode/slash",
                       {{"command", command}, {"text", "hi"}})
        .at("envelope_id")
        .get<std::string>();
  };
  auto ack_of = [&](const std::string& id) {
    auto recorded = sm_control.api_get("socket_mode/acks");
    for (auto& ack : recorded.at("acks"))
      if (ack.value("envelope_id", "") == id)
        return ack;
    return nlohmann::json{};
  };
  auto answered = slash("/echo");
  auto quiet = slash("/quiet");

  CAF_REQUIRE(wait_until(
      [&] { return !ack_of(answered).is_null() && !ack_of(quiet).is_null(); },
      10s));
  auto ack = ack_of(answered);
  CAF_CHECK_EQUAL(ack["payload"].value("text", ""), "app heard hi");
  CAF_CHECK(!ack.value("late", true));
  // A plain handler's command is acked on receipt, with no payload.
  CAF_CHECK(ack_of(quiet)["payload"].is_null());
  CAF_CHECK(wait_until([&] { return plain == 1; }, 10s));
  hub.close();
}

CAF_TEST_FIXTURE_SCOPE_END()
