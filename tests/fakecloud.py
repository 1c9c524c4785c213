#!/usr/bin/env python3
"""Fake Alibaba Cloud STS (AssumeRoleWithOIDC) + ECS metadata service (IMDS),
both on one loopback port, stdlib only, for tests.

Endpoints:
  POST <any path>?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp=..
       (form body: OIDCProviderArn, OIDCToken, RoleArn, RoleSessionName,
        DurationSeconds[, Policy])                     -> STS credentials
  PUT  /latest/api/token  (X-aliyun-ecs-metadata-token-ttl-seconds: 1..21600)
  GET  /latest/meta-data/ram/security-credentials/     -> role name + "\\n"
  GET  /latest/meta-data/ram/security-credentials/ROLE -> IMDS credentials
  GET  /control/stats | /control/mode?set=MODE | /control/reset
Every successful credential response mints a new generation.
"""
import argparse
import json
import math
import re
import secrets
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, urlsplit

# The server scaffolding (and its STOP event) is fakests.py's, beside us.
from fakests import STOP, serve

MODES = ("ok", "v2only", "token403", "rolemissing", "codefail",
         "sts400", "sts503", "ststhrottle")  # plus "imdsslow:MS"
STS_ERRORS = {
    "sts400": (400, "InvalidParameter.OIDCToken", "token expired"),
    "sts503": (503, "ServiceUnavailable", "try later"),
    "ststhrottle": (400, "Throttling", "Request was denied due to request throttling."),
}
CRED_PREFIX = "/latest/meta-data/ram/security-credentials"
TOKEN_HDR = "X-aliyun-ecs-metadata-token"
TTL_HDR = "X-aliyun-ecs-metadata-token-ttl-seconds"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
COUNTERS = ("sts_requests", "imds_token_requests", "imds_role_requests",
            "imds_cred_requests", "imds_gets_with_token", "imds_gets_without_token")


