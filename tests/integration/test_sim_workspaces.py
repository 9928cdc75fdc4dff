"""The simulator's workspaces: --workspace teams, per-team event delivery,
the "team" filter of the control endpoints, revoked tokens, and the team
each record carries."""

import json
import os
import subprocess
import unittest
import urllib.error

import harness
from harness import RtmSocket, SimTestCase, wait_for

TWO = "xoxb-team-two"
THREE = "xoxb-team-three"


class As:
    """The simulator as seen with another token: RtmSocket calls api()."""

    def __init__(self, sim, token):
        self.sim, self.token = sim, token

    def api(self, method, params=None, token=None):
        return self.sim.api(method, params, token=token or self.token)


def rtm(sim, token=harness.TOKEN, **params):
    return RtmSocket(As(sim, token), **params)


def post_error(sim, path, body):
    """(status, answer) of a control call the simulator refuses."""
    try:
        answer = sim.post(path, body)
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())
    raise AssertionError(f"/_sim/{path} {body} was accepted: {answer}")


class WorkspaceTestCase(SimTestCase):

    sim_args = (f"--workspace=T0SIM0002:{TWO}:Second",
                f"--workspace=T0SIM0003:{THREE}")

    def socket(self, token=harness.TOKEN, **params):
        s = rtm(self.sim, token, **params)
        self.addCleanup(s.close)
        return s

    def marker(self, sock, team, text):
        """Sends a message to `team` alone; it must be `sock`'s next frame,
        which proves that nothing else reached that socket before it."""
        answer = self.sim.post("message", {"channel": "C0GENERAL",
                                           "text": text, "team": team})
        self.assertEqual(answer["delivered"], 1)
        event = sock.events(1, 5)[0]
        self.assertEqual((event["type"], event.get("text"), event["team"]),
                         ("message", text, team))

    def sim_log(self):
        self.sim.log.flush()
        with open(self.sim.log.name) as f:
            return f.read()


class IdentityTest(WorkspaceTestCase):

    def test_each_workspace_answers_with_its_own_team(self):
        expected = {harness.TOKEN: ("T0SIM0001", "Simulated", "sim"),
                    TWO: ("T0SIM0002", "Second", "second"),
                    THREE: ("T0SIM0003", "T0SIM0003", "t0sim0003")}
        for token, (tid, name, domain) in expected.items():
            connect = self.sim.api("rtm.connect", token=token)
            self.assertEqual(connect["team"],
                             {"id": tid, "name": name, "domain": domain})
            self.assertEqual(connect["self"]["id"], "U0BOT0001")
            auth = self.sim.api("auth.test", token=token)
            self.assertEqual((auth["team_id"], auth["team"], auth["url"]),
                             (tid, name, f"https://{domain}.slack.com/"))
            info = self.sim.api("team.info", token=token)["team"]
            self.assertEqual((info["id"], info["name"], info["domain"]),
                             (tid, name, domain))
            start = self.sim.api("rtm.start", token=token)
            self.assertEqual(start["team"]["id"], tid)
            # One shared layout: the same channels in every workspace.
            self.assertIn("C0GENERAL", [c["id"] for c in start["channels"]])
        self.assertEqual(self.sim.api("auth.test", token="xoxb-nobody"),
                         {"ok": False, "error": "invalid_auth"})

    def test_workspaces_lists_teams_and_open_sockets_without_tokens(self):
        self.socket(TWO)
        self.socket(TWO)
        self.socket()
        answer = self.sim.get("workspaces")
        self.assertNotIn("xoxb", json.dumps(answer))
        self.assertEqual(
            [(w["id"], w["name"], w["tokens"], w["open_sockets"])
             for w in answer["workspaces"]],
            [("T0SIM0001", "Simulated", 1, 1), ("T0SIM0002", "Second", 1, 2),
             ("T0SIM0003", "T0SIM0003", 1, 0)])


