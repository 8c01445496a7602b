"""Helpers for audit tests: PII search in the log and its exports, offline verification, fills."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg
from click.testing import CliRunner
from psycopg.rows import dict_row

from service.audit import Actor, record_event
from service.cli import main
from service.runtime import Runtime

AUDIT_TABLES = ("audit_events", "audit_checkpoints")


def assert_no_pii_in_audit(
    conn: psycopg.Connection,
    client,
    auth: Callable[[str], dict],
    needles: Iterable[str],
) -> None:
    """Assert that no needle (case-insensitive) is in the audit tables or in an export of them.

    Searches every column of every row (as PostgreSQL prints it), the JSON-lines export and the
    CSV export. Call it after sending the needles through the endpoints under test.
    """
    needles = [needle for needle in needles if needle]
    assert needles, "give at least one needle"
    found = []
    for table in AUDIT_TABLES:
        rows = conn.execute(f"SELECT seq, to_jsonb(t)::text AS line FROM {table} t ORDER BY seq")
        for row in rows:
            found += [f"{table} seq {row['seq']}: {n!r}" for n in needles if _has(row["line"], n)]
    for export_format in ("jsonl", "csv"):
        response = client.get(f"/v1/audit/export?format={export_format}", headers=auth("auditor"))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_data(as_text=True)
        found += [f"{export_format} export: {n!r}" for n in needles if _has(body, n)]
    assert not found, "personal data reached the audit log:\n" + "\n".join(found)


def _has(text: str, needle: str) -> bool:
    lowered = text.lower()
    # Also the JSON-escaped form, in case a needle holds characters JSON escapes.
    escaped = json.dumps(needle, ensure_ascii=False)[1:-1].lower()
    return needle.lower() in lowered or escaped in lowered


def _connect(db: str | Runtime) -> psycopg.Connection:
    """Connect to a URL (no audit settings: no automatic checkpoint) or through a runtime."""
    if isinstance(db, str):
        return psycopg.connect(db, row_factory=dict_row)
    return db.connect()


def fill(db: str | Runtime, count: int, *, action: str = "test.filled") -> None:
    """Append `count` events, one transaction each, as the system would."""
    actor = Actor(key_id=None, role="system", request_id="fill")
    with _connect(db) as conn:
        for number in range(count):
            with conn.transaction():
                record_event(
                    conn, actor, action, target_type="item", target_id=number, details={"n": number}
                )


def fill_fast(db: str | Runtime, count: int, *, action: str = "test.filled") -> None:
    """Append `count` events in one transaction (many events, little time)."""
    actor = Actor(key_id=None, role="system", request_id="fill")
    with _connect(db) as conn:
        for number in range(count):
            record_event(conn, actor, action, target_type="item", target_id=number)


def verify_offline(path: Path, public_key: str) -> tuple[int, str]:
    """Run `privacy-service audit verify` in-process; return (exit code, stdout + stderr)."""
    result = CliRunner().invoke(main, ["audit", "verify", str(path), "--public-key", public_key])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def parse_jsonl(text: str) -> list[dict]:
    """Return the records of a JSON-lines export."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]
