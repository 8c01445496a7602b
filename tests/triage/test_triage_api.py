"""Triage through the API: flags on scanned items, the filter, the queue, reviews, holds,
the reply guard, the erasure warning, and rescans after a rule change."""

from __future__ import annotations

import json

from tests.archive.conftest import make_item
from tests.triage.conftest import audit_rows

KETTLE = "Your kettle caught fire in my kitchen, I'm talking to my lawyer."
SELF_HARM = "I honestly don't want to live anymore, please call me."
SPAM = "Earn $500 a day from home, link in bio"
JOKE = "I'd sue for a pizza like that lol"
FIRE_DEAL = "This deal is fire, bought three."


def test_scanned_items_carry_flags_with_evidence_and_the_feedback_list_filters_on_them(
    client, officer, scanned, conn
):
    kettle, deal, joke = scanned(("k1", KETTLE), ("d1", FIRE_DEAL), ("j1", JOKE))

    listed = client.get("/v1/feedback?flag=legal_threat", headers=officer).get_json()
    assert [item["id"] for item in listed["items"]] == [kettle]
    assert listed["items"][0]["flags"] == ["product_safety", "legal_threat"]
    everything = client.get("/v1/feedback", headers=officer).get_json()["items"]
    assert {item["id"]: item["flags"] for item in everything}[deal] == []

    unknown = client.get("/v1/feedback?flag=lawsuit", headers=officer)
    assert unknown.status_code == 422
    assert unknown.mimetype == "application/problem+json"
    assert "flag" in unknown.get_json()["errors"]

    detail = client.get(f"/v1/feedback/{kettle}", headers=officer).get_json()["triage"]
    assert [(f["flag"], f["evidence"], f["rule_id"]) for f in detail["flags"]] == [
        ("product_safety", "caught fire", "ps.fire.en"),
        ("legal_threat", "my lawyer", "legal.lawyer.en"),
    ]
    assert detail["pending_flags"] == ["product_safety", "legal_threat"]
    assert detail["suggested_hold"]["basis"] == "legal_claims"
    assert detail["suggested_hold"]["flags"] == ["product_safety", "legal_threat"]

    # Stored as offsets into the raw text: the evidence words are in no other column.
    columns = {
        row["column_name"]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'triage_flags'"
        )
    }
    assert not columns & {"text", "evidence", "value"}
    flagged = audit_rows(conn, "triage.flagged")
    assert [(row["target_id"], row["details"]["flags"]) for row in flagged] == [
        (kettle, ["product_safety", "legal_threat"])
    ]
    assert "my lawyer" not in json.dumps(flagged) and "kitchen" not in json.dumps(flagged)


def test_the_queue_lists_unreviewed_items_most_serious_first_and_a_review_takes_one_off(
    client, officer, scanned, conn
):
    spam, kettle, harm = scanned(("s1", SPAM), ("k1", KETTLE), ("h1", SELF_HARM))

    queue = client.get("/v1/triage/queue", headers=officer).get_json()
    assert [item["id"] for item in queue["items"]] == [harm, kettle, spam]
    assert queue["total"] == 3
    assert queue["items"][0]["pending_flags"] == ["self_harm"]
    assert queue["items"][1]["suggested_hold"]["feedback_id"] == kettle
    assert "evidence" not in queue["items"][1]["flags"][0]  # the queue shows no raw text
    only_spam = client.get("/v1/triage/queue?flag=spam", headers=officer).get_json()
    assert [item["id"] for item in only_spam["items"]] == [spam]
    assert client.get("/v1/triage/queue?flag=gossip", headers=officer).status_code == 422

    reviewed = client.post(
        f"/v1/feedback/{spam}/review",
        json={"decision": "dismissed", "notes": "Bot account, reported to the platform."},
        headers=officer,
    )
    assert reviewed.status_code == 201, reviewed.get_json()
    assert reviewed.get_json()["flags"] == ["spam"]
    queue = client.get("/v1/triage/queue", headers=officer).get_json()
    assert [item["id"] for item in queue["items"]] == [harm, kettle]

    bad = client.post(
        f"/v1/feedback/{kettle}/review", json={"decision": "ignored"}, headers=officer
    )
    assert bad.status_code == 422
    missing = client.post(
        "/v1/feedback/00000000-0000-4000-8000-000000000000/review",
        json={"decision": "dismissed"},
        headers=officer,
    )
    assert missing.status_code == 404
    event = audit_rows(conn, "triage.reviewed")[-1]
    assert event["details"]["decision"] == "dismissed" and event["details"]["notes"] is True
    assert "Bot account" not in json.dumps(event)