class DeliveryTest(WorkspaceTestCase):

    def setUp(self):
        super().setUp()
        self.one = self.socket()
        self.two = self.socket(TWO)

    def test_targeted_message_reaches_only_its_team(self):
        answer = self.sim.post("message", {"channel": "C0GENERAL",
                                           "user": "U0ALICE", "text": "two?",
                                           "team": "T0SIM0002"})
        self.assertEqual(answer["delivered"], 1)
        self.assertEqual(self.two.events(1, 5)[0],
                         {"type": "message", "channel": "C0GENERAL",
                          "user": "U0ALICE", "text": "two?",
                          "ts": answer["ts"], "team": "T0SIM0002"})
        self.marker(self.one, "T0SIM0001", "one only")
        # Without "team": every socket, each told its own team.
        everyone = self.sim.post("message", {"channel": "C0DEV",
                                             "text": "all"})
        self.assertEqual(everyone["delivered"], 2)
        self.assertEqual(self.one.events(1, 5)[0]["team"], "T0SIM0001")
        self.assertEqual(self.two.events(1, 5)[0]["team"], "T0SIM0002")
        self.assertEqual(post_error(self.sim, "message",
                                    {"channel": "C0DEV", "text": "x",
                                     "team": "T0NOPE"}),
                         (400, {"ok": False, "error": "team_not_found"}))

    def test_post_message_reaches_only_the_callers_team(self):
        post = self.sim.api("chat.postMessage",
                            {"channel": "C0DEV", "text": "from two"},
                            token=TWO)
        self.assertTrue(post["ok"], post)
        event = self.two.events(1, 5)[0]
        self.assertEqual((event["type"], event["text"], event["ts"],
                          event["user"], event["team"]),
                         ("message", "from two", post["ts"], "U0BOT0001",
                          "T0SIM0002"))
        self.marker(self.one, "T0SIM0001", "after the post")

    def test_rtm_message_reaches_only_the_senders_team(self):
        self.two.send({"type": "message", "id": 1, "channel": "C0DEV",
                       "text": "over rtm"})
        ack, event = self.two.events(2, 5)
        self.assertEqual((ack["ok"], ack["reply_to"]), (True, 1))
        self.assertEqual((event["text"], event["ts"], event["team"]),
                         ("over rtm", ack["ts"], "T0SIM0002"))
        self.marker(self.one, "T0SIM0001", "after the frame")

    def test_control_endpoints_take_a_team(self):
        def only_two(path, body, key="delivered", count=1):
            answer = self.sim.post(path, dict(body, team="T0SIM0002"))
            self.assertEqual(answer[key], count, answer)
            return answer

        only_two("inject", {"events": [{"type": "user_typing",
                                        "channel": "C0DEV",
                                        "user": "U0BOB"}]})
        self.assertEqual(self.two.events(1, 5)[0]["type"], "user_typing")
        only_two("raw", {"text": '{"type":"raw_one"}'})
        self.assertEqual(self.two.events(1, 5)[0], {"type": "raw_one"})
        only_two("goodbye", {})
        self.assertEqual(self.two.events(1, 5)[0], {"type": "goodbye"})
        # member_joined_channel names the team: each socket's own.
        change = only_two("team", {"action": "member_joined_channel",
                                   "channel": "C0DEV", "user": "U0BOB"})
        event = self.two.events(1, 5)[0]
        self.assertEqual(event, change["events"][0])
        self.assertEqual(event["team"], "T0SIM0002")
        self.marker(self.one, "T0SIM0001", "nothing before me")
        both = self.sim.post("team", {"action": "member_left_channel",
                                      "channel": "C0DEV", "user": "U0BOB"})
        self.assertEqual(both["delivered"], 2)
        self.assertEqual(self.one.events(1, 5)[0]["team"], "T0SIM0001")
        self.assertEqual(self.two.events(1, 5)[0]["team"], "T0SIM0002")
        # A single injected event is sent as is, "team" included, to all.
        single = self.sim.post("inject", {"type": "x", "team": "TFOREIGN"})
        self.assertEqual(single["delivered"], 2)
        self.assertEqual(self.one.events(1, 5)[0], {"type": "x",
                                                    "team": "TFOREIGN"})
        self.assertEqual(self.two.events(1, 5)[0], {"type": "x",
                                                    "team": "TFOREIGN"})
        for path in ("inject", "raw", "goodbye", "drop", "team", "presence",
                     "flood"):
            body = {"events": []} if path == "inject" else {}
            self.assertEqual(post_error(self.sim, path,
                                        dict(body, team="T0NOPE")),
                             (400, {"ok": False, "error": "team_not_found"}),
                             path)

    def test_presence_and_flood_take_a_team(self):
        for sock in (self.one, self.two):
            sock.send({"type": "presence_sub", "ids": ["U0BOB"]})
        # The subscriptions are in once a later frame has been answered.
        for sock in (self.one, self.two):
            sock.send({"type": "ping", "id": 7})
            self.assertEqual(sock.events(1, 5)[0]["type"], "pong")
        answer = self.sim.post("presence", {"user": "U0BOB",
                                            "presence": "active",
                                            "team": "T0SIM0002"})
        self.assertEqual((answer["changed"], answer["delivered"]),
                         (["U0BOB"], 1))
        self.assertEqual(self.two.events(1, 5)[0],
                         {"type": "presence_change", "user": "U0BOB",
                          "presence": "active"})
        flood = self.sim.post("flood", {"count": 3, "team": "T0SIM0002",
                                        "spread": True})
        self.assertEqual(flood["sockets"], 1)
        frames = self.two.events(3, 10)
        self.assertEqual([f["sim_seq"] for f in frames], [0, 1, 2])
        self.assertTrue(all(f["team"] == "T0SIM0002" for f in frames))
        self.marker(self.one, "T0SIM0001", "no presence, no flood")

    def test_drop_with_a_team_leaves_the_other_team_open(self):
        answer = self.sim.post("drop", {"mode": "close", "team": "T0SIM0002"})
        self.assertEqual(answer["dropped"], 1)
        with self.assertRaises(ConnectionError):
            self.two.events(1, 5)
        self.assertEqual([c["team"] for c in self.sim.open_connections()],
                         ["T0SIM0001"])
        self.marker(self.one, "T0SIM0001", "still here")


