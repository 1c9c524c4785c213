#!/usr/bin/env python3
"""Fake Alibaba Cloud STS (AssumeRoleWithOIDC, AssumeRole) + ECS metadata
service (IMDS), both on one loopback port, stdlib only, for tests.

Endpoints:
  POST <any path>?Action=AssumeRoleWithOIDC&Format=JSON&Version=2015-04-01&Timestamp=..
       (form body: OIDCProviderArn, OIDCToken, RoleArn, RoleSessionName,
        DurationSeconds[, Policy])                     -> STS credentials
  POST <any path>?Action=AssumeRole&...  (any parameter in the query or in an
       application/x-www-form-urlencoded body)           -> the role's credentials
       Signed as Alibaba Cloud's RPC API signs (HMAC-SHA1, version 1.0), checked
       here with our own implementation (sign(), --self-test).  The signer must
       be known: a credential this server minted (IMDS, OIDC, AssumeRole), a
       --key ID:SECRET, or one listed by a --ledger-url (fakests.py's
       /control/ledger), fetched afresh for an id we do not know.
  PUT  /latest/api/token  (X-aliyun-ecs-metadata-token-ttl-seconds: 1..21600)
  GET  /latest/meta-data/ram/security-credentials/     -> role name + "\\n"
  GET  /latest/meta-data/ram/security-credentials/ROLE -> IMDS credentials
  GET  /control/stats | /control/history | /control/mode?set=MODE | /control/reset
Every successful credential response mints a new generation.
"""
import argparse
import base64
import calendar
import hashlib
import hmac
import json
import math
import re
import secrets
import socket
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qsl, quote, urlsplit

# The server scaffolding (and its STOP event) is fakests.py's, beside us.
from fakests import STOP, serve

MODES = ("ok", "v2only", "token403", "rolemissing", "codefail",
         "sts400", "sts503", "ststhrottle",  # these four: AssumeRoleWithOIDC
         "skew", "sts500", "rolesame", "badsig")  # plus "imdsslow:MS"
# AssumeRole only: "skew" fails every request as a clock skew would
# (InvalidTimeStamp.Expired), "sts500" answers 500 InternalError,
# "rolesame" answers the same credential as last time, "badsig" rejects
# every signature (SignatureDoesNotMatch, with the string to sign in the
# Message, as the real gateway does: a SecurityToken sent is in it).
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
            "imds_cred_requests", "imds_gets_with_token", "imds_gets_without_token",
            "assume_role_requests", "assume_role_ok")
HOST_ID = "sts.aliyuncs.com"
MAX_SKEW = 15 * 60  # seconds between a request's Timestamp and our clock
# AssumeRole's parameters: the common ones of the RPC API, then the API's own.
AR_REQUIRED = ("Action", "Version", "Format", "Timestamp", "SignatureMethod",
               "SignatureVersion", "SignatureNonce", "AccessKeyId", "Signature",
               "RoleArn", "RoleSessionName")
ROLE_ARN_RE = re.compile(r"^acs:ram::(\d+):role/([\w.@+=,-]{1,64})$")
SESSION_RE = re.compile(r"^[\w.@-]{2,64}$")
EXTERNAL_ID_RE = re.compile(r"^[\w+=,.@:/-]{2,1224}$")


# ---- the RPC API's signature (version 1.0, HMAC-SHA1) ------------------------
def percent_encode(s):
    """RFC 3986: A-Z a-z 0-9 - _ . ~ stay, every other byte is %XX (uppercase)
    of its UTF-8 encoding; a space is %20, '*' is %2A, '/' is %2F."""
    return quote(s, safe="~", encoding="utf-8")


def string_to_sign(method, params):
    """method&%2F&percent_encode(canonical query): params (dict) without
    Signature, each key and value encoded, sorted by encoded key."""
    pairs = sorted((percent_encode(k), percent_encode(v))
                   for k, v in params.items() if k != "Signature")
    canon = "&".join("%s=%s" % kv for kv in pairs)
    return "%s&%s&%s" % (method, percent_encode("/"), percent_encode(canon))