def test_confirming_the_suggested_hold_places_a_legal_claims_hold_in_one_call(
    client, officer, scanned, conn
):
    (kettle,) = scanned(("k1", KETTLE))

    confirmed = client.post(
        f"/v1/feedback/{kettle}/review", json={"decision": "hold_placed"}, headers=officer
    )
    assert confirmed.status_code == 201, confirmed.get_json()
    review = confirmed.get_json()
    assert review["hold_created"] is True
    hold = client.get(f"/v1/holds/{review['hold_id']}", headers=officer).get_json()
    assert (hold["feedback_id"], hold["basis"], hold["active"]) == (kettle, "legal_claims", True)

    detail = client.get(f"/v1/feedback/{kettle}", headers=officer).get_json()["triage"]
    assert detail["suggested_hold"] is None
    assert detail["pending_flags"] == []
    assert detail["active_hold_ids"] == [review["hold_id"]]
    again = client.post(
        f"/v1/feedback/{kettle}/review", json={"decision": "hold_placed"}, headers=officer
    ).get_json()
    assert (again["hold_id"], again["hold_created"]) == (review["hold_id"], False)
    assert [row["target_id"] for row in audit_rows(conn, "hold.placed")] == [review["hold_id"]]

    # The held item needs no further review before an erasure, which keeps it.
    request_id = _verified_erasure(client, officer, "@Sarah_J")
    done = client.post(f"/v1/requests/{request_id}/execute", json={}, headers=officer)
    assert done.status_code == 200, done.get_json()
    assert [kept["id"] for kept in done.get_json()["result"]["kept"]] == [kettle]


