"""The signer: appends in parallel, positions in commit order, and refuses any forged history.

Attacks are done as a database superuser would: triggers off, tables rewritten, hashes
recomputed with the real hash functions. The signer keeps its memory (the last signed tree) in
a file beside its key, which the database cannot reach.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from psycopg.rows import dict_row

from service.audit import SYSTEM, Actor, merkle, record_event
from service.audit.signer import SignerRefused, read_state
from tests.audit.helpers import fill, forge_event, rewrite_event, superuser

_superuser = superuser


def _rebuild_tree(conn: psycopg.Connection) -> None:
    """Recompute every leaf and node from the events as positioned now (an attacker's rebuild)."""
    rows = conn.execute(
        "SELECT e.leaf FROM audit_leaves l JOIN audit_events e ON e.id = l.event_id ORDER BY l.seq"
    ).fetchall()
    hashes = merkle.MemoryHashes()
    for row in rows:
        hashes.append(merkle.leaf_hash(bytes(row["leaf"])))
    conn.execute("DELETE FROM audit_tree")
    with conn.cursor().copy("COPY audit_tree (level, idx, hash) FROM STDIN") as copy:
        for (level, idx), value in hashes.nodes.items():
            copy.write_row((level, idx, value))


@pytest.fixture
def signed_log(auditor, db_url, integrate_audit) -> int:
    """Return the size of a signed log: the auditor's key and 9 filled events (10 in all)."""
    fill(db_url, 9)
    integrate_audit()
    return 10


def _checkpoint_sizes(conn) -> list[int]:
    return [r["tree_size"] for r in conn.execute("SELECT tree_size FROM audit_checkpoints")]


def _assert_refused(integrate_audit, conn, client, match: str) -> None:
    before = _checkpoint_sizes(conn)
    fill_url = conn.info.dsn
    fill(fill_url, 2)  # new events arrive: still nothing may be signed
    with pytest.raises(SignerRefused, match=match):
        integrate_audit()
    assert _checkpoint_sizes(conn) == before
    ready = client.get("/ready")
    assert ready.status_code == 503
    assert match.split(".*")[0] in ready.get_json()["detail"]
    alarm = conn.execute("SELECT reason FROM audit_alarms ORDER BY id DESC LIMIT 1").fetchone()
    assert alarm is not None and alarm["reason"] in ready.get_json()["detail"]


def test_concurrent_appends_are_plain_inserts_positioned_once_each(
    app, db_url, integrate_audit, conn
):
    errors = []

    def write(index: int) -> None:
        try:
            with psycopg.connect(db_url) as own:
                for number in range(25):
                    with own.transaction():
                        record_event(
                            own,
                            Actor(None, "system", f"w{index}"),
                            "test.concurrent",
                            details={"n": number},
                        )
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    integrate_audit()  # a pass while writers are busy sees a consistent prefix of commits
    for thread in threads:
        thread.join()
    assert not errors
    integrate_audit()
    rows = conn.execute("SELECT seq, event_id FROM audit_leaves ORDER BY seq").fetchall()
    assert [r["seq"] for r in rows] == list(range(1, 151))
    events = conn.execute("SELECT id FROM audit_events").fetchall()
    assert sorted(r["event_id"] for r in rows) == sorted(r["id"] for r in events)


def test_a_rolled_back_action_leaves_no_event(app, db_url, integrate_audit, conn):
    with psycopg.connect(db_url) as own, pytest.raises(RuntimeError), own.transaction():
        record_event(own, SYSTEM, "test.rolled_back")
        raise RuntimeError("the action failed")
    integrate_audit()
    assert (
        conn.execute(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'test.rolled_back'"
        ).fetchone()["n"]
        == 0
    )


def test_the_signer_keeps_its_state_outside_the_database(signed_log, signer_settings, conn):
    state = read_state(signer_settings.state_path)
    assert state.size == signed_log
    stored = conn.execute("SELECT note FROM audit_checkpoints ORDER BY tree_size DESC").fetchone()
    assert state.note == stored["note"]
    assert str(signer_settings.state_path).startswith(str(signer_settings.state_path.parent))
    assert signer_settings.state_path.stat().st_mode & 0o077 == 0


def test_a_crash_after_storing_positions_is_resumed_not_refused(
    signed_log, signer_settings, db_url, integrate_audit, conn
):
    saved = signer_settings.state_path.read_text()
    fill(db_url, 3)
    integrate_audit()
    signer_settings.state_path.write_text(saved)  # as if the signer died before saving state
    fill(db_url, 1)
    assert integrate_audit() == 4
    assert max(_checkpoint_sizes(conn)) == signed_log + 4


def test_rewriting_history_and_its_tree_is_refused(signed_log, integrate_audit, conn, client):
    _superuser(conn)
    rewrite_event(conn, 4, details={"n": 99})
    _rebuild_tree(conn)
    _assert_refused(integrate_audit, conn, client, "history was rewritten")


def test_cutting_the_tail_is_refused(signed_log, integrate_audit, conn, client):
    _superuser(conn)
    conn.execute("DELETE FROM audit_leaves WHERE seq > 7")
    conn.execute("DELETE FROM audit_tree WHERE (idx + 1) * (1::bigint << level) > 7")
    _assert_refused(integrate_audit, conn, client, "truncated or rolled back")


def test_restoring_an_older_backup_is_refused(signed_log, integrate_audit, conn, client, db_url):
    # A backup taken at 10 events, restored after the signer signed 13.
    fill(db_url, 3)
    integrate_audit()
    _superuser(conn)
    conn.execute("DELETE FROM audit_cosignatures")
    conn.execute("DELETE FROM audit_checkpoints WHERE tree_size > 10")
    conn.execute("DELETE FROM audit_leaves WHERE seq > 10")
    conn.execute("DELETE FROM audit_tree WHERE (idx + 1) * (1::bigint << level) > 10")
    conn.execute("DELETE FROM audit_events WHERE id > 10")
    _assert_refused(integrate_audit, conn, client, "truncated or rolled back")


def test_a_forged_event_inserted_in_the_middle_is_refused(
    signed_log, integrate_audit, conn, client
):
    _superuser(conn)
    when = conn.execute("SELECT occurred_at FROM audit_events WHERE id = 3").fetchone()
    forged = forge_event(conn, when["occurred_at"], "erasure.executed")
    # Shift positions 4.. up by one and put the forged event at 4.
    conn.execute("UPDATE audit_leaves SET seq = seq + 1000 WHERE seq >= 4")
    conn.execute("UPDATE audit_leaves SET seq = seq - 999 WHERE seq > 1000")
    conn.execute("INSERT INTO audit_leaves (seq, event_id) VALUES (4, %s)", [forged])
    _rebuild_tree(conn)
    _assert_refused(integrate_audit, conn, client, "history was rewritten")


def test_a_forged_back_dated_insert_can_only_join_the_end(
    signed_log, integrate_audit, conn, client
):
    # A plain INSERT with an old timestamp: the signed history cannot take it in; it gets the
    # next position, after every event already signed, for auditors to see.
    forge_event(conn, datetime.now(UTC) - timedelta(days=30), "erasure.executed")
    integrate_audit()
    row = conn.execute(
        "SELECT l.seq FROM audit_leaves l JOIN audit_events e ON e.id = l.event_id "
        "WHERE e.action = 'erasure.executed'"
    ).fetchone()
    assert row["seq"] == signed_log + 1
    assert client.get("/ready").status_code == 200


def test_a_lost_state_file_is_refused_not_rebuilt_from_the_database(
    signed_log, signer_settings, integrate_audit, conn, client
):
    signer_settings.state_path.unlink()
    _assert_refused(integrate_audit, conn, client, "has no state")


def test_ready_clears_once_the_log_is_restored(signed_log, integrate_audit, conn, client, db_url):
    _superuser(conn)
    saved = conn.execute("SELECT * FROM audit_leaves WHERE seq = 10").fetchone()
    conn.execute("DELETE FROM audit_leaves WHERE seq = 10")
    with pytest.raises(SignerRefused):
        integrate_audit()
    assert client.get("/ready").status_code == 503
    conn.execute("INSERT INTO audit_leaves VALUES (%(seq)s, %(event_id)s)", saved)
    fill(db_url, 1)
    integrate_audit()
    assert client.get("/ready").status_code == 200


def test_only_one_signer_runs_per_database(signed_log, db_url, signer_settings):
    from service.audit.signer import AuditSigner, SignerBusy

    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as first:
        AuditSigner(first, signer_settings).lock()
        with psycopg.connect(db_url, autocommit=True) as second, pytest.raises(SignerBusy):
            AuditSigner(second, signer_settings).lock()


def test_the_running_signer_signs_new_events_within_its_delay(
    auditor, db_url, app_config, conn, client
):
    from service.audit.signer import run_signer
    from service.audit.signing import load_signer_settings

    settings = load_signer_settings({**app_config, "PRIVACY_AUDIT_MAX_DELAY": 0.2})
    stop = threading.Event()
    thread = threading.Thread(target=run_signer, args=(db_url, settings, stop), daemon=True)
    thread.start()
    try:
        fill(db_url, 3)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and max(_checkpoint_sizes(conn), default=0) < 4:
            time.sleep(0.05)
        assert max(_checkpoint_sizes(conn)) == 4
        assert client.get("/ready").status_code == 200
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
