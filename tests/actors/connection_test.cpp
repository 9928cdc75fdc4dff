// The connection actor on hello, events, malformed frames, pings, sends and
// the ways a socket ends, with the socket replaced by a fake transport.
#define CAF_SUITE connection

#include "actors/connection.hpp"

#include "actors/client_state.hpp"
#include "actors/rtm_protocol.hpp"
#include "actors/socket_mode_protocol.hpp"
#include "slackrtm/error.hpp"
#include "tests/support/fake_transport.hpp"
#include "tests/support/fixture.hpp"

#include <optional>
#include <set>

using namespace slackrtm;
using namespace std::chrono_literals;

namespace {

event_sink_actor::behavior_type
event_sink(event_sink_actor::pointer,
           std::shared_ptr<std::vector<nlohmann::json>> events,
           std::shared_ptr<std::vector<bool>> marks,
           std::shared_ptr<std::vector<std::string>> identities,
           std::shared_ptr<std::vector<std::size_t>> batches) {
  auto take = [=](rtm_event& ev) {
    events->push_back(ev.event.json());
    marks->push_back(ev.overlap != 0);
  };
  return {
      [=](rtm_event& ev) { take(ev); },
      [=](rtm_events& batch) {
        batches->push_back(batch.events.size());
        for (auto& ev : batch.events)
          take(ev);
      },
      [=](identity_atom, std::uint32_t, std::string& self_id) {
        identities->push_back(self_id);
      },
  };
}

// Plays the supervisor: counts hellos, keeps replies.
caf::behavior
supervisor_probe(caf::event_based_actor*, std::shared_ptr<int> hellos,
                 std::shared_ptr<std::vector<nlohmann::json>> replies,
                 std::shared_ptr<int> goodbyes) {
  return {
      [=](hello_atom) { ++*hellos; },
      [=](goodbye_atom, std::string&) { ++*goodbyes; },
      [=](socket_reply& msg) { replies->push_back(msg.reply.json()); },
  };
}

struct fixture : slackrtm::test::fixture {
  std::shared_ptr<slackrtm::test::fake_transport> transport =
      std::make_shared<slackrtm::test::fake_transport>();
  std::shared_ptr<std::vector<nlohmann::json>> events =
      std::make_shared<std::vector<nlohmann::json>>();
  std::shared_ptr<int> hellos = std::make_shared<int>(0);
  std::shared_ptr<int> goodbyes = std::make_shared<int>(0);
  std::shared_ptr<std::vector<bool>> marks =
      std::make_shared<std::vector<bool>>();
  std::shared_ptr<std::vector<std::string>> identities =
      std::make_shared<std::vector<std::string>>();
  // Sizes of the rtm_events batches the dispatcher got.
  std::shared_ptr<std::vector<std::size_t>> batches =
      std::make_shared<std::vector<std::size_t>>();
  connection_config cfg;
  std::shared_ptr<std::vector<nlohmann::json>> replies =
      std::make_shared<std::vector<nlohmann::json>>();
  std::vector<std::string> log_lines;
  std::shared_ptr<client_state> shared;
  int rtm_connect_calls = 0;
  connection_actor conn;
  std::optional<caf::error> exit_why;

  fixture() {
    shared = std::make_shared<client_state>(std::make_shared<const logger>(
        log_level::debug,
        [this](log_level, std::string_view line) {
          log_lines.emplace_back(line);
        },
        "xoxb-secret-token"));
    cfg.dispatcher = sys.spawn(event_sink, events, marks, identities, batches);
    cfg.supervisor = caf::actor_cast<supervisor_actor>(
        sys.spawn(supervisor_probe, hellos, replies, goodbyes));
    cfg.transport = transport;
    cfg.protocol = std::make_shared<rtm_protocol>();
    cfg.connect = [this](connection_actor) { ++rtm_connect_calls; };
    cfg.ping_interval = 1s;
    cfg.pong_timeout = 2s;
    cfg.shared = shared;
    spawn_connection();
  }

  void spawn_connection() {
    exit_why.reset();
    conn = sys.spawn(connection, cfg);
    conn->attach_functor(
        [this](const caf::error& reason) { exit_why = reason; });
    drain();
  }