def test_a_public_reply_in_a_thread_with_an_unreviewed_legal_threat_is_held_for_review(
    client, officer, auth, ingest, run_jobs
):
    moderator = auth("moderator")
    body = ingest(
        make_item("root", KETTLE),
        make_item("follow", "Anyone there?", in_reply_to="root"),
    )
    root, follow = (item["id"] for item in body["items"])

    def check(in_reply_to, visibility="public"):
        response = client.post(
            "/v1/replies/check",
            json={
                "text": "So sorry, we are looking into it.",
                "visibility": visibility,
                "in_reply_to": in_reply_to,
            },
            headers=moderator,
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    # Not scanned yet: the guard evaluates the rules itself.
    verdict = check(follow)
    assert verdict["verdict"] == "hold_for_review"
    assert verdict["held_by"] == [{"item_id": root, "flags": ["product_safety", "legal_threat"]}]
    assert verdict["reasons"][0].startswith("product_safety: the thread has a product-safety")
    assert "suggestion" not in verdict
    assert check(follow, visibility="private")["verdict"] == "allow"

    run_jobs()
    assert check(root)["verdict"] == "hold_for_review"
    client.post(f"/v1/feedback/{root}/review", json={"decision": "escalated"}, headers=officer)
    assert check(follow)["verdict"] == "allow"


def _verified_erasure(client, officer, handle: str) -> str:
    filed = client.post(
        "/v1/requests",
        json={
            "type": "erasure",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": handle}]},
        },
        headers=officer,
    )
    assert filed.status_code == 201, filed.get_json()
    request_id = filed.get_json()["id"]
    verified = client.post(
        f"/v1/requests/{request_id}/verify", json={"method": "other"}, headers=officer
    )
    assert verified.status_code == 200, verified.get_json()
    return request_id


def test_erasing_a_subject_with_unreviewed_legal_flags_answers_409_until_reviewed(
    client, officer, scanned, conn
):
    kettle, _ = scanned(("k1", KETTLE), ("n1", "Thanks for the quick delivery"))
    request_id = _verified_erasure(client, officer, "@Sarah_J")

    refused = client.post(f"/v1/requests/{request_id}/execute", json={}, headers=officer)
    assert refused.status_code == 409
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["items"] == [{"id": kettle, "flags": ["product_safety", "legal_threat"]}]
    assert problem["type"] == "/problems/unreviewed-legal-flags"
    assert problem["title"] == "Unreviewed Legal Flags"
    page = client.get(problem["type"])
    assert page.status_code == 200 and "GDPR Art. 17(3)(e)" in page.get_data(as_text=True)
    # The execute operation documents this 409 beside the general conflict.
    documented = client.get("/openapi.json").get_json()["paths"][
        "/v1/requests/{request_id}/execute"
    ]["post"]["responses"]["409"]["description"]
    assert "/problems/conflict" in documented
    assert "/problems/unreviewed-legal-flags" in documented
    shown = client.get(f"/v1/requests/{request_id}", headers=officer).get_json()
    assert shown["status"] == "verified"
    assert conn.execute("SELECT count(*) AS n FROM feedback_items").fetchone()["n"] == 2

    client.post(f"/v1/feedback/{kettle}/review", json={"decision": "dismissed"}, headers=officer)
    done = client.post(f"/v1/requests/{request_id}/execute", json={}, headers=officer)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["items_deleted"] == 2
    assert conn.execute("SELECT count(*) AS n FROM triage_flags").fetchone()["n"] == 0


def test_an_officer_can_confirm_an_erasure_over_unreviewed_flags_with_a_reason(
    client, officer, scanned, conn
):
    (kettle,) = scanned(("k1", KETTLE))
    request_id = _verified_erasure(client, officer, "@Sarah_J")
    path = f"/v1/requests/{request_id}/execute"

    no_reason = client.post(path, json={"confirm_unreviewed_flags": True}, headers=officer)
    assert no_reason.status_code == 422
    assert "reason" in no_reason.get_json()["errors"]

    done = client.post(
        path,
        json={"confirm_unreviewed_flags": True, "reason": "Legal cleared it by phone."},
        headers=officer,
    )
    assert done.status_code == 200, done.get_json()
    history = {entry["action"]: entry for entry in done.get_json()["history"]}
    assert history["unreviewed_flags_confirmed"]["reason"] == "Legal cleared it by phone."
    (event,) = audit_rows(conn, "triage.erasure_confirmed")
    assert event["details"]["item_ids"] == [kettle]
    assert "phone" not in json.dumps(event)


def test_a_rule_change_makes_the_next_scan_re_evaluate_the_archive(
    client, officer, auth, scanned, run_jobs
):
    admin = auth("admin")
    (lamp,) = scanned(("l1", "The Glowmate lamp gets worryingly warm after an hour."))
    assert client.get(f"/v1/feedback/{lamp}", headers=officer).get_json()["triage"]["flags"] == []
    before = client.get("/v1/triage/rules", headers=officer).get_json()["version"]

    bad = client.put(
        "/v1/triage/rules",
        json={"rules": [{"id": "brand.lamp", "flag": "product_safety", "patterns": ["(oops"]}]},
        headers=admin,
    )
    assert bad.status_code == 422
    assert "rules.0" in bad.get_json()["errors"]
    assert client.post("/v1/scans", json={}, headers=officer).get_json()["items_total"] == 0

    stored = client.put(
        "/v1/triage/rules",
        json={
            "rules": [
                {"id": "brand.lamp", "flag": "product_safety", "patterns": [r"worryingly warm"]}
            ]
        },
        headers=admin,
    )
    assert stored.status_code == 200, stored.get_json()
    assert stored.get_json()["version"] != before

    scan = client.post("/v1/scans", json={}, headers=officer).get_json()
    assert scan["items_total"] == 1
    run_jobs()
    flags = client.get(f"/v1/feedback/{lamp}", headers=officer).get_json()["triage"]["flags"]
    assert [(f["flag"], f["rule_id"], f["evidence"]) for f in flags] == [
        ("product_safety", "brand.lamp", "worryingly warm")
    ]
    assert flags[0]["rules_version"] == stored.get_json()["version"]
    assert client.post("/v1/scans", json={}, headers=officer).get_json()["items_total"] == 0


def test_flags_on_an_item_redacted_by_someone_elses_erasure_still_hold_replies_until_reviewed(
    client, officer, auth, scanned
):
    _, bob = scanned(
        ("a1", "Loving the new range", {"author": {"handle": "@anna_j", "display_name": None}}),
        (
            "b1",
            "@anna_j told me the heater caught fire, my solicitor will be in touch",
            {"author": {"handle": "@bob_k", "display_name": None}},
        ),
    )
    request_id = _verified_erasure(client, officer, "@anna_j")
    done = client.post(f"/v1/requests/{request_id}/execute", json={}, headers=officer)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["mentions_redacted"] == 1

    triage = client.get(f"/v1/feedback/{bob}", headers=officer).get_json()["triage"]
    assert [(f["flag"], f["current"], f["evidence"]) for f in triage["flags"]] == [
        ("product_safety", False, None),
        ("legal_threat", False, None),
    ]
    body = {"text": "We're on it.", "visibility": "public", "in_reply_to": bob}
    moderator = auth("moderator")
    held = client.post("/v1/replies/check", json=body, headers=moderator).get_json()
    assert held["verdict"] == "hold_for_review"

    client.post(f"/v1/feedback/{bob}/review", json={"decision": "escalated"}, headers=officer)
    assert (
        client.post("/v1/replies/check", json=body, headers=moderator).get_json()["verdict"]
        == "allow"
    )
    assert client.get("/v1/triage/queue", headers=officer).get_json()["items"] == []