class RevokeTest(WorkspaceTestCase):

    def test_revoking_a_token_closes_its_sockets_and_refuses_its_calls(self):
        one = self.socket()
        two = self.socket(TWO)
        answer = self.sim.post("revoke", {"token": TWO})
        self.assertEqual(answer, {"ok": True, "revoked": 1, "closed": 1})
        with self.assertRaises(ConnectionError):
            two.events(1, 5)
        wait_for(lambda: [c["team"] for c in self.sim.open_connections()]
                 == ["T0SIM0001"], 5, "team two's socket closed")
        for method in ("rtm.connect", "auth.test", "chat.postMessage"):
            self.assertEqual(self.sim.api(method, {"channel": "C0DEV",
                                                   "text": "x"}, token=TWO),
                             {"ok": False, "error": "token_revoked"})
        # The other team carries on.
        self.assertTrue(self.sim.api("rtm.connect")["ok"])
        self.marker(one, "T0SIM0001", "unaffected")
        # A reset does not bring the token back; restore does.
        self.sim.post("reset")
        self.assertEqual(self.sim.api("auth.test", token=TWO)["error"],
                         "token_revoked")
        self.assertEqual(self.sim.post("revoke", {"token": TWO,
                                                  "restore": True}),
                         {"ok": True, "restored": 1})
        self.assertTrue(self.sim.api("auth.test", token=TWO)["ok"])
        self.assertNotIn(TWO, self.sim_log())

    def test_revoking_a_team_and_bad_requests(self):
        one = self.socket()
        self.socket(TWO)
        answer = self.sim.post("revoke", {"team": "T0SIM0001"})
        self.assertEqual(answer, {"ok": True, "revoked": 1, "closed": 1})
        with self.assertRaises(ConnectionError):
            one.events(1, 5)
        self.assertEqual(self.sim.api("rtm.connect")["error"],
                         "token_revoked")
        self.assertTrue(self.sim.api("rtm.connect", token=THREE)["ok"])
        listed = {w["id"]: w for w in self.sim.get("workspaces")["workspaces"]}
        self.assertEqual((listed["T0SIM0001"]["open_sockets"],
                          listed["T0SIM0002"]["open_sockets"]), (0, 1))
        self.assertEqual(post_error(self.sim, "revoke", {"token": "xoxb-no"}),
                         (400, {"ok": False, "error": "token_not_found"}))
        self.assertEqual(post_error(self.sim, "revoke", {"team": "T0NOPE"}),
                         (400, {"ok": False, "error": "team_not_found"}))
        status, body = post_error(self.sim, "revoke", {})
        self.assertEqual((status, body["error"]), (400, "invalid_arguments"))

    def test_a_ticket_of_a_revoked_token_is_refused(self):
        url = self.sim.api("rtm.connect", token=TWO)["url"]
        self.sim.post("revoke", {"token": TWO})

        class Fixed:
            def api(self, method, params=None, token=None):
                return {"ok": True, "url": url}

        class Closing(RtmSocket):
            def __init__(self, sim):
                try:
                    super().__init__(sim)
                except BaseException:
                    if hasattr(self, "sock"):
                        self.sock.close()
                    raise

        with self.assertRaises(AssertionError) as refused:
            Closing(Fixed())
        self.assertIn("Socket URL has expired", str(refused.exception))
        last = self.sim.get("connections")["connections"][-1]
        self.assertEqual((last["accepted"], last["team"]), (False, None))


