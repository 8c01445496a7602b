"""Erasure: what is deleted, redacted and kept, the suppression list, and a killed erasure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from service.archive.identifiers import value_hash
from service.audit import subject_ref
from service.dsr.suppression import is_suppressed
from tests.dsr.conftest import SECRET, audit_events

ROOT = Path(__file__).resolve().parents[2]
ANNA_VALUES = ("anna_j", "anna@example.com", "Anna Jansen")


@pytest.fixture
def anna(archive):
    """Anna's two posts, Bob's reply and mention naming her, and posts that are not about her."""
    anna = archive.subject(
        handles=[("x", "@anna_j")], emails=["anna@example.com"], names=[("x", "Anna Jansen")]
    )
    bob = archive.subject(handles=[("x", "@bob")])
    carl = archive.subject(handles=[("reddit", "anna_j")])  # same handle, another platform
    question = archive.item(bob, "Anyone tried the new app?")
    answer = archive.item(
        anna,
        "Yes, and my order A-1234 arrived",
        in_reply_to=question,
        findings=[("ORDER_NUMBER", "A-1234")],
    )
    second = archive.item(anna, "Support was slow this week", external_id="anna-2")
    reply = archive.item(
        bob,
        "@anna_j same here, ask Dave Miller",
        in_reply_to=answer,
        findings=[("SOCIAL_HANDLE", "@anna_j"), ("PERSON", "Dave Miller")],
    )
    mention = archive.item(
        bob, "Anna Jansen told me about it", findings=[("PERSON", "Anna Jansen")]
    )
    unrelated = archive.item(carl, "Reddit has the better thread", platform="reddit")
    return {
        "subject": anna,
        "bob": bob,
        "carl": carl,
        "question": question,
        "answer": answer,
        "second": second,
        "reply": reply,
        "mention": mention,
        "unrelated": unrelated,
    }


def verified_erasure(client, officer, file_request, regime: str = "gdpr") -> dict:
    filed = file_request(
        type="erasure",
        regime=regime,
        subject={"handles": [{"platform": "x", "handle": "@anna_j"}], "names": ["Anna Jansen"]},
    )
    response = client.post(
        f"/v1/requests/{filed['id']}/verify",
        json={"method": "matching_data_points", "matched_data_points": ["handle", "email"]},
        headers=officer,
    )
    assert response.status_code == 200, response.get_json()
    return filed


def execute(client, officer, request_id) -> dict:
    response = client.post(f"/v1/requests/{request_id}/execute", json={}, headers=officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def findable(conn, values=ANNA_VALUES) -> dict[str, list]:
    """Search the archive for values the way anyone could: identifiers, texts, finding hashes."""
    hashes = [
        value_hash(SECRET, kind, value)
        for kind, value in zip(("handle", "email", "name"), values, strict=True)
    ]
    return {
        "identifiers": conn.execute(
            "SELECT subject_id, value FROM subject_identifiers"
            " WHERE value = ANY(%s) AND (kind <> 'handle' OR platform = 'x')",
            (list(values),),
        ).fetchall(),
        "texts": conn.execute(
            "SELECT id FROM feedback_items WHERE text ILIKE ANY(%s) OR public_text ILIKE ANY(%s)",
            ([f"%{v}%" for v in values], [f"%{v}%" for v in values]),
        ).fetchall(),
        "findings": conn.execute(
            "SELECT item_id FROM findings WHERE value_hash = ANY(%s)", (hashes,)
        ).fetchall(),
    }


def item_text(conn, item_id) -> str | None:
    row = conn.execute("SELECT text FROM feedback_items WHERE id = %s", (item_id,)).fetchone()
    return row["text"] if row else None


def test_erasure_deletes_the_subject_and_redacts_mentions_of_them(
    client, officer, file_request, anna, conn, audit_verified
):
    filed = verified_erasure(client, officer, file_request)

    done = execute(client, officer, filed["id"])

    assert done["status"] == "completed"
    result = done["result"]
    assert result["subjects_matched"] == 1
    assert result["items_deleted"] == 2
    assert result["identifiers_deleted"] == 3
    assert result["mentions_redacted"] == 2
    assert result["kept_by_hold"] == 0
    assert result["kept"] == []
    assert findable(conn) == {"identifiers": [], "texts": [], "findings": []}
    assert item_text(conn, anna["answer"]) is None
    assert item_text(conn, anna["second"]) is None
    assert (
        conn.execute("SELECT 1 FROM subjects WHERE id = %s", (anna["subject"],)).fetchone() is None
    )
    # Bob's posts stay, with the mentions (and everything else personal) redacted.
    assert item_text(conn, anna["reply"]) == "<SOCIAL_HANDLE> same here, ask <PERSON>"
    assert item_text(conn, anna["mention"]) == "<PERSON> told me about it"
    assert item_text(conn, anna["question"]) == "Anyone tried the new app?"
    assert item_text(conn, anna["unrelated"]) == "Reddit has the better thread"
    reply = conn.execute(
        "SELECT in_reply_to_id, finding_count FROM feedback_items WHERE id = %s", (anna["reply"],)
    ).fetchone()
    assert reply == {"in_reply_to_id": None, "finding_count": 0}
    # The same handle on another platform is another person.
    assert conn.execute("SELECT 1 FROM subjects WHERE id = %s", (anna["carl"],)).fetchone()

    [event] = audit_events(conn, "erasure.executed")
    assert event["subject_ref"] == subject_ref(SECRET, anna["subject"])
    assert event["details"]["items_deleted"] == 2
    assert not any(value.lower() in str(event).lower() for value in ANNA_VALUES)
    audit_verified()


def test_erased_posts_and_authors_are_refused_on_reimport(
    client, officer, file_request, anna, conn
):
    filed = verified_erasure(client, officer, file_request)
    execute(client, officer, filed["id"])

    assert is_suppressed(conn, SECRET, platform="x", external_id="anna-2")
    assert is_suppressed(
        conn,
        SECRET,
        platform="x",
        external_id="a-new-post",
        author_identifiers=[{"kind": "handle", "platform": "x", "value": "@Anna_J"}],
    )
    assert is_suppressed(
        conn,
        SECRET,
        platform="reddit",
        external_id="new",
        author_identifiers=[{"kind": "email", "value": "ANNA@example.com"}],
    )
    assert not is_suppressed(
        conn,
        SECRET,
        platform="reddit",
        external_id="new",
        author_identifiers=[{"kind": "handle", "platform": "reddit", "value": "anna_j"}],
    )
    assert not is_suppressed(conn, SECRET, platform="x", external_id="some-other-post")
    stored = conn.execute("SELECT * FROM dsr_suppressions").fetchall()
    assert stored
    assert not any("anna" in str(row).lower() for row in stored)


def test_erasure_is_idempotent_and_a_completed_request_is_not_run_twice(
    client, officer, file_request, anna, conn
):
    first = verified_erasure(client, officer, file_request)
    execute(client, officer, first["id"])

    again = client.post(f"/v1/requests/{first['id']}/execute", json={}, headers=officer)
    assert again.status_code == 409

    second = verified_erasure(client, officer, file_request)
    result = execute(client, officer, second["id"])["result"]
    assert result["subjects_matched"] == 0
    assert result["items_deleted"] == 0
    assert result["mentions_redacted"] == 0


def test_erasure_drops_the_packages_of_earlier_access_requests(client, officer, file_request, anna):
    access = file_request(subject={"handles": [{"platform": "x", "handle": "@anna_j"}]})
    client.post(f"/v1/requests/{access['id']}/verify", json={"method": "other"}, headers=officer)
    execute(client, officer, access["id"])
    assert client.get(f"/v1/requests/{access['id']}/package", headers=officer).status_code == 200

    erasure = verified_erasure(client, officer, file_request)
    assert execute(client, officer, erasure["id"])["result"]["packages_purged"] == 1

    assert client.get(f"/v1/requests/{access['id']}/package", headers=officer).status_code == 410


# --- legal holds ---------------------------------------------------------------------------------


def place_hold(client, officer, **body) -> dict:
    response = client.post(
        "/v1/holds",
        json={"basis": "legal_claims", "reason": "Pending lawsuit 2025-17", **body},
        headers=officer,
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_erasure_keeps_held_items_and_reports_what_it_kept_and_why(
    client, officer, file_request, anna, conn, audit_verified
):
    own_hold = place_hold(client, officer, feedback_id=str(anna["second"]))
    mention_hold = place_hold(
        client, officer, feedback_id=str(anna["mention"]), basis="legal_obligation"
    )
    filed = verified_erasure(client, officer, file_request)

    result = execute(client, officer, filed["id"])["result"]

    assert result["items_deleted"] == 1
    assert result["mentions_redacted"] == 1
    assert result["kept_by_hold"] == 2
    assert sorted(result["kept"], key=lambda k: k["basis"]) == [
        {
            "what": "feedback_item",
            "id": str(anna["second"]),
            "relation": "authored",
            "hold_id": own_hold["id"],
            "basis": "legal_claims",
        },
        {
            "what": "feedback_item",
            "id": str(anna["mention"]),
            "relation": "mention",
            "hold_id": mention_hold["id"],
            "basis": "legal_obligation",
        },
    ]
    assert item_text(conn, anna["second"]) == "Support was slow this week"
    assert item_text(conn, anna["mention"]) == "Anna Jansen told me about it"
    assert item_text(conn, anna["answer"]) is None
    # The author of a held post stays identifiable; nothing outside the holds is findable.
    found = findable(conn)
    assert {row["subject_id"] for row in found["identifiers"]} == {anna["subject"]}
    assert {row["id"] for row in found["texts"]} == {anna["mention"]}
    assert {row["item_id"] for row in found["findings"]} == {anna["mention"]}
    [event] = audit_events(conn, "erasure.executed")
    assert event["outcome"] == "partial"
    assert event["details"]["items_kept"] == 1
    metrics = client.get(
        "/v1/reports/dsr-metrics?regime=gdpr&year=" + filed["received_on"][:4], headers=officer
    )
    erasure = next(t for t in metrics.get_json()["by_type"] if t["type"] == "erasure")
    assert erasure["complied_in_part"] == 1
    audit_verified()


def test_a_hold_on_the_subject_keeps_everything_of_theirs(
    client, officer, file_request, anna, conn
):
    hold = place_hold(client, officer, subject_id=str(anna["subject"]))
    filed = verified_erasure(client, officer, file_request)

    result = execute(client, officer, filed["id"])["result"]

    assert result["items_deleted"] == 0
    assert result["subjects_erased"] == 0
    assert result["kept"] == [
        {
            "what": "subject",
            "id": str(anna["subject"]),
            "relation": "authored",
            "hold_id": hold["id"],
            "basis": "legal_claims",
            "items": 2,
        }
    ]
    assert item_text(conn, anna["answer"]) == "Yes, and my order A-1234 arrived"
    # Mentions in other people's posts are not covered by a hold on Anna: they are redacted.
    assert item_text(conn, anna["mention"]) == "<PERSON> told me about it"
    # Identifiers of a held subject are not suppressed: their posts may still be stored.
    assert not is_suppressed(
        conn,
        SECRET,
        platform="x",
        external_id="new",
        author_identifiers=[{"kind": "handle", "platform": "x", "value": "anna_j"}],
    )


def test_after_a_hold_is_released_a_new_erasure_removes_what_it_kept(
    client, officer, file_request, anna, conn, audit_verified
):
    hold = place_hold(client, officer, feedback_id=str(anna["second"]))
    execute(client, officer, verified_erasure(client, officer, file_request)["id"])

    released = client.delete(f"/v1/holds/{hold['id']}", headers=officer)
    assert released.status_code == 200
    assert released.get_json()["active"] is False
    assert client.delete(f"/v1/holds/{hold['id']}", headers=officer).status_code == 200
    result = execute(client, officer, verified_erasure(client, officer, file_request)["id"])[
        "result"
    ]

    assert result["items_deleted"] == 1
    assert findable(conn) == {"identifiers": [], "texts": [], "findings": []}
    assert [e["action"] for e in audit_events(conn) if e["action"].startswith("hold.")] == [
        "hold.placed",
        "hold.released",
    ]
    audit_verified()


def test_holds_are_listed_and_shown(client, officer, anna):
    active = place_hold(client, officer, feedback_id=str(anna["answer"]))
    released = place_hold(client, officer, subject_id=str(anna["bob"]), basis="security")
    client.delete(f"/v1/holds/{released['id']}", headers=officer)

    listed = client.get("/v1/holds", headers=officer).get_json()["items"]
    everything = client.get("/v1/holds?include_released=true", headers=officer).get_json()["items"]
    shown = client.get(f"/v1/holds/{active['id']}", headers=officer).get_json()

    assert [hold["id"] for hold in listed] == [active["id"]]
    assert [hold["id"] for hold in everything] == [active["id"], released["id"]]
    assert shown["basis_description"].startswith("establishment, exercise or defence")
    assert shown["reason"] == "Pending lawsuit 2025-17"
    assert client.get(f"/v1/holds/{anna['bob']}", headers=officer).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"basis": "legal_claims", "reason": "x"}, "feedback_id"),
        ({"basis": "because", "reason": "x", "subject_id": None}, "basis"),
        ({"basis": "legal_claims", "subject_id": None}, "reason"),
    ],
)
def test_a_hold_needs_one_existing_target_a_basis_and_a_reason(client, officer, anna, body, field):
    if "subject_id" in body:
        body = {**body, "subject_id": str(anna["subject"])}
    response = client.post("/v1/holds", json=body, headers=officer)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_hold_on_something_the_archive_does_not_hold_is_refused(client, officer, anna):
    both = client.post(
        "/v1/holds",
        json={
            "basis": "legal_claims",
            "reason": "x",
            "feedback_id": str(anna["answer"]),
            "subject_id": str(anna["subject"]),
        },
        headers=officer,
    )
    missing = client.post(
        "/v1/holds",
        json={"basis": "legal_claims", "reason": "x", "feedback_id": str(anna["subject"])},
        headers=officer,
    )

    assert both.status_code == 422
    assert missing.status_code == 422
    assert "feedback_id" in missing.get_json()["errors"]


# --- a killed erasure ---------------------------------------------------------------------------

ERASURE_SCRIPT = textwrap.dedent(
    """
    import sys
    from uuid import UUID

    from psycopg.conninfo import make_conninfo

    from service.audit import SYSTEM
    from service.db import Database
    from service.dsr.execute import execute_request
    from service.dsr.settings import DsrSettings

    url, request_id, secret = sys.argv[1:4]
    db = Database(make_conninfo(url, application_name="dsr-erasure-under-test"), min_size=1)
    settings = DsrSettings(secret=secret.encode(), lock_timeout_seconds=120)
    execute_request(db, SYSTEM, settings, UUID(request_id))
    """
)


def wait_for(condition, seconds: float, what: str, log_path: Path | None = None):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    output = log_path.read_text() if log_path else ""
    raise AssertionError(f"timed out waiting for {what}\n{output}")


@pytest.mark.slow
def test_a_killed_erasure_changes_nothing_and_the_retry_completes(
    client, officer, file_request, anna, conn, db_url, audit_verified, tmp_path
):
    filed = verified_erasure(client, officer, file_request)
    log_path = tmp_path / "erasure.log"
    before = {
        "items": conn.execute("SELECT id, text FROM feedback_items ORDER BY id").fetchall(),
        "identifiers": conn.execute("SELECT * FROM subject_identifiers ORDER BY id").fetchall(),
        "findings": conn.execute("SELECT * FROM findings ORDER BY id").fetchall(),
    }
    # Hold a lock on the post that mentions Anna: the erasure deletes her posts first, then
    # waits here, in the middle of its transaction, until it is killed.
    blocker = psycopg.connect(db_url, row_factory=dict_row)
    blocker.execute("SELECT id FROM feedback_items WHERE id = %s FOR UPDATE", (anna["mention"],))
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-c", ERASURE_SCRIPT, db_url, filed["id"], SECRET.decode()],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=log,
            stderr=log,
        )
    try:
        waiting = wait_for(
            lambda: conn.execute(
                "SELECT pid, wait_event_type, xact_start FROM pg_stat_activity"
                " WHERE application_name = 'dsr-erasure-under-test' AND wait_event_type = 'Lock'"
            ).fetchone(),
            60,
            "the erasure to wait on the locked post",
            log_path,
        )
        # By now it has deleted Anna's posts in its open transaction.
        held = conn.execute(
            "SELECT count(*) AS n FROM pg_locks WHERE pid = %s AND mode = 'RowExclusiveLock'",
            (waiting["pid"],),
        ).fetchone()
        assert held["n"] > 0
        os.kill(process.pid, signal.SIGKILL)
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
        blocker.rollback()
        blocker.close()
    wait_for(
        lambda: (
            not conn.execute(
                "SELECT 1 FROM pg_stat_activity WHERE application_name = 'dsr-erasure-under-test'"
            ).fetchone()
        ),
        60,
        "the killed erasure's database session to end",
    )

    after = {
        "items": conn.execute("SELECT id, text FROM feedback_items ORDER BY id").fetchall(),
        "identifiers": conn.execute("SELECT * FROM subject_identifiers ORDER BY id").fetchall(),
        "findings": conn.execute("SELECT * FROM findings ORDER BY id").fetchall(),
    }
    assert after == before
    assert conn.execute("SELECT count(*) AS n FROM dsr_suppressions").fetchone()["n"] == 0
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["status"] == "in_progress"
    assert audit_events(conn, "erasure.executed") == []
    audit_verified()

    done = execute(client, officer, filed["id"])

    assert done["status"] == "completed"
    assert done["result"]["items_deleted"] == 2
    assert findable(conn) == {"identifiers": [], "texts": [], "findings": []}
    started = audit_events(conn, "dsr.started")
    assert [event["details"]["retry"] for event in started] == [False, True]
    audit_verified()
