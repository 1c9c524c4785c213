#!/usr/bin/env python3
"""Attacks a tree's credentials endpoint (loopback only) while the tree's
readers run, and checks what a client gets.  usage: endpoint_attack.py
URL SECONDS.  Prints one line:
  legit_ok=N bad_answers=N other_uid=refused|ANSWERED wrong_path=404|... post=...
  huge=closed|... flood_ok=N/1000 slow_held=N max_ms=N
where ok counts the well-formed answers to the legitimate client that
polls every 200 ms, and bad_answers those that were not (an expired or
fractional Expiration, no Code Success, no Content-Length)."""
import os
import resource
import socket
import sys
import threading
import time
from urllib.parse import urlsplit

url, seconds = sys.argv[1], float(sys.argv[2])
u = urlsplit(url)
HOST, PORT, PATH = u.hostname, u.port, u.path
assert HOST == "127.0.0.1", "loopback only"
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))


def request(raw, timeout=10.0):
    """The raw answer to raw bytes, b"" if the connection closed first."""
    s = socket.create_connection((HOST, PORT), timeout=timeout)
    try:
        s.sendall(raw)
        out = b""
        while True:
            try:
                b = s.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not b:
                break
            out += b
        return out
    finally:
        s.close()


def get(path=PATH, method="GET"):
    return request(("%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % (method, path)).encode())


def judge(ans):
    """True if ans is a 200 whose body every official client accepts."""
    import json
    head, _, body = ans.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    if not lines or lines[0] != "HTTP/1.1 200 OK":
        return False
    hdr = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:])}
    if hdr.get("content-length") != str(len(body)):
        return False
    d = json.loads(body)
    exp = d.get("Expiration", "")
    ok_fmt = len(exp) == 20 and exp.endswith("Z") and exp[10] == "T"
    t = time.mktime(time.strptime(exp, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone if ok_fmt else 0
    return (d.get("Code") == "Success" and d.get("AccessKeyId") and d.get("AccessKeySecret")
            and d.get("SecurityToken") and ok_fmt and t > time.time())


results = {"legit_ok": 0, "bad_answers": 0, "max_ms": 0}
stop = time.time() + seconds


def legit():
    while time.time() < stop:
        t0 = time.time()
        ans = get()
        ms = int((time.time() - t0) * 1000)
        results["max_ms"] = max(results["max_ms"], ms)
        results["legit_ok" if judge(ans) else "bad_answers"] += 1
        time.sleep(0.2)


def slow(held):
    """Connections that send a byte every half second and never finish."""
    socks = []
    for _ in range(300):
        try:
            s = socket.create_connection((HOST, PORT), timeout=2)
            s.setblocking(False)
            socks.append(s)
        except OSError:
            pass
    while time.time() < stop:
        alive = 0
        for s in socks:
            try:
                s.send(b"G")
                alive += 1
            except OSError:
                pass
        held[0] = max(held[0], alive)
        time.sleep(0.5)
    for s in socks:
        s.close()


def flood():
    """1000 connections open at once, each sending its request as soon as
    it is connected (as an SDK does), all answers read afterwards."""
    socks = []
    req = ("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % PATH).encode()
    for _ in range(1000):
        try:
            s = socket.create_connection((HOST, PORT), timeout=10)
            s.sendall(req)
            socks.append(s)
        except OSError:
            pass
    ok = 0
    for s in socks:
        out = b""
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                out += b
        except OSError:
            pass
        ok += out.startswith(b"HTTP/1.1 200 OK")
        s.close()
    return ok


def other_uid():
    if os.geteuid() != 0:
        return "skipped"
    pid = os.fork()
    if pid == 0:
        os.setgid(65534)
        os.setuid(65534)
        try:
            ans = get()
        except OSError:
            ans = b""
        os._exit(3 if ans.startswith(b"HTTP/1.1 200") else (0 if not ans else 4))
    _, st = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(st)
    return {0: "refused", 3: "ANSWERED", 4: "answered-other"}.get(code, "error%d" % code)


held = [0]
threads = [threading.Thread(target=legit), threading.Thread(target=slow, args=(held,))]
for t in threads:
    t.start()
time.sleep(1)
summary = {
    "other_uid": other_uid(),
    "wrong_path": get("/" + "0" * 32).split(b"\r\n", 1)[0].decode(),
    "post": get(method="POST").split(b"\r\n", 1)[0].decode(),
    "huge": None,
}
try:
    a = request(b"GET " + PATH.encode() + b" HTTP/1.1\r\nX: " + b"a" * (1 << 20) + b"\r\n\r\n")
except OSError:
    a = b""
summary["huge"] = "closed" if not a.startswith(b"HTTP/1.1 200") else "ANSWERED"
summary["flood_ok"] = "%d/1000" % flood()
for t in threads:
    t.join()
summary.update(results, slow_held=held[0])
print(" ".join("%s=%s" % (k, str(v).replace(" ", "_")) for k, v in summary.items()))