class RecordTest(WorkspaceTestCase):

    def test_records_carry_the_team(self):
        two = self.socket(TWO)
        self.sim.api("chat.postMessage", {"channel": "C0DEV", "text": "a"},
                     token=TWO)
        self.sim.api("chat.postMessage", {"channel": "C0DEV", "text": "b"})
        self.sim.api("auth.test", token="xoxb-unknown")
        two.send({"type": "ping", "id": 1})
        two.events(2, 5)  # the posted message's event, then the pong
        calls = self.sim.calls()
        self.assertEqual([(c["method"], c["team"]) for c in calls],
                         [("rtm.connect", "T0SIM0002"),
                          ("chat.postMessage", "T0SIM0002"),
                          ("chat.postMessage", "T0SIM0001"),
                          ("auth.test", None)])
        self.assertEqual([p["team"] for p in self.sim.posts()],
                         ["T0SIM0002", "T0SIM0001"])
        sent = wait_for(lambda: self.sim.get("sent")["frames"], 5,
                        "the ping recorded")
        self.assertEqual([(f["frame"]["type"], f["team"]) for f in sent],
                         [("ping", "T0SIM0002")])
        self.assertEqual([c["team"] for c in self.sim.open_connections()],
                         ["T0SIM0002"])
        self.assertNotIn(TWO, json.dumps(self.sim.get("calls")))


class DefaultTest(SimTestCase):
    """No --workspace: one team, as always; message events name it."""

    def test_one_team_as_before(self):
        sock = RtmSocket(self.sim)
        self.addCleanup(sock.close)
        self.assertEqual(self.sim.api("rtm.connect")["team"],
                         {"id": "T0SIM0001", "name": "Simulated",
                          "domain": "sim"})
        self.assertEqual([(w["id"], w["tokens"], w["open_sockets"])
                          for w in self.sim.get("workspaces")["workspaces"]],
                         [("T0SIM0001", 1, 1)])
        self.sim.say("C0GENERAL", "hi")
        self.assertEqual(sock.events(1, 5)[0]["team"], "T0SIM0001")


class OptionTest(unittest.TestCase):
    """Bad --workspace values: exit 2, and the token is never printed."""

    def run_sim(self, *args):
        proc = subprocess.run(
            [os.path.join(harness.BIN, "slackrtm-sim"), "--port=0", *args],
            capture_output=True, text=True, timeout=10)
        return proc.returncode, proc.stderr

    def test_bad_workspaces_exit_2(self):
        secret = "xoxb-secret-77"
        cases = [
            ([f"--workspace=T0SIM0002{secret}"], "TEAM_ID:TOKEN"),
            ([f"--workspace=t2:{secret}"], "TEAM_ID"),
            (["--workspace=T0SIM0002:"], "TOKEN"),
            ([f"--workspace=T0SIM0002:{secret}:"], "NAME"),
            ([f"--workspace=T0SIM0001:{secret}"], "default team"),
            ([f"--workspace=T0SIM0002:{secret}",
              "--workspace=T0SIM0002:xoxb-other"], "given twice"),
            ([f"--workspace=T0SIM0002:{secret}",
              f"--workspace=T0SIM0003:{secret}"], "already belongs"),
            ([f"--token={secret}", f"--workspace=T0SIM0002:{secret}"],
             "already belongs"),
            ([f"--workspace=T0SIM0002:{harness.TOKEN}"], "already belongs"),
        ]
        for args, message in cases:
            code, err = self.run_sim(*args)
            self.assertEqual(code, 2, args)
            self.assertIn(message, err, args)
            self.assertNotIn("secret", err, args)


if __name__ == "__main__":
    harness.main()
