"""Integration test harness: runs slackrtm-sim and the programs over loopback.

Every wait is a condition polled under a deadline; nothing sleeps and hopes.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import unittest
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
