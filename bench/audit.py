"""Audit log benchmark: append rate under concurrent writers, export rate, verify time at 1M events.

    .venv/bin/python -m bench.audit [--events 1000000] [--writers 4] [--append-seconds 10]

Runs in a scratch database on the embedded PostgreSQL (`.data/bench`), or on the server of
DATABASE_URL, and drops it afterwards (unless --keep).
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from bench.queries import bench_queries
from bench.scratch import BENCH_DATA, create_scratch_database, drop_scratch_database
from service import create_app
from service.audit import Actor, record_event
from service.audit.canonical import canonical_json, format_timestamp
from service.audit.events import row_hash
from service.audit.export import EVENT_FIELDS
from service.audit.signing import AuditSettings
from service.auth import create_key

ACTIONS = ("key.created", "auth.denied", "redaction.performed", "dsr.created", "archive.stored")
COPY_NULL = "\\N"


def _copy_text(value: object) -> str:
    """Escape one value for PostgreSQL's text COPY format."""
    if value is None:
        return COPY_NULL
    text = canonical_json(value).decode() if isinstance(value, dict) else str(value)
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def synthetic_events(
    settings: AuditSettings, count: int, *, start_seq: int, prev_hash: str, start: datetime
) -> Iterator[tuple[dict, dict | None]]:
    """Yield (event, checkpoint or None) for a chain continuing at start_seq, one event per ms."""
    actors = [str(uuid.uuid4()) for _ in range(20)]
    every = settings.checkpoint_every
    for offset in range(count):
        seq = start_seq + offset
        event = {
            "seq": seq,
            "occurred_at": format_timestamp(start + timedelta(milliseconds=offset)),
            "actor_type": "key",
            "actor_key_id": actors[seq % len(actors)],
            "actor_role": "moderator",
            "action": ACTIONS[seq % len(ACTIONS)],
            "target_type": "item",
            "target_id": str(seq),
            "subject_ref": None,
            "request_id": f"bench{seq:012d}",
            "outcome": "success",
            "details": {"entities": seq % 7, "language": "en"},
            "prev_hash": prev_hash,
        }
        event["hash"] = prev_hash = row_hash(event)
        checkpoint = settings.sign_checkpoint(seq, event["hash"]) if seq % every == 0 else None
        yield event, checkpoint


def bulk_load(url: str, settings: AuditSettings, count: int) -> float:
    """Append `count` chained events (and their checkpoints) with COPY; return the seconds taken."""
    q = bench_queries()
    started = time.perf_counter()
    with psycopg.connect(url, row_factory=dict_row) as conn:
        head = conn.execute(q["lock_audit_head"]).fetchone()
        checkpoints = []
        last = {"seq": head["seq"], "hash": head["hash"]}
        start = datetime.now(UTC) - timedelta(milliseconds=count)
        events = synthetic_events(
            settings, count, start_seq=head["seq"] + 1, prev_hash=head["hash"], start=start
        )
        with conn.cursor().copy(q["copy_bench_audit_events"]) as copy:
            buffer = []
            for event, checkpoint in events:
                buffer.append("\t".join(_copy_text(event[name]) for name in EVENT_FIELDS) + "\n")
                if checkpoint:
                    checkpoints.append(checkpoint)
                if len(buffer) >= 5000:
                    copy.write("".join(buffer))
                    buffer.clear()
                last = event
            copy.write("".join(buffer))
        with conn.cursor().copy(q["copy_bench_audit_checkpoints"]) as copy:
            for checkpoint in checkpoints:
                copy.write_row(
                    (checkpoint["seq"], checkpoint["hash"], checkpoint["signed_at"])
                    + (checkpoint["signature"],)
                )
        checkpoint_seq = checkpoints[-1]["seq"] if checkpoints else head["checkpoint_seq"]
        conn.execute(
            q["update_audit_head"],
            {"seq": last["seq"], "hash": last["hash"], "checkpoint_seq": checkpoint_seq},
        )
        conn.commit()
        conn.execute(q["analyze_bench_audit_tables"])
    return time.perf_counter() - started


def append_rate(url: str, writers: int, seconds: float) -> tuple[int, float]:
    """Append events from `writers` threads, one event per transaction; return (events, rate)."""
    counts = [0] * writers
    deadline = time.monotonic() + seconds
    errors: list[BaseException] = []

    def write(index: int) -> None:
        actor = Actor(key_id=uuid.uuid4(), role="moderator", request_id=f"writer{index}")
        try:
            with psycopg.connect(url, autocommit=True, row_factory=dict_row) as conn:
                while time.monotonic() < deadline:
                    with conn.transaction():
                        record_event(
                            conn, actor, "bench.appended", target_type="item", details={"n": 1}
                        )
                    counts[index] += 1
        except BaseException as exc:  # reported after the threads join
            errors.append(exc)

    started = time.perf_counter()
    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise errors[0]
    return sum(counts), sum(counts) / elapsed


def _peak_rss_reset() -> bool:
    """Reset this process's peak RSS (Linux); return False where that is not possible."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def _rss_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def export_rate(client, headers: dict, export_format: str) -> tuple[int, float, float, int | None]:
    """Stream a full export; return (lines, seconds, CPU seconds, peak RSS growth in KiB)."""
    measured = _peak_rss_reset()
    baseline = _rss_kib("VmRSS")
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(
        f"/v1/audit/export?format={export_format}", headers=headers, buffered=False
    )
    assert response.status_code == 200, response.status_code
    lines = 0
    for chunk in response.response:
        lines += chunk.count(b"\n")
    response.close()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    growth = _rss_kib("VmHWM") - baseline if measured else None
    return lines, elapsed, cpu, growth


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--writers", type=int, default=4)
    parser.add_argument("--append-seconds", type=float, default=10.0)
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    args = parser.parse_args()

    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    server_url, name, url = create_scratch_database("audit_bench")
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "PRIVACY_DATA_DIR": str(BENCH_DATA / "app"),
        "PRIVACY_DB_POOL_MIN": 0,
    }
    try:
        app = create_app(config)
        settings = app.extensions["privacy"].audit
        seconds = bulk_load(url, settings, args.events)
        print(f"bulk load: {args.events:,} events in {seconds:.1f} s (COPY, chain in Python)")

        appended, rate = append_rate(url, args.writers, args.append_seconds)
        print(f"append: {rate:,.0f} events/s with {args.writers} writers ({appended:,} events)")

        with psycopg.connect(url, row_factory=dict_row) as conn:
            _, raw = create_key(conn, Actor(None, "system"), name="bench", role="auditor")
        client = app.test_client()
        headers = {"Authorization": f"Bearer {raw}"}
        for export_format in ("jsonl", "csv"):
            lines, elapsed, cpu, growth = export_rate(client, headers, export_format)
            memory = f", peak RSS +{growth / 1024:.1f} MiB" if growth is not None else ""
            print(
                f"export {export_format}: {lines:,} lines in {elapsed:.1f} s = "
                f"{lines / elapsed:,.0f} lines/s ({cpu:.1f} s CPU){memory}"
            )

        started, cpu = time.perf_counter(), time.process_time()
        report = client.get("/v1/audit/verify", headers=headers).get_json()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"verify: {report['checked']:,} events, {report['checkpoints_checked']:,} "
            f"checkpoints in {elapsed:.1f} s, {cpu:.1f} s of it on this process's CPU "
            f"(ok={report['ok']})"
        )
        app.extensions["privacy"].database.close()
    finally:
        if not args.keep:
            drop_scratch_database(server_url, name)


if __name__ == "__main__":
    main()
