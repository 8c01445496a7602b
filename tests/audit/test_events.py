"""Appending events: what is stored, hashed and found is what the action recorded."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import psycopg
import pytest
from psycopg.rows import dict_row

from service.audit import Actor, record_event
from service.audit.canonical import format_timestamp
from service.audit.events import leaf_bytes

DETAILS = [
    {"b": 2, "a": "x"},  # unsorted keys
    {"yes": True, "no": False, "none": None, "big": 2**70, "neg": -3},
    {"text": 'é ☃ "quoted" \\ tab\t', "empty": ""},
    {"ratio": 0.25, "zero": -0.0},  # floats: taken the long way
    {"nested": {"z": [1, None, "a"], "a": {}}, "list": (1, 2)},
    {1: "an int key"},
    {},
]


def test_every_kind_of_details_is_stored_as_hashed_and_verifies(
    db_url, integrate_audit, client, auditor
):
    actor = Actor(key_id=uuid.uuid4(), role="moderator", request_id=uuid.uuid4().hex)
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        recorded = [
            record_event(conn, actor, "test.details", target_id=n, details=details)
            for n, details in enumerate(DETAILS)
        ]
        rows = conn.execute(
            "SELECT id, details, leaf, occurred_at FROM audit_events "
            "WHERE action = 'test.details' ORDER BY id"
        ).fetchall()
    assert [row["details"] for row in rows] == [event["details"] for event in recorded]
    assert recorded[0]["details"] == {"a": "x", "b": 2}
    assert recorded[3]["details"] == {"ratio": 0.25, "zero": 0.0}
    assert recorded[4]["details"] == {"list": [1, 2], "nested": {"a": {}, "z": [1, None, "a"]}}
    assert recorded[5]["details"] == {"1": "an int key"}
    for event, row in zip(recorded, rows, strict=True):
        assert bytes(row["leaf"]) == leaf_bytes(event)
        assert row["occurred_at"] == event["occurred_at"]
    integrate_audit()
    report = client.get("/v1/audit/verify", headers=auditor).get_json()
    assert report["ok"] is True, report  # the columns say what every leaf says


def test_numbers_jsonb_would_rewrite_are_refused(conn):
    with pytest.raises(ValueError, match="cannot hold the number"):
        record_event(conn, Actor(None, "system"), "test.number", details={"n": 1e16})


def test_events_are_found_by_request_id_and_subject(db_url, integrate_audit, client, auditor):
    request_id = uuid.uuid4().hex
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        for n in range(5):
            actor = Actor(None, "system", request_id=request_id if n == 2 else uuid.uuid4().hex)
            subject = "subj_" + "ab" * 16 if n in (1, 3) else None
            record_event(conn, actor, "test.found", target_id=n, subject_ref=subject)
    integrate_audit()
    found = client.get(f"/v1/audit/events?request_id={request_id}", headers=auditor).get_json()
    assert [event["target_id"] for event in found["items"]] == ["2"]
    found = client.get(f"/v1/audit/events?subject_ref=subj_{'ab' * 16}", headers=auditor)
    assert [event["target_id"] for event in found.get_json()["items"]] == ["1", "3"]


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=-5))),
        datetime(1999, 12, 31, 23, 30, 0, 1, tzinfo=timezone(timedelta(hours=1, minutes=30))),
        datetime(1000, 1, 1, 0, 0, tzinfo=UTC),
        datetime(999, 12, 31, 23, 0, tzinfo=UTC),
    ],
)
def test_timestamps_render_the_one_canonical_way(value):
    assert format_timestamp(value) == value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
