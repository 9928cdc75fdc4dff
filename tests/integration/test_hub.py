"""Many workspaces in one process, and handler nodes on other processes:
slackrtm-hub holds the tokens and connections, slackrtm-echo --hub=... runs
the handler. Every wait is a condition with a deadline."""

import os
import re
import signal
import subprocess
import tempfile
import threading

import harness
from harness import SimTestCase, wait_for

SECRET = "hub-test-secret"
TEAM_ONE = "T0SIM0001"
TEAM_TWO = "T0SIM0002"
TOKEN_TWO = "xoxb-team-two"
APP_ONE = "xapp-1-A0APP0001-1-secret"


def port_of(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return int(text) if text.isdigit() else None
    except FileNotFoundError:
        return None


class HubTest(SimTestCase):

    sim_args = (f"--workspace={TEAM_TWO}:{TOKEN_TWO}:Second",
                f"--app-token={APP_ONE}")

    # -- helpers -------------------------------------------------------------

    def start_hub(self, *args, tokens=None, tokens_file=None, port=0,
                  bot_token=None):
        env = {"SLACKRTM_HUB_SECRET": SECRET}
        if tokens is not None:
            env["SLACKRTM_TOKENS"] = tokens
        if bot_token is not None:
            env["SLACK_BOT_TOKEN"] = bot_token
        self.port_file = os.path.join(self.sim.dir, "hub-port")
        extra = [f"--tokens-file={tokens_file}"] if tokens_file else []
        hub = self.start("slackrtm-hub", f"--api-url={self.sim.api_url}",
                         f"--listen=127.0.0.1:{port}",
                         f"--port-file={self.port_file}",
                         *extra, *args, token=None, env=env)
        self.hub_port = wait_for(lambda: port_of(self.port_file), 15,
                                 "the hub's port file")
        return hub

    def start_node(self, secret=SECRET, *args):
        args = getattr(self, "node_args", ()) + args
        return self.start("slackrtm-echo", f"--hub=127.0.0.1:{self.hub_port}",
                          *args, token=None,
                          env={"SLACKRTM_HUB_SECRET": secret})

    def wait_joined(self, node, times=1):
        wait_for(lambda: node.stderr().count("joined the hub") >= times, 15,
                 "the node to join the hub")

    def say(self, team, channel, text):
        return self.sim.post("message", {"channel": channel, "user": "U0USER001",
                                         "text": text, "team": team})["ts"]

    def replies(self):
        """(team, thread ts) -> number of replies posted."""
        counts = {}
        for post in self.sim.posts():
            key = (post.get("team"), post["params"].get("thread_ts"))
            counts[key] = counts.get(key, 0) + 1
        return counts

    def wait_answered(self, hellos, timeout=30):
        def done():
            counts = self.replies()
            missing = [h for h in hellos if counts.get(h, 0) == 0]
            return counts if not missing else None
        return wait_for(done, timeout, f"replies to all {len(hellos)} Hellos")

    @staticmethod
    def replied_lines(program):
        return re.findall(r"^replied to .*$", program.stdout(), re.M)

    # -- tests ---------------------------------------------------------------

    def test_a_hub_with_two_nodes_answers_every_hello_of_two_workspaces(self):
        self.start_hub(tokens=f"one=xoxb-sim-token,two={TOKEN_TWO}")
        self.wait_connected(2)
        node_a, node_b = self.start_node(), self.start_node()
        self.wait_joined(node_a)
        self.wait_joined(node_b)
        hellos = []
        for i in range(60):
            team = TEAM_ONE if i % 2 == 0 else TEAM_TWO
            hellos.append((team, self.say(team, f"C{i % 12:08d}", "Hello")))
        counts = self.wait_answered(hellos)
        # No node failed, so none was answered twice.
        self.assertEqual(sum(counts.values()), len(hellos))
        for team, ts in hellos:
            self.assertEqual(counts[(team, ts)], 1)
        # Both nodes served, and each reply went out in the Hello's own
        # workspace (the posts above are keyed by the replying token's team).
        # A node prints its line once Slack answered the post: wait for all.
        def lines():
            a, b = self.replied_lines(node_a), self.replied_lines(node_b)
            return (a, b) if len(a) + len(b) == len(hellos) else None

        lines_a, lines_b = wait_for(lines, 10, "every reply line")
        self.assertGreater(len(lines_a), 0)
        self.assertGreater(len(lines_b), 0)
        every = lines_a + lines_b
        self.assertEqual(sum(line.endswith("[one]") for line in every), 30)
        self.assertEqual(sum(line.endswith("[two]") for line in every), 30)

    def test_the_hub_takes_slack_bot_token_as_its_help_says(self):
        help_text = subprocess.run(
            [os.path.join(harness.BIN, "slackrtm-hub"), "--help"],
            capture_output=True, text=True, check=True).stdout
        self.assertIn("SLACK_BOT_TOKEN", help_text)
        self.start_hub(bot_token=harness.TOKEN)
        self.wait_connected(1)
        node = self.start_node()
        self.wait_joined(node)
        ts = self.say(TEAM_ONE, "C0GENERAL", "Hello")
        self.wait_answered([(TEAM_ONE, ts)])

    def test_a_socket_mode_app_and_an_rtm_workspace_share_the_nodes(self):
        hub = self.start_hub(
            tokens=f"one=xoxb-sim-token {APP_ONE},two={TOKEN_TWO}")
        # Workspace one over Socket Mode (two sockets), two over RTM.
        wait_for(lambda: len([s for s in self.sim.get("socket_mode/sockets")
                              ["sockets"] if s["open"]]) == 2, 15,
                 "workspace one's two Socket Mode sockets")
        self.wait_connected(1)
        self.assertEqual(self.sim.calls("rtm.connect")[0]["team"], TEAM_TWO)
        node = self.start_node()
        self.wait_joined(node)
        hellos = [(team, self.say(team, "C1", f"Hello {team} {i}"))
                  for i in range(5) for team in (TEAM_ONE, TEAM_TWO)]
        counts = self.wait_answered(hellos)
        for hello in hellos:
            self.assertEqual(counts[hello], 1, hello)
        acks = self.sim.get("socket_mode/acks")["acks"]
        self.assertTrue(acks)
        self.assertTrue(all(a["delay_ms"] < 3000 for a in acks))
        self.assertNotIn("xapp-", hub.stderr() + hub.stdout())

    def test_a_node_replies_over_the_socket_of_the_events_workspace(self):
        self.start_hub(tokens=f"one=xoxb-sim-token,two={TOKEN_TWO}")
        self.wait_connected(2)
        node = self.start_node(SECRET, "--via-socket")
        self.wait_joined(node)
        ts = self.say(TEAM_TWO, "C0GENERAL", "Hello")

        def replies_sent():
            return [f for f in self.sim.get("sent")["frames"]
                    if isinstance(f.get("frame"), dict)
                    and f["frame"].get("type") == "message"
                    and f["frame"].get("thread_ts") == ts]

        frames = wait_for(replies_sent, 15, "the reply over the socket")
        self.assertEqual(len(frames), 1)
        self.assertEqual(frames[0]["team"], TEAM_TWO)
        self.assertEqual(frames[0]["frame"]["text"], "Hi <@U0USER001>!")
        # Slack's acknowledgement came back to the node through the hub.
        wait_for(lambda: "replied to <@U0USER001>" in node.stdout(), 10,
                 "the node to get Slack's acknowledgement")
        self.assertEqual(self.sim.posts(), [])

    def test_killing_a_node_mid_stream_loses_no_hello(self):
        hub = self.start_hub(tokens="one=xoxb-sim-token")
        self.wait_connected(1)
        node_a, node_b = self.start_node(), self.start_node()
        self.wait_joined(node_a)
        self.wait_joined(node_b)
        hellos = []
        stop = threading.Event()

        def speak():
            i = 0
            while not stop.is_set() and i < 400:
                hellos.append((TEAM_ONE, self.say(TEAM_ONE, f"C{i % 16:08d}",
                                                  "Hello")))
                i += 1

        speaker = threading.Thread(target=speak)
        speaker.start()
        try:
            wait_for(lambda: len(self.replied_lines(node_a)) >= 20, 30,
                     "node A to answer some Hellos")
            node_a.proc.send_signal(signal.SIGKILL)
            node_a.proc.wait()
        finally:
            speaker.join()
        self.assertGreater(len(hellos), 100)
        counts = self.wait_answered(hellos, timeout=60)
        duplicates = sum(counts.values()) - len(hellos)
        self.assertGreaterEqual(duplicates, 0)
        self.assertEqual(hub.stop(), 0)
        summary = re.search(r"hub: \d+ events, (\d+) redelivered", hub.stdout())
        self.assertIsNotNone(summary, hub.stdout())
        # Every Hello answered twice was one the dead node had not confirmed.
        self.assertLessEqual(duplicates, int(summary.group(1)))
        print(f"\nhub: {len(hellos)} Hellos, 0 lost, {duplicates} answered "
              f"twice, {summary.group(1)} redelivered after SIGKILL")

    def test_the_hub_holds_events_until_a_node_comes_back(self):
        self.start_hub("--expect=message", tokens="one=xoxb-sim-token")
        self.wait_connected(1)
        node = self.start_node()
        self.wait_joined(node)
        first = (TEAM_ONE, self.say(TEAM_ONE, "C0GENERAL", "Hello"))
        self.wait_answered([first])
        node.proc.send_signal(signal.SIGKILL)
        node.proc.wait()
        # No node now: these wait in the hub.
        held = [(TEAM_ONE, self.say(TEAM_ONE, f"C{i:08d}", "Hello"))
                for i in range(5)]
        again = self.start_node()
        self.wait_joined(again)
        self.wait_answered(held)
        # The returning node answered them all (it prints each line once
        # Slack has answered its post, so the line may come a little later).
        wait_for(lambda: all(f"(thread {ts}," in again.stdout()
                             for _, ts in held), 10,
                 "the returning node's reply lines")

    def test_a_node_rejoins_a_restarted_hub_by_itself(self):
        hub = self.start_hub(tokens="one=xoxb-sim-token")
        self.wait_connected(1)
        node = self.start_node()
        self.wait_joined(node)
        self.assertEqual(hub.stop(), 0)
        wait_for(lambda: "lost the hub" in node.stderr(), 15,
                 "the node to notice")
        # The same port again: the node keeps trying it.
        port = self.hub_port
        os.remove(self.port_file)
        self.start_hub(tokens="one=xoxb-sim-token", port=port)
        self.assertEqual(self.hub_port, port)
        self.wait_joined(node, times=2)
        hello = (TEAM_ONE, self.say(TEAM_ONE, "C0GENERAL", "Hello"))
        self.wait_answered([hello])

    def test_a_stranger_without_the_secret_is_refused(self):
        hub = self.start_hub(tokens="one=xoxb-sim-token")
        self.wait_connected(1)
        stranger = self.start_node("not-the-secret")
        self.assertEqual(stranger.wait_exit(15), 1)
        self.assertIn("refused this node: wrong secret", stranger.stderr())
        self.assertNotIn("not-the-secret", stranger.stderr())
        self.assertNotIn(SECRET, hub.stderr() + hub.stdout())
        self.assertIn("refused a handler node", hub.stderr())

    def test_a_workspace_reconnecting_or_revoked_leaves_the_other_alone(self):
        hub = self.start_hub(tokens=f"one=xoxb-sim-token,two={TOKEN_TWO}")
        self.wait_connected(2)
        node = self.start_node()
        self.wait_joined(node)
        before = [c["id"] for c in self.sim.open_connections()
                  if c.get("team") == TEAM_ONE]
        # Workspace two's socket is reset: it reconnects alone.
        self.sim.post("drop", {"mode": "reset", "team": TEAM_TWO})
        wait_for(lambda: hub.stdout().count("workspace two: connected") >= 2,
                 15, "workspace two to reconnect")
        self.assertEqual(hub.stdout().count("workspace one: connected"), 1)
        self.sim.post("revoke", {"token": TOKEN_TWO})
        wait_for(lambda: "workspace two: error (token_revoked)" in hub.stdout(),
                 15, "the hub to give up on workspace two")
        hello = (TEAM_ONE, self.say(TEAM_ONE, "C0GENERAL", "Hello"))
        self.wait_answered([hello])
        after = [c["id"] for c in self.sim.open_connections()
                 if c.get("team") == TEAM_ONE]
        self.assertEqual(before, after)
        self.assertNotIn("xoxb-", hub.stdout() + hub.stderr())

    def test_sighup_adds_and_removes_workspaces_without_touching_others(self):
        tokens = os.path.join(self.sim.dir, "tokens")
        with open(tokens, "w") as f:
            f.write("# workspaces\none=xoxb-sim-token\n")
        hub = self.start_hub(tokens_file=tokens)
        self.wait_connected(1)
        node = self.start_node()
        self.wait_joined(node)
        first = self.sim.open_connections()[0]["id"]
        with open(tokens, "w") as f:
            f.write(f"one=xoxb-sim-token\ntwo={TOKEN_TWO}\n")
        hub.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: any(c.get("team") == TEAM_TWO
                             for c in self.sim.open_connections()), 15,
                 "workspace two's socket")
        self.assertIn(first, [c["id"] for c in self.sim.open_connections()])
        hello = (TEAM_TWO, self.say(TEAM_TWO, "C0GENERAL", "Hello"))
        self.wait_answered([hello])
        with open(tokens, "w") as f:
            f.write(f"two={TOKEN_TWO}\n")
        hub.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: not any(c["id"] == first
                                 for c in self.sim.open_connections()), 15,
                 "workspace one's socket to close")
        hello = (TEAM_TWO, self.say(TEAM_TWO, "C0GENERAL", "Hello again"))
        self.wait_answered([hello])
        self.assertEqual(hub.stop(), 0)


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_ca(directory, name):
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", f"{name}.key", "-out", f"{name}.pem",
            "-subj", f"/CN=slackrtm {name}",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    return os.path.join(directory, f"{name}.pem")


