// The supervisor: restarts with backoff, Retry-After, immediate reconnect
// after goodbye, fatal errors end it, close ends it; the outbox and pacing.
#define CAF_SUITE supervisor

#include "actors/supervisor.hpp"

#include "actors/client_state.hpp"
#include "tests/support/fixture.hpp"

#include <optional>
#include <set>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

using frame_log = std::vector<std::pair<std::size_t, nlohmann::json>>;

// A connection stand-in: exits with whatever reason the test sends it, says
// hello when told, and records the frames it is asked to write (with its
// own number, `index`).
caf::behavior
fake_connection(caf::event_based_actor* self, caf::actor sup, std::size_t index,
                std::shared_ptr<frame_log> frames,
                std::shared_ptr<std::vector<std::size_t>> retired) {
  return {
      [=](caf::error& reason) { self->quit(reason); },
      [=](hello_atom) { self->send(sup, hello_atom::value); },
      [=](goodbye_atom, std::string& why) {
        self->send(sup, goodbye_atom::value, why);
      },
      [=](retire_atom) {
        retired->push_back(index);
        self->quit(make_error(conn_errc::closed, "retired"));
      },
      [=](socket_frame& out) {
        frames->emplace_back(index, nlohmann::json::parse(out.text));
      },
      [=](caf::close_atom) {
        self->quit(make_error(conn_errc::closed, "closed"));
      },
  };
}

// Plays the application's lifecycle handler: keeps "type:reason" notes.
caf::behavior lifecycle_probe(caf::event_based_actor*,
                              std::shared_ptr<std::vector<std::string>> notes) {
  return {
      [=](lifecycle_note& note) {
        notes->push_back(std::string{to_string(note.change.kind)} + ":" +
                         note.change.reason);
      },
  };
}

struct fixture : slackrtm::test::fixture {
  std::shared_ptr<std::vector<std::string>> notes =
      std::make_shared<std::vector<std::string>>();
  std::shared_ptr<client_state> shared = std::make_shared<client_state>(
      std::make_shared<const logger>(log_level::off, [](auto, auto) {}));
  std::vector<caf::actor> spawned;
  std::vector<bool> successors;
  std::shared_ptr<frame_log> frames = std::make_shared<frame_log>();
  std::shared_ptr<std::vector<std::size_t>> retired =
      std::make_shared<std::vector<std::size_t>>();
  std::optional<std::string> stopped_with;
  supervisor_actor sup;

  fixture() {
    sup = sys.spawn(supervisor, config());
    drain();
  }

