"""POST /v1/feedback: statuses, idempotency, re-scans, limits, validation, identifiers, audit."""

from __future__ import annotations

import json

from tests.archive.conftest import make_item


def test_statuses_follow_the_order_of_the_request(ingest):
    first = ingest(make_item("a", "First post"), make_item("b", "Second post"))
    assert [(i["external_id"], i["status"]) for i in first["items"]] == [
        ("a", "created"),
        ("b", "created"),
    ]
    ids = {i["external_id"]: i["id"] for i in first["items"]}

    second = ingest(
        make_item("b", "Second post"),
        make_item("c", "Third post"),
        make_item("a", "First post, edited"),
    )
    assert [(i["external_id"], i["status"]) for i in second["items"]] == [
        ("b", "unchanged"),
        ("c", "created"),
        ("a", "updated"),
    ]
    assert second["items"][0]["id"] == ids["b"]
    assert second["items"][2]["id"] == ids["a"]


def test_sending_a_batch_again_changes_nothing(ingest, query):
    batch = [
        make_item("1", "Call me on +44 7700 900123", author={"email": "S@Example.com"}),
        make_item("2", "Great service", in_reply_to="1", author={"handle": "brand"}),
    ]
    first = ingest(*batch)
    assert first["scan_id"] is not None
    tables = ("feedback_items", "subjects", "subject_identifiers", "scan_runs", "audit_events")

    def snapshot():
        return {
            "rows": [query(f"SELECT * FROM {t} ORDER BY 1") for t in tables[:-1]],
            "jobs": query("SELECT count(*) AS n FROM procrastinate_jobs")[0]["n"],
        }

    before = snapshot()
    again = ingest(*batch)
    assert [i["status"] for i in again["items"]] == ["unchanged", "unchanged"]
    assert [i["id"] for i in again["items"]] == [i["id"] for i in first["items"]]
    assert again["scan_id"] is None
    assert snapshot() == before


def test_changed_text_drops_old_findings_and_is_scanned_again(
    ingest, run_jobs, query, client, auth
):
    item_id = ingest(make_item("1", "Call me on +44 7700 900123 please"))["items"][0]["id"]
    run_jobs()
    assert [r["entity_type"] for r in query("SELECT entity_type FROM findings")] == ["PHONE_NUMBER"]

    changed = ingest(make_item("1", "Mail me at sarah.jones@example.com instead"))
    assert changed["items"][0]["status"] == "updated" and changed["scan_id"] is not None
    # Until the new text is scanned nothing about the old one is shown or kept.
    assert query("SELECT count(*) AS n FROM findings")[0]["n"] == 0
    public = client.get(f"/v1/feedback/{item_id}/public", headers=auth("moderator")).get_json()
    assert public["text"] is None and public["scan_status"] == "pending"

    run_jobs()
    assert [r["entity_type"] for r in query("SELECT entity_type FROM findings")] == [
        "EMAIL_ADDRESS"
    ]
    public = client.get(f"/v1/feedback/{item_id}/public", headers=auth("moderator")).get_json()
    assert public["text"] == "Mail me at <EMAIL_ADDRESS> instead"


def test_other_changes_update_the_item_without_a_new_scan(ingest, run_jobs, query):
    ingest(make_item("1", "Call me on +44 7700 900123 please"))
    run_jobs()
    changed = ingest(make_item("1", "Call me on +44 7700 900123 please", visibility="private"))
    assert changed["items"][0]["status"] == "updated"
    assert changed["scan_id"] is None
    assert query("SELECT visibility, finding_count FROM feedback_items") == [
        {"visibility": "private", "finding_count": 1}
    ]


def test_more_than_1000_items_are_refused(client, auth, query):
    items = [make_item(str(n), "hello") for n in range(1001)]
    response = client.post("/v1/feedback", json={"items": items}, headers=auth("privacy_officer"))
    assert response.status_code == 422
    assert "1000" in response.get_json()["errors"]["items"][0]
    assert query("SELECT count(*) AS n FROM feedback_items")[0]["n"] == 0


def test_1000_items_are_accepted_beyond_the_general_body_limit(ingest, query, app):
    filler = "The delivery was late and nobody answered the phone. " * 22
    items = [make_item(str(n), f"Post number {n}. {filler}") for n in range(1000)]
    assert len(json.dumps({"items": items})) > app.config["MAX_CONTENT_LENGTH"]
    body = ingest(*items)
    assert len(body["items"]) == 1000
    assert query("SELECT count(*) AS n FROM scan_chunks")[0]["n"] == 10


