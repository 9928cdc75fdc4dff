"""slackrtm-say and slackrtm-tail against slackrtm-sim."""

import json
import re
import signal

import harness
from harness import SimTestCase, wait_for

TS = re.compile(r"^\d+\.\d{6}$")


def message_frames(sim, text):
    """The message frames clients sent with this text, in order."""
    return [f["frame"] for f in sim.get("sent")["frames"]
            if isinstance(f.get("frame"), dict)
            and f["frame"].get("type") == "message"
            and f["frame"].get("text") == text]


def lines(program):
    """stdout's complete lines, parsed."""
    out = program.stdout()
    return [json.loads(line) for line in out.split("\n")[:-1]]


class ToolTestCase(SimTestCase):

    def tool(self, name, *args, **kwargs):
        return self.start(name, f"--api-url={self.sim.api_url}", *args,
                          **kwargs)

    def say(self, *args, **kwargs):
        return self.tool("slackrtm-say", *args, **kwargs)

    def tail(self, *args, **kwargs):
        """A tail whose socket is open: whatever the sim sends from now on
        reaches it, after its hello."""
        before = len(self.sim.open_connections())
        tail = self.tool("slackrtm-tail", *args, **kwargs)
        wait_for(lambda: len(self.sim.open_connections()) > before
                 or tail.proc.poll() is not None, 30, "tail's socket")
        self.assertIsNone(tail.proc.poll(), tail.stderr())
        return tail


