"""Memory benchmark: worker RSS of `privacy-service serve` over many batch-redacted texts.

Sends batches of synthetic comments (each with names, handles, e-mail addresses and numbers
never seen before, the worst case for spaCy's ever-growing string store) to
POST /v1/redact/batch and samples the resident memory of the serving worker(s). With
recycling by work done (PRIVACY_WORKER_MAX_TEXTS, PRIVACY_WORKER_MAX_RSS_MB) the RSS stays
flat; with `--max-texts 0` it shows the growth recycling bounds.

    .venv/bin/python bench/memory.py [--texts 1000000] [--batch 500] [--workers 1] [--clients N]
        [--max-texts 30000] [--max-rss-mb 0] [--json out.json]

Runs against its own embedded PostgreSQL in a scratch data folder (or DATABASE_URL).
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import shutil
import string
import sys
import tempfile
import threading
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import ROOT, make_comment, rss_mb, start_ours, worker_pids


def fresh_comment(rng: random.Random) -> str:
    """Return a comment with a made-up name, handle and address nobody used before."""

    def word(n: int) -> str:
        return "".join(rng.choice(string.ascii_lowercase) for _ in range(n))

    name = word(7).capitalize()
    return (
        f"{make_comment(rng)[:200]} Also ask {name} {word(8).capitalize()} "
        f"(@{word(9)}, {word(6)}@{word(7)}.com, ref {rng.randint(10**7, 10**9)})."
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--texts", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument(
        "--clients", type=int, default=0, help="client connections (default: one per worker)"
    )
    parser.add_argument("--worker-class", choices=("gevent", "sync"), default="gevent")
    parser.add_argument("--max-texts", type=int, default=None, help="PRIVACY_WORKER_MAX_TEXTS")
    parser.add_argument("--max-rss-mb", type=int, default=None, help="PRIVACY_WORKER_MAX_RSS_MB")
    parser.add_argument("--sample-every", type=int, default=10_000, help="texts between samples")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()

    settings = {}
    if args.max_texts is not None:
        settings["PRIVACY_WORKER_MAX_TEXTS"] = str(args.max_texts)
    if args.max_rss_mb is not None:
        settings["PRIVACY_WORKER_MAX_RSS_MB"] = str(args.max_rss_mb)
    (ROOT / ".data").mkdir(exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="memory-", dir=ROOT / ".data"))
    target = start_ours(args, scratch / "data", env=settings)
    samples: list[dict] = []
    clients = args.clients or args.workers
    progress = {"claimed": 0, "sent": 0, "errors": 0}
    lock = threading.Lock()
    stop = threading.Event()

    def client(seed: int) -> None:
        """Send batches on one keep-alive connection until the texts are all sent."""
        headers = {"Authorization": f"Bearer {target.key}", "Content-Type": "application/json"}
        rng = random.Random(seed)
        conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=300)
        while not stop.is_set():
            with lock:  # claim a batch first, so the clients together send exactly --texts
                if progress["claimed"] >= args.texts:
                    break
                progress["claimed"] += args.batch
            items = [{"id": str(i), "text": fresh_comment(rng)} for i in range(args.batch)]
            body = json.dumps({"items": items})
            try:
                conn.request("POST", "/v1/redact/batch", body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", target.port, timeout=300)
                time.sleep(1)
            with lock:
                if ok:
                    progress["sent"] += len(items)
                else:
                    progress["errors"] += 1
                    progress["claimed"] -= args.batch
        conn.close()

    try:
        started = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(11 + n,), daemon=True) for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        next_sample = 0
        pids_seen: set[int] = set()
        while any(thread.is_alive() for thread in threads):
            time.sleep(0.05)
            with lock:
                sent = progress["sent"]
            if sent < next_sample and any(thread.is_alive() for thread in threads):
                continue
            pids = worker_pids(target.process.pid)
            pids_seen.update(pids)
            sample = {
                "texts": sent,
                "seconds": round(time.monotonic() - started, 1),
                "rss_mb": [r for p in pids if (r := rss_mb(p)) > 0],
            }
            if sample["rss_mb"]:  # none while a recycled worker is being replaced
                samples.append(sample)
            print(json.dumps(sample), flush=True)
            next_sample = sent - sent % args.sample_every + args.sample_every
        elapsed = time.monotonic() - started
        sent, errors = progress["sent"], progress["errors"]
    finally:
        stop.set()
        target.stop()
        shutil.rmtree(scratch, ignore_errors=True)

    # The first sample is taken after one sample interval of warm-up.
    baseline = samples[1] if len(samples) > 1 else samples[0]
    start_rss = max(baseline["rss_mb"])
    end_rss = max(samples[-1]["rss_mb"])
    peak_rss = max(max(s["rss_mb"]) for s in samples[1:] or samples)
    result = {
        "texts": sent,
        "batch": args.batch,
        "workers": args.workers,
        "clients": clients,
        "worker_class": args.worker_class,
        "max_texts": args.max_texts,
        "max_rss_mb": args.max_rss_mb,
        "errors": errors,
        "seconds": round(elapsed, 1),
        "texts_per_s": round(sent / elapsed, 1),
        "worker_processes_seen": len(pids_seen),
        "start_rss_mb": start_rss,
        "end_rss_mb": end_rss,
        "peak_rss_mb": peak_rss,
        "peak_over_start": round(peak_rss / start_rss - 1, 3),
        "end_over_start": round(end_rss / start_rss - 1, 3),
    }
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps({**result, "samples": samples}, indent=2))


if __name__ == "__main__":
    main()
