"""Scans run by a real (in-process) procrastinate worker: findings, redacted text, progress."""

from __future__ import annotations

import json

import psycopg
from psycopg.rows import dict_row

from service.archive import find_mentions, find_subjects, value_hash
from service.archive.scanning import scan_chunk
from service.db import Database
from tests.archive.conftest import SECRET, make_item

PII_TEXT = "I'm Sarah Jones, call me on +44 7700 900123 or mail sarah.jones@example.com"


def test_worker_stores_findings_and_redacted_text(ingest, run_jobs, query, client, auth):
    body = ingest(make_item("1", PII_TEXT), make_item("2", "Lovely staff, quick delivery"))
    scan_url = f"/v1/scans/{body['scan_id']}"
    officer = auth("privacy_officer")
    assert client.get(scan_url, headers=officer).get_json()["status"] == "queued"

    run_jobs()

    scan = client.get(scan_url, headers=officer).get_json()
    assert scan["status"] == "done"
    assert (scan["items_total"], scan["items_done"], scan["findings_found"]) == (2, 2, 3)
    findings = query("SELECT entity_type, start_offset, end_offset FROM findings ORDER BY 2")
    assert [
        (f["entity_type"], PII_TEXT[f["start_offset"] : f["end_offset"]]) for f in findings
    ] == [
        ("PERSON", "Sarah Jones"),
        ("PHONE_NUMBER", "+44 7700 900123"),
        ("EMAIL_ADDRESS", "sarah.jones@example.com"),
    ]
    rows = query("SELECT external_id, public_text, finding_count FROM feedback_items ORDER BY 1")
    assert rows == [
        {
            "external_id": "1",
            "public_text": "I'm <PERSON>, call me on <PHONE_NUMBER> or mail <EMAIL_ADDRESS>",
            "finding_count": 3,
        },
        {"external_id": "2", "public_text": "Lovely staff, quick delivery", "finding_count": 0},
    ]
    # Findings keep a keyed hash of the value, never the value.
    stored = json.dumps(query("SELECT * FROM findings"), default=str)
    assert "7700" not in stored and "sarah" not in stored.lower()


def test_subjects_and_their_mentions_are_found_by_identifier(ingest, run_jobs, db_url):
    ingest(
        make_item("1", "Hello", author={"handle": "@Sarah_J", "phone": "+44 7700 900123"}),
        make_item("2", "My sister's number is 07700 900123", author={"handle": "tom"}),
    )
    run_jobs()
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        sarah = find_subjects(conn, SECRET, "handle", "SARAH_J", platform="x")
        assert len(sarah) == 1
        assert find_subjects(conn, SECRET, "phone", "0044 7700 900 123") == sarah
        assert find_subjects(conn, SECRET, "handle", "sarah_j", platform="instagram") == []
        mentions = find_mentions(conn, SECRET, sarah[0])
        item = conn.execute("SELECT id FROM feedback_items WHERE external_id = '2'").fetchone()
        assert [(m["item_id"], m["entity_type"]) for m in mentions] == [
            (item["id"], "PHONE_NUMBER")
        ]
        stored = conn.execute("SELECT value_hash FROM findings").fetchone()["value_hash"]
        assert stored == value_hash(SECRET, "phone", "+447700900123")


def test_requested_scan_progresses_to_done(ingest, run_jobs, client, auth, query):
    ingest(
        make_item("1", PII_TEXT),
        make_item("2", "Nothing personal here"),
        make_item(
            "3", "Call +31 6 12345678", platform="instagram", created_at="2026-05-01T00:00:00Z"
        ),
    )
    run_jobs()
    officer = auth("privacy_officer")
    findings_before = query("SELECT count(*) AS n FROM findings")[0]["n"]

    # Everything is scanned as it is: nothing to do.
    nothing = client.post("/v1/scans", json={}, headers=officer)
    assert nothing.status_code == 202
    assert (nothing.get_json()["status"], nothing.get_json()["items_total"]) == ("done", 0)

    scan = client.post(
        "/v1/scans", json={"rescan": True, "platform": "twitter"}, headers=officer
    ).get_json()
    assert (scan["status"], scan["items_total"], scan["items_done"]) == ("queued", 2, 0)
    run_jobs()
    done = client.get(f"/v1/scans/{scan['id']}", headers=officer).get_json()
    assert (done["status"], done["items_done"], done["findings_found"]) == ("done", 2, 3)
    assert done["finished_at"] is not None and done["chunks_failed"] == 0
    # A rescan replaces findings: none is duplicated.
    assert query("SELECT count(*) AS n FROM findings")[0]["n"] == findings_before

    since = client.post(
        "/v1/scans", json={"rescan": True, "since": "2026-04-01T00:00:00Z"}, headers=officer
    ).get_json()
    assert since["items_total"] == 1


def test_scan_without_rescan_picks_items_of_an_older_engine_version(
    ingest, run_jobs, client, auth, query
):
    ingest(make_item("1", PII_TEXT), make_item("2", "Nothing personal here"))
    run_jobs()
    query("UPDATE feedback_items SET engine_version = 'older' WHERE external_id = '1'")
    scan = client.post("/v1/scans", json={}, headers=auth("privacy_officer")).get_json()
    assert scan["items_total"] == 1
    run_jobs()
    assert query("SELECT DISTINCT engine_version FROM feedback_items")[0]["engine_version"] != (
        "older"
    )


def test_scan_chunk_is_idempotent(ingest, db_url, engine, query):
    body = ingest(make_item("1", PII_TEXT), make_item("2", "Call +31 6 12345678"))
    database = Database(db_url, min_size=0, max_size=2)
    try:
        first = scan_chunk(database.pool, engine, SECRET, body["scan_id"], 0)
        again = scan_chunk(database.pool, engine, SECRET, body["scan_id"], 0)
    finally:
        database.close()
    assert first["status"] == "done" and first["scanned"] == 2
    assert again == {"status": "already_done"}
    assert query("SELECT count(*) AS n FROM findings")[0]["n"] == 4
    assert query("SELECT items_done, chunks_done FROM scan_runs") == [
        {"items_done": 2, "chunks_done": 1}
    ]


def test_scans_are_audited_without_text(ingest, run_jobs, client, auth, query):
    ingest(make_item("1", PII_TEXT))
    run_jobs()
    client.post("/v1/scans", json={"rescan": True}, headers=auth("privacy_officer"))
    run_jobs()
    events = query(
        "SELECT action, actor_type, details FROM audit_events "
        "WHERE action LIKE 'scan.%%' ORDER BY id"
    )
    assert [(e["action"], e["actor_type"]) for e in events] == [
        ("scan.completed", "system"),
        ("scan.requested", "key"),
        ("scan.completed", "system"),
    ]
    assert events[-1]["details"]["findings"] == 3
    everything = json.dumps(query("SELECT * FROM audit_events"), default=str).lower()
    assert "sarah" not in everything and "7700" not in everything