class SayTest(ToolTestCase):

    sim_args = ("--channels=250",)

    def test_prints_the_acknowledged_ts(self):
        say = self.say("C0GENERAL", "in the thread", "--thread=1700000000.000001",
                       "--broadcast")
        self.assertEqual(say.wait_exit(30), 0, say.stderr())
        ts = say.stdout().strip()
        self.assertRegex(ts, TS)
        frames = message_frames(self.sim, "in the thread")
        self.assertEqual(len(frames), 1)
        frame = frames[0]
        self.assertEqual(frame["channel"], "C0GENERAL")
        self.assertEqual(frame["thread_ts"], "1700000000.000001")
        self.assertIs(frame["reply_broadcast"], True)
        self.assertIsInstance(frame["id"], int)

    def test_plain_message_has_no_thread_fields(self):
        say = self.say("C0RANDOM", "plain")
        self.assertEqual(say.wait_exit(30), 0, say.stderr())
        self.assertRegex(say.stdout().strip(), TS)
        frame = message_frames(self.sim, "plain")[0]
        self.assertNotIn("thread_ts", frame)
        self.assertNotIn("reply_broadcast", frame)

    def test_an_error_reply_prints_slacks_msg(self):
        self.sim.post("acks", {"mode": "error", "count": 1, "code": -1,
                               "msg": "slow down, too many messages..."})
        say = self.say("C0GENERAL", "too fast")
        self.assertNotEqual(say.wait_exit(30), 0)
        self.assertIn("slow down, too many messages...", say.stderr())
        self.assertEqual(say.stdout(), "")

    def test_a_drop_before_the_ack_is_repaired(self):
        self.sim.post("acks", {"mode": "none", "count": 1})
        say = self.say("C0GENERAL", "survives a drop")
        # The first frame reached the sim and was lost there; now its socket
        # dies too, before any acknowledgement.
        wait_for(lambda: message_frames(self.sim, "survives a drop"), 30,
                 "the first attempt")
        self.sim.post("drop", {"mode": "reset"})
        self.assertEqual(say.wait_exit(30), 0, say.stderr())
        self.assertRegex(say.stdout().strip(), TS)
        # Sent twice, once per socket; the lost first frame was neither
        # acknowledged nor posted, so exactly one message came of it (with
        # the printed ts). Had the first one been posted, Slack would show
        # the message twice: the tool is at-least-once.
        sent = [f for f in self.sim.get("sent")["frames"]
                if isinstance(f.get("frame"), dict)
                and f["frame"].get("text") == "survives a drop"]
        self.assertEqual(len(sent), 2)
        self.assertNotEqual(sent[0]["connection"], sent[1]["connection"])
        self.assertEqual(sent[0]["frame"]["channel"],
                         sent[1]["frame"]["channel"])

    def test_channel_by_name(self):
        for name in ("general", "#general"):
            say = self.say(name, f"by name {name}")
            self.assertEqual(say.wait_exit(30), 0, say.stderr())
            self.assertEqual(
                message_frames(self.sim, f"by name {name}")[0]["channel"],
                "C0GENERAL")
        # A private channel, and one only found on a later page.
        for name, channel in (("#secret-plans", "G0PRIVATE"),
                              ("channel-00240", "C0GEN00240")):
            say = self.say(name, f"to {name}")
            self.assertEqual(say.wait_exit(30), 0, say.stderr())
            self.assertEqual(message_frames(self.sim, f"to {name}")[0]
                             ["channel"], channel)
        cursors = [c["params"].get("cursor", "")
                   for c in self.sim.calls("conversations.list")]
        self.assertTrue(any(cursors), "pages after the first were fetched")
        types = {c["params"].get("types")
                 for c in self.sim.calls("conversations.list")}
        self.assertEqual(types, {"public_channel,private_channel"})

    def test_unknown_channel_name(self):
        say = self.say("#no-such-channel", "lost")
        self.assertEqual(say.wait_exit(30), 1)
        self.assertIn("no channel named 'no-such-channel'", say.stderr())
        self.assertEqual(message_frames(self.sim, "lost"), [])

    def test_usage_errors_and_help(self):
        for args in ((), ("C0GENERAL",), ("C0GENERAL", "a", "b"),
                     ("C0GENERAL", "x", "--frobnicate"),
                     ("C0GENERAL", "x", "--broadcast"),
                     ("C0GENERAL", "")):
            say = self.say(*args)
            self.assertEqual(say.wait_exit(30), 2, args)
            self.assertIn("usage: slackrtm-say", say.stderr())
        say = self.say("--help")
        self.assertEqual(say.wait_exit(30), 0)
        self.assertIn("--thread=TS", say.stdout())
        # "--" ends the options: TEXT may start with dashes.
        say = self.say("--", "C0GENERAL", "--not-an-option")
        self.assertEqual(say.wait_exit(30), 0, say.stderr())
        self.assertEqual(len(message_frames(self.sim, "--not-an-option")), 1)

    def test_a_refused_token_is_reported(self):
        say = self.say("C0GENERAL", "nope", token="xoxb-wrong-123")
        self.assertNotEqual(say.wait_exit(30), 0)
        self.assertIn("invalid_auth", say.stderr())
        self.assertNotIn("xoxb-wrong-123", say.stderr())