def sign(method, params, secret):
    mac = hmac.new((secret + "&").encode(), string_to_sign(method, params).encode(),
                   hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def self_test():
    """Our signature against Alibaba Cloud's published example, and the
    encoding rules; returns a list of failures (empty: all good)."""
    bad = []
    ex = {"Action": "DescribeRegions", "Format": "XML", "SignatureMethod": "HMAC-SHA1",
          "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
          "SignatureVersion": "1.0", "Timestamp": "2016-02-23T12:46:24Z",
          "Version": "2014-05-26", "AccessKeyId": "testid"}
    want_sts = ("GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML"
                "%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-"
                "a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12"
                "%253A46%253A24Z%26Version%3D2014-05-26")
    if string_to_sign("GET", ex) != want_sts:
        bad.append("string to sign: %s" % string_to_sign("GET", ex))
    got = sign("GET", dict(ex, Signature="ignored"), "testsecret")
    if got != "OLeaidS1JvxuMvnyHOwuJ+uX5qY=":
        bad.append("published example: signature %s" % got)
    for raw, enc in ((" ", "%20"), ("*", "%2A"), ("~", "~"), ("+", "%2B"), ("/", "%2F"),
                     ("a-_.Z09", "a-_.Z09"), ("=&", "%3D%26"), ("\u00e9", "%C3%A9"),
                     ('{"a": "oss:*"}', "%7B%22a%22%3A%20%22oss%3A%2A%22%7D")):
        if percent_encode(raw) != enc:
            bad.append("percent_encode(%r) = %r, not %r" % (raw, percent_encode(raw), enc))
    return bad


def loopback_only(url):
    host = urlsplit(url).hostname
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise SystemExit("fakecloud: --ledger-url must be on loopback: %s" % url)
    return url


def fmt_time(secs):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(secs))


