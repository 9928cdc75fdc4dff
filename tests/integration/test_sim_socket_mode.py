"""The simulator's Socket Mode: apps.connections.open and its tokens, hello,
events_api / slash_commands / interactive envelopes and their acks, and the
faults of /_sim/socket_mode/... (redelivery, disconnect, link_disabled,
too_many_websockets, revoked token, silence, late pongs, server pings)."""

import json
import struct
import time
import urllib.parse

import harness
from harness import RtmSocket, SimTestCase, wait_for
from test_sim_workspaces import post_error

APP = "xapp-1-A0APP0001-1-secret"
APP_TWO = "xapp-1-A0APP0002-1-secret"
TWO = "xoxb-team-two"

# Short timers, so that every fault plays out in well under a second.
FAST = {"ack_timeout_ms": 300, "max_retries": 3, "ping_interval_ms": 0,
        "grace_ms": 200, "warning_close_ms": 400}


class Closed(ConnectionError):
    """The server ended the socket: `code` of its close frame, or None."""

    def __init__(self, code):
        super().__init__(f"socket closed (code {code})")
        self.code = code


class LinkSocket(RtmSocket):
    """A bare Socket Mode client: the URL used exactly as given, masked
    frames, pongs to the server's pings, close frames both ways; recv()
    answers the next text frame, Closed when the server closed."""

    def __init__(self, url, answer_pings=True):
        if not url.startswith("ws://"):
            raise AssertionError(f"expected a ws:// URL, got {url}")
        self.answer_pings = answer_pings
        self.pings = []   # payloads of the server's pings
        self.pongs = []   # (payload, monotonic time) of the server's pongs
        self.close_code = None
        self._open(url)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise Closed(self.close_code)
        self.buf += chunk

    def ack(self, envelope, payload=None):
        frame = {"envelope_id": envelope["envelope_id"]}
        if payload is not None:
            frame["payload"] = payload
        self.send(frame)

    def ping(self, data=b"client"):
        self.send_raw(0x9, data)

    def close(self, code=1000):
        try:
            self.send_raw(0x8, struct.pack("!H", code))
        except OSError:
            pass

    def _control(self, opcode, payload):
        if opcode == 0x9:
            self.pings.append(payload)
            if self.answer_pings:
                self.send_raw(0xA, payload)
        elif opcode == 0xA:
            self.pongs.append((payload, time.monotonic()))
        elif opcode == 0x8:
            self.close_code = (struct.unpack("!H", payload[:2])[0]
                               if len(payload) >= 2 else None)
            raise Closed(self.close_code)

    def next(self, timeout=5):
        """The next text frame; fails the test when none comes in time."""
        frame = self.recv(timeout)
        if frame is None:
            raise AssertionError(f"no frame within {timeout}s")
        return frame

    def wait_closed(self, timeout=5):
        """The server's close code (None: TCP closed without a close frame);
        fails if the socket is still open after `timeout`."""
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                self.recv(deadline - time.monotonic())
        except Closed as e:
            return e.code
        raise AssertionError(f"socket still open after {timeout}s")

    def wait_quiet(self, seconds):
        """No text frame for `seconds` (control frames allowed)."""
        frame = self.recv(seconds)
        if frame is not None:
            raise AssertionError(f"unexpected frame {frame}")

    def shutdown(self):
        self.sock.close()


class SocketModeTestCase(SimTestCase):

    sim_args = (f"--app-token={APP}", f"--workspace=T0SIM0002:{TWO}:Second",
                f"--app-token=T0SIM0002:{APP_TWO}")

    def setUp(self):
        super().setUp()
        self.config(**FAST)

    def config(self, **fields):
        return self.sim.post("socket_mode/config", fields)["config"]

    def open_url(self, token=APP):
        answer = self.sim.api("apps.connections.open", token=token)
        self.assertTrue(answer["ok"], answer)
        return answer["url"]

    def link(self, token=APP, **kwargs):
        s = LinkSocket(self.open_url(token), **kwargs)
        self.addCleanup(s.shutdown)
        return s

    def connect(self, token=APP, **kwargs):
        """A socket past its hello."""
        s = self.link(token, **kwargs)
        hello = s.next()
        self.assertEqual(hello["type"], "hello", hello)
        return s, hello

    def sockets(self):
        return {s["id"]: s for s in self.sim.get("socket_mode/sockets")
                ["sockets"]}

    def counters(self, team="T0SIM0001"):
        apps = self.sim.get("socket_mode")["apps"]
        return next(a for a in apps if a["team"] == team)["counters"]

    def acks(self):
        return self.sim.get("socket_mode/acks")["acks"]

    def say(self, text, team="T0SIM0001"):
        return self.sim.post("message", {"channel": "C0GENERAL",
                                         "user": "U0ALICE", "text": text,
                                         "team": team})["ts"]


