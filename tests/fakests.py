#!/usr/bin/env python3
"""Fake Alibaba Cloud DSW/DLC STS credentials service (loopback only, stdlib only).

Serves rotating STS credentials over HTTP, with fault modes switchable at
runtime through /control/mode, and optionally writes them to a JSON file.
See --help for the command line; endpoints: GET /control/stats,
/control/mode?set=MODE, /control/rotate, /control/history (every id minted
and its expiration in ms), /control/ledger (every credential minted, with its
secret and token, for fakecloud.py's AssumeRole to check signatures made
with them: {AccessKeyId: {"secret", "token", "exp_ms", "gen"}}); any other
GET path -> credentials.
"""
import argparse
import json
import math
import os
import secrets
import select
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

MODES = ("ok", "500", "403", "404", "429", "codefail", "garbage", "truncated",
         "hang", "reset", "same", "expired", "huge")  # plus "slow:MS"
STOP = threading.Event()  # set on SIGTERM/SIGINT/--max-seconds


def fmt_time(ms, millis):
    """Format epoch milliseconds as UTC ISO-8601 (truncating, never rounding up)."""
    s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000))
    return s + (".%03dZ" % (ms % 1000) if millis else "Z")


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.gen = 0
        self.cred = None
        self.requests = 0
        self.served = set()
        self.mode = "ok"
        self.file_writes = 0
        self.history = {}  # id -> expiration (ms), of every credential minted
        self.ledger = {}  # id -> secret, token, exp_ms, gen (see /control/ledger)
        self.mint()

    def mint(self):
        """Mint the next generation (called with self.lock held, or from __init__)."""
        self.gen += 1
        g, now = self.gen, time.time()
        # Expiration = floor(mint time) + ttl, at the precision we report, so the
        # advertised expiry is never later than the real one.
        unit = 1 if self.args.millis else 1000
        exp_ms = math.floor(now * 1000 / unit) * unit + round(self.args.ttl * 1000)
        token = "faketoken-g%06d-%s" % (g, secrets.token_hex(20))
        # Real STS tokens run to kilobytes; --token-size pads to that length
        # (plus --token-grow bytes per generation: a rotation may lengthen it).
        want = self.args.token_size + self.args.token_grow * g
        token += "t" * max(0, want - len(token))
        self.cred = {
            "AccessKeyId": "STS.g%06d.%s" % (g, secrets.token_hex(4)),
            "AccessKeySecret": "fakesecret-g%06d-%s" % (g, secrets.token_hex(8)),
            "SecurityToken": token,
            "gen": g, "exp_ms": exp_ms,
        }
        self.history[self.cred["AccessKeyId"]] = exp_ms
        self.ledger[self.cred["AccessKeyId"]] = {
            "secret": self.cred["AccessKeySecret"], "token": token, "exp_ms": exp_ms, "gen": g}

    def public(self, cred, exp_ms=None):
        """JSON-able credential (without Code) for the wire or the file."""
        out = {k: cred[k] for k in ("AccessKeyId", "AccessKeySecret", "SecurityToken")}
        out["Expiration"] = fmt_time(cred["exp_ms"] if exp_ms is None else exp_ms,
                                     self.args.millis)
        return out

    def credential_body(self, mode):
        """Apply lazy rotation, record the generation as served, return body dict."""
        with self.lock:
            a = self.args
            if (mode != "same" and not a.file and a.rotate_every is None and
                    time.time() * 1000 >= self.cred["exp_ms"] - a.rotate_within * 1000):
                self.mint()
            exp_ms = None
            if mode == "expired":
                exp_ms = (math.floor(time.time()) - 60) * 1000
            self.served.add(self.cred["gen"])
            return dict(Code="Success", **self.public(self.cred, exp_ms))

    def stats(self):
        with self.lock:
            return {"requests": self.requests, "generation": self.gen,
                    "generations_served": sorted(self.served),
                    "expiration": fmt_time(self.cred["exp_ms"], self.args.millis),
                    "id": self.cred["AccessKeyId"], "mode": self.mode,
                    "file_writes": self.file_writes}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has Content-Length
    server_version = "fakests/1"
    timeout = 300  # drop idle keep-alive connections eventually

    def log_message(self, fmt, *args):  # silence the default access log
        pass

    def note(self, status):
        if not self.server.state.args.quiet:
            sys.stderr.write("fakests: %s %s -> %s (mode=%s)\n" % (
                self.command, urlsplit(self.path).path, status, self.server.state.mode))

    def reply(self, status, body, ctype="application/json"):
        if isinstance(body, dict):
            body = json.dumps(body).encode()
        elif isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.note(status)

    def do_GET(self):
        try:
            url = urlsplit(self.path)
            if url.path.startswith("/control/"):
                self.control(url)
            else:
                self.credentials()
        except (ConnectionError, socket.timeout, ValueError, OSError):
            # Client went away (or our own abrupt close in "reset"): not an error.
            self.close_connection = True

    def control(self, url):
        st = self.server.state
        if url.path == "/control/stats":
            return self.reply(200, st.stats())
        if url.path == "/control/history":
            with st.lock:
                return self.reply(200, dict(st.history))
        if url.path == "/control/ledger":
            with st.lock:
                return self.reply(200, {k: dict(v) for k, v in st.ledger.items()})
        if url.path == "/control/rotate":
            with st.lock:
                st.mint()
            return self.reply(200, "ok", "text/plain")
        if url.path == "/control/mode":
            mode = parse_qs(url.query).get("set", [""])[0]
            ok = mode in MODES or (mode.startswith("slow:") and mode[5:].isdigit())
            if not ok:
                return self.reply(400, "bad mode %r\n" % mode, "text/plain")
            st.mode = mode
            return self.reply(200, "ok", "text/plain")
        self.reply(404, {"Code": "NotFound", "Message": "no such control"})

    def credentials(self):
        st = self.server.state
        with st.lock:
            st.requests += 1
            mode = st.mode
        if mode.startswith("slow:"):
            STOP.wait(int(mode[5:]) / 1000.0)
            mode = "ok"
        if mode in ("500", "403", "404", "429"):
            msg = {"500": "InternalError", "403": "Forbidden", "404": "NotFound",
                   "429": "Throttling"}[mode]
            return self.reply(int(mode), {"Code": msg, "Message": "boom"})
        if mode == "codefail":
            return self.reply(200, {"Code": "Failed", "Message": "nope"})
        if mode == "garbage":
            return self.reply(200, "this is not json{{")
        if mode == "hang":
            return self.hang()
        if mode == "reset":
            return self.reset()
        body = st.credential_body(mode)
        if mode == "truncated":
            raw = json.dumps(body).encode()
            return self.reply(200, raw[:len(raw) // 2])
        if mode == "huge":
            # A *valid* credential padded to 10 MB, so only a size cap rejects it.
            body["Padding"] = "x" * (10 * 1024 * 1024)
        self.reply(200, body)

    def hang(self):
        """Never answer: wait until the client closes or the server stops."""
        self.note("hang")
        self.close_connection = True
        conn = self.connection
        while not STOP.is_set():
            readable, _, _ = select.select([conn], [], [], 0.2)
            if readable:
                try:
                    if conn.recv(1, socket.MSG_PEEK) == b"":
                        return  # client gave up
                except OSError:
                    return
                STOP.wait(0.2)  # pipelined bytes we will never read; don't spin

    def reset(self):
        """Promise a large body, send a few bytes, then close with RST."""
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                         b"Content-Length: 100000\r\n\r\n{\"Code\":\"Succ")
        self.wfile.flush()
        time.sleep(0.05)  # let the bytes leave before the RST
        self.note("reset")
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        # socket.close() would wait for the rfile/wfile makefile() objects to go;
        # detach() + os.close() closes the fd now (-> RST) and leaves the socket
        # object harmlessly closed for the http.server code that runs after us.
        os.close(self.connection.detach())


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # don't wait for "hang" handlers on shutdown
    request_queue_size = 64

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if not isinstance(exc, (ConnectionError, socket.timeout)):
            super().handle_error(request, client_address)


def rotate_every_loop(st, period):
    """Wall-clock rotation (DSW style): new generation every `period` seconds."""
    nxt = time.monotonic() + period
    while not STOP.wait(max(0.0, nxt - time.monotonic())):
        nxt += period
        with st.lock:
            if st.mode != "same":
                st.mint()


def write_file(st, path, in_place, half):
    with st.lock:
        data = json.dumps(st.public(st.cred), indent=1).encode() + b"\n"
        st.file_writes += 1
    if not in_place:
        tmp = "%s.tmp.%d" % (path, os.getpid())
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if half:  # expose a half-written file to readers for 0.3 s
            os.write(fd, data[:len(data) // 2])
            os.fsync(fd)
            time.sleep(0.3)
            data = data[len(data) // 2:]
        os.write(fd, data)
    finally:
        os.close(fd)


def file_loop(st, a):
    """Write the current generation, then mint+write every --file-every seconds,
    alternating rename (even writes) and in-place truncate (odd writes)."""
    n = 0
    nxt = time.monotonic()
    while True:
        try:
            write_file(st, a.file, n % 2 == 1, a.half_written)
        except OSError as e:
            sys.stderr.write("fakests: writing %s: %s\n" % (a.file, e))
        n += 1
        nxt += a.file_every
        if STOP.wait(max(0.0, nxt - time.monotonic())):
            return
        with st.lock:
            if st.mode != "same":
                st.mint()


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--ttl", type=float, default=8.0)
    g = p.add_mutually_exclusive_group()
    g.add_argument("--rotate-within", type=float, metavar="SECS")
    g.add_argument("--rotate-every", type=float, metavar="SECS")
    p.add_argument("--millis", action="store_true")
    p.add_argument("--token-size", type=int, default=0, metavar="BYTES")
    p.add_argument("--token-grow", type=int, default=0, metavar="BYTES")
    p.add_argument("--file")
    p.add_argument("--file-every", type=float, metavar="SECS")
    p.add_argument("--half-written", action="store_true")
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--max-seconds", type=float, default=600)
    a = p.parse_args(argv)
    if a.rotate_every is None and a.rotate_within is None:
        a.rotate_within = a.ttl / 2
    if a.file_every is None:
        a.file_every = a.rotate_every or a.ttl / 2
    if (a.rotate_every is not None and a.rotate_every <= 0) or a.file_every <= 0:
        p.error("rotation/file intervals must be > 0")
    return a


def serve(a, handler, state, name, background=None):
    """Serves handler on 127.0.0.1:a.port (0: any), writes the port to
    a.port_file, and runs until SIGTERM, SIGINT or a.max_seconds.  Shared
    with fakecloud.py.  background(), called once listening, starts the
    server's own threads and returns what to run at shutdown, or None."""
    srv = Server(("127.0.0.1", a.port), handler)  # bound and listening here
    srv.state = state
    port = srv.server_address[1]
    if a.port_file:
        tmp = "%s.tmp.%d" % (a.port_file, os.getpid())
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, a.port_file)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: STOP.set())
    threading.Thread(target=srv.serve_forever, args=(0.1,), daemon=True).start()
    finish = background() if background else None
    if not a.quiet:
        sys.stderr.write("%s: listening on 127.0.0.1:%d\n" % (name, port))
    STOP.wait(a.max_seconds)  # interrupted by the signal handlers above
    STOP.set()
    if finish:
        finish()
    srv.shutdown()
    srv.server_close()
    return 0


def main(argv=None):
    a = parse_args(argv)
    st = State(a)

    def background():
        if a.file:
            writer = threading.Thread(target=file_loop, args=(st, a), daemon=True)
            writer.start()
            return lambda: writer.join(2)  # never leave a half-written file behind
        if a.rotate_every is not None:
            threading.Thread(target=rotate_every_loop, args=(st, a.rotate_every),
                             daemon=True).start()
        return None

    return serve(a, Handler, st, "fakests", background)

if __name__ == "__main__":
    sys.exit(main())
