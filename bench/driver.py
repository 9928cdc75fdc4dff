#!/usr/bin/env python3
"""The benchmark: slackrtm's echo bot against the same bot on Node's
@slack/rtm-api and Go's slack-go, over loopback against slackrtm-sim; then
the same three over Socket Mode (@slack/socket-mode, slack-go's socketmode),
each bot switched as a user switches it: SLACK_APP_TOKEN set.

Each bot prints one JSON report line per simulator flood (when it has seen
every event of it, and every reply it owes is done); this driver starts the
simulator and the bots, floods, reads the reports and /proc, and prints the
table. Python 3 standard library only. scripts/bench is the way to run it.

Every wait is a condition polled under a deadline; nothing sleeps and hopes.
"""

import argparse
import json
import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
import harness  # noqa: E402

TOKEN = harness.TOKEN
# The simulator's app for the Socket Mode steps (app id A0BENCH01).
APP_TOKEN = "xapp-1-A0BENCH01-1-bench"
TICK = os.sysconf("SC_CLK_TCK")


class BenchError(Exception):
    pass


def wait_for(predicate, timeout, what):
    """harness.wait_for, failing with a BenchError (a step that failed)."""
    try:
        return harness.wait_for(predicate, timeout, what)
    except AssertionError as e:
        raise BenchError(str(e)) from None