class OpenTest(SocketModeTestCase):

    def test_only_an_app_token_in_the_header_opens_a_socket(self):
        url = self.open_url()
        parts = urllib.parse.urlsplit(url)
        query = urllib.parse.parse_qs(parts.query)
        self.assertEqual((parts.scheme, parts.port, parts.path),
                         ("ws", self.sim.port, "/link/"))
        self.assertEqual(query["app_id"], ["A0APP0001"])
        self.assertTrue(query["ticket"][0])
        # A bot token, an app token in the body, an unknown token.
        self.assertEqual(self.sim.api("apps.connections.open"),
                         {"ok": False, "error": "not_allowed_token_type"})
        self.assertEqual(
            self.sim.api("apps.connections.open", {"token": APP}, token=""),
            {"ok": False, "error": "not_authed"})
        self.assertEqual(
            self.sim.api("apps.connections.open", token="xapp-1-A0X-1-no"),
            {"ok": False, "error": "invalid_auth"})
        # The app token works for nothing else.
        self.assertEqual(self.sim.api("auth.test", token=APP),
                         {"ok": False, "error": "not_allowed_token_type"})
        self.assertTrue(self.sim.api("auth.test")["ok"])
        # No app token is logged or listed.
        self.assertNotIn("xapp", json.dumps(self.sim.get("workspaces")))
        self.assertNotIn("xapp", json.dumps(self.sim.calls()))

    def test_the_url_is_single_use_and_must_be_used_whole(self):
        url = self.open_url()
        first = LinkSocket(url)
        self.addCleanup(first.shutdown)
        self.assertEqual(first.next()["type"], "hello")
        again = LinkSocket(url)
        self.addCleanup(again.shutdown)
        self.assertEqual(again.wait_closed(), 1008)
        # Without its app_id, a fresh ticket is refused too.
        cut = LinkSocket(self.open_url().split("&app_id=")[0])
        self.addCleanup(cut.shutdown)
        self.assertEqual(cut.wait_closed(), 1008)
        refused = [s for s in self.sockets().values() if s["refused"]]
        self.assertEqual([s["refused"] for s in refused],
                         ["invalid_ticket", "invalid_ticket"])

    def test_hello_counts_the_apps_sockets(self):
        _, hello = self.connect()
        self.assertEqual(hello["num_connections"], 1)
        self.assertEqual(hello["connection_info"], {"app_id": "A0APP0001"})
        self.assertEqual(hello["debug_info"]["approximate_connection_time"],
                         18060)
        self.assertIn("host", hello["debug_info"])
        _, hello = self.connect()
        self.assertEqual(hello["num_connections"], 2)
        # Another app's sockets do not count.
        _, hello = self.connect(APP_TWO)
        self.assertEqual((hello["num_connections"],
                          hello["connection_info"]["app_id"]),
                         (1, "A0APP0002"))
        # debug_reconnects: a 360 s lifetime, as Slack says.
        s = LinkSocket(self.open_url() + "&debug_reconnects=true")
        self.addCleanup(s.shutdown)
        self.assertEqual(s.next()["debug_info"]["approximate_connection_time"],
                         360)


