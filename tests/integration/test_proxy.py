"""HTTP proxies: the Web API calls and the RTM socket both go through a
CONNECT tunnel (from --proxy or the environment), NO_PROXY bypasses it, a
refusal is reported and retried, and TLS inside the tunnel still checks the
target's certificate."""

import base64

import harness
import test_tls
from connect_proxy import ConnectProxy
from harness import SimTestCase, wait_for

PROXY_VARS = ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY",
              "all_proxy", "ALL_PROXY", "no_proxy", "NO_PROXY")


def proxy_env(**variables):
    """The environment's proxy variables blanked (empty counts as unset),
    then `variables` set."""
    env = {name: "" for name in PROXY_VARS}
    env.update(variables)
    return env


def replies_to(posts, ts):
    return [p for p in posts if p["params"].get("thread_ts") == ts]


class ProxyTestCase(SimTestCase):

    def setUp(self):
        super().setUp()
        self.proxies = []

    def tearDown(self):
        for proxy in self.proxies:
            proxy.close()
        super().tearDown()

    def proxy(self, **kwargs):
        proxy = ConnectProxy(**kwargs)
        self.proxies.append(proxy)
        return proxy

    def sim_authority(self):
        return f"127.0.0.1:{self.sim.port}"

    def assert_hello_answered(self):
        self.wait_connected()
        ts = self.sim.say("C0GENERAL", "Hello through the proxy")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")

    def assert_all_went_through(self, proxy):
        """rtm.connect, the socket's upgrade and chat.postMessage each
        crossed a tunnel to the simulator."""
        def sent():
            return b"".join(t["sent"] for t in proxy.tunnels())
        wait_for(lambda: b"POST /api/chat.postMessage" in sent(), 10,
                 "chat.postMessage through the proxy")
        tunnels = proxy.tunnels()
        self.assertTrue(tunnels)
        for t in tunnels:
            self.assertEqual(t["target"], self.sim_authority())
            self.assertEqual(t["host"], self.sim_authority())
        data = sent()
        self.assertIn(b"POST /api/rtm.connect", data)
        self.assertIn(b"Upgrade: websocket", data)
        self.assertIn(b"User-Agent: slackrtm/", data)
        # The socket has a tunnel of its own, apart from the Web API's.
        self.assertTrue(any(t["sent"].startswith(b"GET ") for t in tunnels))
        self.assertTrue(any(t["sent"].startswith(b"POST ") for t in tunnels))


