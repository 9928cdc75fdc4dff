// Socket Mode's frames as the connection sees them: envelopes with their
// acks and inner events, hello, the disconnect reasons, hostile frames; and
// apps.connections.open's answer.
#define CAF_SUITE socket_mode_protocol

#include "actors/socket_mode_protocol.hpp"

#include <caf/test/unit_test.hpp>

#include "slackrtm/error.hpp"
#include "tests/support/deep_json.hpp"

using namespace slackrtm;

namespace {

event frame(const std::string& text) {
  auto parsed = event::parse(text);
  CAF_REQUIRE(parsed.has_value());
  return std::move(*parsed);
}

const char* message_envelope =
    R"({"envelope_id":"e-1","type":"events_api","accepts_response_payload":false,)"
    R"("retry_attempt":2,"retry_reason":"timeout",)"
    R"("payload":{"token":"verify","team_id":"T1","api_app_id":"A1",)"
    R"("type":"event_callback","event_id":"Ev1","event_time":1,)"
    R"("event":{"type":"message","subtype":"bot_message","channel":"C1",)"
    R"("user":"U1","text":"Hello \"there\"","ts":"1.5"}}})";

} // namespace

CAF_TEST(an events_api envelope is acked and routes its inner event) {
  socket_mode_protocol protocol;
  auto meaning = protocol.classify(frame(message_envelope));
  CAF_CHECK(meaning.kind == frame_kind::event);
  CAF_CHECK_EQUAL(meaning.ack, R"({"envelope_id":"e-1"})");
  CAF_CHECK(meaning.deferred_ack.empty());
  auto& ev = meaning.routed;
  CAF_REQUIRE(static_cast<bool>(ev));
  CAF_CHECK_EQUAL(ev.type(), "message");
  CAF_CHECK_EQUAL(ev.string("text"), "Hello \"there\"");
  CAF_CHECK_EQUAL(ev.conversation(), "C1");
  CAF_CHECK_EQUAL(ev.json()["user"], "U1");
  auto* env = ev.envelope();
  CAF_REQUIRE(env != nullptr);
  CAF_CHECK_EQUAL(env->id, "e-1");
  CAF_CHECK_EQUAL(env->type, "events_api");
  CAF_CHECK_EQUAL(env->retry_attempt, 2);
  CAF_CHECK_EQUAL(env->retry_reason, "timeout");
  CAF_CHECK_EQUAL(env->event_id, "Ev1");
  CAF_CHECK_EQUAL(env->team_id, "T1");
  CAF_CHECK_EQUAL(env->app_id, "A1");
  CAF_CHECK(!env->accepts_response_payload);
  auto how = route_of(ev);
  CAF_CHECK_EQUAL(how.type, "message");
  CAF_CHECK_EQUAL(how.subtype, "bot_message");
}

CAF_TEST(slash commands and interactive payloads route by kind and name) {
  socket_mode_protocol protocol;
  auto slash = protocol.classify(frame(
      R"({"envelope_id":"e-2","type":"slash_commands","accepts_response_payload":true,)"
      R"("payload":{"command":"/deploy","text":"now","team_id":"T1","channel_id":"C1"}})"));
  CAF_CHECK(slash.kind == frame_kind::event);
  CAF_CHECK_EQUAL(slash.ack, R"({"envelope_id":"e-2"})");
  auto how = route_of(slash.routed);
  CAF_CHECK_EQUAL(how.type, "slash_commands");
  CAF_CHECK_EQUAL(how.subtype, "/deploy");
  CAF_CHECK_EQUAL(slash.routed.string("text"), "now");
  CAF_CHECK(slash.routed.envelope()->accepts_response_payload);
  auto click = protocol.classify(frame(
      R"({"envelope_id":"e-3","type":"interactive","accepts_response_payload":true,)"
      R"("payload":{"type":"block_actions","team":{"id":"T9","domain":"x"}}})"));
  how = route_of(click.routed);
  CAF_CHECK_EQUAL(how.type, "interactive");
  CAF_CHECK_EQUAL(how.subtype, "block_actions");
  CAF_CHECK_EQUAL(click.routed.envelope()->team_id, "T9");
  // A type Slack adds later is acked and routed by its own name.
  auto other = protocol.classify(
      frame(R"({"envelope_id":"e-4","type":"future_kind","payload":{}})"));
  CAF_CHECK(other.kind == frame_kind::event);
  CAF_CHECK_EQUAL(other.ack, R"({"envelope_id":"e-4"})");
  CAF_CHECK_EQUAL(route_of(other.routed).type, "future_kind");
}

