"""Integration test harness: runs slackrtm-sim and the programs over loopback.

Every wait is a condition polled under a deadline; nothing sleeps and hopes.
"""

import base64
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
import urllib.request

BIN = os.environ.get("SLACKRTM_BIN", "")
TOKEN = "xoxb-sim-token"


def wait_for(predicate, timeout, what):
    """Polls predicate until it returns a truthy value or timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)


class Sim:
    """A running slackrtm-sim on a free loopback port."""

    def __init__(self, *args, scheme="http", context=None):
        self.dir = tempfile.mkdtemp(prefix="slackrtm-sim-")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "sim.log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(BIN, "slackrtm-sim"), "--port=0",
             f"--port-file={port_file}", *args],
            stdout=subprocess.DEVNULL, stderr=self.log)
        self.port = int(wait_for(lambda: self._read(port_file), 10,
                                 "the simulator's port file"))
        self.scheme = scheme
        self.context = context
        self.api_url = f"{scheme}://127.0.0.1:{self.port}/api/"
        # The control interface is always reached over the same port.
        self.control = f"{scheme}://127.0.0.1:{self.port}/_sim/"

    @staticmethod
    def _read(path):
        try:
            with open(path) as f:
                text = f.read().strip()
            return text if text.endswith(tuple("0123456789")) else None
        except FileNotFoundError:
            return None

    def request(self, method, path, body=None, context=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.control + path, data=data,
                                     method=method)
        if data is not None:
            req.add_header("Content-Type", "application/json")
        context = context or self.context
        with urllib.request.urlopen(req, timeout=10, context=context) as res:
            return json.loads(res.read())

    def get(self, path, context=None):
        return self.request("GET", path, context=context)

    def post(self, path, body=None, context=None):
        return self.request("POST", path, body if body is not None else {},
                            context=context)

    def say(self, channel, text, user="U0USER001"):
        return self.post("message", {"channel": channel, "user": user,
                                     "text": text})["ts"]

    def api(self, method, params=None, token=TOKEN):
        """A Web API call (form body, bearer token); Slack's JSON answer."""
        data = urllib.parse.urlencode(params or {}).encode()
        req = urllib.request.Request(self.api_url + method, data=data,
                                     method="POST")
        req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=10,
                                    context=self.context) as res:
            return json.loads(res.read())

    def posts(self, context=None):
        return self.get("posts", context=context)["posts"]

    def calls(self, method=None, context=None):
        calls = self.get("calls", context=context)["calls"]
        return [c for c in calls if method is None or c["method"] == method]

    def open_connections(self, context=None):
        conns = self.get("connections", context=context)["connections"]
        return [c for c in conns if c["open"]]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Program:
    """A slackrtm program (echo bot, ...) with its output captured."""

    def __init__(self, name, *args, token=TOKEN, env=None):
        self.dir = tempfile.mkdtemp(prefix=f"{name}-")
        self.out = open(os.path.join(self.dir, "stdout"), "w+")
        self.err = open(os.path.join(self.dir, "stderr"), "w+")
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("SLACK_")}
        if token is not None:
            full_env["SLACK_BOT_TOKEN"] = token
        full_env.update(env or {})
        self.proc = subprocess.Popen([os.path.join(BIN, name), *args],
                                     stdout=self.out, stderr=self.err,
                                     env=full_env)

    def stdout(self):
        self.out.flush()
        with open(self.out.name) as f:
            return f.read()

    def stderr(self):
        self.err.flush()
        with open(self.err.name) as f:
            return f.read()

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"still running after {timeout}s; stderr:\n{self.stderr()}")

    def stop(self):
        """SIGTERM, then the exit code (the test fails if it hangs)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(15)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


class RtmSocket:
    """A bare RTM client for driving the simulator directly: rtm.connect,
    then JSON text frames over a plain ws:// WebSocket (RFC 6455)."""

    def __init__(self, sim, **connect_params):
        answer = sim.api("rtm.connect", connect_params)
        if not answer.get("ok"):
            raise AssertionError(f"rtm.connect failed: {answer}")
        self._open(answer["url"])
        hello = self.recv(10)
        if hello != {"type": "hello"}:
            raise AssertionError(f"expected hello, got {hello}")

    def _open(self, url):
        """The TCP connection and WebSocket handshake to `url`, as given."""
        url = urllib.parse.urlsplit(url)
        self.sock = socket.create_connection((url.hostname, url.port), 10)
        key = base64.b64encode(os.urandom(16)).decode()
        target = url.path + ("?" + url.query if url.query else "")
        self.sock.sendall(
            (f"GET {target} HTTP/1.1\r\nHost: {url.netloc}\r\n"
             "Upgrade: websocket\r\nConnection: Upgrade\r\n"
             f"Sec-WebSocket-Key: {key}\r\n"
             "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        self.buf = b""
        while b"\r\n\r\n" not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        if b" 101 " not in head.split(b"\r\n")[0]:
            raise AssertionError(f"no WebSocket upgrade: {head!r}")

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("socket closed")
        self.buf += chunk

    def _frame(self):
        """(opcode, payload) of a complete frame at the buffer's start, or
        None; nothing is consumed until a frame is whole."""
        if len(self.buf) < 2:
            return None
        size, at = self.buf[1] & 0x7F, 2
        if size == 126:
            if len(self.buf) < 4:
                return None
            size, at = struct.unpack("!H", self.buf[2:4])[0], 4
        elif size == 127:
            if len(self.buf) < 10:
                return None
            size, at = struct.unpack("!Q", self.buf[2:10])[0], 10
        if len(self.buf) < at + size:
            return None
        opcode, payload = self.buf[0] & 0x0F, self.buf[at:at + size]
        self.buf = self.buf[at + size:]
        return opcode, payload

    def send(self, frame):
        self.send_raw(0x1, json.dumps(frame).encode())

    def send_raw(self, opcode, data):
        """One masked frame, as a client sends it."""
        mask = os.urandom(4)
        head = bytes([0x80 | opcode])
        if len(data) < 126:
            head += bytes([0x80 | len(data)])
        elif len(data) < 65536:
            head += bytes([0x80 | 126]) + struct.pack("!H", len(data))
        else:
            head += bytes([0x80 | 127]) + struct.pack("!Q", len(data))
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(data))
        self.sock.sendall(head + mask + body)

    def recv(self, timeout):
        """The next text frame as JSON, or None when none came in time."""
        deadline = time.monotonic() + timeout
        while True:
            frame = self._frame()
            if frame is not None:
                opcode, payload = frame
                if opcode == 0x1:
                    return json.loads(payload)
                self._control(opcode, payload)
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(left)
            try:
                self._fill()
            except socket.timeout:
                return None

    def _control(self, opcode, payload):
        """A frame other than text: a close frame ends the socket."""
        if opcode == 0x8:
            raise ConnectionError("server closed the socket")

    def events(self, count, timeout):
        """The next `count` frames (fails the test when they do not come)."""
        deadline = time.monotonic() + timeout
        out = []
        while len(out) < count:
            left = deadline - time.monotonic()
            frame = self.recv(max(left, 0.01)) if left > 0 else None
            if frame is None:
                raise AssertionError(
                    f"got {len(out)} of {count} frames in {timeout}s: {out}")
            out.append(frame)
        return out

    def close(self):
        self.sock.close()


class SimTestCase(unittest.TestCase):
    """Starts a fresh simulator per test and cleans up every process."""

    sim_args = ()

    def setUp(self):
        self.sim = Sim(*self.sim_args)
        self.programs = []

    def tearDown(self):
        for p in self.programs:
            p.kill()
        self.sim.stop()
        failed = self._failed()
        for p in self.programs:
            if failed:
                sys.stderr.write(f"--- {p.proc.args[0]} stderr:\n{p.stderr()}")
            p.out.close()
            p.err.close()

    def _failed(self):
        """True when this test has failed so far (unittest keeps no public
        flag; Python 3.11 records failures on the result at once)."""
        outcome = getattr(self, "_outcome", None)
        result = getattr(outcome, "result", None)
        if result is not None:
            return any(test is self
                       for test, _ in result.failures + result.errors)
        return outcome is not None and not outcome.success

    def start(self, name, *args, **kwargs):
        program = Program(name, *args, **kwargs)
        self.programs.append(program)
        return program

    def start_echo(self, *args, **kwargs):
        args = (f"--api-url={self.sim.api_url}",) + args
        return self.start("slackrtm-echo", *args, **kwargs)

    def wait_connected(self, count=1, timeout=10, context=None):
        wait_for(lambda: len(self.sim.open_connections(context)) >= count,
                 timeout, f"{count} open socket(s)")


def main():
    """Runs the tests of the calling module; --bin DIR names the programs."""
    global BIN
    args = sys.argv[1:]
    if len(args) >= 2 and args[0] == "--bin":
        BIN = args[1]
        args = args[2:]
    if not BIN:
        sys.exit("usage: test_x.py --bin BUILD/bin [unittest args]")
    unittest.main(module="__main__", argv=[sys.argv[0], "-v", *args])