def cpu_seconds(pid):
    """utime + stime of a process, from /proc/PID/stat."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def status_kb(pid, key):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise BenchError(f"no {key} for process {pid}")


class Sim(harness.Sim):
    """slackrtm-sim on a free loopback port (the integration tests' own);
    with `socket_mode`, its default team has the app of APP_TOKEN and the
    sockets counted are the app's."""

    def __init__(self, bin_dir, lenient=False, socket_mode=False):
        harness.BIN = bin_dir
        super().__init__("--url-ttl=600",
                         *(["--lenient-urls"] if lenient else []),
                         *([f"--app-token={APP_TOKEN}"] if socket_mode else []))
        self.socket_mode = socket_mode

    def open_sockets(self):
        if self.socket_mode:
            return sum(1 for s in self.get("socket_mode/sockets")["sockets"]
                       if s["open"])
        return len(self.open_connections())

    def cpu(self):
        return cpu_seconds(self.proc.pid)


class Bot:
    """One bot process; its stdout report lines are collected by a thread."""

    def __init__(self, kind, argv, workdir, clients, socket_mode=False):
        self.kind = kind
        env = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
        env["SLACK_BOT_TOKEN"] = TOKEN
        if socket_mode:
            env["SLACK_APP_TOKEN"] = APP_TOKEN
        mode = "-socket-mode" if socket_mode else ""
        self.err_path = os.path.join(workdir, f"{kind}{mode}-{clients}.stderr")
        self.err = open(self.err_path, "w")
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env, text=True)
        self.reports = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line.startswith("{"):
                try:
                    self.reports.put(json.loads(line))
                except ValueError:
                    pass

    def report(self, flood, timeout):
        """The full report of flood `flood`; on timeout, a partial one is
        asked for (SIGUSR2) and the failure names what was missing."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                r = self.reports.get(timeout=min(left, 0.5))
            except queue.Empty:
                if self.proc.poll() is not None:
                    raise BenchError(f"{self.kind} bot exited with "
                                     f"{self.proc.returncode}; see {self.err_path}")
                continue
            if r.get("flood") == flood and not r.get("partial"):
                return r
        partial = None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR2)
            try:
                partial = self.reports.get(timeout=5)
            except queue.Empty:
                pass
        raise BenchError(f"{self.kind} bot: flood {flood} not complete after "
                         f"{timeout:g}s: {partial}")

    def cpu(self):
        return cpu_seconds(self.proc.pid)

    def rss_kb(self):
        return status_kb(self.proc.pid, "VmRSS")

    def hwm_kb(self):
        return status_kb(self.proc.pid, "VmHWM")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def bot_argv(kind, args, api_url, clients, socket_mode):
    if kind == "slackrtm":
        return [os.path.join(args.bin, "slackrtm-bench-bot"),
                f"--api-url={api_url}", f"--clients={clients}",
                # The reconnect target is for an immediate first retry.
                "--min-backoff-ms=0", "--log-level=warning",
                *([f"--socket-mode-connections={args.sm_sockets}"]
                  if socket_mode else []),
                *args.bot_arg]
    if kind == "node":
        return ["node", os.path.join(HERE, "node", "bot.js"),
                f"--api-url={api_url}", f"--clients={clients}"]
    if kind == "go":
        return [args.go_bot, f"--api-url={api_url}", f"--clients={clients}"]
    raise ValueError(kind)


class Run:
    """One bot kind on a simulator of its own, over RTM or Socket Mode."""

    def __init__(self, kind, args, workdir, socket_mode=False):
        self.kind = kind
        self.args = args
        self.workdir = workdir
        self.socket_mode = socket_mode
        self.sim = Sim(args.bin, lenient=(kind == "go"),
                       socket_mode=socket_mode)
        self.bot = None

    def sockets_per_client(self):
        """Socket Mode: slackrtm holds --sm-sockets (its default, 2), the
        peers' libraries one each."""
        if not self.socket_mode:
            return 1
        return self.args.sm_sockets if self.kind == "slackrtm" else 1

    def start_bot(self, clients):
        if self.bot:
            self.bot.stop()
            wait_for(lambda: self.sim.open_sockets() == 0, 30,
                     "the previous bot's sockets to close")
        argv = bot_argv(self.kind, self.args, self.sim.api_url, clients,
                        self.socket_mode)
        self.bot = Bot(self.kind, argv, self.workdir, clients,
                       self.socket_mode)
        sockets = clients * self.sockets_per_client()
        wait_for(lambda: self.bot.proc.poll() is None and
                 self.sim.open_sockets() >= sockets,
                 self.args.connect_timeout,
                 f"{sockets} {self.kind} socket(s) to open")
        # A socket opens before its hello reaches the bot; one small flood
        # proves every socket is ready to handle events.
        self.flood(count=sockets, spread=True, hello="none")

    def flood(self, timeout=None, **spec):
        spec.setdefault("channels", 8)
        if self.socket_mode:
            spec["socket_mode"] = True
        status = self.sim.post("flood", spec)
        # The simulator answers once the frames are encoded: its CPU from
        # here on is what sending them costs.
        self.sim_cpu_sending = self.sim.cpu()
        report = self.bot.report(status["flood"],
                                 timeout or self.args.flood_timeout)
        if report["seen"] != report["total"]:
            raise BenchError(f"{self.kind}: saw {report['seen']} of "
                             f"{report['total']} events")
        self.sim_cpu_seen = self.sim.cpu()
        if self.socket_mode:
            # Every ack the bot owes, before the next flood takes the count.
            flood = status["flood"]
            status = wait_for(lambda: (lambda s: s if s["acks"] >= s["frames"]
                                       else None)(self.sim_status(flood)),
                              timeout or self.args.flood_timeout,
                              f"{self.kind}'s acks of flood {flood}")
        return status, report

    def sim_status(self, flood_id):
        status = self.sim.get("flood")
        if status.get("flood") != flood_id:
            raise BenchError("the simulator moved on to another flood")
        return status

    def close(self):
        if self.bot:
            self.bot.stop()
        self.sim.stop()


