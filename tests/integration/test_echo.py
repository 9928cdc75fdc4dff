"""The echo bot end to end against slackrtm-sim."""

import base64
import os
import signal
import subprocess
import time
import unittest

import harness
from harness import SimTestCase, wait_for


def replies_to(posts, ts):
    return [p for p in posts if p["params"].get("thread_ts") == ts]


class EchoTest(SimTestCase):

    def test_hello_is_answered_in_its_thread(self):
        bot = self.start_echo()
        self.wait_connected()
        ts = self.sim.say("C0GENERAL", "Hello bot")
        posts = wait_for(lambda: replies_to(self.sim.posts(), ts), 10,
                         "the reply")
        self.assertEqual(len(posts), 1)
        params = posts[0]["params"]
        self.assertEqual(params["channel"], "C0GENERAL")
        self.assertEqual(params["text"], "Hi <@U0USER001>!")
        # The bot prints its line once chat.postMessage has returned, which
        # may be after the simulator recorded the post.
        wait_for(lambda: "replied to <@U0USER001>" in bot.stdout(), 10,
                 "the bot's line about its reply")

    def test_other_messages_are_ignored(self):
        self.start_echo()
        self.wait_connected()
        # Same conversation, so the bot sees these in order: once the
        # Hello is answered, the earlier ones were handled and ignored.
        self.sim.say("C0RANDOM", "good morning")
        self.sim.post("inject", {"type": "message", "subtype": "channel_join",
                                 "channel": "C0RANDOM", "ts": "1.000001"})
        self.sim.post("inject", {"type": "reaction_added", "user": "U1",
                                 "reaction": "wave"})
        ts = self.sim.say("C0RANDOM", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertEqual(len(self.sim.posts()), 1)

    def test_its_own_messages_do_not_loop(self):
        self.start_echo()
        self.wait_connected()
        # The reply is broadcast back to the bot as a message event; so is a
        # message the bot itself posts that contains Hello.
        self.sim.post("inject", {"type": "message", "channel": "C1",
                                 "user": "U0BOT0001", "text": "Hello me",
                                 "ts": "2.000001"})
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertEqual(len(self.sim.posts()), 1)

    def test_300_hellos_at_once_are_each_answered_once(self):
        self.start_echo()
        self.wait_connected()
        channels = [f"C{i:08d}" for i in range(12)]
        events = []
        for i in range(300):
            events.append({"type": "message", "channel": channels[i % 12],
                           "user": f"U{i % 7:08d}", "text": f"Hello #{i}",
                           "ts": f"1700000000.{i:06d}"})
        self.sim.post("inject", {"events": events})
        wait_for(lambda: len(self.sim.posts()) >= 300, 60, "300 replies")
        posts = self.sim.posts()
        answered = sorted(p["params"]["thread_ts"] for p in posts)
        self.assertEqual(answered, sorted(e["ts"] for e in events))
        for p in posts:
            i = int(p["params"]["thread_ts"].split(".")[1])
            self.assertEqual(p["params"]["channel"], channels[i % 12])
            self.assertEqual(p["params"]["text"], f"Hi <@U{i % 7:08d}>!")

    def test_a_slow_reply_does_not_hold_up_other_channels_or_pings(self):
        self.start_echo("--ping-interval=0.5")
        self.wait_connected()
        self.sim.post("fail", {"method": "chat.postMessage", "count": 1,
                               "delay_ms": 3000, "channel": "C0SLOW"})
        slow_ts = self.sim.say("C0SLOW", "Hello slow")
        wait_for(lambda: [c for c in self.sim.calls("chat.postMessage")],
                 10, "the slow call to start")
        started = time.monotonic()
        fast_ts = self.sim.say("C0FAST", "Hello fast")
        wait_for(lambda: replies_to(self.sim.posts(), fast_ts), 10,
                 "the fast reply")
        fast_after = time.monotonic() - started
        self.assertFalse(replies_to(self.sim.posts(), slow_ts),
                         "the slow reply should still be pending")
        self.assertLess(fast_after, 1.5)
        wait_for(lambda: replies_to(self.sim.posts(), slow_ts), 10,
                 "the slow reply")
        # Pings kept flowing while the slow call was held.
        slow_call = [c for c in self.sim.calls("chat.postMessage")
                     if c["params"].get("channel") == "C0SLOW"][0]
        conn = self.sim.get("connections")["connections"][0]
        during = [t for t in conn["ping_ms"]
                  if slow_call["received_ms"] <= t <= slow_call["answered_ms"]]
        self.assertGreaterEqual(len(during), 4, conn["ping_ms"])

    def test_a_rate_limited_post_is_sent_again_after_retry_after(self):
        self.start_echo()
        self.wait_connected()
        self.sim.post("fail", {"method": "chat.postMessage", "count": 1,
                               "status": 429, "retry_after": 1})
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        calls = self.sim.calls("chat.postMessage")
        self.assertEqual([c["status"] for c in calls], [429, 200])
        self.assertGreaterEqual(calls[1]["received_ms"] - calls[0]["answered_ms"],
                                1000)
        self.assertEqual(len(self.sim.posts()), 1)

    def test_malformed_frames_are_reported_and_the_bot_carries_on(self):
        bot = self.start_echo()
        self.wait_connected()
        self.sim.post("raw", {"text": "this is not json"})
        self.sim.post("raw", {"text": "[1,2,3]"})
        self.sim.post("raw", {"text": "{\"no_type\":true}"})
        self.sim.post("raw", {"binary": "\u0001\u0002binary"})
        ts = self.sim.say("C1", "Hello after garbage")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        wait_for(lambda: bot.stderr().count("malformed frame") >= 4, 5,
                 "four malformed-frame reports")
        self.assertIn("not JSON", bot.stderr())
        self.assertIn("binary", bot.stderr())
        # Still the first socket: nothing was torn down.
        self.assertEqual(len(self.sim.get("connections")["connections"]), 1)

    def test_text_that_is_not_utf8_fails_the_socket_and_the_bot_reconnects(self):
        # RFC 6455 fails a connection on a text frame of invalid UTF-8. It
        # arrives right behind a valid event, so both may come in one read:
        # the socket must end (not stall the socket thread) and be reopened.
        bot = self.start_echo()
        self.wait_connected()
        ts = self.sim.say("C1", "Hello before the bad frame")
        bad = b'{"type":"message","channel":"C1","text":"caf\xc3"}'
        self.sim.post("raw", {"text_base64": base64.b64encode(bad).decode()})
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        wait_for(lambda: len(self.sim.get("connections")["connections"]) >= 2
                 and self.sim.open_connections(), 10, "a second socket")
        self.assertIn("socket lost", bot.stderr())
        ts = self.sim.say("C1", "Hello after the bad frame")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertIsNone(bot.proc.poll())

    def test_a_dropped_socket_is_reopened_and_answering_resumes(self):
        bot = self.start_echo()
        self.wait_connected()
        self.sim.post("drop", {"mode": "reset"})
        wait_for(lambda: len(self.sim.get("connections")["connections"]) >= 2
                 and self.sim.open_connections(), 10, "a second socket")
        ts = self.sim.say("C1", "Hello again")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertIn("reconnecting", bot.stderr())

    def test_a_silent_socket_is_replaced(self):
        # The socket stays open but the server stops answering pings and
        # sends nothing else: a zombie connection.
        bot = self.start_echo("--ping-interval=0.3")
        self.wait_connected()
        self.sim.post("pings", {"answer": False})
        wait_for(lambda: len(self.sim.calls("rtm.connect")) >= 2, 10,
                 "a fresh rtm.connect")
        self.sim.post("pings", {"answer": True})
        wait_for(lambda: self.sim.open_connections()
                 and self.sim.open_connections()[-1]["id"] != 1, 10,
                 "a new socket")
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertIn("went silent", bot.stderr())

    def test_goodbye_opens_a_new_socket(self):
        self.start_echo()
        self.wait_connected()
        self.sim.post("goodbye")
        wait_for(lambda: len(self.sim.calls("rtm.connect")) >= 2, 10,
                 "a fresh rtm.connect")

        # The bot closes the old socket itself once the new one said hello.
        def only_new_socket_open():
            conns = self.sim.get("connections")["connections"]
            return (not conns[0]["open"]
                    and any(c["open"] for c in conns[1:]))
        wait_for(only_new_socket_open, 10, "the new socket alone")
        self.assertEqual(
            self.sim.get("connections")["connections"][0]["client_close_code"],
            1000)
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertEqual(len(replies_to(self.sim.posts(), ts)), 1)

    def test_goodbye_loses_and_repeats_nothing(self):
        bot = self.start_echo()
        self.wait_connected()
        # The next rtm.connect takes 0.5 s: the old socket alone hears what
        # is said meanwhile (it used to be closed at once, losing it).
        self.sim.post("fail", {"method": "rtm.connect", "count": 1,
                               "delay_ms": 500})
        self.sim.post("goodbye")
        # Speak all through the switch: to the old socket alone, to both
        # while they overlap (the simulator writes every event to every open
        # socket), and to the new one alone.
        said, overlapping = [], 0
        deadline = time.monotonic() + 20
        while True:
            answer = self.sim.post("message", {
                "channel": "C%d" % (len(said) % 4), "user": "U0USER001",
                "text": "Hello %d" % len(said)})
            said.append(answer["ts"])
            overlapping += answer["delivered"] > 1
            conns = self.sim.get("connections")["connections"]
            if len(conns) >= 2 and not conns[0]["open"]:
                break
            self.assertLess(time.monotonic(), deadline, "the switch")
        self.assertGreater(len(said), 5)
        for i in range(3):
            said.append(self.sim.say("C0", "Hello after %d" % i))
        wait_for(lambda: all(replies_to(self.sim.posts(), ts)
                             for ts in said), 15, "every reply")
        posts = self.sim.posts()
        for ts in said:
            self.assertEqual(len(replies_to(posts, ts)), 1, ts)
        self.assertIn("drains", bot.stderr())
        # Not a proof of the overlap on every run (a fast switch may leave
        # no time to speak to both sockets), but say when it was seen.
        print("goodbye overlap: %d of %d messages reached both sockets"
              % (overlapping, len(said)))

    def test_sigterm_exits_cleanly(self):
        bot = self.start_echo()
        self.wait_connected()
        self.assertEqual(bot.stop(), 0)
        wait_for(lambda: not self.sim.open_connections(), 5,
                 "the socket to close")
        conns = self.sim.get("connections")["connections"]
        self.assertEqual(conns[-1]["client_close_code"], 1000)
        self.assertEqual(len(self.sim.calls("rtm.connect")), 1)


class ConnectRetryTest(SimTestCase):

    def test_rtm_connect_429_waits_retry_after(self):
        self.sim.post("fail", {"method": "rtm.connect", "count": 1,
                               "status": 429, "retry_after": 1})
        self.start_echo()
        self.wait_connected()
        calls = self.sim.calls("rtm.connect")
        self.assertEqual([c["status"] for c in calls], [429, 200])
        self.assertGreaterEqual(
            calls[1]["received_ms"] - calls[0]["answered_ms"], 1000)

    def test_rtm_connect_5xx_and_transient_errors_are_retried(self):
        self.sim.post("fail", {"method": "rtm.connect", "count": 2,
                               "status": 503})
        self.sim.post("fail", {"method": "rtm.connect", "count": 1,
                               "error": "internal_error"})
        bot = self.start_echo()
        self.wait_connected(timeout=15)
        calls = self.sim.calls("rtm.connect")
        self.assertEqual([c["status"] for c in calls], [503, 503, 200, 200])
        self.assertEqual(calls[2]["error"], "internal_error")
        self.assertIn("reconnecting in", bot.stderr())
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")


class TokenTest(SimTestCase):

    def test_an_invalid_token_exits_non_zero_naming_the_error(self):
        bot = self.start_echo("--log-level=debug", token="xoxb-wrong-123")
        code = bot.wait_exit(15)
        self.assertNotEqual(code, 0)
        self.assertIn("invalid_auth", bot.stderr())
        self.assertEqual(len(self.sim.calls("rtm.connect")), 1)
        for text in (bot.stdout(), bot.stderr()):
            self.assertNotIn("xoxb-wrong-123", text)

    def test_a_revoked_token_is_fatal_too(self):
        self.sim.post("fail", {"method": "rtm.connect", "count": 5,
                               "error": "token_revoked"})
        bot = self.start_echo()
        self.assertNotEqual(bot.wait_exit(15), 0)
        self.assertIn("token_revoked", bot.stderr())
        self.assertEqual(len(self.sim.calls("rtm.connect")), 1)

    def test_url_and_token_come_from_the_environment(self):
        # No --api-url; the older variable name for the token.
        self.start("slackrtm-echo", token=None,
                   env={"SLACK_API_URL": self.sim.api_url,
                        "SLACK_API_TOKEN": harness.TOKEN})
        self.wait_connected()
        ts = self.sim.say("C1", "Hello")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")

    def test_bad_options_are_usage_errors(self):
        for args in (["--ping-interval=soon"], ["--log-level=loud"],
                     ["--frobnicate"]):
            bot = self.start_echo(*args)
            self.assertEqual(bot.wait_exit(10), 2, args)
            self.assertNotIn(harness.TOKEN, bot.stderr())
        bot = self.start_echo("--api-url=not-a-url")
        self.assertNotEqual(bot.wait_exit(10), 0)
        self.assertIn("invalid Web API base URL", bot.stderr())

    def test_no_token_is_a_usage_error(self):
        bot = self.start_echo(token=None)
        self.assertEqual(bot.wait_exit(10), 2)
        self.assertIn("SLACK_BOT_TOKEN", bot.stderr())

    def test_the_token_never_appears_in_debug_output(self):
        bot = self.start_echo("--log-level=debug")
        self.wait_connected()
        ts = self.sim.say("C1", "Hello xoxb-sim-token")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        self.assertEqual(bot.stop(), 0)
        for text in (bot.stdout(), bot.stderr()):
            self.assertNotIn(harness.TOKEN, text)


class DemoTest(unittest.TestCase):
    """The README's first command: the demo runs its own simulator and bot."""

    def test_the_demo_gets_every_hello_answered(self):
        demo = subprocess.run([os.path.join(harness.BIN, "slackrtm-demo")],
                              capture_output=True, text=True, timeout=120)
        self.assertEqual(demo.returncode, 0, demo.stdout + demo.stderr)
        self.assertIn("5 Hellos, 5 replies in thread", demo.stdout)
        self.assertIn("echo-bot (in thread", demo.stdout)
        # Both modes ran, and the slash command was answered in its ack.
        self.assertIn("slackrtm-echo  on RTM", demo.stdout)
        self.assertIn("slackrtm-echo  on Socket Mode", demo.stdout)
        self.assertIn("(in the ack, after", demo.stdout)


if __name__ == "__main__":
    harness.main()