class EnvelopeTest(SocketModeTestCase):

    def test_events_come_as_events_api_envelopes_and_acks_are_recorded(self):
        s, _ = self.connect()
        ts = self.say("hello app")
        envelope = s.next()
        self.assertEqual(
            {k: envelope[k] for k in ("type", "accepts_response_payload",
                                      "retry_attempt", "retry_reason")},
            {"type": "events_api", "accepts_response_payload": False,
             "retry_attempt": 0, "retry_reason": ""})
        payload = envelope["payload"]
        self.assertEqual((payload["type"], payload["team_id"],
                          payload["api_app_id"]),
                         ("event_callback", "T0SIM0001", "A0APP0001"))
        self.assertTrue(payload["event_id"].startswith("Ev"))
        self.assertEqual(payload["authorizations"][0]["team_id"], "T0SIM0001")
        event = payload["event"]
        self.assertEqual((event["type"], event["text"], event["ts"],
                          event["event_ts"], event["channel"]),
                         ("message", "hello app", ts, ts, "C0GENERAL"))
        s.ack(envelope)
        ack = wait_for(self.acks, 5, "the ack")[0]
        self.assertEqual((ack["envelope_id"], ack["event_id"], ack["type"],
                          ack["retry_attempt"], ack["duplicate"],
                          ack["late"], ack["payload"]),
                         (envelope["envelope_id"], payload["event_id"],
                          "events_api", 0, False, False, None))
        # /_sim/inject reaches the app as well, each event in its envelope;
        # other teams' events do not.
        self.say("for team two", team="T0SIM0002")
        self.sim.post("inject", {"events": [{"type": "reaction_added",
                                             "reaction": "tada"}],
                                 "team": "T0SIM0001"})
        envelope = s.next()
        self.assertEqual(envelope["payload"]["event"],
                         {"type": "reaction_added", "reaction": "tada"})
        s.ack(envelope)
        wait_for(lambda: len(self.acks()) == 2, 5, "two acks")
        self.assertEqual(self.counters()["acks"], 2)

    def test_events_go_round_robin_over_the_apps_sockets(self):
        a, _ = self.connect()
        b, _ = self.connect()
        for i in range(4):
            self.say(f"rr {i}")
        got_a = [a.next(), a.next()]
        got_b = [b.next(), b.next()]
        texts = sorted(e["payload"]["event"]["text"] for e in got_a + got_b)
        self.assertEqual(texts, [f"rr {i}" for i in range(4)])
        for sock, envs in ((a, got_a), (b, got_b)):
            for e in envs:
                sock.ack(e)
        wait_for(lambda: len(self.acks()) == 4, 5, "four acks")
        a.wait_quiet(0.1)
        b.wait_quiet(0.1)

    def test_slash_commands_and_interactive_take_a_response_payload(self):
        s, _ = self.connect()
        answer = self.sim.post("socket_mode/slash",
                               {"command": "/deploy", "text": "now"})
        envelope = s.next()
        self.assertEqual((envelope["type"], envelope["envelope_id"],
                          envelope["accepts_response_payload"]),
                         ("slash_commands", answer["envelope_id"], True))
        self.assertNotIn("retry_attempt", envelope)
        self.assertEqual((envelope["payload"]["command"],
                          envelope["payload"]["text"]), ("/deploy", "now"))
        s.ack(envelope, {"text": "deploying"})
        self.sim.post("socket_mode/interactive",
                      {"payload": {"type": "view_submission"}})
        envelope = s.next()
        self.assertEqual((envelope["type"], envelope["payload"]["type"],
                          envelope["accepts_response_payload"]),
                         ("interactive", "view_submission", True))
        s.ack(envelope, {"response_action": "clear"})
        acks = wait_for(lambda: len(self.acks()) == 2 and self.acks(), 5,
                        "two acks")
        self.assertEqual([(a["type"], a["payload"]) for a in acks],
                         [("slash_commands", {"text": "deploying"}),
                          ("interactive", {"response_action": "clear"})])
        # Not retried: nothing more comes.
        s.wait_quiet(0.5)

    def test_an_event_not_acked_comes_again_with_retry_attempt(self):
        s, _ = self.connect()
        self.say("ack me")
        first = s.next()
        second = s.next(2)
        self.assertEqual((second["retry_attempt"], second["retry_reason"]),
                         (1, "timeout"))
        self.assertEqual(second["payload"]["event_id"],
                         first["payload"]["event_id"])
        self.assertNotEqual(second["envelope_id"], first["envelope_id"])
        # A late ack of the first still counts; the event is done.
        s.ack(first)
        s.ack(second)
        wait_for(lambda: len(self.acks()) == 2, 5, "two acks")
        s.wait_quiet(0.7)
        # Never acked: retries until max_retries, then given up.
        self.config(max_retries=1)
        self.say("never acked")
        attempts = [s.next()["retry_attempt"], s.next(2)["retry_attempt"]]
        self.assertEqual(attempts, [0, 1])
        wait_for(lambda: self.counters()["expired"] == 1, 5, "expiry")
        s.wait_quiet(0.1)

    def test_events_without_a_socket_wait_and_come_as_retries(self):
        self.say("while away")
        wait_for(lambda: self.sim.get("socket_mode")["apps"][0]["queued"] == 1,
                 5, "a queued event")
        s, _ = self.connect()
        envelope = s.next()
        self.assertEqual((envelope["payload"]["event"]["text"],
                          envelope["retry_attempt"]), ("while away", 1))
        s.ack(envelope)