def measure_inbound(run, n, results):
    run.flood(count=max(n // 10, 100))  # warm-up: JITs, caches, buffers
    cpu0 = run.bot.cpu()
    status, report = run.flood(count=n)
    cpu1, sim_cpu1 = run.bot.cpu(), run.sim.cpu()
    sim = run.sim_status(status["flood"])
    seconds = (report["last_ns"] - sim["started_ns"]) / 1e9
    results["events_per_s"] = n / seconds
    results["cpu_us_per_event"] = (cpu1 - cpu0) * 1e6 / n
    results["peak_rss_mb"] = run.bot.hwm_kb() / 1024
    results["sim_send_rate"] = sim["send_rate"]
    results["sim_cpu_share"] = (sim_cpu1 - run.sim_cpu_sending) / seconds
    results["sim_encode_ms"] = sim["encode_ms"]


def measure_latency(run, rate, seconds, results):
    n = int(rate * seconds)
    status, report = run.flood(count=n, rate=rate)
    sim = run.sim_status(status["flood"])
    results["lat_p50_us"] = report["lat_p50_ns"] / 1e3
    results["lat_p99_us"] = report["lat_p99_ns"] / 1e3
    results["lat_max_us"] = report["lat_max_ns"] / 1e3
    results["lat_sim_rate"] = sim["send_rate"]


def measure_echo(run, n, results, prefix=""):
    """Echo round trips: a Hello in (over the socket), the reply out through
    chat.postMessage; `prefix` names the results (sm_ for Socket Mode)."""
    status, report = run.flood(count=n, hello="all")
    if report["reply_errors"]:
        raise BenchError(f"{run.kind}: {report['reply_errors']} replies failed")
    sim = run.sim_status(status["flood"])
    posts = [p for p in run.sim.get("posts")["posts"]
             if str(p["params"].get("text", "")).startswith("Hi <@")]
    if len(posts) < n:
        raise BenchError(f"{run.kind}: {len(posts)} replies posted of {n}")
    run.sim.post("reset")
    seconds = (report["reply_last_ns"] - sim["started_ns"]) / 1e9
    results[prefix + "echo_per_s"] = n / seconds
    results[prefix + "echo_p99_ms"] = report["rtt_p99_ns"] / 1e6


def measure_sm_inbound(run, n, results):
    """Socket Mode inbound: as measure_inbound, over the app's sockets, plus
    the delay of the bot's acks as the simulator saw them."""
    run.flood(count=max(n // 10, 100))  # warm-up: JITs, caches, buffers
    cpu0 = run.bot.cpu()
    sim, report = run.flood(count=n)  # the acks all in
    cpu1 = run.bot.cpu()
    seconds = (report["last_ns"] - sim["started_ns"]) / 1e9
    results["sm_sockets"] = sim["sockets"]
    results["sm_events_per_s"] = n / seconds
    results["sm_cpu_us_per_event"] = (cpu1 - cpu0) * 1e6 / n
    results["sm_peak_rss_mb"] = run.bot.hwm_kb() / 1024
    results["sm_ack_p50_ms"] = sim["ack_p50_ms"]
    results["sm_ack_p99_ms"] = sim["ack_p99_ms"]
    results["sm_sim_send_rate"] = sim["send_rate"]
    results["sm_sim_cpu_share"] = (run.sim_cpu_seen -
                                   run.sim_cpu_sending) / seconds


def measure_reconnect(run, times, results):
    samples = []
    for _ in range(times):
        armed = run.sim.post("flood", {"count": 1, "hello": "none",
                                       "on_next_connection": True})
        t0 = time.monotonic_ns()
        if run.sim.post("drop", {"mode": "reset"})["dropped"] < 1:
            raise BenchError("no socket to drop")
        report = run.bot.report(armed["flood"], run.args.flood_timeout)
        samples.append((report["first_ns"] - t0) / 1e6)
    samples.sort()
    results["reconnect_ms"] = samples[len(samples) // 2]
    results["reconnect_max_ms"] = samples[-1]


def measure_spread(run, spread, n, results):
    run.start_bot(spread)
    results["spread_idle_rss_mb"] = run.bot.rss_kb() / 1024
    results["threads_at_spread"] = status_kb(run.bot.proc.pid, "Threads")
    run.flood(count=max(n // 10, spread), spread=True)  # warm-up
    cpu0 = run.bot.cpu()
    status, report = run.flood(count=n, spread=True)
    cpu1 = run.bot.cpu()
    sim = run.sim_status(status["flood"])
    results["spread_events_per_s"] = n / ((report["last_ns"] -
                                          sim["started_ns"]) / 1e9)
    results["spread_cpu_us_per_event"] = (cpu1 - cpu0) * 1e6 / n
    results["spread_rss_mb"] = run.bot.rss_kb() / 1024


def measure_idle(run, idle, results):
    try:
        run.start_bot(idle)
    except (BenchError, AssertionError, OSError):
        # Say how far it got: open sockets and memory at the deadline.
        if run.bot and run.bot.proc.poll() is None:
            results["idle_rss_mb"] = run.bot.rss_kb() / 1024
            results["threads_at_idle"] = status_kb(run.bot.proc.pid,
                                                   "Threads")
            try:
                results["idle_open"] = wait_for(run.sim.open_sockets, 60,
                                                "the simulator to answer")
            except (BenchError, OSError):
                pass
        raise
    results["idle_open"] = idle
    results["idle_rss_mb"] = run.bot.rss_kb() / 1024
    results["idle_rss_kb_per_conn"] = run.bot.rss_kb() / idle
    results["threads_at_idle"] = status_kb(run.bot.proc.pid, "Threads")


def sink_rate(args, workdir, n):
    """The simulator's own send rate: a flood into a socket that only
    drains bytes (no parsing), so the sender is the only limit."""
    sim = Sim(args.bin)
    try:
        req = urllib.request.Request(sim.api_url + "rtm.connect", data=b"",
                                     headers={"Authorization": "Bearer " + TOKEN})
        with urllib.request.urlopen(req, timeout=10) as res:
            url = json.loads(res.read())["url"]
        path = url.split(str(sim.port), 1)[1]
        sock = socket.create_connection(("127.0.0.1", sim.port), timeout=10)
        sock.sendall((f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                      "Sec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(4096)
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise BenchError("sink: no WebSocket upgrade")
        wait_for(lambda: sim.open_sockets() == 1, 10, "the sink socket")
        stop = threading.Event()

        def drain():
            buf = bytearray(1 << 20)
            while not stop.is_set():
                try:
                    if sock.recv_into(buf) == 0:
                        return
                except socket.timeout:
                    continue
        sock.settimeout(0.2)
        drainer = threading.Thread(target=drain, daemon=True)
        drainer.start()
        status = sim.post("flood", {"count": n})
        done = wait_for(lambda: (lambda s: s if s.get("done") else None)(
            sim.get("flood")), args.flood_timeout, "the sink flood")
        stop.set()
        drainer.join(5)
        sock.close()
        return {"sink_send_rate": done["send_rate"],
                "sink_encode_ms": status["encode_ms"]}
    finally:
        sim.stop()


METRICS = [
    # key, label, unit, higher is better, format
    ("events_per_s", "inbound events/s (1 socket)", "", True, "{:,.0f}"),
    ("cpu_us_per_event", "CPU per event", "µs", False, "{:.2f}"),
    ("peak_rss_mb", "peak RSS through the flood", "MB", False, "{:.1f}"),
    ("lat_p50_us", "latency p50 at RATE/s", "µs", False, "{:,.0f}"),
    ("lat_p99_us", "latency p99 at RATE/s", "µs", False, "{:,.0f}"),
    ("lat_max_us", "latency max at RATE/s", "µs", False, "{:,.0f}"),
    ("lat_sim_rate", "rate the simulator achieved there", "events/s", True,
     "{:,.0f}"),
    ("echo_per_s", "echo round trips/s", "", True, "{:,.0f}"),
    ("echo_p99_ms", "echo round trip p99", "ms", False, "{:.2f}"),
    ("reconnect_ms", "reconnect to first event (median)", "ms", False, "{:.1f}"),
    ("idle_open", "idle connections opened", "", True, "{:,.0f}"),
    ("idle_rss_mb", "RSS, idle connections", "MB", False, "{:.1f}"),
    ("idle_rss_kb_per_conn", "RSS per idle connection", "kB", False, "{:.0f}"),
    ("spread_idle_rss_mb", "RSS, SPREAD sockets idle", "MB", False, "{:.1f}"),
    ("spread_events_per_s", "events/s over SPREAD sockets", "", True, "{:,.0f}"),
    ("spread_cpu_us_per_event", "CPU per event, SPREAD sockets", "µs", False,
     "{:.2f}"),
    ("spread_rss_mb", "RSS, SPREAD sockets after the flood", "MB", False, "{:.1f}"),
    ("sm_sockets", "Socket Mode: the app's sockets the bot held", "", None,
     "{:.0f}"),
    ("sm_events_per_s", "Socket Mode inbound events/s", "", True, "{:,.0f}"),
    ("sm_cpu_us_per_event", "Socket Mode CPU per event", "µs", False,
     "{:.2f}"),
    ("sm_peak_rss_mb", "Socket Mode peak RSS through the flood", "MB", False,
     "{:.1f}"),
    ("sm_ack_p50_ms", "Socket Mode ack delay p50 (simulator's view)", "ms",
     False, "{:.2f}"),
    ("sm_ack_p99_ms", "Socket Mode ack delay p99 (simulator's view)", "ms",
     False, "{:.2f}"),
    ("sm_echo_per_s", "Socket Mode echo round trips/s", "", True, "{:,.0f}"),
    ("sm_echo_p99_ms", "Socket Mode echo round trip p99", "ms", False,
     "{:.2f}"),
]


def ratio(ours, peer, higher_better):
    """How many times better we are (above 1: better); None for a figure
    that is neither better nor worse (higher_better None)."""
    if not ours or not peer or higher_better is None:
        return None
    return ours / peer if higher_better else peer / ours


def label_for(label, params):
    label = label.replace("idle connections",
                          f"{params['idle']:,} idle connections")
    label = label.replace("SPREAD", f"{params['spread']}")
    return label.replace("RATE", f"{params['rate'] / 1000:g}k")


def table(results, kinds, params):
    peers = [k for k in kinds if k != "slackrtm"]
    head = ["figure", *kinds] + [f"slackrtm vs {p}" for p in peers]
    rows = []
    for key, label, unit, higher, fmt in METRICS:
        if not any(key in results.get(k, {}) for k in kinds):
            continue
        row = [label_for(label, params) + (f" ({unit})" if unit else "")]
        for k in kinds:
            v = results.get(k, {}).get(key)
            row.append(fmt.format(v) if v is not None else "n/a")
        for p in peers:
            r = ratio(results.get("slackrtm", {}).get(key),
                      results.get(p, {}).get(key), higher)
            row.append(f"{r:.2f}×" if r is not None else "n/a")
        rows.append(row)
    return head, rows


def markdown(head, rows):
    lines = ["| " + " | ".join(head) + " |",
             "| " + " | ".join(["---"] + ["---:"] * (len(head) - 1)) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def plain(head, rows):
    widths = [max(len(r[i]) for r in [head] + rows) for i in range(len(head))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                              for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([fmt(head), fmt(["-" * w for w in widths])] +
                     [fmt(r) for r in rows])


def chart(results, kinds, params, out_dir):
    """A PNG of slackrtm's advantage per figure (log scale, 1 = parity)."""
    peers = [k for k in kinds if k != "slackrtm"]
    data = os.path.join(out_dir, "chart.dat")
    with open(data, "w") as f:
        for key, label, unit, higher, fmt in METRICS:
            if key in ("lat_max_us", "idle_rss_mb", "idle_open",
                       "lat_sim_rate", "sm_sockets"):
                continue
            values = [ratio(results["slackrtm"].get(key),
                            results.get(p, {}).get(key), higher) for p in peers]
            if all(v is None for v in values):
                continue
            f.write('"{}" {}\n'.format(
                label_for(label, params),
                " ".join(f"{v:.4f}" if v else "NaN" for v in values)))
    script = os.path.join(out_dir, "chart.gp")
    png = os.path.join(out_dir, "chart.png")
    plots = ", ".join(
        f"'{data}' using {i + 2}:xtic(1) title 'vs {p}'"
        for i, p in enumerate(peers))
    with open(script, "w") as f:
        f.write(f"""set terminal pngcairo size 1300,680 font 'DejaVu Sans,10'
set output '{png}'
set title 'slackrtm relative to its peers (same run; above 1 = slackrtm better)'
set style data histogram
set style histogram cluster gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.0001:100]
set bmargin 9
set ylabel 'times better'
set xtics rotate by -35 scale 0 font ',9'
set key top right
set grid ytics
set arrow from graph 0, first 1 to graph 1, first 1 nohead lw 2 lc rgb 'black'
set arrow from graph 0, first 3 to graph 1, first 3 nohead dt 2 lc rgb 'dark-green'
plot {plots}
""")
    subprocess.run(["gnuplot", script], check=True)
    os.remove(script)
    os.remove(data)
    return png


def rtm_steps(args, r):
    """The RTM steps, by the names --only takes, each measuring into `r`."""
    return [
        ("inbound", lambda run: measure_inbound(run, args.events, r)),
        ("latency", lambda run: measure_latency(run, args.rate,
                                                args.latency_seconds, r)),
        ("echo", lambda run: measure_echo(run, args.echo, r)),
        ("reconnect", lambda run: measure_reconnect(run, args.reconnects, r)),
        ("spread", lambda run: measure_spread(run, args.spread, args.events,
                                              r)),
        ("idle", lambda run: measure_idle(run, args.idle, r)),
    ]


def socket_mode_steps(args, r):
    """The Socket Mode steps, on a bot started with SLACK_APP_TOKEN."""
    return [
        ("sm-inbound", lambda run: measure_sm_inbound(run, args.events, r)),
        ("sm-echo", lambda run: measure_echo(run, args.echo, r, "sm_")),
    ]


def run_steps(kind, args, workdir, steps, failures, socket_mode=False):
    """The steps --only selects, on one bot of `kind` on a simulator of its
    own; a failed step goes to `failures`, and the next gets a fresh bot."""
    only = [s for s in args.only.split(",") if s]
    steps = [s for s in steps if not only or s[0] in only]
    if not steps:
        return
    run = Run(kind, args, workdir, socket_mode)
    try:
        run.start_bot(1)
        for name, step in steps:
            t = time.monotonic()
            try:
                step(run)
            except (BenchError, AssertionError, OSError, KeyError) as e:
                failures.append(f"{kind} {name}: {e}")
                print(f"bench: {kind} {name} FAILED: {e}", flush=True)
                if name not in ("spread", "idle"):
                    run.start_bot(1)  # a fresh bot for the next step
                continue
            print(f"bench: {kind} {name} done in "
                  f"{time.monotonic() - t:.1f}s", flush=True)
    except (BenchError, AssertionError, OSError) as e:
        mode = " Socket Mode" if socket_mode else ""
        failures.append(f"{kind}{mode}: {e}")
        print(f"bench: {kind}{mode} FAILED: {e}", flush=True)
    finally:
        run.close()


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True, help="directory of slackrtm-sim "
                   "and slackrtm-bench-bot")
    p.add_argument("--peers", default="", help="comma list: node,go")
    p.add_argument("--go-bot", default="", help="the Go peer's binary")
    p.add_argument("--events", type=int, default=100000)
    p.add_argument("--rate", type=float, default=50000)
    p.add_argument("--latency-seconds", type=float, default=3)
    p.add_argument("--echo", type=int, default=2000)
    p.add_argument("--reconnects", type=int, default=5)
    p.add_argument("--idle", type=int, default=1000)
    p.add_argument("--spread", type=int, default=100)
    p.add_argument("--sm-sockets", type=int, default=2,
                   help="Socket Mode sockets slackrtm's bot holds "
                   "(client_options::socket_mode_connections, default 2; "
                   "the peers' libraries hold one)")
    p.add_argument("--only", default="", help="comma list of steps to run "
                   "(inbound,latency,echo,reconnect,spread,idle,sm-inbound,"
                   "sm-echo); all if empty")
    p.add_argument("--bot-arg", action="append", default=[],
                   help="extra argument for slackrtm-bench-bot, e.g. "
                   "--bot-arg=--json-handler (repeatable)")
    p.add_argument("--smoke", action="store_true",
                   help="small counts, correctness only (for CTest)")
    p.add_argument("--out", default="", help="write latest.md, latest.json "
                   "and chart.png here")
    args = p.parse_args()
    if args.smoke:
        args.events, args.rate, args.latency_seconds = 2000, 2000, 0.5
        args.echo, args.reconnects, args.idle, args.spread = 40, 2, 20, 5
    args.flood_timeout = 120 if not args.smoke else 40
    args.connect_timeout = 150 if not args.smoke else 40
    kinds = ["slackrtm"] + [k for k in args.peers.split(",") if k]
    params = {"events": args.events, "rate": args.rate, "idle": args.idle,
              "spread": args.spread, "echo": args.echo}

    workdir = tempfile.mkdtemp(prefix="slackrtm-bench-")
    results = {}
    failures = []
    print(f"bench: {args.events:,} events of ~600 bytes; logs in {workdir}",
          flush=True)
    sink = sink_rate(args, workdir, args.events)
    print(f"bench: simulator alone (into a byte sink): "
          f"{sink['sink_send_rate']:,.0f} events/s "
          f"(frames pre-encoded in {sink['sink_encode_ms']:.0f} ms)", flush=True)
    for kind in kinds:
        r = results.setdefault(kind, {})
        run_steps(kind, args, workdir, rtm_steps(args, r), failures)
        if "sim_send_rate" in r:
            print(f"bench: {kind}: simulator sent at {r['sim_send_rate']:,.0f}"
                  f" events/s while flooding it, using "
                  f"{100 * r['sim_cpu_share']:.0f}% of a core", flush=True)
        run_steps(kind, args, workdir, socket_mode_steps(args, r), failures,
                  socket_mode=True)
        if "sm_sim_send_rate" in r:
            print(f"bench: {kind}: simulator sent Socket Mode envelopes at "
                  f"{r['sm_sim_send_rate']:,.0f} events/s, using "
                  f"{100 * r['sm_sim_cpu_share']:.0f}% of a core (reading "
                  f"acks too)", flush=True)

    head, rows = table(results, kinds, params)
    print()
    print(plain(head, rows))
    if args.out:
        os.makedirs(args.out, exist_ok=True)
        with open(os.path.join(args.out, "latest.json"), "w") as f:
            json.dump({"params": params, "sink": sink, "results": results,
                       "failures": failures}, f, indent=1)
        with open(os.path.join(args.out, "latest.md"), "w") as f:
            f.write(f"Measured {time.strftime('%Y-%m-%d')} by `scripts/bench` "
                    f"on {os.cpu_count()} cores: {args.events:,} events of "
                    f"~600 bytes; latency at {args.rate:,.0f} events/s; "
                    f"{args.echo:,} echo round trips. The simulator alone "
                    f"sends {sink['sink_send_rate']:,.0f} events/s into a "
                    f"byte sink.\n\n")
            f.write(markdown(head, rows) + "\n")
        if len(kinds) > 1 and "slackrtm" in results:
            print(f"\nbench: chart in {chart(results, kinds, params, args.out)}")
    if failures:
        print("\nbench: FAILED:\n  " + "\n  ".join(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