class ProxyTest(ProxyTestCase):

    def test_the_proxy_option_carries_the_web_api_and_the_socket(self):
        proxy = self.proxy()
        self.start_echo(f"--proxy={proxy.url()}", env=proxy_env())
        self.assert_hello_answered()
        self.assert_all_went_through(proxy)

    def test_http_proxy_from_the_environment(self):
        proxy = self.proxy()
        # http:// targets take HTTP_PROXY; HTTPS_PROXY (nothing listens
        # there) would be for https:// ones.
        self.start_echo(env=proxy_env(HTTP_PROXY=proxy.url(),
                                      HTTPS_PROXY="http://127.0.0.1:9"))
        self.assert_hello_answered()
        self.assert_all_went_through(proxy)

    def assert_bypassed(self, proxy, *args, **variables):
        bot = self.start_echo(*args, env=proxy_env(**variables))
        self.assert_hello_answered()
        self.assertEqual(bot.stop(), 0)
        self.assertEqual(proxy.snapshot(), [])

    def test_no_proxy_matching_the_simulator_bypasses_the_proxy(self):
        proxy = self.proxy()
        self.assert_bypassed(proxy, http_proxy=proxy.url(),
                             NO_PROXY="127.0.0.1")

    def test_no_proxy_with_the_simulator_port_bypasses_the_proxy(self):
        proxy = self.proxy()
        self.assert_bypassed(proxy, HTTP_PROXY=proxy.url(),
                             no_proxy=f"example.com, 127.0.0.1:{self.sim.port}")

    def test_no_proxy_applies_to_the_proxy_option_too(self):
        # curl's rule: the exceptions hold for a proxy given explicitly.
        proxy = self.proxy()
        self.assert_bypassed(proxy, f"--proxy={proxy.url()}", no_proxy="*")

    def test_a_no_proxy_entry_for_another_port_does_not_bypass(self):
        proxy = self.proxy()
        self.start_echo(env=proxy_env(HTTP_PROXY=proxy.url(),
                                      NO_PROXY="127.0.0.1:1,localhost"))
        self.assert_hello_answered()
        self.assert_all_went_through(proxy)

    def test_direct_ignores_the_environment(self):
        proxy = self.proxy()
        bot = self.start_echo("--proxy=direct",
                              env=proxy_env(HTTP_PROXY=proxy.url()))
        self.assert_hello_answered()
        self.assertEqual(bot.stop(), 0)
        self.assertEqual(proxy.snapshot(), [])

    def test_basic_credentials_are_sent(self):
        proxy = self.proxy(credentials=("bot", "pa:ss w@rd"))
        self.start_echo(f"--proxy={proxy.url('bot:pa%3Ass%20w%40rd')}",
                        env=proxy_env())
        self.assert_hello_answered()
        self.assert_all_went_through(proxy)

    def test_a_refusing_proxy_is_reported_and_retried(self):
        proxy = self.proxy(credentials=("bot", "right-password"))
        password = "wrong-s3cret-pw"
        bot = self.start_echo("--log-level=debug",
                              f"--proxy={proxy.url('bot:' + password)}",
                              env=proxy_env())
        wait_for(lambda: "proxy refused CONNECT: 407 Proxy Authentication "
                         "Required" in bot.stderr(), 10,
                 "the refusal to be reported")
        # Backoff: later attempts come, the bot stays up.
        wait_for(lambda: len(proxy.snapshot()) >= 3, 15,
                 "three CONNECT attempts")
        self.assertIsNone(bot.proc.poll())
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)
        output = bot.stdout() + bot.stderr()
        credentials = base64.b64encode(f"bot:{password}".encode()).decode()
        for secret in (password, credentials, harness.TOKEN):
            self.assertNotIn(secret, output)
        self.assertIn(f"proxy http://127.0.0.1:{proxy.port}", output)

    def test_a_proxy_that_refuses_everything(self):
        proxy = self.proxy(refuse=True)
        bot = self.start_echo(env=proxy_env(HTTP_PROXY=proxy.url()))
        wait_for(lambda: "proxy refused CONNECT: 407" in bot.stderr(), 10,
                 "the refusal to be reported")
        wait_for(lambda: len(proxy.snapshot()) >= 2, 15, "a retry")
        self.assertIsNone(bot.proc.poll())
        self.assertEqual(bot.stop(), 0)

    def test_an_unreachable_proxy_is_reported(self):
        bot = self.start_echo("--proxy=http://127.0.0.1:9", env=proxy_env())
        wait_for(lambda: "proxy http://127.0.0.1:9" in bot.stderr(), 10,
                 "the connection failure to be reported")
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)


class ProxyTlsTest(ProxyTestCase):
    san = "DNS:localhost,IP:127.0.0.1"

    def setUp(self):
        # The simulator with a test CA's certificate, as in test_tls.
        test_tls.TlsTest.setUp(self)
        self.proxies = []

    def test_tls_inside_the_tunnel_checks_the_target(self):
        proxy = self.proxy()
        self.start_echo(env=proxy_env(SSL_CERT_FILE=self.ca,
                                      HTTPS_PROXY=proxy.url(),
                                      HTTP_PROXY="http://127.0.0.1:9"))
        self.wait_connected()
        ts = self.sim.say("C1", "Hello over TLS through the proxy")
        wait_for(lambda: replies_to(self.sim.posts(), ts), 10, "the reply")
        tunnels = wait_for(lambda: len(proxy.tunnels()) >= 2 and
                           proxy.tunnels(), 10, "two tunnels")
        for t in tunnels:
            self.assertEqual(t["target"], self.sim_authority())
            # A TLS handshake record, not plain HTTP, crossed the proxy.
            self.assertEqual(t["sent"][:1], b"\x16")

    def test_an_untrusted_target_is_refused_through_the_proxy(self):
        proxy = self.proxy()
        bot = self.start_echo(f"--proxy={proxy.url()}", env=proxy_env())
        wait_for(lambda: "certificate verify failed" in bot.stderr(), 10,
                 "the TLS failure to be reported")
        self.assertTrue(proxy.tunnels())
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)


class ProxyTlsHostNameTest(ProxyTlsTest):
    # Trusted CA, but the certificate names localhost while the target is
    # 127.0.0.1: the name is checked against the target, not the proxy.
    san = "DNS:localhost"

    def test_the_target_name_is_verified_through_the_proxy(self):
        proxy = self.proxy()
        bot = self.start_echo(f"--proxy={proxy.url()}",
                              env=proxy_env(SSL_CERT_FILE=self.ca))
        wait_for(lambda: "certificate verify failed" in bot.stderr(), 10,
                 "the host name mismatch to be reported")
        self.assertTrue(proxy.tunnels())
        self.assertEqual(self.sim.calls(), [])
        self.assertEqual(bot.stop(), 0)

    test_tls_inside_the_tunnel_checks_the_target = None
    test_an_untrusted_target_is_refused_through_the_proxy = None


if __name__ == "__main__":
    harness.main()
