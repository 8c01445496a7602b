"""Helpers for audit tests: PII search in the log and its exports, offline verification, fills."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from pathlib import Path

import psycopg
from click.testing import CliRunner
from psycopg.rows import dict_row

from service.audit import Actor, record_event
from service.cli import main

AUDIT_TABLES = ("audit_events", "audit_checkpoints")


def assert_no_pii_in_audit(
    conn: psycopg.Connection,
    client,
    auth: Callable[[str], dict],
    needles: Iterable[str],
    integrate: Callable[[], int],
) -> None:
    """Assert that no needle (case-insensitive) is in the audit tables or in an export of them.

    Signs what is pending, then searches every column of every row (as PostgreSQL prints it),
    the JSON-lines export (its base64 leaves decoded too) and the CSV export.
    Call it after sending the needles through the endpoints under test.
    """
    needles = [needle for needle in needles if needle]
    assert needles, "give at least one needle"
    integrate()
    found = []
    for table in AUDIT_TABLES:
        rows = conn.execute(f"SELECT to_jsonb(t)::text AS line FROM {table} t")
        for number, row in enumerate(rows, start=1):
            found += [f"{table} row {number}: {n!r}" for n in needles if _has(row["line"], n)]
    for export_format in ("jsonl", "csv"):
        response = client.get(f"/v1/audit/export?format={export_format}", headers=auth("auditor"))
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_data(as_text=True)
        found += [f"{export_format} export: {n!r}" for n in needles if _has(body, n)]
        if export_format == "jsonl":
            leaves = "\n".join(
                base64.b64decode(record["leaf"]).decode()
                for record in parse_jsonl(body)
                if record["type"] == "event"
            )
            found += [f"jsonl leaves: {n!r}" for n in needles if _has(leaves, n)]
    assert not found, "personal data reached the audit log:\n" + "\n".join(found)


def _has(text: str, needle: str) -> bool:
    lowered = text.lower()
    # Also the JSON-escaped form, in case a needle holds characters JSON escapes.
    escaped = json.dumps(needle, ensure_ascii=False)[1:-1].lower()
    return needle.lower() in lowered or escaped in lowered


def fill(db_url: str, count: int, *, action: str = "test.filled") -> None:
    """Append `count` events, one transaction each, as the system would."""
    actor = Actor(key_id=None, role="system", request_id="fill")
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        for number in range(count):
            with conn.transaction():
                record_event(
                    conn, actor, action, target_type="item", target_id=number, details={"n": number}
                )


def run_cli(*args: str, env: dict | None = None) -> tuple[int, str]:
    """Run `privacy-service ARGS` in-process; return (exit code, stdout + stderr)."""
    result = CliRunner().invoke(main, list(args), env=env)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


def verify_offline(path: Path, verifier_key: str, *extra: str) -> tuple[int, str]:
    """Run `privacy-service audit verify` in-process; return (exit code, stdout + stderr)."""
    return run_cli("audit", "verify", str(path), "--verifier-key", verifier_key, *extra)


def parse_jsonl(text: str) -> list[dict]:
    """Return the records of a JSON-lines export."""
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def superuser(conn: psycopg.Connection) -> None:
    """Turn off every trigger for this session (what a database superuser can do)."""
    conn.execute("SET session_replication_role = replica")


def rewrite_event(conn: psycopg.Connection, event_id: int, **changes) -> None:
    """Change an event's values in its leaf and its columns alike, as a careful forger would."""
    from psycopg.types.json import Jsonb

    from service.audit.events import leaf_bytes

    row = conn.execute("SELECT leaf FROM audit_events WHERE id = %s", [event_id]).fetchone()
    fields = {**json.loads(bytes(row["leaf"])), **changes}
    for name, value in changes.items():
        value = Jsonb(value) if name == "details" else value
        conn.execute(
            f"UPDATE audit_events SET {name} = %s WHERE id = %s",  # noqa: S608 - test helper
            [value, event_id],
        )
    conn.execute("UPDATE audit_events SET leaf = %s WHERE id = %s", [leaf_bytes(fields), event_id])


def forge_event(conn: psycopg.Connection, occurred_at, action: str) -> int:
    """Insert a well-formed system event directly, as a database writer could; return its id."""
    from service.audit.events import leaf_bytes

    fields = {
        "occurred_at": occurred_at,
        "actor_type": "system",
        "actor_key_id": None,
        "actor_role": "system",
        "action": action,
        "target_type": None,
        "target_id": None,
        "subject_ref": None,
        "request_id": None,
        "outcome": "success",
        "details": {},
    }
    return conn.execute(
        "INSERT INTO audit_events (occurred_at, actor_type, actor_role, action, outcome, leaf) "
        "VALUES (%s, 'system', 'system', %s, 'success', %s) RETURNING id",
        [occurred_at, action, leaf_bytes(fields)],
    ).fetchone()["id"]
