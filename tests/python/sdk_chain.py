"""Calls the credentials SDK's default chain (Client().get_credential())
every 0.5 s for SECONDS, as long-running job code does, then asks the fake
server when each credential it got expires.  Prints
"calls=N expired=N generations=N provider=NAME".  usage: sdk_chain.py
SERVER_PORT SECONDS"""
import json
import sys
import time
import urllib.request

from alibabacloud_credentials.client import Client

port, seconds = int(sys.argv[1]), float(sys.argv[2])
client = Client()
seen = []
end = time.time() + seconds
while time.time() < end:
    c = client.get_credential()
    seen.append((time.time() * 1000, c.get_access_key_id(), c.get_provider_name()))
    time.sleep(0.5)
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
history = json.load(opener.open("http://127.0.0.1:%d/control/history" % port))
expired = sum(1 for now, ident, _ in seen if history.get(ident, 0) <= now)
print("calls=%d expired=%d generations=%d provider=%s" % (
    len(seen), expired, len({i for _, i, _ in seen}), seen[-1][2] if seen else "-"))
