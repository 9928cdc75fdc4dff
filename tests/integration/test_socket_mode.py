"""slackrtm-echo in Socket Mode against slackrtm-sim: the seeds' Hello,
acks that never wait for handlers, refreshes and warnings without loss,
redeliveries answered once, link_disabled / too_many_websockets / refused
tokens, hostile frames, the /echo responder, and SIGTERM."""

import base64
import json

import harness
from harness import SimTestCase, wait_for

APP = "xapp-1-A0APP0001-1-secret"


def replies_to(posts, ts):
    return [p for p in posts if p["params"].get("thread_ts") == ts]


def envelope(envelope_id, event_id, text, retry=0, channel="C0GENERAL"):
    return json.dumps({
        "envelope_id": envelope_id, "type": "events_api",
        "accepts_response_payload": False, "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": {"team_id": "T0SIM0001", "api_app_id": "A0APP0001",
                    "type": "event_callback", "event_id": event_id,
                    "event": {"type": "message", "channel": channel,
                              "user": "U0USER001", "text": text,
                              "ts": f"1700000000.{event_id[-6:]}"}}})


class SocketModeEchoTest(SimTestCase):

    sim_args = (f"--app-token={APP}",)

    def start_bot(self, *args, app_token=APP, env=None):
        full_env = {"SLACK_APP_TOKEN": app_token}
        full_env.update(env or {})
        return self.start_echo(*args, env=full_env)

    def sockets(self):
        return self.sim.get("socket_mode/sockets")["sockets"]

    def live(self):
        return [s for s in self.sockets() if s["open"] and s["accepted"]]

    def wait_live(self, count=2, timeout=10):
        return wait_for(lambda: len(self.live()) >= count and self.live(),
                        timeout, f"{count} live Socket Mode socket(s)")

    def acks(self):
        return self.sim.get("socket_mode/acks")["acks"]

    def counters(self):
        return self.sim.get("socket_mode")["counters"]

    def reply_count(self, ts):
        return len(replies_to(self.sim.posts(), ts))

    # -- the seeds' bot ------------------------------------------------------

    def test_hello_is_answered_over_two_sockets(self):
        bot = self.start_bot()
        live = self.wait_live(2)
        self.assertEqual(len(live), 2)
        ts = self.sim.say("C0GENERAL", "Hello bot")
        posts = wait_for(lambda: replies_to(self.sim.posts(), ts), 10,
                         "the reply")
        self.assertEqual(len(posts), 1)
        self.assertEqual(posts[0]["params"]["text"], "Hi <@U0USER001>!")
        self.assertEqual(posts[0]["params"]["channel"], "C0GENERAL")
        # Every envelope (the Hello and the bot's own reply coming back) is
        # acked once, well within Slack's 3 s.
        wait_for(lambda: len(self.acks()) >= self.counters()["envelopes"],
                 10, "every envelope acked")
        for ack in self.acks():
            self.assertFalse(ack["late"], ack)
            self.assertFalse(ack["duplicate"], ack)
            self.assertLess(ack["delay_ms"], 3000, ack)
        # The bot's own reply came back as an event and was not answered.
        self.assertEqual(len(self.sim.posts()), 1)
        self.assertNotIn("xapp-", bot.stderr())
        self.assertNotIn("xoxb-", bot.stderr())

    def test_acks_do_not_wait_for_a_handler_that_takes_10_s(self):
        self.start_bot()
        self.wait_live(2)
        # The first reply's chat.postMessage hangs for 10 s: its handler is
        # stuck, and the messages behind it in the same conversation wait.
        self.sim.post("fail", {"method": "chat.postMessage", "count": 1,
                               "delay_ms": 10000})
        stamps = [self.sim.say("C0GENERAL", f"Hello {i}") for i in range(5)]
        wait_for(lambda: len(self.acks()) >= 5, 5, "five acks")
        # All five are acked while the first handler still waits.
        self.assertEqual(self.sim.posts(), [])
        for ack in self.acks():
            self.assertLess(ack["delay_ms"], 3000, ack)
            self.assertFalse(ack["late"], ack)
        self.assertEqual(self.counters()["redeliveries"], 0)
        wait_for(lambda: all(self.reply_count(ts) == 1 for ts in stamps), 20,
                 "the five replies once the handler is free")

    # -- refreshes -------------------------------------------------------------

    def _no_loss_through(self, reason):
        bot = self.start_bot()
        self.wait_live(2)
        before = {s["id"] for s in self.live()}
        self.sim.post("socket_mode/disconnect",
                      {"reason": reason, "close_after_ms": 1500})
        # Messages while the old sockets drain and the new ones open.
        stamps = [self.sim.say(f"C{i % 3}", f"Hello {reason} {i}")
                  for i in range(12)]
        wait_for(lambda: all(self.reply_count(ts) >= 1 for ts in stamps), 15,
                 "a reply to every message")
        # The old sockets are closed, two new ones are live.
        wait_for(lambda: len(self.live()) == 2
                 and not {s["id"] for s in self.live()} & before, 10,
                 "two new sockets")
        for ts in stamps:
            self.assertEqual(self.reply_count(ts), 1, ts)
        counters = self.counters()
        self.assertEqual(counters["expired"], 0)
        self.assertEqual(counters["redeliveries"], 0)
        self.assertIn(f"disconnect ({reason})", bot.stderr())

    def test_refresh_requested_loses_no_envelope(self):
        self._no_loss_through("refresh_requested")

    def test_warning_loses_no_envelope(self):
        self._no_loss_through("warning")

    # -- redeliveries ----------------------------------------------------------

    def test_a_redelivered_event_is_answered_once(self):
        self.start_bot()
        self.wait_live(2)
        # The raw frame goes to both sockets: two copies at once, then
        # Slack's retry with a new envelope id.
        self.sim.post("socket_mode/raw",
                      {"text": envelope("env-1", "Ev0000000001", "Hello 1")})
        self.sim.post("socket_mode/raw",
                      {"text": envelope("env-2", "Ev0000000001", "Hello 1",
                                        retry=1)})
        # A retry whose first delivery never arrived is the only copy.
        self.sim.post("socket_mode/raw",
                      {"text": envelope("env-3", "Ev0000000002", "Hello 2",
                                        retry=2)})
        ts1 = "1700000000.000001"
        ts2 = "1700000000.000002"
        wait_for(lambda: self.reply_count(ts1) and self.reply_count(ts2), 10,
                 "both replies")
        # The sim counts acks of ids it never sent as unknown: five frames
        # reached the bot (two sockets x two, plus two), all acked.
        wait_for(lambda: self.counters()["unknown_acks"] >= 6, 10,
                 "every copy acked")
        # A later copy must not be answered either: answer a fresh Hello in
        # the same conversation, which the handler runs after the copies.
        ts = self.sim.say("C0GENERAL", "Hello last")
        wait_for(lambda: self.reply_count(ts), 10, "the last reply")
        self.assertEqual(self.reply_count(ts1), 1)
        self.assertEqual(self.reply_count(ts2), 1)

    # -- what Slack refuses ----------------------------------------------------

    def test_link_disabled_stops_the_bot_without_reconnecting(self):
        bot = self.start_bot()
        self.wait_live(2)
        opens = self.counters()["opens"]
        self.sim.post("socket_mode/disconnect", {"reason": "link_disabled"})
        self.assertEqual(bot.wait_exit(15), 1)
        self.assertIn("link_disabled", bot.stderr())
        self.assertEqual(self.counters()["opens"], opens)

    def test_a_refused_app_token_is_fatal_and_never_printed(self):
        bot = self.start_bot(app_token="xapp-1-A0WRONG-1-nope")
        self.assertEqual(bot.wait_exit(15), 1)
        err = bot.stderr()
        self.assertIn("invalid_auth", err)
        self.assertNotIn("xapp-1-A0WRONG-1-nope", err)
        self.assertEqual(self.counters()["opens"], 0)

    def test_a_bot_token_as_app_token_is_refused_up_front(self):
        bot = self.start_bot(app_token="xoxb-sim-token")
        self.assertEqual(bot.wait_exit(15), 1)
        self.assertIn("app-level token", bot.stderr())
        self.assertEqual(self.sim.calls("apps.connections.open"), [])

    def test_too_many_websockets_backs_off_instead_of_storming(self):
        self.sim.post("socket_mode/config", {"max_sockets": 1})
        bot = self.start_bot()
        wait_for(lambda: "the next one waits 30 s" in bot.stderr(), 10,
                 "the backoff after too_many_websockets")
        # The socket Slack did take still serves the bot.
        ts = self.sim.say("C0GENERAL", "Hello crowded")
        wait_for(lambda: self.reply_count(ts), 10, "the reply")
        self.assertEqual(self.counters()["too_many_websockets"], 1)
        self.assertEqual(len(self.sim.calls("apps.connections.open")), 2)

    # -- hostile frames ------------------------------------------------------

    def test_hostile_frames_are_survived_and_envelopes_still_acked(self):
        bot = self.start_bot("--socket-mode")
        self.wait_live(2)
        for text in ["null", "[1,2]", "{", '"x"', "{}",
                     '{"envelope_id":"bad-1","type":"events_api"}',
                     '{"envelope_id":"bad-2","type":"events_api",'
                     '"payload":{"event":null}}',
                     '{"envelope_id":"bad-3","type":"events_api",'
                     '"payload":{"event":{"text":"no type"}}}']:
            self.sim.post("socket_mode/raw", {"text": text})
        self.sim.post("socket_mode/raw", {"binary": "\u0001\u0002"})
        # The three envelopes are acked on both sockets (unknown ids to the
        # simulator), and the bot goes on answering.
        wait_for(lambda: self.counters()["unknown_acks"] >= 6, 10,
                 "the malformed envelopes acked")
        ts = self.sim.say("C0GENERAL", "Hello after")
        wait_for(lambda: self.reply_count(ts), 10, "the reply")
        self.assertEqual(len(self.live()), 2)
        self.assertIn("dropped a malformed frame", bot.stderr())
        # Invalid UTF-8 in a text frame breaks the WebSocket protocol: both
        # sockets are replaced, and answering resumes.
        opened = len(self.sockets())
        self.sim.post("socket_mode/raw", {"text_base64": base64.b64encode(
            b'{"type":"x\xff"}').decode()})
        wait_for(lambda: len(self.sockets()) >= opened + 2
                 and len(self.live()) == 2, 10, "two new sockets")
        ts = self.sim.say("C0GENERAL", "Hello again")
        wait_for(lambda: self.reply_count(ts), 10, "the reply")
        self.assertIsNone(bot.proc.poll())

    # -- slash commands ------------------------------------------------------

    def test_slash_echo_is_answered_in_its_ack(self):
        self.start_bot()
        self.wait_live(2)
        sent = self.sim.post("socket_mode/slash",
                             {"command": "/echo", "text": "ping me"})
        ack = wait_for(lambda: [a for a in self.acks()
                                if a["envelope_id"] == sent["envelope_id"]],
                       10, "the command's ack")[0]
        self.assertEqual(ack["payload"],
                         {"response_type": "in_channel", "text": "ping me"})
        self.assertLess(ack["delay_ms"], 3000)
        # Another command has no responder: a plain ack at once.
        other = self.sim.post("socket_mode/slash", {"command": "/other"})
        ack = wait_for(lambda: [a for a in self.acks()
                                if a["envelope_id"] == other["envelope_id"]],
                       10, "the other command's ack")[0]
        self.assertIsNone(ack["payload"])

    # -- shutdown ------------------------------------------------------------

    def test_sigterm_closes_every_socket_with_a_close_frame(self):
        bot = self.start_bot()
        self.wait_live(2)
        self.assertEqual(bot.stop(), 0)
        socks = wait_for(lambda: [s for s in self.sockets()
                                  if s["client_close_code"] is not None]
                         if len(self.live()) == 0 else None, 10,
                         "the sockets closed")
        self.assertEqual(len(socks), 2)
        for s in socks:
            self.assertEqual(s["closed_by"], "client")
            self.assertTrue(s["close_frame"])
            self.assertEqual(s["client_close_code"], 1000)


if __name__ == "__main__":
    harness.main()
