"""Data-subject request benchmark: access package and erasure of one subject in a large archive.

    .venv/bin/python -m bench.dsr [--items 1000000] [--subject-items 10000] [--mentions 1000]

Builds an archive of ``--items`` feedback items (bulk COPY) in which one subject wrote
``--subject-items``; others reply to ``--mentions`` of them naming the subject, and the subject
replied to as many of theirs. Every item is stored as scanned, a quarter of the others' items
and all of the subject's with a finding. Then, through the domain functions (what
``POST /v1/requests/{id}/execute`` runs): an access request (built twice: cold, then warm) and
an erasure. Targets: access package < 1 s, erasure < 2 s.

Runs in a scratch database on the embedded PostgreSQL (`.data/bench`), or on the server of
DATABASE_URL, and drops it afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import hashlib
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.queries import bench_queries  # noqa: E402
from bench.scratch import create_scratch_database, drop_scratch_database  # noqa: E402
from service.archive.identifiers import value_hash  # noqa: E402
from service.audit import SYSTEM  # noqa: E402
from service.db import Database  # noqa: E402
from service.dsr.access import cyclic_gc_paused, gather_subject_data  # noqa: E402
from service.dsr.execute import execute_request  # noqa: E402
from service.dsr.package import build_access_package  # noqa: E402
from service.dsr.requests import create_request, lock_request, verify_request  # noqa: E402
from service.dsr.settings import DsrSettings  # noqa: E402

SECRET = b"dsr-benchmark-secret-0123456789abcdef"
PLATFORMS = ("x", "instagram", "reddit", "facebook", "trustpilot")
SUBJECT_HANDLE = "anna_bench"
THIRD_PARTY = "Chris Example"
SCANNED_AT = datetime(2025, 6, 1, tzinfo=UTC)
TEXTS = (
    "The checkout page froze again when I paid by card, please fix it",
    "Delivery took nine days and the box was damaged on arrival",
    "Love the new dark mode, the app feels much faster now",
    "Support answered within an hour and solved my login problem",
    "Prices went up twice this year, thinking of switching",
)


def build_archive(url: str, items: int, subject_items: int, mentions: int) -> dict:
    """Bulk-load subjects, identifiers, items and findings; return counts and load time."""
    rng = random.Random(7)
    q = bench_queries()
    started = time.perf_counter()
    others = max(1, (items - subject_items) // 10)
    target = uuid.uuid4()
    subject_ids = [uuid.uuid4() for _ in range(others)]
    with psycopg.connect(url) as conn:
        with conn.cursor().copy(q["copy_bench_subjects"]) as copy:
            copy.write_row((target,))
            for subject_id in subject_ids:
                copy.write_row((subject_id,))
        with conn.cursor().copy(q["copy_bench_identifiers"]) as copy:
            for kind, platform, value in (
                ("handle", "x", SUBJECT_HANDLE),
                ("email", None, "anna.bench@example.com"),
                ("name", "x", "Anna Bench"),
            ):
                copy.write_row((target, kind, platform, value, value_hash(SECRET, kind, value)))
            for index, subject_id in enumerate(subject_ids):
                handle = f"user{index}"
                platform = PLATFORMS[index % len(PLATFORMS)]
                copy.write_row(
                    (subject_id, "handle", platform, handle, value_hash(SECRET, "handle", handle))
                )

        subject_item_ids = [uuid.uuid4() for _ in range(subject_items)]
        other_item_ids = [uuid.uuid4() for _ in range(items - subject_items)]
        # The subject replies to the first `mentions` of the others' items; the next `mentions`
        # of the others' items reply to the subject's first items and name the subject.
        parents = dict(zip(subject_item_ids[:mentions], other_item_ids[:mentions], strict=False))
        replies = dict(
            zip(other_item_ids[mentions : 2 * mentions], subject_item_ids[:mentions], strict=False)
        )
        subject_hash = value_hash(SECRET, "handle", SUBJECT_HANDLE)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        findings: list[tuple] = []
        with conn.cursor().copy(q["copy_bench_items"]) as copy:
            for index, item_id in enumerate(subject_item_ids + other_item_ids):
                own = index < subject_items
                author = target if own else subject_ids[rng.randrange(others)]
                body = TEXTS[index % len(TEXTS)]
                item_findings: list[tuple[str, int, int, bytes]] = []
                if own:
                    text = f"{body}. Ask {THIRD_PARTY} too."
                    offset = text.index(THIRD_PARTY)
                    item_findings.append(
                        (
                            "PERSON",
                            offset,
                            offset + len(THIRD_PARTY),
                            value_hash(SECRET, "PERSON", THIRD_PARTY),
                        )
                    )
                    parent = parents.get(item_id)
                elif item_id in replies:
                    text = f"@{SUBJECT_HANDLE} {body.lower()}"
                    item_findings.append(
                        ("SOCIAL_HANDLE", 0, len(SUBJECT_HANDLE) + 1, subject_hash)
                    )
                    parent = replies[item_id]
                else:
                    text = f"{body} (#{index})"
                    if index % 4 == 0:
                        item_findings.append(
                            ("PERSON", 0, 3, hashlib.sha256(str(index).encode()).digest())
                        )
                    parent = None
                public_text = text
                for entity_type, begin, end, _ in reversed(item_findings):
                    public_text = public_text[:begin] + f"<{entity_type}>" + public_text[end:]
                digest = hashlib.sha256(text.encode()).digest()
                copy.write_row(
                    (
                        item_id,
                        "x",
                        f"post-{index}",
                        "reply" if parent else "comment",
                        "public",
                        author,
                        None,
                        parent,
                        text,
                        digest,
                        start + timedelta(seconds=index * 30),
                        "en",
                        public_text,
                        len(item_findings),
                        digest,
                        SCANNED_AT,
                        "bench",
                    )
                )
                findings.extend((item_id, *finding) for finding in item_findings)
        with conn.cursor().copy(q["copy_bench_findings"]) as copy:
            for item_id, entity_type, begin, end, digest in findings:
                copy.write_row(
                    (item_id, entity_type, begin, end, 0.85, "bench", digest, "bench", SCANNED_AT)
                )
        conn.commit()
        conn.autocommit = True
        conn.execute(q["analyze_bench_archive"])
    return {
        "seconds": time.perf_counter() - started,
        "subjects": others + 1,
        "findings": len(findings),
    }


def file_verified_request(db: Database, settings: DsrSettings, request_type: str) -> uuid.UUID:
    """File and verify a request about the benchmark subject; return its id."""
    with db.transaction() as conn:
        filed = create_request(
            conn,
            SYSTEM,
            settings,
            type=request_type,
            regime="gdpr",
            subject={"handles": [{"platform": "x", "handle": f"@{SUBJECT_HANDLE}"}]},
        )
        verify_request(conn, SYSTEM, settings, filed["id"], method="identity_document")
    return filed["id"]


def timed_execute(db: Database, settings: DsrSettings, request_id: uuid.UUID) -> tuple[float, dict]:
    """Execute a request; return the seconds it took and its result."""
    started = time.perf_counter()
    done = execute_request(db, SYSTEM, settings, request_id)
    return time.perf_counter() - started, done["result"]


def access_breakdown(db: Database, settings: DsrSettings, request_id: uuid.UUID) -> dict:
    """Time the two halves of an access package: reading the data and building the ZIP."""
    with db.transaction() as conn:
        request = lock_request(conn, request_id)
        with cyclic_gc_paused():
            started = time.perf_counter()
            subject, records, _ = gather_subject_data(conn, settings, request)
            gathered = time.perf_counter()
            build_access_package(
                request={"id": request_id, "regime": "gdpr", "type": "access"},
                subject=subject,
                records=records,
                controller={},
                generated_at=datetime.now(UTC),
            )
            built = time.perf_counter()
        conn.rollback()
    return {"gather": gathered - started, "build": built - gathered}


def main() -> None:
    """Build the archive, run the requests and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--subject-items", type=int, default=10_000)
    parser.add_argument("--mentions", type=int, default=1_000)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()
    if not 0 < args.subject_items <= args.items or 2 * args.mentions > args.items:
        parser.error("need 0 < --subject-items <= --items and 2 * --mentions <= --items")
    args.mentions = min(args.mentions, args.subject_items)

    server_url, name, url = create_scratch_database("dsr_bench")
    db = None
    try:
        loaded = build_archive(url, args.items, args.subject_items, args.mentions)
        print(
            f"archive: {args.items:,} items ({args.subject_items:,} by the subject, "
            f"{args.mentions:,} replies naming them), {loaded['subjects']:,} subjects, "
            f"{loaded['findings']:,} findings; loaded in {loaded['seconds']:.1f} s"
        )
        db = Database(url, min_size=1, max_size=2)
        settings = DsrSettings(secret=SECRET)

        for attempt in ("cold", "warm"):
            request_id = file_verified_request(db, settings, "access")
            seconds, result = timed_execute(db, settings, request_id)
            print(
                f"access package ({attempt}): {seconds:.3f} s for {result['items']:,} items, "
                f"{result['related_items']:,} related items, {result['findings']:,} findings; "
                f"{result['package']['size_bytes'] / 1e6:.1f} MB ZIP"
            )
        parts = access_breakdown(db, settings, request_id)
        print(
            f"  of which: read and redact {parts['gather']:.3f} s, build ZIP {parts['build']:.3f} s"
        )

        request_id = file_verified_request(db, settings, "erasure")
        seconds, result = timed_execute(db, settings, request_id)
        print(
            f"erasure: {seconds:.3f} s: {result['items_deleted']:,} items and "
            f"{result['findings_deleted']:,} findings deleted, {result['mentions_redacted']:,} "
            f"mentions redacted, {result['suppression_entries_added']:,} suppression entries"
        )
        with psycopg.connect(url, row_factory=dict_row) as conn:
            left = conn.execute(bench_queries()["count_bench_items"]).fetchone()["n"]
        print(f"items left in the archive: {left:,}")
    finally:
        if db is not None:
            db.close()
        if not args.keep:
            drop_scratch_database(server_url, name)


if __name__ == "__main__":
    main()