  // The base fixture's destructor runs until no timer is left: the pinging
  // connection must be gone by then.
  ~fixture() {
    self->send_exit(conn, caf::exit_reason::user_shutdown);
    drain();
  }

  void answer_rtm_connect(const std::string& url) {
    connect_result res;
    res.ok = true;
    res.url = url;
    res.identity = R"({"self":{"id":"U0BOT"},"team":{"id":"T1"}})";
    self->send(conn, res);
    drain();
  }

  void frame(const std::string& text) {
    transport->session->queued.push_back(text);
    self->send(conn, ws_ready{transport->session_id});
    drain();
  }

  void connect() {
    answer_rtm_connect("ws://127.0.0.1:1/rtm/ticket?dp=1");
    self->send(conn, ws_opened{transport->session_id});
    frame(R"({"type":"hello"})");
  }

  conn_errc exit_code() const {
    CAF_REQUIRE(exit_why.has_value());
    CAF_REQUIRE_EQUAL(exit_why->category(), conn_category);
    return static_cast<conn_errc>(exit_why->code());
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(connection_tests, fixture)

CAF_TEST(the socket URL is opened exactly as rtm.connect gave it) {
  CAF_CHECK_EQUAL(rtm_connect_calls, 1);
  answer_rtm_connect("wss://example.invalid/websocket/abc?dp=1&x=%2F");
  CAF_REQUIRE_EQUAL(transport->urls.size(), 1u);
  CAF_CHECK_EQUAL(transport->urls[0],
                  "wss://example.invalid/websocket/abc?dp=1&x=%2F");
  auto identity = shared->identity();
  CAF_CHECK_EQUAL(identity["self"]["id"], "U0BOT");
  CAF_CHECK(shared->state == connection_state::connecting);
  // The dispatcher learns the bot's id before any event of this socket.
  CAF_CHECK_EQUAL(*identities, std::vector<std::string>{"U0BOT"});
  CAF_CHECK(events->empty());
}

CAF_TEST(hello marks the connection up and is delivered like any event) {
  connect();
  CAF_CHECK(shared->state == connection_state::connected);
  CAF_CHECK_EQUAL(shared->connections.load(), 1u);
  CAF_CHECK_EQUAL(*hellos, 1);
  frame(R"({"type":"message","channel":"C1","text":"Hello","ts":"1.2"})");
  frame(R"({"type":"some_future_event","x":1})");
  CAF_REQUIRE_EQUAL(events->size(), 3u);
  CAF_CHECK_EQUAL((*events)[0]["type"], "hello");
  CAF_CHECK_EQUAL((*events)[1]["text"], "Hello");
  CAF_CHECK_EQUAL((*events)[2]["type"], "some_future_event");
  CAF_CHECK_EQUAL(shared->events.load(), 3u);
  CAF_CHECK(!exit_why);
}

CAF_TEST(malformed frames are counted reported and dropped) {
  connect();
  frame("this is not json");
  frame(R"([1,2,3])");
  frame(R"({"no_type":true})");
  frame(R"({"type":42})");
  self->send(conn, ws_binary{transport->session_id, 12});
  drain();
  frame(R"({"type":"message","channel":"C1","text":"still here"})");
  CAF_CHECK_EQUAL(shared->malformed_frames.load(), 5u);
  CAF_REQUIRE_EQUAL(events->size(), 2u);
  CAF_CHECK_EQUAL((*events)[1]["text"], "still here");
  auto reports = std::count_if(log_lines.begin(), log_lines.end(),
                               [](const std::string& line) {
                                 return line.find("malformed") != line.npos;
                               });
  CAF_CHECK_EQUAL(reports, 5);
  CAF_CHECK(!exit_why);
}

CAF_TEST(the socket hears the bytes of the frames processed) {
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  drain();
  cfg.read_ahead.bytes = 12345;
  spawn_connection();
  connect();
  CAF_CHECK_EQUAL(transport->limits.bytes, 12345u);
  auto& session = *transport->session;
  auto before = session.processed_bytes;
  std::string one = R"({"type":"message","channel":"C1","text":"one"})";
  session.queued = {one, "not json"};
  self->send(conn, ws_ready{transport->session_id});
  self->send(conn, ws_binary{transport->session_id, 1000});
  drain();
  CAF_CHECK_EQUAL(session.processed_bytes - before, one.size() + 8 + 1000);
}

CAF_TEST(queued frames are taken at once and sent on as one batch) {
  connect();
  auto& session = *transport->session;
  session.queued = {R"({"type":"message","channel":"C1","text":"one"})",
                    "not json",
                    R"({"type":"message","channel":"C2","text":"two"})"};
  self->send(conn, ws_ready{transport->session_id});
  drain();
  CAF_CHECK_EQUAL(*batches, (std::vector<std::size_t>{2}));
  CAF_REQUIRE_EQUAL(events->size(), 3u);
  CAF_CHECK_EQUAL((*events)[1]["text"], "one");
  CAF_CHECK_EQUAL((*events)[2]["text"], "two");
  CAF_CHECK_EQUAL(shared->malformed_frames.load(), 1u);
  // hello and the three taken frames.
  CAF_CHECK_EQUAL(session.processed, 4u);
  // Frames queued before the socket ended are still delivered.
  session.queued = {R"({"type":"message","channel":"C1","text":"last"})"};
  self->send(conn, ws_closed{transport->session_id, "reset"});
  drain();
  CAF_REQUIRE_EQUAL(events->size(), 4u);
  CAF_CHECK_EQUAL((*events)[3]["text"], "last");
  CAF_CHECK(exit_why.has_value());
}

CAF_TEST(frames of an older session are ignored) {
  connect();
  transport->session->queued.push_back(R"({"type":"message","text":"stale"})");
  self->send(conn, ws_ready{transport->session_id + 1000});
  self->send(conn, ws_closed{transport->session_id + 1000, "old socket"});
  drain();
  CAF_CHECK_EQUAL(events->size(), 1u);
  // Nothing was taken for the old session.
  CAF_CHECK_EQUAL(transport->session->queued.size(), 1u);
  CAF_CHECK(!exit_why);
}

CAF_TEST(pings go out at the ping interval once connected) {
  answer_rtm_connect("ws://127.0.0.1:1/rtm/t?dp=1");
  advance_time(3s);
  drain();
  CAF_CHECK(transport->session->frames("ping").empty());
  frame(R"({"type":"hello"})");
  advance_time(1s);
  drain();
  auto pings = transport->session->frames("ping");
  CAF_REQUIRE_EQUAL(pings.size(), 1u);
  CAF_CHECK(pings[0]["id"].get<std::int64_t>() > 0);
  CAF_CHECK(pings[0]["time"].is_number());
  advance_time(1s);
  drain();
  pings = transport->session->frames("ping");
  CAF_REQUIRE_EQUAL(pings.size(), 2u);
  CAF_CHECK_NOT_EQUAL(pings[0]["id"], pings[1]["id"]);
}

CAF_TEST(a socket silent after a ping is declared dead) {
  connect();
  advance_time(1s); // ping
  drain();
  CAF_REQUIRE_EQUAL(transport->session->frames("ping").size(), 1u);
  advance_time(1s); // second ping; the first one's deadline is 2 s away
  drain();
  CAF_CHECK(!exit_why);
  advance_time(1s); // two seconds of silence after the first ping
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
  CAF_CHECK(transport->session->closed);
}

CAF_TEST(any frame after a ping keeps the socket alive) {
  connect();
  for (int i = 0; i < 5; ++i) {
    advance_time(1s);
    drain();
    auto id = transport->session->frames("ping").back()["id"].dump();
    frame(R"({"type":"pong","reply_to":)" + id + "}");
  }
  // Events count as signs of life too.
  advance_time(1s);
  drain();
  frame(R"({"type":"user_typing","channel":"C1","user":"U1"})");
  advance_time(1s);
  drain();
  frame(R"({"type":"user_typing","channel":"C1","user":"U1"})");
  CAF_CHECK(!exit_why);
  // Those pongs answered the connection's own pings: none for the
  // supervisor.
  CAF_CHECK(replies->empty());
}

CAF_TEST(a backlog pauses reading and an unread socket is not dead) {
  connect();
  self->send(conn, backlog_atom::value, true);
  drain();
  CAF_CHECK(transport->session->paused);
  // Pings go on, but three seconds without a frame prove nothing while the
  // socket is not read.
  for (int i = 0; i < 3; ++i) {
    advance_time(1s);
    drain();
  }
  CAF_CHECK(!exit_why);
  CAF_CHECK_EQUAL(transport->session->frames("ping").size(), 3u);
  self->send(conn, backlog_atom::value, false);
  drain();
  CAF_CHECK(!transport->session->paused);
  // Pings sent during the pause prove nothing either way...
  advance_time(1s);
  drain();
  CAF_CHECK(!exit_why);
  // ...but silence after a ping sent while reading is fatal again.
  advance_time(1s);
  drain();
  advance_time(1s);
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
}

CAF_TEST(a socket opened during a backlog starts paused) {
  self->send(conn, backlog_atom::value, true);
  drain();
  answer_rtm_connect("ws://127.0.0.1:1/rtm/ticket?dp=1");
  CAF_REQUIRE(transport->session != nullptr);
  CAF_CHECK(transport->session->paused);
}

CAF_TEST(a pong to the applications ping goes to the supervisor too) {
  connect();
  frame(R"({"type":"pong","reply_to":987,"time":5})");
  CAF_REQUIRE_EQUAL(replies->size(), 1u);
  CAF_CHECK_EQUAL(replies->front()["time"], 5);
  CAF_CHECK_EQUAL(events->back()["type"], "pong");
}

CAF_TEST(frames go out only while connected and replies go to the supervisor) {
  answer_rtm_connect("ws://127.0.0.1:1/rtm/t?dp=1");
  self->send(conn, socket_frame{R"({"id":7,"type":"message"})"});
  drain();
  CAF_CHECK(transport->session->sent.empty());
  frame(R"({"type":"hello"})");
  self->send(conn, socket_frame{R"({"id":8,"type":"message"})"});
  drain();
  CAF_REQUIRE_EQUAL(transport->session->sent.size(), 1u);
  CAF_CHECK_EQUAL(transport->session->sent[0], R"({"id":8,"type":"message"})");
  frame(R"({"ok":true,"reply_to":8,"ts":"1.2"})");
  frame(R"({"ok":false,"reply_to":3,"error":{"code":2,"msg":"x"}})");
  CAF_REQUIRE_EQUAL(replies->size(), 2u);
  CAF_CHECK_EQUAL((*replies)[0]["ts"], "1.2");
  CAF_CHECK_EQUAL((*replies)[1]["reply_to"], 3);
  // Replies are neither events nor malformed frames.
  CAF_CHECK_EQUAL(events->size(), 1u);
  CAF_CHECK_EQUAL(shared->malformed_frames.load(), 0u);
}

CAF_TEST(ping ids come from the client wide frame counter) {
  shared->last_frame_id = 41;
  connect();
  advance_time(1s);
  drain();
  auto pings = transport->session->frames("ping");
  CAF_REQUIRE_EQUAL(pings.size(), 1u);
  CAF_CHECK_EQUAL(pings[0]["id"], 42);
}

CAF_TEST(a lost socket ends the actor with a transient error) {
  connect();
  self->send(conn, ws_closed{transport->session_id, "connection reset"});
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
}

CAF_TEST(a refused token ends the actor with a fatal error) {
  connect_result res;
  res.error = "invalid_auth";
  self->send(conn, res);
  drain();
  CAF_CHECK(exit_code() == conn_errc::fatal);
  CAF_CHECK(transport->urls.empty());
}

CAF_TEST(a failed rtm.connect for other reasons is transient) {
  connect_result res;
  res.error = "ratelimited";
  res.retry_after = 7;
  self->send(conn, res);
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
  auto& ctx = exit_why->context();
  CAF_REQUIRE((ctx.match_elements<std::string, std::int32_t>()));
  CAF_CHECK_EQUAL(ctx.get_as<std::int32_t>(1), 7);
}

CAF_TEST(after goodbye the socket is read until the supervisor retires it) {
  connect();
  frame(R"({"type":"goodbye"})");
  CAF_CHECK_EQUAL(*goodbyes, 1);
  CAF_CHECK(!exit_why.has_value());
  CAF_CHECK(!transport->session->closed);
  // The goodbye still reached the handlers; what follows may also come on
  // the new socket, so it is marked for deduplication.
  CAF_CHECK_EQUAL(events->back()["type"], "goodbye");
  frame(R"({"type":"message","channel":"C1","text":"late","ts":"1.5"})");
  CAF_CHECK_EQUAL(events->back()["text"], "late");
  CAF_CHECK_EQUAL(marks->back(), true);
  // The successor said hello by now: the old socket is retired once what
  // the server wrote only there is read. A frame read but not yet taken is
  // still an event, and so is what comes before the pong of the ping it
  // sends (the server wrote it before it saw the ping).
  shared->socket_up();
  transport->session->queued.push_back(
      R"({"type":"message","channel":"C1","text":"queued","ts":"1.6"})");
  self->send(conn, retire_atom::value);
  drain();
  CAF_CHECK_EQUAL(events->back()["text"], "queued");
  CAF_CHECK(!exit_why.has_value());
  auto pings = transport->session->frames("ping");
  CAF_REQUIRE_EQUAL(pings.size(), 1u);
  auto id = pings.back()["id"].get<std::int64_t>();
  frame(R"({"type":"message","channel":"C1","text":"wire","ts":"1.7"})");
  CAF_CHECK_EQUAL(events->back()["text"], "wire");
  CAF_CHECK(!exit_why.has_value());
  frame(R"({"type":"pong","reply_to":)" + std::to_string(id) + "}");
  CAF_CHECK(exit_code() == conn_errc::closed);
  CAF_CHECK(transport->session->closed);
  CAF_CHECK(shared->state == connection_state::connected);
  CAF_CHECK_EQUAL(events->back()["text"], "wire");
}

CAF_TEST(a retired socket whose pong does not come is closed after the pong
             timeout) {
  connect();
  frame(R"({"type":"goodbye"})");
  shared->socket_up();
  self->send(conn, retire_atom::value);
  drain();
  CAF_CHECK(!exit_why.has_value());
  advance_time(2s);
  drain();
  CAF_CHECK(exit_code() == conn_errc::closed);
  CAF_CHECK(transport->session->closed);
}

CAF_TEST(a draining socket that ends is not a failure) {
  connect();
  frame(R"({"type":"goodbye"})");
  frame(R"({"type":"goodbye"})");
  CAF_CHECK_EQUAL(*goodbyes, 1);
  self->send(conn, ws_closed{transport->session_id, "end of stream"});
  drain();
  CAF_CHECK(exit_code() == conn_errc::closed);
}

CAF_TEST(without a supervisor goodbye ends the connection at once) {
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  drain();
  cfg.supervisor = nullptr;
  spawn_connection();
  connect();
  frame(R"({"type":"goodbye"})");
  CAF_CHECK(exit_code() == conn_errc::reconnect);
  CAF_CHECK(transport->session->closed);
}

CAF_TEST(a successor marks its events until the overlap window ends) {
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  drain();
  cfg.successor = true;
  cfg.overlap_window = 1500ms;
  spawn_connection();
  connect();
  frame(R"({"type":"message","channel":"C1","text":"a","ts":"1.1"})");
  CAF_CHECK_EQUAL(marks->back(), true);
  advance_time(1500ms);
  frame(R"({"type":"message","channel":"C1","text":"b","ts":"1.2"})");
  CAF_CHECK_EQUAL(events->back()["text"], "b");
  CAF_CHECK_EQUAL(marks->back(), false);
}

CAF_TEST(unmarked events outside an overlap) {
  connect();
  frame(R"({"type":"message","channel":"C1","text":"a","ts":"1.1"})");
  CAF_REQUIRE(!marks->empty());
  CAF_CHECK_EQUAL(marks->back(), false);
}

CAF_TEST(a plain socket URL from an https connect call is refused) {
  self->send_exit(conn, caf::exit_reason::user_shutdown);
  drain();
  cfg.require_secure_socket = true;
  spawn_connection();
  answer_rtm_connect("ws://elsewhere.example/rtm/t?dp=1");
  CAF_CHECK(exit_code() == conn_errc::fatal);
  CAF_CHECK(transport->urls.empty());
  spawn_connection();
  answer_rtm_connect("wss://wss.example/rtm/t?dp=1");
  CAF_CHECK(!exit_why);
  CAF_CHECK_EQUAL(transport->urls.size(), 1u);
}

CAF_TEST(an expired URL before hello asks for a reconnect) {
  answer_rtm_connect("ws://127.0.0.1:1/rtm/t?dp=1");
  frame(
      R"({"type":"error","error":{"code":1,"msg":"Socket URL has expired"}})");
  CAF_CHECK(exit_code() == conn_errc::reconnect);
}

CAF_TEST_FIXTURE_SCOPE_END()

// -- Socket Mode --------------------------------------------------------------

namespace {

struct socket_mode_fixture : fixture {
  socket_mode_fixture() {
    self->send_exit(conn, caf::exit_reason::user_shutdown);
    drain();
    cfg.protocol = std::make_shared<socket_mode_protocol>(
        std::set<std::string, std::less<>>{"slash_commands::/ask"});
    cfg.response_deadline = 2500ms;
    cfg.hello_timeout = 3s;
    spawn_connection();
  }

  void open_link() {
    answer_rtm_connect("ws://127.0.0.1:1/link/?ticket=t&app_id=A1");
    self->send(conn, ws_opened{transport->session_id});
    drain();
  }

  void connect() {
    open_link();
    frame(R"({"type":"hello","num_connections":1})");
  }

  static std::string message(const std::string& id, const std::string& text) {
    return nlohmann::json{
        {"envelope_id", id},
        {"type", "events_api"},
        {"payload",
         {{"event_id", "Ev" + id},
          {"event", {{"type", "message"}, {"channel", "C1"}, {"text", text}}}}}}
        .dump();
  }

  static std::string ask(const std::string& id) {
    return R"({"envelope_id":")" + id +
           R"(","type":"slash_commands","accepts_response_payload":true,)"
           R"("payload":{"command":"/ask","text":"q"}})";
  }

  // The text frames written to the socket, in order.
  const std::vector<std::string>& sent() const {
    return transport->session->sent;
  }

  std::int32_t exit_retry_after() const {
    CAF_REQUIRE(exit_why.has_value());
    auto& ctx = exit_why->context();
    CAF_REQUIRE(ctx.match_elements<std::string, std::int32_t>());
    return ctx.get_as<std::int32_t>(1);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(socket_mode_connection_tests, socket_mode_fixture)

CAF_TEST(envelopes are acked as they are read and their events routed) {
  connect();
  CAF_CHECK(shared->state == connection_state::connected);
  frame(message("e1", "Hello"));
  CAF_REQUIRE_EQUAL(sent().size(), 1u);
  CAF_CHECK_EQUAL(sent()[0], R"({"envelope_id":"e1"})");
  CAF_CHECK_EQUAL(events->back()["text"], "Hello");
  CAF_CHECK_EQUAL(shared->acks.load(), 1u);
  // A batch: every envelope acked, in order, before the batch is routed.
  transport->session->queued.push_back(message("e2", "a"));
  transport->session->queued.push_back(message("e3", "b"));
  self->send(conn, ws_ready{transport->session_id});
  drain();
  CAF_CHECK_EQUAL(sent(),
                  (std::vector<std::string>{R"({"envelope_id":"e1"})",
                                            R"({"envelope_id":"e2"})",
                                            R"({"envelope_id":"e3"})"}));
  CAF_CHECK_EQUAL(events->back()["text"], "b");
}

CAF_TEST(an envelope that cannot be delivered is acked and counted) {
  connect();
  auto before = events->size();
  frame(
      R"({"envelope_id":"bad","type":"events_api","payload":{"event":null}})");
  frame("null");
  frame("[1,2]");
  CAF_CHECK_EQUAL(sent(), std::vector<std::string>{R"({"envelope_id":"bad"})"});
  CAF_CHECK_EQUAL(events->size(), before);
  CAF_CHECK_EQUAL(shared->malformed_frames.load(), 3u);
  CAF_CHECK(!exit_why);
}

CAF_TEST(a responders ack carries its answer or
         goes out plain at the deadline) {
  connect();
  frame(ask("e5"));
  CAF_CHECK(sent().empty());
  CAF_CHECK(shared->responses.respond("e5", R"({"text":"answer"})"));
  drain();
  CAF_CHECK_EQUAL(sent(),
                  std::vector<std::string>{
                      R"({"envelope_id":"e5","payload":{"text":"answer"}})"});
  // No answer within the deadline: a plain ack, and a late answer is
  // dropped and counted.
  frame(ask("e6"));
  advance_time(2499ms);
  drain();
  CAF_CHECK_EQUAL(sent().size(), 1u);
  advance_time(1ms);
  drain();
  CAF_REQUIRE_EQUAL(sent().size(), 2u);
  CAF_CHECK_EQUAL(sent()[1], R"({"envelope_id":"e6"})");
  CAF_CHECK(!shared->responses.respond("e6", R"({"text":"late"})"));
  self->send(conn, envelope_response{"e6", R"({"text":"late"})"});
  drain();
  CAF_CHECK_EQUAL(sent().size(), 2u);
  CAF_CHECK_EQUAL(shared->late_responses.load(), 1u);
}

CAF_TEST(held acks go out plain when the connection closes) {
  connect();
  frame(ask("e7"));
  CAF_CHECK(sent().empty());
  self->send(conn, caf::close_atom::value);
  drain();
  CAF_CHECK_EQUAL(sent(), std::vector<std::string>{R"({"envelope_id":"e7"})"});
  CAF_CHECK(transport->session->closed);
  CAF_CHECK(!shared->responses.respond("e7", "{}"));
}

CAF_TEST(websocket pings and any control frame keep the socket alive) {
  connect();
  for (int i = 0; i < 4; ++i) {
    advance_time(1s);
    drain();
    ++transport->session->control; // a pong, or the server's ping
  }
  CAF_CHECK_EQUAL(transport->session->pings.size(), 4u);
  CAF_CHECK(sent().empty()); // no JSON pings in Socket Mode
  CAF_CHECK(!exit_why);
  // Then nothing at all for two seconds after a ping: dead.
  advance_time(1s);
  drain();
  advance_time(1s);
  drain();
  advance_time(1s);
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
  CAF_CHECK(transport->session->closed);
}

CAF_TEST(a socket without hello is given up at the deadline) {
  open_link();
  advance_time(2999ms);
  drain();
  CAF_CHECK(!exit_why);
  advance_time(1ms);
  drain();
  CAF_CHECK(exit_code() == conn_errc::transient);
  CAF_CHECK(transport->session->closed);
}

CAF_TEST(hello in time disarms the deadline) {
  connect();
  for (int i = 0; i < 4; ++i) {
    advance_time(1s);
    drain();
    ++transport->session->control;
  }
  CAF_CHECK(!exit_why);
}

CAF_TEST(link_disabled is fatal and names its reason) {
  connect();
  frame(R"({"type":"disconnect","reason":"link_disabled"})");
  CAF_CHECK(exit_code() == conn_errc::fatal);
  CAF_REQUIRE(exit_why->context().match_element<std::string>(0));
  CAF_CHECK_EQUAL(exit_why->context().get_as<std::string>(0),
                  "server disconnected: link_disabled");
  CAF_CHECK(shared->state == connection_state::connecting);
}

CAF_TEST(too_many_websockets ends the socket with a long backoff) {
  open_link();
  frame(R"({"type":"disconnect","reason":"too_many_websockets"})");
  CAF_CHECK(exit_code() == conn_errc::transient);
  CAF_CHECK_EQUAL(exit_retry_after(), socket_mode_protocol::crowded_backoff);
}

CAF_TEST(a disconnect warning drains the socket and its envelopes still count) {
  connect();
  frame(R"({"type":"disconnect","reason":"warning"})");
  CAF_CHECK_EQUAL(*goodbyes, 1);
  CAF_CHECK(!exit_why);
  frame(message("e8", "late one"));
  CAF_CHECK_EQUAL(sent().back(), R"({"envelope_id":"e8"})");
  CAF_CHECK_EQUAL(events->back()["text"], "late one");
  // The server closes it: done, no failure.
  self->send(conn, ws_closed{transport->session_id, "closed by the server"});
  drain();
  CAF_CHECK(exit_code() == conn_errc::closed);
}

CAF_TEST_FIXTURE_SCOPE_END()