def make_cert(directory, ca, name, san=None):
    """A certificate and key for `name`, signed by the CA `ca`, for the
    names `san` (subjectAltName) when given."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
            "-out", f"{name}.csr", "-subj", f"/CN={name}", cwd=directory)
    extra = []
    if san:
        with open(os.path.join(directory, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        extra = ["-extfile", f"{name}.ext"]
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.pem",
            "-CAkey", f"{ca}.key", "-CAcreateserial", "-out", f"{name}.pem",
            "-days", "2", *extra, cwd=directory)
    return (os.path.join(directory, f"{name}.pem"),
            os.path.join(directory, f"{name}.key"))


class HubTlsTest(HubTest):
    """The same hub and nodes over TLS (transport/tls_tunnel), both sides
    showing a certificate of the same CA; a node without one, or with one of
    another CA, never joins."""

    @classmethod
    def setUpClass(cls):
        cls.pki = tempfile.mkdtemp(prefix="slackrtm-hub-pki-")
        cls.ca = make_ca(cls.pki, "ca")
        make_ca(cls.pki, "other-ca")
        # Nodes check the hub's name: these tests reach it as 127.0.0.1.
        cls.hub_cert = make_cert(cls.pki, "ca", "hub",
                                 "IP:127.0.0.1,DNS:localhost")
        cls.misnamed_cert = make_cert(cls.pki, "ca", "elsewhere",
                                      "DNS:hub.example.org")
        cls.node_cert = make_cert(cls.pki, "ca", "node")
        cls.stranger_cert = make_cert(cls.pki, "other-ca", "stranger")
        cls.node_args = (f"--node-cert={cls.node_cert[0]}",
                         f"--node-key={cls.node_cert[1]}",
                         f"--node-ca={cls.ca}")

    def start_hub(self, *args, cert=None, **kwargs):
        cert = cert or self.hub_cert
        tls = (f"--node-cert={cert[0]}", f"--node-key={cert[1]}",
               f"--node-ca={self.ca}")
        return super().start_hub(*tls, *args, **kwargs)

    def test_a_node_refuses_a_hub_certified_for_another_name(self):
        # Signed by the trusted CA, but for hub.example.org, not 127.0.0.1.
        self.start_hub(tokens="one=xoxb-sim-token", cert=self.misnamed_cert)
        self.wait_connected(1)
        node = self.start("slackrtm-echo", f"--hub=127.0.0.1:{self.hub_port}",
                          *self.node_args, token=None,
                          env={"SLACKRTM_HUB_SECRET": SECRET})
        wait_for(lambda: "TLS to the hub failed" in node.stderr(), 30,
                 "the node's refusal of the hub's certificate")
        self.assertNotIn("joined the hub", node.stderr())

    def test_a_node_without_a_trusted_certificate_never_joins(self):
        self.start_hub(tokens="one=xoxb-sim-token")
        self.wait_connected(1)
        plain = self.start("slackrtm-echo", f"--hub=127.0.0.1:{self.hub_port}",
                           token=None, env={"SLACKRTM_HUB_SECRET": SECRET})
        stranger = self.start(
            "slackrtm-echo", f"--hub=127.0.0.1:{self.hub_port}",
            f"--node-cert={self.stranger_cert[0]}",
            f"--node-key={self.stranger_cert[1]}", f"--node-ca={self.ca}",
            token=None, env={"SLACKRTM_HUB_SECRET": SECRET})
        for program in (plain, stranger):
            wait_for(lambda: program.stderr().count("retrying in") >= 2
                     or "could not join" in program.stderr(), 30,
                     "failed attempts to reach the hub")
            self.assertNotIn("joined the hub", program.stderr())
        # A trusted node still joins and works.
        node = self.start_node()
        self.wait_joined(node)
        hello = (TEAM_ONE, self.say(TEAM_ONE, "C0GENERAL", "Hello"))
        self.wait_answered([hello])
        self.assertEqual(self.replied_lines(plain), [])
        self.assertEqual(self.replied_lines(stranger), [])


if __name__ == "__main__":
    harness.main()
