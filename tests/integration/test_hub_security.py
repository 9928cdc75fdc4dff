"""A peer that never shows the hub's secret reaches nothing but the
admission step: it connects to the hub's port, addresses the hub's actors by
guessed ids (slackrtm-hub-intruder), tries to read the dispatcher's counters,
to join a spy worker and to inject a fake Hello, from an actor and
anonymously. Issue 14, finding 1."""

import os

import harness
import test_hub
from harness import SimTestCase, wait_for
from test_hub import TEAM_ONE, TEAM_TWO, TOKEN_TWO

# The `ts` of the intruder's fake Hello (tests/integration/hub_intruder.cpp).
FAKE_TS = "1700000000.000777"


class HubSecurityTest(SimTestCase):

    sim_args = (f"--workspace={TEAM_TWO}:{TOKEN_TWO}:Second",)

    # The hub tests' helpers (not their tests).
    start_hub = test_hub.HubTest.start_hub
    start_node = test_hub.HubTest.start_node
    wait_joined = test_hub.HubTest.wait_joined
    say = test_hub.HubTest.say
    replies = test_hub.HubTest.replies

    def middleman_port(self, hub):
        """Where the intruder reaches the hub's middleman: its port."""
        return self.hub_port

    def test_an_unadmitted_peer_cannot_join_read_or_inject(self):
        hub = self.start_hub(tokens=f"one=xoxb-sim-token,two={TOKEN_TWO}")
        self.wait_connected(2)
        node = self.start_node()
        self.wait_joined(node)
        # Once the dispatcher has sent a job to a node, CAF lets any peer
        # address it by its id.
        first = (TEAM_ONE, self.say(TEAM_ONE, "C0FIRST00", "Hello"))
        wait_for(lambda: self.replies().get(first), 15, "the first reply")
        intruder = self.start("slackrtm-hub-intruder", "127.0.0.1",
                              str(self.middleman_port(hub)), TEAM_ONE,
                              token=None)
        wait_for(lambda: "spy joined" in intruder.stdout(), 30,
                 "the intruder's attempts")
        # With the real node gone, a joined spy would be the only member.
        node.kill()
        hellos = []
        for i in range(20):
            team = TEAM_ONE if i % 2 == 0 else TEAM_TWO
            hellos.append((team, self.say(team, f"C{i:08d}", "Hello")))
        self.wait_joined(self.start_node())

        def settled():
            counts = self.replies()
            if "spy saw" in intruder.stdout():
                return True
            return all(counts.get(h, 0) > 0 for h in hellos)

        wait_for(settled, 30, "every Hello answered (or the spy fed)")
        self.assertNotIn("spy saw", intruder.stdout())
        self.assertIn("stats answered: 0", intruder.stdout())
        counts = self.replies()
        for hello in hellos:
            self.assertGreaterEqual(counts.get(hello, 0), 1, hello)
        # The fake Hello was never routed, so nobody answered it.
        self.assertFalse([key for key in counts if key[1] == FAKE_TS])
        # The hub lives on, and logged the refusals once per peer: the
        # intruder's node, and "a hidden peer" for its anonymous sends.
        self.assertIsNone(hub.proc.poll())
        refusals = [line.split("] ", 1)[1] for line in hub.stderr().splitlines()
                    if "refused" in line and "unadmitted" in line]
        self.assertGreaterEqual(len(refusals), 1)
        self.assertLessEqual(len(refusals), 2, refusals)
        intruder.kill()
        self.assertEqual(hub.stop(), 0)


def listening_ports(pid):
    """The loopback TCP ports process `pid` listens on."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    ports = set()
    with open(f"/proc/{pid}/net/tcp") as f:
        for line in f.readlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state == "0A" and inode in inodes and \
                    local.startswith("0100007F:"):
                ports.add(int(local.split(":")[1], 16))
    return ports


class HubSecurityTlsTest(HubSecurityTest):
    """The same behind the hub's TLS tunnel. A peer without a certificate
    does not get through the tunnel; a local user reaches the middleman's
    loopback port behind it (finding 3, still open), and meets the same
    refusals there."""

    setUpClass = test_hub.HubTlsTest.__dict__["setUpClass"]

    def start_hub(self, *args, **kwargs):
        tls = (f"--node-cert={self.hub_cert[0]}",
               f"--node-key={self.hub_cert[1]}", f"--node-ca={self.ca}")
        return test_hub.HubTest.start_hub(self, *tls, *args, **kwargs)

    def middleman_port(self, hub):
        # Through the tunnel, without a certificate: no CAF connection.
        outside = self.start("slackrtm-hub-intruder", "127.0.0.1",
                             str(self.hub_port), TEAM_ONE, token=None)
        self.assertNotEqual(outside.wait_exit(30), 0)
        self.assertNotIn("spy joined", outside.stdout())
        ports = listening_ports(hub.proc.pid) - {self.hub_port}
        self.assertEqual(len(ports), 1, ports)
        return ports.pop()


class HubListenTest(SimTestCase):
    """Without TLS the hub listens beyond loopback only when told to, and
    then says that events cross in clear (issue 14, finding 9)."""

    start_hub = test_hub.HubTest.start_hub

    def test_plain_tcp_beyond_loopback_only_when_asked(self):
        refused = self.start("slackrtm-hub", f"--api-url={self.sim.api_url}",
                             "--listen=0.0.0.0:0", token=None,
                             env={"SLACKRTM_HUB_SECRET": "s3cret",
                                  "SLACKRTM_TOKENS": "one=xoxb-sim-token"})
        self.assertNotEqual(refused.wait_exit(30), 0)
        self.assertIn("without TLS", refused.stderr())
        self.assertNotIn("listening on", refused.stdout())
        hub = self.start_hub("--listen=0.0.0.0:0",
                             "--plain-tcp-beyond-loopback",
                             tokens="one=xoxb-sim-token")
        wait_for(lambda: "over plain TCP" in hub.stderr(), 15,
                 "the hub's warning")


if __name__ == "__main__":
    harness.main()
