"""The chain itself: append-only tables, gap-free seq under concurrency, automatic checkpoints."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.rows import dict_row

from service.audit import SYSTEM, Actor, record_event
from service.audit.canonical import canonical_json
from service.audit.events import GENESIS_HASH, canonical_event, canonical_event_json, row_hash
from service.audit.log import verify_log
from service.runtime import bootstrap
from tests.audit.conftest import CHECKPOINT_EVERY
from tests.audit.helpers import fill


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_events SET outcome = 'failure' WHERE seq = 1",
        "DELETE FROM audit_events WHERE seq = 1",
        "TRUNCATE audit_events, audit_checkpoints",
        "UPDATE audit_checkpoints SET signature = 'x'",
        "DELETE FROM audit_checkpoints",
    ],
)
def test_triggers_reject_changes_even_for_a_superuser(app, db_url, conn, statement, runtime):
    fill(runtime, CHECKPOINT_EVERY)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="append-only"):
        conn.execute(statement)
    assert conn.execute("SELECT count(*) AS n FROM audit_events").fetchone()["n"] == 5
    assert conn.execute("SELECT count(*) AS n FROM audit_checkpoints").fetchone()["n"] == 1


def test_truncating_the_checkpoints_alone_is_rejected(app, db_url, conn, runtime):
    fill(runtime, CHECKPOINT_EVERY)
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="audit_checkpoints"):
        conn.execute("TRUNCATE audit_checkpoints")


def test_concurrent_writers_keep_seq_gap_free_and_checkpoints_regular(app, db_url, conn, runtime):
    writers, per_writer = 6, 25
    errors: list[BaseException] = []

    def write(number: int) -> None:
        actor = Actor(key_id=uuid.uuid4(), role="moderator", request_id=f"w{number}")
        try:
            with runtime.connect() as own:
                for index in range(per_writer):
                    with own.transaction():
                        record_event(own, actor, "test.concurrent", details={"i": index})
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors

    total = writers * per_writer
    seqs = [r["seq"] for r in conn.execute("SELECT seq FROM audit_events ORDER BY seq")]
    assert seqs == list(range(1, total + 1))
    checkpoints = [r["seq"] for r in conn.execute("SELECT seq FROM audit_checkpoints ORDER BY 1")]
    assert checkpoints == list(range(CHECKPOINT_EVERY, total + 1, CHECKPOINT_EVERY))
    with psycopg.connect(db_url, row_factory=dict_row) as own:
        report = verify_log(own, app.extensions["privacy"].audit.signing_key.public_key())
    assert report.ok, report
    assert (report.checked, report.checkpoints_checked) == (total, total // CHECKPOINT_EVERY)


def test_the_checkpoint_is_written_in_the_event_transaction(app, db_url, conn, runtime):
    fill(runtime, CHECKPOINT_EVERY - 1)
    with runtime.connect() as own:
        record_event(own, SYSTEM, "test.rolled_back")
        assert own.execute("SELECT count(*) AS n FROM audit_checkpoints").fetchone()["n"] == 1
        own.rollback()
    assert conn.execute("SELECT count(*) AS n FROM audit_checkpoints").fetchone()["n"] == 0
    head = conn.execute("SELECT seq, checkpoint_seq FROM audit_head").fetchone()
    assert (head["seq"], head["checkpoint_seq"]) == (CHECKPOINT_EVERY - 1, 0)

    fill(runtime, 1)
    checkpoint = conn.execute("SELECT seq, hash FROM audit_checkpoints").fetchone()
    event = conn.execute("SELECT hash FROM audit_events WHERE seq = %s", [CHECKPOINT_EVERY])
    assert checkpoint["seq"] == CHECKPOINT_EVERY
    assert checkpoint["hash"] == event.fetchone()["hash"]


def test_without_settings_no_checkpoint_then_the_next_configured_writer_catches_up(
    db_url, conn, app_config
):
    # Plain connections carry no audit settings: nothing signs for them.
    fill(db_url, CHECKPOINT_EVERY + 2)
    assert conn.execute("SELECT count(*) AS n FROM audit_checkpoints").fetchone()["n"] == 0

    runtime = bootstrap(app_config)
    try:
        fill(runtime, 1)
    finally:
        runtime.close()
    rows = conn.execute("SELECT seq FROM audit_checkpoints").fetchall()
    assert [r["seq"] for r in rows] == [CHECKPOINT_EVERY + 3]


def test_a_checkpoint_interval_of_zero_disables_automatic_checkpoints(app_config, conn):
    runtime = bootstrap({**app_config, "PRIVACY_AUDIT_CHECKPOINT_EVERY": 0})
    try:
        fill(runtime, 12)
    finally:
        runtime.close()
    assert conn.execute("SELECT count(*) AS n FROM audit_checkpoints").fetchone()["n"] == 0


def test_events_chain_from_genesis(app, db_url, conn, runtime):
    fill(runtime, 3)
    rows = conn.execute("SELECT * FROM audit_events ORDER BY seq").fetchall()
    assert rows[0]["prev_hash"] == GENESIS_HASH
    for previous, row in zip(rows, rows[1:], strict=False):
        assert row["prev_hash"] == previous["hash"]
    assert all(row_hash(row) == row["hash"] for row in rows)


@pytest.mark.parametrize(
    "event",
    [
        {
            "seq": 7,
            "occurred_at": datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
            "actor_type": "key",
            "actor_key_id": uuid.UUID("6f1c2d4e-0000-4000-8000-000000000000"),
            "actor_role": "admin",
            "action": "key.created",
            "target_type": "api_key",
            "target_id": 'quote " backslash \\ tab \t newline \n nul-free é ☃ \u2028',
            "subject_ref": None,
            "request_id": "r-1",
            "outcome": "success",
            "details": {"b": [1, 2.5, None, True], "a": {"z": "é", "y": -3}},
            "prev_hash": "ab" * 32,
        },
        {"seq": 1, "prev_hash": GENESIS_HASH, "details": None, "action": "x.y", "extra": 1},
        {"seq": True, "prev_hash": "p", "details": [], "outcome": 1.5, "target_id": ["a"]},
    ],
)
def test_the_fast_canonical_form_equals_the_general_one(event):
    assert canonical_event_json(event) == canonical_json(canonical_event(event))


def test_numbers_jsonb_would_rewrite_are_normalised_or_refused(app, db_url, conn, verify_api):
    with psycopg.connect(db_url, row_factory=dict_row) as own:
        event = record_event(own, SYSTEM, "test.numbers", details={"z": -0.0, "t": 1e-7, "h": 0.3})
        assert event["details"] == {"z": 0.0, "t": 1e-7, "h": 0.3}
        with pytest.raises(ValueError, match="integer or text"):
            record_event(own, SYSTEM, "test.numbers", details={"big": 1e16})
    report = verify_api()
    assert report["ok"], report