class TailTest(ToolTestCase):

    def test_prints_every_event_in_arrival_order(self):
        tail = self.tail()
        events = []
        for i in range(120):
            if i % 10 == 9:
                # No channel and no user: routed by nothing at all.
                events.append({"type": "pref_change", "name": f"p{i}",
                               "value": i})
            else:
                events.append({"type": "message", "channel": f"C{i % 7}",
                               "user": f"U{i % 5}", "text": f"n{i}",
                               "ts": f"1700000000.{i:06d}"})
        events.append({"type": "reaction_added", "user": "U1",
                       "reaction": "tada", "item": {"type": "message",
                                                    "channel": "C1",
                                                    "ts": "1.000001"}})
        self.sim.post("inject", {"events": events})
        wait_for(lambda: len(lines(tail)) >= 1 + len(events), 30,
                 "every event")
        printed = lines(tail)
        self.assertEqual(printed[0], {"type": "hello"})
        self.assertEqual(printed[1:], events)
        for line in tail.stdout().split("\n")[:-1]:
            self.assertEqual(line, json.dumps(json.loads(line),
                                              separators=(",", ":"),
                                              sort_keys=True,
                                              ensure_ascii=False))

    def test_include_and_exclude(self):
        only = self.tail("--include=message,reaction_added")
        without = self.tail("--exclude=message,hello")
        events = [{"type": "message", "channel": "C1", "text": "a",
                   "ts": "1.000001"},
                  {"type": "user_typing", "channel": "C1", "user": "U1"},
                  {"type": "reaction_added", "user": "U1", "reaction": "x"},
                  {"type": "channel_created",
                   "channel": {"id": "C9", "name": "nine"}},
                  {"type": "message", "channel": "C2", "text": "b",
                   "ts": "1.000002"}]
        self.sim.post("inject", {"events": events})
        wait_for(lambda: len(lines(only)) >= 3, 30, "the included events")
        self.assertEqual(lines(only), [
            e for e in events if e["type"] in ("message", "reaction_added")])
        # Nothing later sneaks in: a marker event closes both streams.
        marker = {"type": "reaction_added", "user": "U9", "reaction": "end"}
        self.sim.post("inject", marker)
        wait_for(lambda: marker in lines(only) and marker in lines(without),
                 30, "the marker")
        self.assertEqual(lines(without), [
            e for e in events if e["type"] not in ("message", "hello")]
            + [marker])

    def test_team_changes_reach_tail_as_slack_sends_them(self):
        tail = self.tail("--exclude=hello")
        answer = self.sim.post("team", {"action": "channel_created",
                                        "name": "launch"})
        wait_for(lambda: lines(tail), 30, "the event")
        self.assertEqual(lines(tail), answer["events"])

    def test_malformed_frames_are_not_printed(self):
        tail = self.tail()
        for raw in ({"text": "this is not json"}, {"text": "[1,2,3]"},
                    {"text": "{\"no_type\":true}"},
                    {"binary": "\u0001\u0002binary"}):
            self.sim.post("raw", raw)
        marker = {"type": "message", "channel": "C1", "text": "still here",
                  "ts": "1.000003"}
        self.sim.post("inject", marker)
        wait_for(lambda: marker in lines(tail), 30, "the marker")
        self.assertEqual(lines(tail), [{"type": "hello"}, marker])
        self.assertIsNone(tail.proc.poll())
        self.assertEqual(len(self.sim.get("connections")["connections"]), 1)
        self.assertIn("malformed", tail.stderr())

    def test_keepalive_pongs_are_not_events(self):
        # The library's own pings and their pongs are its business.
        tail = self.tail("--ping-interval=0.2", "--include=pong,message")
        wait_for(lambda: self.sim.get("connections")["connections"][0]
                 ["pings"] >= 3, 30, "three keep-alive pings")
        marker = {"type": "message", "channel": "C1", "text": "after pings",
                  "ts": "1.000009"}
        self.sim.post("inject", marker)
        wait_for(lambda: marker in lines(tail), 30, "the marker")
        self.assertEqual(lines(tail), [marker])

    def test_sigterm_and_sigint_exit_zero(self):
        for sig in (signal.SIGTERM, signal.SIGINT):
            tail = self.tail()
            wait_for(lambda: tail.stdout(), 30, "the hello line")
            tail.proc.send_signal(sig)
            self.assertEqual(tail.wait_exit(30), 0, sig)
            self.assertEqual(tail.stdout(), '{"type":"hello"}\n')

    def test_bad_arguments(self):
        for args in (("--frobnicate",), ("--include=",), ("extra",)):
            tail = self.tool("slackrtm-tail", *args)
            self.assertEqual(tail.wait_exit(30), 2, args)
        tail = self.tool("slackrtm-tail", "--help")
        self.assertEqual(tail.wait_exit(30), 0)
        self.assertIn("--include=TYPES", tail.stdout())


if __name__ == "__main__":
    harness.main()