  // The supervisor's configuration in these tests.
  supervisor_config config() {
    supervisor_config cfg;
    cfg.shared = shared;
    cfg.restarts.min_backoff = 100ms;
    cfg.restarts.max_backoff = 1600ms;
    cfg.restarts.healthy_after = 10s;
    cfg.seed = 42;
    cfg.send_timeout = 5s;
    cfg.lifecycle =
        caf::actor_cast<lifecycle_actor>(sys.spawn(lifecycle_probe, notes));
    cfg.spawn_connection = [this](supervisor_actor sup, bool successor) {
      successors.push_back(successor);
      spawned.push_back(sys.spawn(fake_connection,
                                  caf::actor_cast<caf::actor>(sup),
                                  spawned.size(), frames, retired));
      return caf::actor_cast<connection_actor>(spawned.back());
    };
    cfg.on_stop = [this](const std::string& fatal) { stopped_with = fatal; };
    return cfg;
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

  // The current connection says hello.
  void hello() {
    self->send(spawned.back(), hello_atom::value);
    drain();
  }

  // The application sends `frame`; returns its outcome.
  std::future<nlohmann::json> submit(const std::string& frame) {
    auto [request, result] = shared->sends.add();
    self->send(sup, outgoing_frame{request, frame});
    drain();
    return std::move(result);
  }

  // The current connection heard `goodbye` (and keeps its socket open).
  void goodbye() {
    self->send(spawned.back(), goodbye_atom::value, std::string{"goodbye"});
    drain();
  }

  // Slack's reply to frame `id`, as it reaches the supervisor.
  void reply(std::uint64_t id, const std::string& fields) {
    auto text = R"({"reply_to":)" + std::to_string(id) + "," + fields + "}";
    self->send(sup, socket_reply{id, event{nlohmann::json::parse(text)}});
    drain();
  }

  // The error text a failed future holds (empty when it did not fail).
  static std::string failure_of(std::future<nlohmann::json>& result) {
    try {
      result.get();
    } catch (const std::exception& ex) {
      return ex.what();
    }
    return {};
  }

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

CAF_TEST(goodbye opens the next socket at once and retires the old at hello) {
  hello();
  goodbye();
  CAF_REQUIRE_EQUAL(spawned.size(), 2u);
  CAF_CHECK_EQUAL(successors.back(), true);
  CAF_CHECK_EQUAL(successors.front(), false);
  // The old socket keeps reading until the new one says hello.
  CAF_CHECK(retired->empty());
  hello();
  CAF_CHECK_EQUAL(*retired, std::vector<std::size_t>{0});
  CAF_CHECK_EQUAL(notes->at(2), "disconnected:goodbye");
  CAF_CHECK_EQUAL(notes->at(3), "reconnecting:goodbye");
  CAF_CHECK_EQUAL(notes->back(), "connected:");
  // The old one's end restarts nothing.
  drain();
  CAF_CHECK_EQUAL(spawned.size(), 2u);
}

CAF_TEST(sends during the overlap go to the new socket after its hello) {
  hello();
  goodbye();
  auto result = submit(R"({"type":"message","text":"o"})");
  CAF_CHECK(frames->empty());
  hello();
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  CAF_CHECK_EQUAL((*frames)[0].first, 1u);
}

CAF_TEST(a draining socket is retired after the drain limit without hello) {
  hello();
  goodbye();
  CAF_REQUIRE_EQUAL(spawned.size(), 2u);
  advance_time(9s);
  drain();
  CAF_CHECK(retired->empty());
  advance_time(1s);
  drain();
  CAF_CHECK_EQUAL(*retired, std::vector<std::size_t>{0});
}

CAF_TEST(close retires a draining socket too) {
  hello();
  goodbye();
  self->send(sup, caf::close_atom::value);
  drain();
  CAF_CHECK_EQUAL(*retired, std::vector<std::size_t>{0});
  CAF_REQUIRE(stopped_with.has_value());
  CAF_CHECK_EQUAL(*stopped_with, "");
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

CAF_TEST(the application hears every lifecycle change in order) {
  hello();
  kill_current(conn_errc::reconnect, 0);
  hello();
  self->send(spawned.back(),
             make_error(conn_errc::fatal, "rtm.connect failed: token_revoked"));
  drain();
  CAF_CHECK_EQUAL(*notes, (std::vector<std::string>{
                              "connecting:",
                              "connected:",
                              "disconnected:test",
                              "reconnecting:test",
                              "connecting:",
                              "connected:",
                              "disconnected:rtm.connect failed: token_revoked",
                              "error:token_revoked",
                          }));
}

CAF_TEST(sends made while disconnected go out after hello) {
  auto result = submit(R"({"type":"message","text":"hi"})");
  CAF_CHECK(frames->empty());
  hello();
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  auto id = (*frames)[0].second["id"].get<std::uint64_t>();
  CAF_CHECK(id > 0);
  reply(id, R"("ok":true,"ts":"1.5")");
  CAF_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  auto answer = result.get();
  CAF_CHECK_EQUAL(answer["ts"], "1.5");
}

CAF_TEST(a send whose socket died is sent again and settled once) {
  hello();
  auto [request, result] = shared->sends.add();
  self->send(sup, outgoing_frame{request, R"({"type":"message","text":"x"})"});
  drain();
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  auto old_id = (*frames)[0].second["id"].get<std::uint64_t>();
  kill_current(conn_errc::reconnect); // restarts at once
  CAF_REQUIRE_EQUAL(spawned.size(), 2u);
  CAF_CHECK_EQUAL(frames->size(), 1u); // nothing before the new hello
  hello();
  CAF_REQUIRE_EQUAL(frames->size(), 2u);
  CAF_CHECK_EQUAL((*frames)[1].first, 1u);
  auto new_id = (*frames)[1].second["id"].get<std::uint64_t>();
  CAF_CHECK_NOT_EQUAL(old_id, new_id);
  CAF_CHECK_EQUAL((*frames)[1].second["text"], "x");
  // The reply to the first attempt arrives on the new socket: it settles
  // the send; the reply to the second attempt then finds nothing.
  reply(old_id, R"("ok":true,"ts":"1.1")");
  reply(new_id, R"("ok":true,"ts":"1.2")");
  auto answer = result.get();
  CAF_CHECK_EQUAL(answer["ts"], "1.1");
  CAF_CHECK_EQUAL(shared->sends.pending(), 0u);
}

CAF_TEST(frames slack does not answer are done once written) {
  auto [request, result] = shared->sends.add();
  self->send(sup,
             outgoing_frame{request, R"({"type":"typing","channel":"C1"})"});
  drain();
  CAF_CHECK(result.wait_for(0s) == std::future_status::timeout);
  hello();
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  CAF_CHECK_EQUAL((*frames)[0].second["type"], "typing");
  CAF_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  auto answer = result.get();
  CAF_CHECK_EQUAL(answer["ok"], true);
  // Not sent again on the next socket.
  kill_current(conn_errc::reconnect);
  hello();
  CAF_CHECK_EQUAL(frames->size(), 1u);
}

CAF_TEST(a ping settles with its pong and the round trip) {
  hello();
  auto result = submit(R"({"type":"ping","time":42})");
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  auto id = (*frames)[0].second["id"].get<std::uint64_t>();
  advance_time(7ms);
  CAF_CHECK(result.wait_for(0s) == std::future_status::timeout);
  reply(id, R"("type":"pong","time":42)");
  CAF_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  auto pong = result.get();
  CAF_CHECK_EQUAL(pong["time"], 42);
  CAF_CHECK_EQUAL(pong["latency_us"], 7000);
}

CAF_TEST(an answered ping sets the last pong latency) {
  hello();
  CAF_CHECK_EQUAL(shared->last_pong_us.load(), -1);
  auto result = submit(R"({"type":"ping"})");
  CAF_REQUIRE_EQUAL(frames->size(), 1u);
  auto id = (*frames)[0].second["id"].get<std::uint64_t>();
  advance_time(3ms);
  reply(id, R"("type":"pong")");
  CAF_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  CAF_CHECK_EQUAL(shared->last_pong_us.load(), 3000);
}

CAF_TEST(messages to one channel are paced after a small burst) {
  hello();
  std::vector<std::future<nlohmann::json>> results;
  for (int i = 0; i < 5; ++i) {
    auto [request, result] = shared->sends.add();
    nlohmann::json frame{
        {"type", "message"}, {"channel", "C1"}, {"text", std::to_string(i)}};
    self->send(sup, outgoing_frame{request, frame.dump()});
    results.push_back(std::move(result));
  }
  auto [other, other_result] = shared->sends.add();
  self->send(
      sup,
      outgoing_frame{other, R"({"type":"message","channel":"C2","text":"x"})"});
  drain();
  auto texts = [&] {
    std::vector<std::string> xs;
    for (auto& [index, frame] : *frames)
      xs.push_back(frame.value("channel", "") + ":" + frame.value("text", ""));
    return xs;
  };
  CAF_CHECK_EQUAL(texts(),
                  (std::vector<std::string>{"C1:0", "C1:1", "C1:2", "C2:x"}));
  advance_time(1s);
  drain();
  auto after_1s = texts();
  CAF_CHECK_EQUAL(after_1s.size(), 5u);
  CAF_CHECK_EQUAL(after_1s.back(), "C1:3");
  advance_time(1s);
  drain();
  auto after_2s = texts();
  CAF_CHECK_EQUAL(after_2s.back(), "C1:4");
}

CAF_TEST(typing indicators beyond one per three seconds are skipped) {
  hello();
  std::vector<std::future<nlohmann::json>> results;
  for (int i = 0; i < 2; ++i) {
    auto [request, result] = shared->sends.add();
    self->send(sup,
               outgoing_frame{request, R"({"type":"typing","channel":"C1"})"});
    results.push_back(std::move(result));
  }
  drain();
  CAF_CHECK_EQUAL(frames->size(), 1u);
  auto second = results[1].get();
  CAF_CHECK_EQUAL(second["throttled"], true);
}

CAF_TEST(a send without reply fails after the send timeout) {
  hello();
  auto [request, result] = shared->sends.add();
  self->send(sup, outgoing_frame{request, R"({"type":"message","text":"x"})"});
  drain();
  advance_time(4s);
  drain();
  CAF_CHECK(result.wait_for(0s) == std::future_status::timeout);
  advance_time(1s);
  drain();
  CAF_REQUIRE(result.wait_for(0s) == std::future_status::ready);
  CAF_CHECK(failure_of(result).find("no reply from Slack within 5000 ms") !=
            std::string::npos);
}

CAF_TEST(sends that expire while paced give their slots back) {
  hello();
  // 23 messages to C1 that Slack never answers: 3 go out at once, the rest
  // one per second, and all fail after the send timeout (5 s), 16 of them
  // before they were ever written.
  std::vector<std::future<nlohmann::json>> lost;
  for (int i = 0; i < 23; ++i) {
    nlohmann::json frame{
        {"type", "message"}, {"channel", "C1"}, {"text", std::to_string(i)}};
    lost.push_back(submit(frame.dump()));
  }
  for (int i = 0; i < 5; ++i) {
    advance_time(1s);
    drain();
  }
  for (auto& result : lost)
    CAF_CHECK(failure_of(result).find("no reply") != std::string::npos);
  auto written = frames->size();
  CAF_CHECK_EQUAL(written, 7u);
  // The socket answers again: the next message is paced behind the 7 that
  // went out (it may go at once), not behind the 16 that never did (16 s).
  auto later = submit(R"({"type":"message","channel":"C1","text":"later"})");
  advance_time(1s);
  drain();
  CAF_REQUIRE_EQUAL(frames->size(), written + 1);
  CAF_CHECK_EQUAL(frames->back().second["text"], "later");
  reply(frames->back().second["id"].get<std::uint64_t>(), R"("ok":true)");
  CAF_REQUIRE(later.wait_for(0s) == std::future_status::ready);
  auto answer = later.get();
  CAF_CHECK_EQUAL(answer["ok"], true);
}

CAF_TEST(a paced send whose socket died meanwhile gives its slot back) {
  hello();
  for (int i = 0; i < 8; ++i)
    submit(R"({"type":"message","channel":"C1","text":"x"})");
  CAF_CHECK_EQUAL(frames->size(), 3u);
  // The socket dies at once; the timers of 4 paced sends (due at 1..4 s)
  // fire while it is down, so these slots go unused.
  kill_current(conn_errc::reconnect);
  advance_time(4s);
  drain();
  // The next hello resends the 3 unanswered frames and books the 4 anew:
  // 3 go out at once (the burst the unused slots left), not 0.
  hello();
  CAF_CHECK_EQUAL(frames->size(), 6u);
}

CAF_TEST(refused frames fail at once and close fails what is pending) {
  auto [big, big_result] = shared->sends.add();
  nlohmann::json frame{{"type", "message"}, {"text", std::string(4001, 'a')}};
  self->send(sup, outgoing_frame{big, frame.dump()});
  auto [pending, pending_result] = shared->sends.add();
  self->send(sup, outgoing_frame{pending, R"({"type":"message","text":"x"})"});
  drain();
  CAF_CHECK(failure_of(big_result).find("4001 characters") !=
            std::string::npos);
  self->send(sup, caf::close_atom::value);
  drain();
  CAF_CHECK(failure_of(pending_result).find("client closed") !=
            std::string::npos);
}

CAF_TEST(a send that arrives while closing fails at once) {
  hello();
  // The close is taken first; the connection is still ending when the send
  // comes, and nothing would ever settle a send queued then.
  self->send(sup, caf::close_atom::value);
  auto [late, late_result] = shared->sends.add();
  self->send(sup, outgoing_frame{late, R"({"type":"message","text":"x"})"});
  drain();
  CAF_REQUIRE(late_result.wait_for(0s) == std::future_status::ready);
  CAF_CHECK(failure_of(late_result).find("client closed") != std::string::npos);
}

CAF_TEST(the outbox holds at most outbox_capacity sends) {
  self->send(sup, caf::close_atom::value);
  drain();
  auto cfg = config();
  cfg.outbox_limits.capacity = 2;
  sup = sys.spawn(supervisor, cfg);
  drain();
  auto first = submit(R"({"type":"message","text":"1"})");
  auto second = submit(R"({"type":"message","text":"2"})");
  auto third = submit(R"({"type":"message","text":"3"})");
  CAF_REQUIRE(third.wait_for(0s) == std::future_status::ready);
  CAF_CHECK_EQUAL(failure_of(third),
                  "outbox full (2 frames awaiting Slack's reply)");
  CAF_CHECK(first.wait_for(0s) == std::future_status::timeout);
  CAF_CHECK(second.wait_for(0s) == std::future_status::timeout);
}

CAF_TEST_FIXTURE_SCOPE_END()