class FaultTest(SocketModeTestCase):

    def test_disconnect_warning_then_close_after_the_grace_period(self):
        s, _ = self.connect()
        sid = max(self.sockets())
        answer = self.sim.post("socket_mode/disconnect", {"reason": "warning"})
        self.assertEqual(answer["sockets"], [sid])
        frame = s.next()
        self.assertEqual((frame["type"], frame["reason"]),
                         ("disconnect", "warning"))
        # Still open for a while: events still come on it.
        self.say("during the warning")
        s.ack(s.next())
        self.assertEqual(s.wait_closed(), 1001)
        socket_info = self.sockets()[sid]
        self.assertEqual((socket_info["open"], socket_info["closed_by"],
                          socket_info["disconnects"]),
                         (False, "server", ["warning"]))
        # refresh_requested: closed after grace_ms.
        s, _ = self.connect()
        self.sim.post("socket_mode/disconnect",
                      {"reason": "refresh_requested"})
        self.assertEqual(s.next()["reason"], "refresh_requested")
        self.assertEqual(s.wait_closed(), 1001)
        self.assertEqual(self.counters()["disconnects"], 2)

    def test_link_disabled_refuses_new_sockets_until_enabled(self):
        s, _ = self.connect()
        self.sim.post("socket_mode/disconnect", {"reason": "link_disabled"})
        self.assertEqual(s.next()["reason"], "link_disabled")
        self.assertEqual(s.wait_closed(), 1001)
        answer = self.sim.api("apps.connections.open", token=APP)
        self.assertFalse(answer["ok"])
        self.sim.post("socket_mode/link", {"enabled": True})
        self.connect()

    def test_too_many_websockets(self):
        self.config(max_sockets=2)
        self.connect()
        self.connect()
        third = self.link()
        frame = third.next()
        self.assertEqual((frame["type"], frame["reason"]),
                         ("disconnect", "too_many_websockets"))
        self.assertEqual(third.wait_closed(), 1000)
        self.assertEqual(self.counters()["too_many_websockets"], 1)
        self.assertEqual(
            len(self.sim.get("socket_mode")["apps"][0]["live_sockets"]), 2)

    def test_revoked_app_token_closes_and_refuses(self):
        s, _ = self.connect()
        stale_url = self.open_url()
        answer = self.sim.post("revoke", {"token": APP})
        self.assertEqual((answer["revoked"], answer["closed"]), (1, 1))
        self.assertEqual(s.wait_closed(), 1001)
        self.assertEqual(self.sim.api("apps.connections.open", token=APP),
                         {"ok": False, "error": "token_revoked"})
        stale = LinkSocket(stale_url)
        self.addCleanup(stale.shutdown)
        self.assertEqual(stale.wait_closed(), 1008)
        # The bot token still works; restoring brings the app back.
        self.assertTrue(self.sim.api("auth.test")["ok"])
        self.sim.post("revoke", {"token": APP, "restore": True})
        self.connect()

    def test_server_pings_and_client_close_codes(self):
        self.config(ping_interval_ms=50)
        s, _ = self.connect()
        sid = max(self.sockets())
        wait_for(lambda: s.recv(0.05) is None and len(s.pings) >= 2, 5,
                 "two server pings")
        self.assertTrue(s.pings[0].startswith(b"Ping from "))
        wait_for(lambda: self.sockets()[sid]["pongs"] >= 2, 5,
                 "our pongs recorded")
        s.close(4000)
        self.assertEqual(s.wait_closed(), 4000)
        # Closed from the close frame on; the code is read with the end of
        # the TCP connection.
        self.assertFalse(self.sockets()[sid]["open"])
        s.shutdown()
        info = wait_for(lambda: (self.sockets()[sid]["client_close_code"]
                                 and self.sockets()[sid]), 5, "the close")
        self.assertEqual((info["closed_by"], info["client_close_code"],
                          info["close_frame"]), ("client", 4000, True))

    def test_silence_loses_frames_and_pongs_then_redelivers(self):
        self.config(ping_interval_ms=50, max_retries=20)
        s, _ = self.connect()
        sid = max(self.sockets())
        self.sim.post("socket_mode/silence", {"socket": sid, "ms": 800})
        silenced_at = time.monotonic()
        s.ping(b"anyone?")
        self.say("into the void")
        # What was on its way before the silence is read first.
        s.wait_quiet(0.1)
        pings_before = len(s.pings)
        s.wait_quiet(0.4)
        self.assertEqual((s.pongs, len(s.pings)), ([], pings_before))
        self.assertTrue(self.sim.get("socket_mode/envelopes")
                        ["envelopes"][0]["lost"])
        # After the silence, a retry of the event: the first copy was lost.
        envelope = s.next(3)
        self.assertGreaterEqual(time.monotonic() - silenced_at, 0.75)
        self.assertGreaterEqual(envelope["retry_attempt"], 1)
        self.assertEqual(envelope["payload"]["event"]["text"], "into the void")
        s.ack(envelope)
        s.ping(b"back?")
        wait_for(lambda: s.recv(0.05) is None and s.pongs, 5, "a pong")

    def test_late_pongs_and_no_pongs(self):
        s, _ = self.connect()
        sid = max(self.sockets())
        self.sim.post("socket_mode/pongs", {"socket": sid, "delay_ms": 400})
        sent = time.monotonic()
        s.ping(b"slow")
        wait_for(lambda: s.recv(0.05) is None and s.pongs, 5, "a late pong")
        self.assertGreaterEqual(s.pongs[0][1] - sent, 0.35)
        self.assertEqual(s.pongs[0][0], b"slow")
        self.sim.post("socket_mode/pongs", {"socket": sid, "answer": False})
        s.ping(b"none")
        s.wait_quiet(0.4)
        self.assertEqual(len(s.pongs), 1)
        self.assertEqual(self.sockets()[sid]["client_pings"], 2)


