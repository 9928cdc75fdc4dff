"""TLS: certificates checked against the trust store named by SSL_CERT_FILE,
host names verified, untrusted servers refused."""

import os
import ssl
import subprocess
import tempfile

import harness
from harness import Sim, SimTestCase, wait_for

APP = "xapp-1-A0APP0001-1-secret"


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def make_pki(directory, san):
    """A test CA and a server certificate for `san`, signed by it."""
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=slackrtm test CA",
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=directory)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=slackrtm sim", cwd=directory)
    with open(os.path.join(directory, "ext.cnf"), "w") as f:
        f.write(f"subjectAltName={san}\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey",
            "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2",
            "-extfile", "ext.cnf", cwd=directory)
    return (os.path.join(directory, "ca.pem"),
            os.path.join(directory, "server.pem"),
            os.path.join(directory, "server.key"))


class TlsTest(SimTestCase):
    san = "DNS:localhost,IP:127.0.0.1"

    def setUp(self):
        self.pki = tempfile.mkdtemp(prefix="slackrtm-pki-")
        self.ca, cert, key = make_pki(self.pki, self.san)
        # The harness's own control calls only need the chain checked.
        context = ssl.create_default_context(cafile=self.ca)
        context.check_hostname = False
        self.sim = Sim(f"--tls-cert={cert}", f"--tls-key={key}",
                       f"--app-token={APP}", scheme="https", context=context)
        self.programs = []

    def test_a_server_signed_by_the_trusted_ca_is_accepted(self):
        self.start_echo(env={"SSL_CERT_FILE": self.ca})
        self.wait_connected()
        ts = self.sim.say("C1", "Hello over TLS")
        wait_for(lambda: [p for p in self.sim.posts()
                          if p["params"].get("thread_ts") == ts], 10,
                 "the reply")

    def test_socket_mode_over_tls(self):
        bot = self.start_echo(env={"SSL_CERT_FILE": self.ca,
                                   "SLACK_APP_TOKEN": APP})
        wait_for(lambda: len([s for s in self.sim.get("socket_mode/sockets")
                              ["sockets"] if s["open"]]) == 2, 10,
                 "two Socket Mode sockets")
        ts = self.sim.say("C1", "Hello over Socket Mode and TLS")
        wait_for(lambda: [p for p in self.sim.posts()
                          if p["params"].get("thread_ts") == ts], 10,
                 "the reply")
        self.assertIn("opening socket to 127.0.0.1", bot.stderr())
        self.assertEqual(bot.stop(), 0)

    def test_a_tls_error_mid_session_is_repaired(self):
        bot = self.start_echo(env={"SSL_CERT_FILE": self.ca})
        self.wait_connected()
        # Bytes that are no TLS record, under the open socket.
        self.sim.post("drop", {"mode": "corrupt"})
        wait_for(lambda: len(self.sim.calls("rtm.connect")) >= 2, 10,
                 "a reconnect after the TLS error")
        self.wait_connected()
        ts = self.sim.say("C1", "Hello again")
        wait_for(lambda: [p for p in self.sim.posts()
                          if p["params"].get("thread_ts") == ts], 10,
                 "the reply on the new socket")
        self.assertRegex(bot.stderr(), r"socket lost: .*\(SSL routines\)")

    def test_an_untrusted_certificate_is_refused(self):
        bot = self.start_echo()  # system trust store only: no test CA
        wait_for(lambda: "certificate verify failed" in bot.stderr(), 10,
                 "the TLS failure to be reported")
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)


class TlsHostNameTest(TlsTest):
    # Trusted CA, but the certificate names another host than the one we
    # connect to (127.0.0.1).
    san = "DNS:localhost"

    def test_a_certificate_for_another_host_is_refused(self):
        bot = self.start_echo(env={"SSL_CERT_FILE": self.ca})
        wait_for(lambda: "certificate verify failed" in bot.stderr(), 10,
                 "the host name mismatch to be reported")
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)

    test_a_server_signed_by_the_trusted_ca_is_accepted = None
    test_an_untrusted_certificate_is_refused = None
    test_a_tls_error_mid_session_is_repaired = None
    test_socket_mode_over_tls = None


if __name__ == "__main__":
    harness.main()
