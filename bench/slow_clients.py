"""Slow-client benchmark: how fast `/health` answers while slow clients hold connections.

Starts `privacy-service serve` (a scratch data folder, `--workers N`), opens `--slow` connections
that send half a request header or 8 bytes of a 100-byte body and then wait, and times
`--probes` `GET /health` requests on fresh connections behind them (each given `--probe-timeout`
seconds). Run it for the gevent workers we ship and, for comparison, `--worker-class sync`.

    .venv/bin/python bench/slow_clients.py [--workers 2] [--slow 50] [--probes 20]
        [--worker-class gevent|sync] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ROOT, start_ours

HALF_HEADER = b"GET /health HTTP/1.1\r\nHost: bench\r\nX-Wait: "
PART_BODY = (
    b"POST /v1/analyze HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n" + b'{"text":'
)


def probe(port: int, timeout: float) -> float | None:
    """Return the seconds one GET /health took, or None without a 200 in time."""
    started = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
            conn.sendall(b"GET /health HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n")
            received = b""
            while chunk := conn.recv(65536):
                received += chunk
    except OSError:
        return None
    return time.monotonic() - started if received.startswith(b"HTTP/1.1 200") else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", choices=("gevent", "sync"), default="gevent")
    parser.add_argument("--slow", type=int, default=50, help="slow connections held open")
    parser.add_argument("--probes", type=int, default=20)
    parser.add_argument("--probe-timeout", type=float, default=5.0)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    (ROOT / ".data").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="slow-", dir=ROOT / ".data"))
    # Deadlines longer than the run: the slow clients stay for every probe.
    settings = {"PRIVACY_HEADER_TIMEOUT_SECONDS": "120", "PRIVACY_BODY_TIMEOUT_SECONDS": "120"}
    target = start_ours(args, scratch / "data", env=settings)
    slow: list[socket.socket] = []
    try:
        baseline = [probe(target.port, args.probe_timeout) for _ in range(5)]
        for n in range(args.slow):
            conn = socket.create_connection(("127.0.0.1", target.port), timeout=10)
            conn.sendall(HALF_HEADER if n % 2 else PART_BODY)
            slow.append(conn)
        time.sleep(0.5)
        timings = [probe(target.port, args.probe_timeout) for _ in range(args.probes)]
    finally:
        for conn in slow:
            conn.close()
        target.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    answered = [t for t in timings if t is not None]
    result = {
        "workers": args.workers,
        "worker_class": args.worker_class,
        "slow_connections": args.slow,
        "probes": args.probes,
        "answered": len(answered),
        "unanswered_within_s": args.probe_timeout,
        "idle_p50_ms": round(1000 * statistics.median([t for t in baseline if t]), 1),
        "p50_ms": round(1000 * statistics.median(answered), 1) if answered else None,
        "max_ms": round(1000 * max(answered), 1) if answered else None,
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