class HostileTest(SocketModeTestCase):

    def test_bad_frames_and_bad_control_calls_change_nothing(self):
        s, _ = self.connect()
        for data in (b"not json", b"null", b"[1,2]", b'{"envelope_id":7}',
                     b'{"envelope_id":"nope"}'):
            s.send_raw(0x1, data)
        s.send_raw(0x2, b"\x00\x01binary")
        wait_for(lambda: self.counters()["bad_frames"] == 5, 5,
                 "five bad frames")
        self.assertEqual(self.counters()["unknown_acks"], 1)
        for path, body in (
                ("socket_mode/config", {"ack_timeout_ms": -1}),
                ("socket_mode/config", {"max_sockets": "many"}),
                ("socket_mode/disconnect", {"reason": 3}),
                ("socket_mode/disconnect", {"reason": "x", "socket": 99}),
                ("socket_mode/silence", {"ms": "long"}),
                ("socket_mode/pongs", {"delay_ms": 1e9}),
                ("socket_mode/event", {"event": []}),
                ("socket_mode/raw", {"text": "a", "binary": "b"}),
                ("socket_mode/link", {"enabled": "yes"}),
                ("socket_mode/slash", {"team": "T0NOPE"})):
            status, answer = post_error(self.sim, path, body)
            self.assertEqual(status, 400, (path, body, answer))
        self.assertEqual(post_error(self.sim, "socket_mode/nope", {})[0], 404)
        self.assertEqual(self.config()["ack_timeout_ms"], 300)
        # The socket still works.
        self.say("still here")
        envelope = s.next()
        s.ack(envelope)
        wait_for(lambda: self.counters()["acks"] == 1, 5, "the ack")

    def test_reset_forgets_acks_and_faults(self):
        s, _ = self.connect()
        sid = max(self.sockets())
        self.sim.post("socket_mode/link", {"enabled": False})
        self.sim.post("socket_mode/pongs", {"socket": sid, "answer": False})
        self.say("before reset")
        s.ack(s.next())
        wait_for(self.acks, 5, "the ack")
        self.sim.post("reset")
        self.assertEqual(self.acks(), [])
        self.assertEqual(self.counters()["acks"], 0)
        s.ping(b"after reset")
        wait_for(lambda: s.recv(0.05) is None and s.pongs, 5, "a pong")
        self.connect()


if __name__ == "__main__":
    harness.main()
