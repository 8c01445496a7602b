"""HTTP load benchmark: `privacy-service serve` on loopback, N concurrent clients, fixed duration.

Reports throughput, p50/p99 latency, error count and peak memory (VmHWM) per gunicorn worker.

    .venv/bin/python bench/load.py [--clients 50] [--seconds 30] [--workers 2] [--worker-class sync]

Runs against its own embedded PostgreSQL in a scratch data folder (or DATABASE_URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = [
    "Hi @brandcare, I'm {first} {last} and my order #{order} never arrived. Call me on {phone} or "
    "mail {email}. I live at {num} {street} Street, {city}. This is the third time I ask!!",
    "honestly the worst service ever. {first} from your team promised a refund for booking ref "
    "{order} weeks ago. my number is {phone}, email {email}. fix this please @{handle}",
    "Thanks so much {first}! The replacement arrived today at {num} {street} Ave. Loving it. "
    "Tagging my sister @{handle} who wants one too. Order {order} was perfect this time :)",
    "Hoi, ik ben {first} {last}. Mijn bestelling {order} is nog steeds niet binnen. Bel me op "
    "06-{digits} of mail naar {email}. Adres: {street}straat {num}, 1234 AB {city}.",
]
FIRST = ["sarah", "John", "EMMA", "liam", "Sanne", "Pieter", "olivia", "Noah", "Mia", "lucas"]
LAST = ["Jones", "smith", "de Vries", "Jansen", "BROWN", "Taylor", "Bakker", "Wilson"]
STREETS = ["Oak", "Maple", "Church", "Kerk", "High", "Station", "Mill"]
CITIES = ["Leeds", "Utrecht", "Boston", "Amsterdam", "Bristol"]


def make_comment(rng: random.Random) -> str:
    """Return a ~280-character synthetic comment full of personal data."""
    first, last = rng.choice(FIRST), rng.choice(LAST)
    text = rng.choice(TEMPLATES).format(
        first=first,
        last=last,
        order=f"A{rng.randint(100000, 999999)}",
        phone=f"07700 9{rng.randint(10000, 99999)}",
        digits=rng.randint(10000000, 99999999),
        email=f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
        num=rng.randint(1, 300),
        street=rng.choice(STREETS),
        city=rng.choice(CITIES),
        handle=f"{first.lower()}_{rng.randint(1, 99)}",
    )
    return (text + " " + "x" * 280)[:280] if len(text) < 280 else text[:280]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/ready")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit("server did not become ready")


def worker_pids(master_pid: int) -> list[int]:
    """Return the pids of the gunicorn workers (children of the master)."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children")
    return [int(p) for p in children.read_text().split()] if children.exists() else []


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def client_loop(port, key, texts, stop_at, latencies, errors, lock, seed):
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    mine, failed = [], 0
    while time.monotonic() < stop_at:
        body = json.dumps({"text": rng.choice(texts)})
        started = time.perf_counter()
        try:
            conn.request("POST", "/v1/redact", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status != 200:
                failed += 1
        except OSError:
            failed += 1
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        mine.append(time.perf_counter() - started)
    with lock:
        latencies.extend(mine)
        errors[0] += failed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--warmup", type=float, default=5)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--worker-class", default="gevent", choices=("gevent", "sync"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="load-", dir=ROOT / ".data"))
    env = {**os.environ, "PRIVACY_DATA_DIR": str(data_dir), "PRIVACY_LOG_LEVEL": "WARNING"}
    cli = [sys.executable, "-m", "service.cli"]
    port = free_port()
    server = subprocess.Popen(
        [
            *cli,
            "serve",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        wait_ready(port, 120)
        created = subprocess.run(
            [*cli, "keys", "create", "--role", "moderator", "--name", "load"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        key = created.stdout.strip().splitlines()[-1]
        rng = random.Random(7)
        texts = [make_comment(rng) for _ in range(500)]
        lock = threading.Lock()

        def run(seconds: float) -> tuple[list[float], int, float]:
            latencies: list[float] = []
            errors = [0]
            stop_at = time.monotonic() + seconds
            threads = [
                threading.Thread(
                    target=client_loop, args=(port, key, texts, stop_at, latencies, errors, lock, i)
                )
                for i in range(args.clients)
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            return latencies, errors[0], time.monotonic() - started

        run(args.warmup)  # every worker builds its engine and warms its caches
        latencies, errors, elapsed = run(args.seconds)
        latencies.sort()
        pids = worker_pids(server.pid)
        result = {
            "clients": args.clients,
            "seconds": round(elapsed, 1),
            "workers": args.workers,
            "worker_class": args.worker_class,
            "text_chars": 280,
            "requests": len(latencies),
            "errors": errors,
            "requests_per_s": round(len(latencies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
            "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 1)
            if latencies
            else None,
            "peak_rss_mb_per_worker": [round(peak_rss_mb(pid), 1) for pid in pids],
        }
        print(json.dumps(result, indent=2))
        if args.json:
            args.json.write_text(json.dumps(result, indent=2))
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
