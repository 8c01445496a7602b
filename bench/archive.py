"""Feedback archive benchmark: ingest synthetic feedback, scan it with worker processes.

    .venv/bin/python -m bench.archive [--items 100000] [--workers 2] [--batch 1000]

Generates ``--items`` feedback items with Faker (seeded: the same items every run): comments,
reviews, DMs and replies on several platforms, about 45% of them with personal data (phones,
e-mail addresses, names, order numbers, addresses). Ingests them through the domain function
``POST /v1/feedback`` runs, in batches of ``--batch`` items (one transaction each), with no
worker running; then starts ``--workers`` ``privacy-service worker`` processes and waits until
every queued scan is done. Prints items per second for both phases and the database size.

Runs in a scratch database on the embedded PostgreSQL (`.data/bench`), or on the server of
DATABASE_URL, and drops it afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scratch import create_scratch_database, drop_scratch_database  # noqa: E402
from service.archive.ingest import ingest_feedback  # noqa: E402
from service.archive.settings import ArchiveSettings  # noqa: E402
from service.audit import SYSTEM  # noqa: E402

SECRET = b"archive-benchmark-secret-0123456789abcdef"
PLATFORMS = ("x", "instagram", "facebook", "tiktok", "trustpilot", "email", "reddit")
KINDS = ("comment", "review", "dm", "mention", "reply")
STATS = """
SELECT coalesce(sum(items_total), 0) AS total, coalesce(sum(items_done), 0) AS done,
       coalesce(sum(findings_found), 0) AS findings, count(*) FILTER (WHERE finished_at IS NULL)
       AS open_scans
FROM scan_runs
"""
SIZES = """
SELECT pg_database_size(current_database()) AS database,
       pg_total_relation_size('feedback_items') AS feedback_items,
       pg_total_relation_size('findings') AS findings,
       pg_total_relation_size('subject_identifiers') AS subject_identifiers,
       pg_total_relation_size('scan_chunks') AS scan_chunks,
       pg_total_relation_size('procrastinate_jobs') AS queue,
       (SELECT count(*) FROM findings) AS finding_rows,
       (SELECT count(*) FROM subjects) AS subjects