def fmt_time(secs):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.gen = 0
        self.mode = "ok"
        self.tokens = {}  # IMDS token -> monotonic expiry
        self.reset()
        self.last_form = {}
        self.last_query_keys = []
        self.last_ctype = None

    def reset(self):
        for c in COUNTERS:
            setattr(self, c, 0)

    def count(self, *names):
        with self.lock:
            for n in names:
                setattr(self, n, getattr(self, n) + 1)
            return self.mode

    def mint(self):
        """A fresh credential of the next generation."""
        with self.lock:
            self.gen += 1
            g = self.gen
        exp = math.floor(math.floor(time.time()) + self.args.ttl)
        return {"AccessKeyId": "STS.g%06d.%s" % (g, secrets.token_hex(4)),
                "AccessKeySecret": "fakesecret-g%06d-%s" % (g, secrets.token_hex(8)),
                "SecurityToken": "faketoken-g%06d-%s" % (g, secrets.token_hex(20)),
                "Expiration": fmt_time(exp)}

    def issue_token(self, ttl):
        tok = secrets.token_urlsafe(32)
        now = time.monotonic()
        with self.lock:
            self.tokens = {k: v for k, v in self.tokens.items() if v > now}
            self.tokens[tok] = now + ttl
        return tok

    def token_valid(self, tok):
        with self.lock:
            exp = self.tokens.get(tok)
        return exp is not None and time.monotonic() < exp

    def stats(self):
        with self.lock:
            out = {c: getattr(self, c) for c in COUNTERS}
            out.update(generation=self.gen, mode=self.mode,
                       last_sts_form=self.last_form,
                       last_sts_query_keys=self.last_query_keys,
                       last_sts_content_type=self.last_ctype)
            return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive; every response has Content-Length
    server_version = "fakecloud/1"
    timeout = 300  # drop idle keep-alive connections eventually

    def log_message(self, fmt, *args):  # silence the default access log
        pass

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
        st = self.server.state
        if not st.args.quiet:
            sys.stderr.write("fakecloud: %s %s -> %d (mode=%s)\n" % (
                self.command, urlsplit(self.path).path, status, st.mode))

    def text(self, status, body):
        self.reply(status, body, "text/plain")

    def read_body(self):
        """Read the whole request body (Content-Length or chunked) so that the
        keep-alive connection stays in sync whatever we answer."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n > 0 else b""

    def dispatch(self):
        try:
            self.body = self.read_body()
            url = urlsplit(self.path)
            query = parse_qsl(url.query, keep_blank_values=True)
            if url.path.startswith("/control/"):
                self.control(url.path, dict(query))
            elif ("Action", "AssumeRoleWithOIDC") in query or (
                    self.command == "POST" and not url.path.startswith("/latest/")):
                self.sts(query)
            elif url.path.startswith("/latest/"):
                self.imds(url.path)
            else:
                self.reply(404, {"Code": "NotFound", "Message": "no such path"})
        except (ConnectionError, socket.timeout, ValueError, OSError):
            self.close_connection = True  # client went away / malformed request

    do_GET = do_POST = do_PUT = do_DELETE = dispatch

    # ---- /control ---------------------------------------------------------
    def control(self, path, q):
        st = self.server.state
        if self.command != "GET":
            return self.text(405, "control endpoints are GET only\n")
        if path == "/control/stats":
            return self.reply(200, st.stats())
        if path == "/control/reset":  # zero the counters (not the generation)
            with st.lock:
                st.reset()
            return self.text(200, "ok")
        if path == "/control/mode":
            mode = q.get("set", "")
            if not (mode in MODES or (mode.startswith("imdsslow:") and mode[9:].isascii() and mode[9:].isdigit())):
                return self.text(400, "bad mode %r\n" % mode)
            st.mode = mode
            return self.text(200, "ok")
        self.reply(404, {"Code": "NotFound", "Message": "no such control"})

    # ---- STS AssumeRoleWithOIDC --------------------------------------------
    def sts_error(self, status, code, msg):
        self.reply(status, {"RequestId": str(uuid.uuid4()).upper(),
                            "Code": code, "Message": msg})

    def missing(self, name):
        self.sts_error(400, "MissingParameter", "The input parameter %s that is mandatory "
                       "for processing this request is not supplied." % name)

    def sts(self, query):
        st, a = self.server.state, self.server.state.args
        ctype = self.headers.get("Content-Type")
        form_ok = (ctype or "").split(";")[0].strip().lower() == \
            "application/x-www-form-urlencoded"
        try:
            form = dict(reversed(parse_qsl(self.body.decode(), keep_blank_values=True))) \
                if form_ok else {}
        except UnicodeDecodeError:
            form = {}
        token = form.get("OIDCToken", "")
        matched = bool(token)
        if a.oidc_token_file:
            try:
                with open(a.oidc_token_file) as f:
                    matched = matched and token == f.read().strip()
            except OSError:
                matched = False
        rec = {k: form.get(k) for k in ("RoleSessionName", "DurationSeconds", "RoleArn",
                                        "OIDCProviderArn", "Policy")}
        rec["OIDCTokenMatched"] = matched
        rec["keys"] = sorted(form)
        qd = dict(reversed(query))  # first occurrence wins
        with st.lock:
            st.sts_requests += 1
            st.last_form, st.last_ctype = rec, ctype
            st.last_query_keys = [k for k, _ in query]
            mode = st.mode
        if mode in STS_ERRORS:
            return self.sts_error(*STS_ERRORS[mode])
        if self.command != "POST":
            return self.sts_error(405, "UnsupportedHTTPMethod",
                                  "AssumeRoleWithOIDC must be sent with POST")
        if "OIDCToken" in qd:
            return self.sts_error(400, "InvalidParameter.OIDCToken",
                                  "OIDCToken must not be sent in the query string")
        for name in ("Action", "Format", "Version", "Timestamp"):
            if not qd.get(name):
                return self.missing(name + " (query string)")
        if qd["Action"] != "AssumeRoleWithOIDC":
            return self.sts_error(400, "InvalidAction.NotFound", "bad Action")
        if qd["Format"] != "JSON":
            return self.sts_error(400, "InvalidParameter.Format", "Format must be JSON")
        if qd["Version"] != "2015-04-01":
            return self.sts_error(400, "InvalidVersion", "Version must be 2015-04-01")
        if not TIMESTAMP_RE.match(qd["Timestamp"]):
            return self.sts_error(400, "InvalidTimeStamp.Format",
                                  "Timestamp must be YYYY-MM-DDTHH:MM:SSZ (UTC)")
        if not form_ok:
            return self.sts_error(400, "InvalidParameter.ContentType",
                                  "body must be application/x-www-form-urlencoded")
        for name in ("OIDCProviderArn", "OIDCToken", "RoleArn", "RoleSessionName",
                     "DurationSeconds"):
            if not form.get(name):
                return self.missing(name)
        dur = form["DurationSeconds"]
        if not (dur.isascii() and dur.isdigit() and int(dur) >= 900):
            return self.sts_error(400, "InvalidParameter.DurationSeconds",
                                  "DurationSeconds must be an integer >= 900")
        if not matched:
            return self.sts_error(400, "InvalidParameter.OIDCToken", "the token is invalid")
        arn = form["RoleArn"]
        if not arn.startswith("acs:ram::"):
            return self.sts_error(400, "InvalidParameter.RoleArn",
                                  "RoleArn must start with acs:ram::")
        acct, _, role = arn[len("acs:ram::"):].partition(":role/")
        now = int(time.time())
        self.reply(200, {
            "RequestId": str(uuid.uuid4()).upper(),
            "OIDCTokenInfo": {"Subject": "fake-subject", "Issuer": "https://oidc.fake.invalid",
                              "ClientIds": "sts.fake.invalid",
                              "IssuanceTime": fmt_time(now - 60),
                              "ExpirationTime": fmt_time(now + 3600)},
            "AssumedRoleUser": {
                "Arn": "acs:ram::%s:assumed-role/%s/%s" % (acct, role or "unknown",
                                                          form["RoleSessionName"]),
                "AssumedRoleId": "3%017d:%s" % (secrets.randbelow(10 ** 17),
                                                form["RoleSessionName"])},
            "Credentials": st.mint()})

    # ---- ECS metadata -------------------------------------------------------
    def imds(self, path):
        st = self.server.state
        mode = st.mode
        if mode.startswith("imdsslow:"):
            STOP.wait(int(mode[9:]) / 1000.0)
            mode = "ok"
        if path == "/latest/api/token":
            st.count("imds_token_requests")
            if self.command != "PUT":
                return self.text(405, "token endpoint requires PUT\n")
            if mode == "token403":
                return self.text(403, "Forbidden\n")
            ttl = self.headers.get(TTL_HDR, "").strip()
            if not (ttl.isascii() and ttl.isdigit() and 1 <= int(ttl) <= 21600):
                return self.text(400, "%s must be 1..21600\n" % TTL_HDR)
            return self.text(200, st.issue_token(int(ttl)))
        if path in (CRED_PREFIX, CRED_PREFIX + "/"):
            what, role = "imds_role_requests", None
        elif path.startswith(CRED_PREFIX + "/") and "/" not in path[len(CRED_PREFIX) + 1:]:
            what, role = "imds_cred_requests", path[len(CRED_PREFIX) + 1:]
        else:
            return self.text(404, "Not Found\n")
        tok = self.headers.get(TOKEN_HDR)
        st.count(what, "imds_gets_with_token" if tok is not None
                 else "imds_gets_without_token")
        if self.command != "GET":
            return self.text(405, "GET only\n")
        if tok is not None and not st.token_valid(tok):
            return self.text(401, "Unauthorized: invalid or expired token\n")
        if tok is None and mode == "v2only":
            return self.text(401, "Unauthorized: token required\n")
        if role is None:
            return self.text(200, st.args.role + "\n")
        if role != st.args.role or mode == "rolemissing":
            return self.text(404, "Not Found\n")
        if mode == "codefail":
            return self.reply(200, {"Code": "Failed", "Message": "fake failure"})
        cred = st.mint()
        self.reply(200, dict(Code="Success", LastUpdated=fmt_time(int(time.time())),
                             **cred))


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--port-file")
    p.add_argument("--ttl", type=float, default=8.0,
                   help="credential lifetime in seconds (default 8)")
    p.add_argument("--max-seconds", type=float, default=300)
    p.add_argument("--quiet", action="store_true")
    p.add_argument("--oidc-token-file",
                   help="OIDCToken must equal this file's stripped content")
    p.add_argument("--role", default="fake-role", help="IMDS role name")
    return p.parse_args(argv)


def main(argv=None):
    a = parse_args(argv)
    return serve(a, Handler, State(a), "fakecloud")

if __name__ == "__main__":
    sys.exit(main())