CAF_TEST(a responders envelope waits for its answer and others do not) {
  socket_mode_protocol protocol{{"slash_commands::/ask", "interactive"}};
  auto ask = protocol.classify(frame(
      R"({"envelope_id":"e-5","type":"slash_commands","accepts_response_payload":true,)"
      R"("payload":{"command":"/ask"}})"));
  CAF_CHECK(ask.ack.empty());
  CAF_CHECK_EQUAL(ask.deferred_ack, "e-5");
  auto other = protocol.classify(frame(
      R"({"envelope_id":"e-6","type":"slash_commands","accepts_response_payload":true,)"
      R"("payload":{"command":"/other"}})"));
  CAF_CHECK_EQUAL(other.ack, R"({"envelope_id":"e-6"})");
  CAF_CHECK(other.deferred_ack.empty());
  auto click = protocol.classify(frame(
      R"({"envelope_id":"e-7","type":"interactive","accepts_response_payload":true,)"
      R"("payload":{"type":"view_submission"}})"));
  CAF_CHECK_EQUAL(click.deferred_ack, "e-7");
  // Without accepts_response_payload there is nothing to wait for.
  auto event = protocol.classify(frame(
      R"({"envelope_id":"e-8","type":"interactive","payload":{"type":"x"}})"));
  CAF_CHECK_EQUAL(event.ack, R"({"envelope_id":"e-8"})");
  CAF_CHECK_EQUAL(protocol.ack_with("e-5", R"({"text":"hi"})"),
                  R"({"envelope_id":"e-5","payload":{"text":"hi"}})");
  CAF_CHECK_EQUAL(protocol.ack_with("e-5", ""), R"({"envelope_id":"e-5"})");
  CAF_CHECK_EQUAL(protocol.ack_with("e-5", "[1]"), R"({"envelope_id":"e-5"})");
}

CAF_TEST(envelopes that cannot be delivered are still acked) {
  socket_mode_protocol protocol;
  for (
      auto text :
      {R"({"envelope_id":"e-9","type":"events_api"})",
       R"({"envelope_id":"e-9","type":"events_api","payload":null})",
       R"({"envelope_id":"e-9","type":"events_api","payload":{"event":null}})",
       R"({"envelope_id":"e-9","type":"events_api","payload":{"event":[1]}})",
       R"({"envelope_id":"e-9","type":"events_api","payload":{"event":{"x":1}}})"}) {
    auto meaning = protocol.classify(frame(text));
    CAF_CHECK(meaning.kind == frame_kind::malformed);
    CAF_CHECK_EQUAL(meaning.ack, R"({"envelope_id":"e-9"})");
    CAF_CHECK(!meaning.detail.empty());
  }
  // An id that needs escaping is escaped.
  auto odd = protocol.classify(
      frame(R"({"envelope_id":"a\"b","type":"x","payload":{}})"));
  CAF_CHECK_EQUAL(odd.ack, R"({"envelope_id":"a\"b"})");
  // No envelope_id and no type: nothing to ack, nothing to route.
  auto bare = protocol.classify(frame(R"({"envelope_id":7,"payload":{}})"));
  CAF_CHECK(bare.kind == frame_kind::malformed);
  CAF_CHECK(bare.ack.empty());
}

CAF_TEST(hello and the disconnect reasons) {
  socket_mode_protocol protocol;
  CAF_CHECK(protocol.classify(frame(R"({"type":"hello","num_connections":1})"))
                .kind == frame_kind::hello);
  for (auto reason : {"warning", "refresh_requested", "something_new"}) {
    auto meaning = protocol.classify(frame(
        std::string{R"({"type":"disconnect","reason":")"} + reason + "\"}"));
    CAF_CHECK(meaning.kind == frame_kind::drain);
    CAF_CHECK(meaning.detail.find(reason) != std::string::npos);
  }
  auto disabled = protocol.classify(
      frame(R"({"type":"disconnect","reason":"link_disabled"})"));
  CAF_CHECK(disabled.kind == frame_kind::fatal);
  CAF_CHECK_EQUAL(disabled.detail, "link_disabled");
  auto crowded = protocol.classify(
      frame(R"({"type":"disconnect","reason":"too_many_websockets"})"));
  CAF_CHECK(crowded.kind == frame_kind::backoff);
  CAF_CHECK_EQUAL(crowded.retry_after, socket_mode_protocol::crowded_backoff);
  CAF_CHECK(protocol.ping_frame(1).empty());
  CAF_CHECK(protocol.drain_until_closed());
}

CAF_TEST(apps connections open answers a URL used as given or an error) {
  socket_mode_protocol protocol;
  CAF_CHECK_EQUAL(protocol.connect_method(), "apps.connections.open");
  auto url = "wss://wss-primary.slack.com/link/?ticket=t-1&app_id=A1";
  auto ok = protocol.read_connect_answer({{"ok", true}, {"url", url}}, nullptr);
  CAF_CHECK(ok.ok);
  CAF_CHECK_EQUAL(ok.url, url);
  auto none = protocol.read_connect_answer({{"ok", true}}, nullptr);
  CAF_CHECK(!none.ok);
  auto refused = protocol.read_connect_answer(
      nullptr, std::make_exception_ptr(api_error(
                   "apps.connections.open", "invalid_auth", 200, nullptr)));
  CAF_CHECK(!refused.ok);
  CAF_CHECK_EQUAL(refused.error, "invalid_auth");
}

CAF_TEST(a response nested 100000 levels deep is acked without it) {
  socket_mode_protocol protocol;
  auto deep = R"({"blocks":)" + test::deep_json_text(100000) + "}";
  CAF_CHECK_EQUAL(protocol.ack_with("e-9", deep), R"({"envelope_id":"e-9"})");
}