"""


def synthetic_items(count: int, seed: int = 7) -> list[dict]:
    """Return `count` feedback items: about 45% carry personal data, 15% are replies."""
    from faker import Faker

    fake = Faker(["en_GB", "en_US"])
    fake.seed_instance(seed)
    rng = random.Random(seed)
    authors = [
        {
            "handle": "@" + fake.unique.user_name(),
            "display_name": fake.name(),
            **({"email": fake.email()} if rng.random() < 0.3 else {}),
        }
        for _ in range(max(1, count // 5))
    ]
    start = datetime(2025, 1, 1, tzinfo=UTC)
    templates = (
        lambda: f"{fake.sentence(nb_words=12)} Call me on {fake.phone_number()} please.",
        lambda: (
            f"My order {rng.randint(10_000_000, 99_999_999)} never arrived. "
            f"{fake.sentence(nb_words=10)}"
        ),
        lambda: f"Hi, I'm {fake.name()}. {fake.sentence(nb_words=14)} Mail me at {fake.email()}",
        lambda: f"{fake.sentence(nb_words=8)} Send it to {fake.street_address()}, {fake.city()}.",
        lambda: f"@{fake.user_name()} {fake.sentence(nb_words=16)}",
    )
    items = []
    for n in range(count):
        platform = PLATFORMS[n % len(PLATFORMS)]
        if rng.random() < 0.45:
            text = rng.choice(templates)()
        else:
            text = fake.paragraph(nb_sentences=rng.randint(1, 4))
        item = {
            "external_id": f"bench-{n}",
            "platform": platform,
            "kind": rng.choice(KINDS),
            "visibility": "private" if rng.random() < 0.2 else "public",
            "author": rng.choice(authors),
            "text": text,
            "created_at": start + timedelta(seconds=37 * n),
        }
        if n > 50 and rng.random() < 0.15:
            item["in_reply_to"] = f"bench-{n - len(PLATFORMS) * rng.randint(1, 5)}"
        items.append(item)
    return items


def ingest(url: str, items: list[dict], batch: int) -> float:
    """Ingest the items in batches (one transaction each); return the seconds taken."""
    settings = ArchiveSettings()
    started = time.perf_counter()
    with psycopg.connect(url, row_factory=dict_row) as conn:
        for offset in range(0, len(items), batch):
            with conn.transaction():
                ingest_feedback(
                    conn,
                    SYSTEM,
                    settings,
                    SECRET,
                    items[offset : offset + batch],
                    max_text_chars=100_000,
                )
    return time.perf_counter() - started


def scan(url: str, workers: int, log_dir: Path) -> dict:
    """Start worker processes, wait until every scan is done, stop them; return timings."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "PRIVACY_SECRET_KEY": SECRET.decode(),
        "PRIVACY_DATA_DIR": str(log_dir),
        "PRIVACY_LOG_LEVEL": "WARNING",
    }
    started = time.perf_counter()
    processes = []
    for n in range(workers):
        log = (log_dir / f"worker{n}.log").open("wb")
        processes.append(
            subprocess.Popen(
                [sys.executable, "-m", "service.cli", "worker"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        log.close()
    first_progress = None
    last_report = started
    try:
        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
            while True:
                stats = conn.execute(STATS).fetchone()
                now = time.perf_counter()
                if first_progress is None and stats["done"] > 0:
                    first_progress = (now, stats["done"])
                if now - last_report >= 30:
                    print(f"  scanned {stats['done']:,} of {stats['total']:,}", flush=True)
                    last_report = now
                if stats["open_scans"] == 0:
                    break
                if any(p.poll() is not None for p in processes):
                    raise RuntimeError(f"a worker exited; see {log_dir}")
                time.sleep(0.5)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=60)
    finished = time.perf_counter()
    return {
        "total": stats["total"],
        "findings": stats["findings"],
        "wall": finished - started,
        "steady": finished - first_progress[0] if first_progress else None,
        "steady_items": stats["total"] - (first_progress[1] if first_progress else 0),
    }


def main() -> None:
    """Build the scratch database, run both phases and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    if not 1 <= args.batch <= 1000:
        parser.error("--batch must be between 1 and 1000")

    server_url, name, url = create_scratch_database("archive_bench")
    try:
        generated = time.perf_counter()
        items = synthetic_items(args.items)
        print(f"generated {len(items):,} items in {time.perf_counter() - generated:.1f} s")

        seconds = ingest(url, items, args.batch)
        print(
            f"ingestion: {len(items):,} items in {seconds:.1f} s = "
            f"{len(items) / seconds:,.0f} items/s (batches of {args.batch}, no worker running)"
        )
        with tempfile.TemporaryDirectory(prefix="archive-bench-") as log_dir:
            result = scan(url, args.workers, Path(log_dir))
        steady = (
            f"; {result['steady_items'] / result['steady']:,.0f} items/s after the first chunk"
            if result["steady"]
            else ""
        )
        print(
            f"scanning: {result['total']:,} items, {result['findings']:,} findings, with "
            f"{args.workers} worker process(es) in {result['wall']:.1f} s = "
            f"{result['total'] / result['wall']:,.1f} items/s including worker start-up{steady}"
        )
        with psycopg.connect(url, row_factory=dict_row) as conn:
            sizes = conn.execute(SIZES).fetchone()
        mb = 1024 * 1024
        print(
            f"database: {sizes['database'] / mb:,.1f} MB (feedback_items "
            f"{sizes['feedback_items'] / mb:,.1f} MB, findings {sizes['findings'] / mb:,.1f} MB "
            f"for {sizes['finding_rows']:,} rows, subject_identifiers "
            f"{sizes['subject_identifiers'] / mb:,.1f} MB for {sizes['subjects']:,} subjects, "
            f"scan_chunks {sizes['scan_chunks'] / mb:,.1f} MB, job queue "
            f"{sizes['queue'] / mb:,.1f} MB)"
        )
    finally:
        if not args.keep:
            drop_scratch_database(server_url, name)


if __name__ == "__main__":
    main()