def _errors(client, auth, items) -> dict:
    response = client.post("/v1/feedback", json={"items": items}, headers=auth("privacy_officer"))
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    return response.get_json()


def test_validation_errors_name_the_failing_item(client, auth, query):
    items = [make_item(str(n), "hello") for n in range(5)]
    del items[3]["text"]
    items[1]["kind"] = "tweet"
    body = _errors(client, auth, items)
    assert set(body["errors"]["items"]) == {"1", "3"}
    assert "text" in body["errors"]["items"]["3"]
    assert "kind" in body["errors"]["items"]["1"]

    items = [make_item(str(n), "hello") for n in range(4)]
    items[2]["platform"] = "myspace"
    items[1]["author"]["phone"] = "06 1234"
    items[3]["external_id"] = "0"
    body = _errors(client, auth, items)
    assert body["detail"].startswith("Item 1 is not valid")
    assert "platform" in body["errors"]["items"]["2"]
    assert "phone" in body["errors"]["items"]["1"]["author"]
    assert "Item 0" in body["errors"]["items"]["3"]["external_id"][0]
    assert query("SELECT count(*) AS n FROM feedback_items")[0]["n"] == 0


def test_identifiers_are_normalised_and_authors_recognised(ingest, query):
    body = ingest(
        make_item(
            "1",
            "hello",
            platform="twitter",
            author={
                "handle": "@Sarah_J",
                "email": "Sarah.Jones@Example.COM",
                "phone": "+44 7700 900 123",
            },
        ),
        make_item("2", "hello again", author={"handle": "SARAH_J", "display_name": "Sarah J."}),
        # Another platform, another handle, the same e-mail address: the same person.
        make_item(
            "3",
            "hi",
            platform="instagram",
            author={"handle": "sj.photos", "email": "sarah.jones@example.com"},
        ),
    )
    identifiers = query(
        "SELECT kind, platform, value FROM subject_identifiers ORDER BY kind, platform, value"
    )
    assert identifiers == [
        {"kind": "email", "platform": None, "value": "sarah.jones@example.com"},
        {"kind": "handle", "platform": "instagram", "value": "sj.photos"},
        {"kind": "handle", "platform": "x", "value": "sarah_j"},
        {"kind": "name", "platform": "instagram", "value": "Sarah Jones"},
        {"kind": "name", "platform": "x", "value": "Sarah J."},
        {"kind": "phone", "platform": None, "value": "+447700900123"},
    ]
    authors = query(
        "SELECT DISTINCT author_id FROM feedback_items WHERE id = ANY(%(ids)s::uuid[])",
        {"ids": [i["id"] for i in body["items"]]},
    )
    assert len(authors) == 1
    assert query("SELECT count(*) AS n FROM subjects")[0]["n"] == 1


def test_replies_are_linked_whichever_arrives_first(ingest, client, auth):
    reply = ingest(make_item("child", "Thanks!", in_reply_to="parent", kind="reply"))
    reply_id = reply["items"][0]["id"]
    officer = auth("privacy_officer")
    detail = client.get(f"/v1/feedback/{reply_id}", headers=officer).get_json()
    assert detail["in_reply_to"] == {"id": None, "external_id": "parent"}

    parent_id = ingest(make_item("parent", "Where is my parcel?"))["items"][0]["id"]
    detail = client.get(f"/v1/feedback/{reply_id}", headers=officer).get_json()
    assert detail["in_reply_to"] == {"id": parent_id, "external_id": "parent"}


def test_ingestion_is_audited_without_text_or_identifiers(ingest, query):
    ingest(
        make_item("1", "Call me on +44 7700 900123", author={"email": "sarah@example.com"}),
        make_item("2", "Nice"),
    )
    ingest(make_item("1", "Call me on +44 7700 900123", author={"email": "sarah@example.com"}))
    events = query("SELECT action, details FROM audit_events WHERE action = 'feedback.ingested'")
    assert [e["details"]["created"] for e in events] == [2, 0]
    assert [e["details"]["unchanged"] for e in events] == [0, 1]
    everything = json.dumps(
        query(
            "SELECT action, actor_role, target_type, target_id, outcome, details FROM audit_events"
        ),
        default=str,
    ).lower()
    for secret_value in ("7700", "sarah", "call me", "nice"):
        assert secret_value not in everything
