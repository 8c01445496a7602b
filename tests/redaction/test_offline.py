"""The engine builds and runs with every socket blocked and writes no tldextract cache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Runs in a fresh interpreter so that no earlier import has warmed a cache or loaded
# the suffix list. Sockets are blocked before anything of the engine is imported.
OFFLINE_SCRIPT = r"""
import json
import socket


def refuse(*args, **kwargs):
    raise OSError("network access attempted: " + repr(args[:2]))


socket.socket.connect = refuse
socket.socket.connect_ex = refuse
socket.create_connection = refuse
socket.getaddrinfo = refuse

import spacy.cli

def no_download(*args, **kwargs):
    raise RuntimeError("spaCy model download attempted")

spacy.cli.download = no_download

from service.redaction import RedactionEngine

engine = RedactionEngine(b"offline-test-secret-key-0123456789")
text = (
    "Write to ruben.bos@example.co.uk or support@voorbeeld.nl, "
    "and see https://www.example.org/orders/123 for details."
)
analysis = engine.analyze(text, language="en")
redaction = engine.redact(text, language="en", operators={"DEFAULT": {"type": "pseudonymize"}})
print(json.dumps({
    "findings": [[f.entity_type, text[f.start:f.end]] for f in analysis.findings],
    "redacted": redaction.text,
}))
"""


def test_engine_works_without_network_and_without_cache_writes(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "XDG_CACHE_HOME": str(cache),
        "TLDEXTRACT_CACHE": str(cache / "tldextract"),
        "PYTHONPATH": str(ROOT),
    }

    completed = subprocess.run(
        [sys.executable, "-c", OFFLINE_SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    output = json.loads(completed.stdout.strip().splitlines()[-1])
    findings = {tuple(pair) for pair in output["findings"]}
    assert ("EMAIL_ADDRESS", "ruben.bos@example.co.uk") in findings
    assert ("EMAIL_ADDRESS", "support@voorbeeld.nl") in findings
    assert any(entity == "URL" and "example.org/orders/123" in value for entity, value in findings)
    assert output["redacted"].startswith(
        "Write to <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>, and see <URL_1>"
    )
    assert list(cache.rglob("*")) == []
