"""A tiny threaded HTTP CONNECT proxy for the tests: it records every
CONNECT (target, credentials, answer) and the bytes the client sent through
each tunnel, and can refuse every tunnel or demand Basic credentials."""

import base64
import select
import socket
import threading


class ConnectProxy:
    """Listens on a free loopback port until close()."""

    def __init__(self, credentials=None, refuse=False):
        # credentials: (user, password) that every CONNECT must carry.
        self.credentials = credentials
        self.refuse = refuse
        self.lock = threading.Lock()
        self.connects = []  # one dict per CONNECT request
        self.sockets = set()
        self.closed = False
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def url(self, userinfo=""):
        at = userinfo + "@" if userinfo else ""
        return f"http://{at}127.0.0.1:{self.port}"

    def snapshot(self):
        """A copy of the CONNECT records (dicts with target, authorization,
        status and sent: the client's bytes through the tunnel)."""
        with self.lock:
            return [dict(c, sent=bytes(c["sent"])) for c in self.connects]

    def tunnels(self):
        """The CONNECTs answered with 200."""
        return [c for c in self.snapshot() if c["status"] == 200]

    def close(self):
        with self.lock:
            self.closed = True
            sockets = list(self.sockets)
        self._close(self.server)
        for s in sockets:
            self._close(s)

    @staticmethod
    def _close(sock):
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        sock.close()

    def _track(self, sock):
        with self.lock:
            if self.closed:
                return False
            self.sockets.add(sock)
            return True

    def _accept(self):
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self._track(client):
                client.close()
                return
            threading.Thread(target=self._serve, args=(client,),
                             daemon=True).start()

    def _answer(self, client, status, reason, extra=""):
        body = f"{status} {reason}\n".encode()
        client.sendall(
            (f"HTTP/1.1 {status} {reason}\r\n{extra}"
             f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n")
            .encode() + body)

    def _serve(self, client):
        target = None
        try:
            client.settimeout(10)
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(4096)
                if not chunk or len(head) > 65536:
                    return
                head += chunk
            head, rest = head.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, authority, _ = lines[0].split(" ", 2)
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            record = {"method": method, "target": authority,
                      "host": headers.get("host"),
                      "authorization": headers.get("proxy-authorization"),
                      "status": None, "sent": bytearray(rest)}
            with self.lock:
                self.connects.append(record)
            if method != "CONNECT":
                record["status"] = 405
                return self._answer(client, 405, "Method Not Allowed")
            if self.refuse or not self._authorized(record["authorization"]):
                record["status"] = 407
                return self._answer(
                    client, 407, "Proxy Authentication Required",
                    'Proxy-Authenticate: Basic realm="test"\r\n')
            host, _, port = authority.rpartition(":")
            try:
                target = socket.create_connection(
                    (host.strip("[]"), int(port)), 10)
            except OSError:
                record["status"] = 502
                return self._answer(client, 502, "Bad Gateway")
            if not self._track(target):
                return
            record["status"] = 200
            client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
            if rest:
                target.sendall(rest)
            self._relay(client, target, record)
        except (OSError, ValueError):
            pass
        finally:
            for s in (client, target):
                if s is not None:
                    with self.lock:
                        self.sockets.discard(s)
                    self._close(s)

    def _authorized(self, header):
        if self.credentials is None:
            return True
        user, password = self.credentials
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return header == f"Basic {token}"

    def _relay(self, client, target, record):
        client.settimeout(None)
        target.settimeout(None)
        peers = {client: target, target: client}
        while True:
            readable, _, _ = select.select(list(peers), [], [], 1.0)
            if self.closed:
                return
            for s in readable:
                data = s.recv(65536)
                if not data:
                    return
                if s is client:
                    with self.lock:
                        if len(record["sent"]) < 1 << 20:
                            record["sent"] += data
                peers[s].sendall(data)
