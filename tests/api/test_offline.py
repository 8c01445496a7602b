"""The service answers with the network cut: nothing is downloaded at run time."""

from __future__ import annotations

import json
import subprocess
import sys

SCRIPT = r"""
import json, socket, sys

def refuse(*args, **kwargs):
    raise OSError("network access attempted: " + repr(args[:2]))

real_connect = socket.socket.connect
def connect_local_only(self, address):
    # The database is on a Unix socket or loopback; everything else is "the internet".
    local = isinstance(address, tuple) and address[0] in ("127.0.0.1", "::1", "localhost")
    if self.family == socket.AF_UNIX or local:
        return real_connect(self, address)
    refuse(address)

real_getaddrinfo = socket.getaddrinfo
def getaddrinfo_local_only(host, *args, **kwargs):
    if host in ("localhost", "127.0.0.1", "::1", None):
        return real_getaddrinfo(host, *args, **kwargs)
    refuse(host)

socket.socket.connect = connect_local_only
socket.getaddrinfo = getaddrinfo_local_only
socket.create_connection = lambda address, *a, **k: (
    refuse(address) if address[0] not in ("127.0.0.1", "localhost", "::1")
    else socket.socket().connect(address))

from service import create_app
from service.auth import create_key
from service.audit import SYSTEM
import psycopg
from psycopg.rows import dict_row

config = json.loads(sys.argv[1])
app = create_app(config)
with psycopg.connect(config["DATABASE_URL"], row_factory=dict_row) as conn:
    _, key = create_key(conn, SYSTEM, name="offline", role="moderator")
client = app.test_client()
headers = {"Authorization": "Bearer " + key}
text = ("Write to jane.doe@mail.co.uk or j.doe@example.museum, "
        "see https://shop.example.co.jp/orders and www.instagram.com/jane.doe")
analyzed = client.post("/v1/analyze", json={"text": text}, headers=headers)
redacted = client.post("/v1/redact", json={"text": text}, headers=headers)
print(json.dumps({"analyze": [analyzed.status_code, analyzed.get_json()],
                  "redact": [redacted.status_code, redacted.get_json()]}))
"""


def test_analyze_and_redact_with_the_network_cut(app_config, tmp_path):
    config = {k: v for k, v in app_config.items() if k != "TESTING"}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    status, analyzed = out["analyze"]
    assert status == 200
    types = [f["entity_type"] for f in analyzed["findings"]]
    assert types.count("EMAIL_ADDRESS") == 2
    status, redacted = out["redact"]
    assert status == 200
    assert "jane.doe@mail.co.uk" not in redacted["text"]
    assert "j.doe@example.museum" not in redacted["text"]
    assert "instagram.com/jane.doe" not in redacted["text"]