class State:
    def __init__(self, args):
        self.args = args
        self.lock = threading.Lock()
        self.gen = 0
        self.mode = "ok"
        self.tokens = {}  # IMDS token -> monotonic expiry
        # Every credential we minted, by AccessKeyId: its secret, token,
        # expiry (epoch s), kind (imds, oidc, role) and serial (mint order).
        self.minted = {}
        self.keys = {}  # --key ID:SECRET
        for kv in args.key or ():
            kid, _, secret = kv.partition(":")
            self.keys[kid] = secret
        self.nonces = set()
        self.last_role = None  # the last AssumeRole answer (for "rolesame")
        self.reset()
        self.last_form = {}
        self.last_query_keys = []
        self.last_ctype = None

    def reset(self):
        for c in COUNTERS:
            setattr(self, c, 0)
        self.ar_errors = []  # Code of each AssumeRole that failed
        self.ar_log = []  # one entry per AssumeRole request (see assume_role)
        self.ar_kinds = {}  # signer kind -> requests
        self.last_ar = {}
        self.role_ids = []  # AccessKeyId of each AssumeRole answer, in order

    def count(self, *names):
        with self.lock:
            for n in names:
                setattr(self, n, getattr(self, n) + 1)
            return self.mode

    def mint(self, kind, ttl=None):
        """A fresh credential of the next generation.  An AssumeRole answer
        (kind "role") has an id STS.gNNNNNN.role...: the generation first, as
        the readers in tests/progs expect, and "role" to tell it from a base
        credential of this server."""
        with self.lock:
            self.gen += 1
            g = self.gen
        exp = math.floor(math.floor(time.time()) + (self.args.ttl if ttl is None else ttl))
        cred = {"AccessKeyId": "STS.g%06d.%s%s" % (g, "role" if kind == "role" else "",
                                                   secrets.token_hex(4)),
                "AccessKeySecret": "fakesecret-g%06d-%s" % (g, secrets.token_hex(8)),
                "SecurityToken": "faketoken-g%06d-%s" % (g, secrets.token_hex(20)),
                "Expiration": fmt_time(exp)}
        with self.lock:
            self.minted[cred["AccessKeyId"]] = {
                "secret": cred["AccessKeySecret"], "token": cred["SecurityToken"],
                "exp": exp, "kind": kind, "gen": g}
        return cred

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
                       last_sts_content_type=self.last_ctype,
                       assume_role_errors=list(self.ar_errors),
                       assume_role_signers=[e["signer"] for e in self.ar_log
                                            if e["kind"]],
                       assume_role_signer_kinds=dict(self.ar_kinds),
                       assume_role_log=[dict(e) for e in self.ar_log],
                       last_assume_role=dict(self.last_ar),
                       role_ids=list(self.role_ids))
            return out

    def signer(self, kid):
        """(kind, record) of a signer we know, asking the ledgers for an id
        we did not mint; (None, None) when nobody knows it.  A record has
        secret, token (None for an AccessKey), exp (epoch s, None: never),
        newest (no credential of the same origin was minted after it)."""
        with self.lock:
            rec = self.minted.get(kid)
            if rec:
                newest = all(r["gen"] <= rec["gen"] for r in self.minted.values()
                             if r["kind"] == rec["kind"])
                return rec["kind"], dict(rec, newest=newest)
            if kid in self.keys:
                return "key", {"secret": self.keys[kid], "token": None, "exp": None,
                               "gen": None, "newest": True}
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        for url in self.args.ledger_url or ():
            try:
                with opener.open(url, timeout=3) as r:
                    ledger = json.load(r)
            except (OSError, ValueError) as e:
                sys.stderr.write("fakecloud: ledger %s: %s\n" % (url, e))
                continue
            if kid in ledger:
                rec = ledger[kid]
                newest = all(r["gen"] <= rec["gen"] for r in ledger.values())
                return "ledger", {"secret": rec["secret"], "token": rec["token"],
                                  "exp": rec["exp_ms"] / 1000.0, "gen": rec["gen"],
                                  "newest": newest}
        return None, None


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
            elif self.action(query) == "AssumeRole":
                self.assume_role(query)
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
        if path == "/control/history":  # {AccessKeyId: expiration ms} of what it minted
            with st.lock:
                return self.reply(200, {k: v["exp"] * 1000 for k, v in st.minted.items()})
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

    def form(self):
        """The body's parameters, when it is a form (else none), in order."""
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return []
        try:
            return parse_qsl(self.body.decode(), keep_blank_values=True)
        except UnicodeDecodeError:
            return []

    def action(self, query):
        for k, v in query:
            if k == "Action":
                return v
        for k, v in self.form():
            if k == "Action":
                return v
        return None

    # ---- STS AssumeRoleWithOIDC --------------------------------------------
    def sts_error(self, status, code, msg, **extra):
        self.reply(status, dict({"RequestId": str(uuid.uuid4()).upper(),
                                 "Code": code, "Message": msg}, **extra))

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
            "Credentials": st.mint("oidc")})

    # ---- STS AssumeRole (signed) ---------------------------------------------
    def assume_role(self, query):
        """Checks as STS does, in this order: the method, every parameter once,
        the required ones, Timestamp (format, within 15 min, mode skew), the
        nonce, the signer, the signature, the signer's SecurityToken and
        expiry, the API's own parameters, the role; then answers a new
        credential (mode rolesame: the last one again)."""
        st, a = self.server.state, self.server.state.args
        body = self.form()
        params, dup = {}, None
        for k, v in list(query) + body:
            if k in params:
                dup = dup or k
            params[k] = v
        rec = {k: v for k, v in params.items() if k not in ("SecurityToken", "Signature")}
        rec.update(SecurityTokenSent="SecurityToken" in params, SecurityTokenMatched=False,
                   SignatureValid=False, query_keys=[k for k, _ in query],
                   body_keys=[k for k, _ in body],
                   content_type=self.headers.get("Content-Type"), signer_kind=None)
        entry = {"signer": params.get("AccessKeyId"), "kind": None, "gen": None,
                 "newest": None, "code": None, "t": round(time.time(), 3)}
        with st.lock:
            st.assume_role_requests += 1
            mode = st.mode
            st.last_ar, st.ar_log = rec, st.ar_log + [entry]

        def error(status, code, msg, **extra):
            rec["code"] = entry["code"] = code
            with st.lock:
                st.ar_errors.append(code)
            self.sts_error(status, code, msg, HostId=HOST_ID, **extra)

        if mode == "sts500":
            return error(500, "InternalError", "The request processing has failed due to "
                         "some unknown error, exception or failure.")
        if self.command != "POST":
            return error(400, "UnsupportedHTTPMethod", "This API (AssumeRole) is sent "
                         "with POST by stsenv's clients; this fake accepts POST only.")
        if dup:
            return error(400, "InvalidParameter", "The parameter %s is given more than once "
                         "(query string and body)." % dup)
        for name in AR_REQUIRED:
            if not params.get(name):
                return error(400, "MissingParameter", "The input parameter \"%s\" that is "
                             "mandatory for processing this request is not supplied." % name)
        if params["Format"] != "JSON":
            return error(400, "InvalidParameter.Format", "this fake speaks Format=JSON only")
        if params["Version"] != "2015-04-01":
            return error(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
            return error(400, "InvalidSignatureMethod",
                         "Specified signature method or version is not supported.")
        ts = params["Timestamp"]
        if not re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$", ts):
            return error(400, "InvalidTimeStamp.Format",
                         "Specified time stamp or date value is not well formatted.")
        when = calendar.timegm(time.strptime(ts, "%Y-%m-%dT%H:%M:%SZ"))
        if mode == "skew" or abs(when - time.time()) > MAX_SKEW:
            return error(400, "InvalidTimeStamp.Expired",
                         "Specified time stamp or date value is expired.")
        with st.lock:
            used = params["SignatureNonce"] in st.nonces
            st.nonces.add(params["SignatureNonce"])
        if used:
            return error(400, "SignatureNonceUsed", "Specified signature nonce was used already.")
        kind, signer = st.signer(params["AccessKeyId"])
        if not kind:
            return error(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        entry.update(kind=kind, gen=signer["gen"], newest=signer["newest"])
        rec["signer_kind"] = kind
        with st.lock:
            st.ar_kinds[kind] = st.ar_kinds.get(kind, 0) + 1
        want = sign(self.command, params, signer["secret"])
        rec["SignatureValid"] = hmac.compare_digest(want, params["Signature"])
        if mode == "badsig" or not rec["SignatureValid"]:
            # As the real gateway: the server's string to sign, in full.
            return error(400, "SignatureDoesNotMatch", "Specified signature is not matched "
                         "with our calculation. server string to sign is:" +
                         string_to_sign(self.command, params),
                         Recommend="https://api.aliyun.com/troubleshoot?q=SignatureDoesNotMatch")
        rec["SecurityTokenMatched"] = signer["token"] is not None and \
            hmac.compare_digest(params.get("SecurityToken", ""), signer["token"])
        if signer["token"] is None:  # an AccessKey signs alone
            token_bad = "SecurityToken" in params
        else:  # an STS credential signs with its own token, no other
            token_bad = not rec["SecurityTokenMatched"]
        if token_bad:
            return error(400, "InvalidSecurityToken.MismatchWithAccessKey",
                         "Specified SecurityToken mismatch with the AccessKey.")
        if signer["exp"] is not None and signer["exp"] <= time.time():
            return error(400, "InvalidSecurityToken.Expired", "Specified SecurityToken is expired.")
        dur = params.get("DurationSeconds", "3600")
        if not (dur.isascii() and dur.isdigit() and 900 <= int(dur) <= 43200):
            return error(400, "InvalidParameter.DurationSeconds", "The parameter DurationSeconds "
                         "is invalid: it must be between 900 and 43200 (the role's maximum).")
        arn, session = params["RoleArn"], params["RoleSessionName"]
        m = ROLE_ARN_RE.match(arn)
        if not m:
            return error(400, "InvalidParameter.RoleArn", "The parameter RoleArn is wrongly formed.")
        if not SESSION_RE.match(session):
            return error(400, "InvalidParameter.RoleSessionName",
                         "The parameter RoleSessionName is wrongly formed.")
        if "ExternalId" in params and not EXTERNAL_ID_RE.match(params["ExternalId"]):
            return error(400, "InvalidParameter.ExternalId",
                         "The parameter ExternalId is wrongly formed.")
        if "Policy" in params:
            try:
                ok = isinstance(json.loads(params["Policy"]), dict) and len(params["Policy"]) <= 2048
            except ValueError:
                ok = False
            if not ok:
                return error(400, "InvalidParameter.PolicyGrammar",
                             "The parameter Policy has not passed grammar check.")
        if arn in (a.missing_role or ()):
            return error(404, "EntityNotExist.Role", "The role not exists: %s." % arn)
        if arn in (a.forbid_role or ()):
            return error(403, "NoPermission", "You are not authorized to do this action. "
                         "You should be authorized by RAM.")
        with st.lock:
            cred = st.last_role if mode == "rolesame" else None
        if cred is None:
            cred = st.mint("role", a.role_ttl)
        with st.lock:
            st.last_role = cred
            st.assume_role_ok += 1
            st.role_ids.append(cred["AccessKeyId"])
        rec["code"] = entry["code"] = "Success"
        self.reply(200, {
            "RequestId": str(uuid.uuid4()).upper(),
            "AssumedRoleUser": {"Arn": "acs:ram::%s:assumed-role/%s/%s" % (m.group(1), m.group(2),
                                                                              session),
                                "AssumedRoleId": "3%017d:%s" % (secrets.randbelow(10 ** 17),
                                                                session)},
            "Credentials": dict(cred)})

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
        cred = st.mint("imds")
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
    p.add_argument("--role-ttl", type=float, metavar="SECONDS",
                   help="lifetime of AssumeRole's credentials, whatever DurationSeconds "
                   "asks (default: --ttl)")
    p.add_argument("--key", action="append", metavar="ID:SECRET",
                   help="a long-term AccessKey that may sign AssumeRole (repeatable)")
    p.add_argument("--ledger-url", action="append", metavar="URL",
                   help="a loopback URL listing other signers, {id: {secret, token, "
                   "exp_ms, gen}} (fakests.py's /control/ledger), asked for an id we "
                   "do not know (repeatable)")
    p.add_argument("--forbid-role", action="append", metavar="ARN",
                   help="AssumeRole of this role: 403 NoPermission (repeatable)")
    p.add_argument("--missing-role", action="append", metavar="ARN",
                   help="AssumeRole of this role: 404 EntityNotExist.Role (repeatable)")
    p.add_argument("--self-test", action="store_true",
                   help="check the signature code against the published example, and exit")
    a = p.parse_args(argv)
    if a.role_ttl is None:
        a.role_ttl = a.ttl
    for url in a.ledger_url or ():
        loopback_only(url)
    for kv in a.key or ():
        if ":" not in kv:
            p.error("--key wants ID:SECRET")
    return a


def main(argv=None):
    a = parse_args(argv)
    if a.self_test:
        bad = self_test()
        for b in bad:
            sys.stderr.write("fakecloud self-test: FAIL %s\n" % b)
        print("fakecloud self-test: %s" % ("FAIL" if bad else "ok (published example "
                                                             "OLeaidS1JvxuMvnyHOwuJ+uX5qY=)"))
        return 1 if bad else 0
    return serve(a, Handler, State(a), "fakecloud")

if __name__ == "__main__":
    sys.exit(main())
