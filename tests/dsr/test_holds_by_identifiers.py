"""Legal holds placed by a data subject's identifiers, and what an erasure then keeps."""

from __future__ import annotations

import pytest

from service.audit import subject_ref
from tests.dsr.conftest import SECRET, audit_events

ANNA_BY_HANDLE = {"handles": [{"platform": "x", "handle": "@Anna_J"}]}
ANNA_BY_EMAIL = {"emails": ["Anna@Example.com"]}


@pytest.fixture
def anna(archive):
    """Anna's two posts on X, Bob's post, and someone else with Anna's handle on Reddit."""
    anna = archive.subject(
        handles=[("x", "@anna_j")], emails=["anna@example.com"], names=[("x", "Anna Jansen")]
    )
    bob = archive.subject(handles=[("x", "@bob")])
    carl = archive.subject(handles=[("reddit", "anna_j")])
    return {
        "subject": anna,
        "bob": bob,
        "carl": carl,
        "first": archive.item(anna, "My order never arrived"),
        "second": archive.item(anna, "Still waiting, support is slow"),
        "bobs": archive.item(bob, "Same here"),
        "carls": archive.item(carl, "Reddit thread", platform="reddit"),
    }


def hold_by(client, officer, subject: dict, **fields):
    body = {"subject": subject, "basis": "legal_claims", "reason": "Lawsuit 2025-17", **fields}
    return client.post("/v1/holds", json=body, headers=officer)


def erase(client, officer, file_request, subject: dict) -> dict:
    filed = file_request(type="erasure", regime="gdpr", subject=subject)
    verified = client.post(
        f"/v1/requests/{filed['id']}/verify", json={"method": "other"}, headers=officer
    )
    assert verified.status_code == 200, verified.get_json()
    done = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)
    assert done.status_code == 200, done.get_json()
    return done.get_json()


def item_ids(conn) -> set:
    return {row["id"] for row in conn.execute("SELECT id FROM feedback_items").fetchall()}


@pytest.mark.parametrize(
    ("held_by", "erased_by"),
    [(ANNA_BY_EMAIL, ANNA_BY_HANDLE), (ANNA_BY_HANDLE, ANNA_BY_EMAIL)],
    ids=["hold by e-mail", "hold by handle"],
)
def test_a_hold_by_identifiers_keeps_the_subject_through_an_erasure(
    client, officer, file_request, anna, conn, audit_verified, held_by, erased_by
):
    response = hold_by(client, officer, held_by)

    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    [hold] = placed["holds"]
    assert hold["subject_id"] == str(anna["subject"])
    assert hold["feedback_id"] is None
    assert hold["active"] is True
    assert placed["id"] == hold["id"]
    assert placed["unmatched"] == {"handles": 0, "emails": 0, "phones": 0}

    result = erase(client, officer, file_request, erased_by)["result"]

    assert result["subjects_matched"] == 1
    assert result["items_deleted"] == 0
    assert result["subjects_erased"] == 0
    assert result["kept_by_hold"] == 1
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
    assert {anna["first"], anna["second"], anna["bobs"], anna["carls"]} <= item_ids(conn)
    [event] = audit_events(conn, "erasure.executed")
    assert event["outcome"] == "partial"
    assert event["details"]["hold_basis"] == "legal_claims"
    audit_verified()


def test_identifiers_naming_several_subjects_hold_each_of_them(
    client, officer, file_request, anna, archive, conn, audit_verified
):
    # The same person under another account, with her work address.
    other_account = archive.subject(
        emails=["anna.work@example.com"], handles=[("instagram", "anna")]
    )
    kept_post = archive.item(other_account, "Photo of the broken parcel", platform="instagram")

    both_accounts = {**ANNA_BY_HANDLE, "emails": ["anna.work@example.com"]}
    response = hold_by(
        client,
        officer,
        {**both_accounts, "phones": ["+31 6 12345678"]},
        basis="legal_obligation",
    )

    assert response.status_code == 201, response.get_json()
    placed = response.get_json()
    assert {hold["subject_id"] for hold in placed["holds"]} == {
        str(anna["subject"]),
        str(other_account),
    }
    assert placed["id"] == placed["holds"][0]["id"]
    assert placed["unmatched"] == {"handles": 0, "emails": 0, "phones": 1}
    events = audit_events(conn, "hold.placed")
    assert {event["subject_ref"] for event in events} == {
        subject_ref(SECRET, anna["subject"]),
        subject_ref(SECRET, other_account),
    }
    assert all(
        event["details"]
        == {
            "basis": "legal_obligation",
            "scope": "subject",
            "matched_by": "identifiers",
            "subjects_matched": 2,
        }
        for event in events
    )
    assert "anna" not in str(events).lower()

    result = erase(client, officer, file_request, both_accounts)["result"]

    assert result["items_deleted"] == 0
    assert sorted((kept["id"], kept["items"]) for kept in result["kept"]) == sorted(
        [(str(anna["subject"]), 2), (str(other_account), 1)]
    )
    assert kept_post in item_ids(conn)
    audit_verified()


@pytest.mark.parametrize(
    ("subject", "message"),
    [
        ({"emails": ["nobody@example.com"]}, "No subject in the archive"),
        ({"handles": [{"platform": "x", "handle": "@nobody"}]}, "No subject in the archive"),
        # Anna's handle belongs to Carl on Reddit, not on an unknown platform.
        ({"handles": [{"platform": "mastodon", "handle": "@anna_j"}]}, "No subject in the"),
        ({"names": ["Anna Jansen"]}, "display name alone"),
        ({}, "display name alone"),
    ],
)
def test_a_hold_on_nobody_is_refused(client, officer, anna, conn, subject, message):
    response = hold_by(client, officer, subject)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert message in response.get_json()["detail"]
    assert "subject" in response.get_json()["errors"]
    assert conn.execute("SELECT count(*) AS n FROM legal_holds").fetchone()["n"] == 0
    assert audit_events(conn, "hold.placed") == []


@pytest.mark.parametrize(
    "targets",
    [
        ("feedback_id", "subject"),
        ("subject_id", "subject"),
        ("feedback_id", "subject_id"),
        ("feedback_id", "subject_id", "subject"),
        (),
    ],
)
def test_a_hold_needs_exactly_one_target(client, officer, anna, conn, targets):
    values = {
        "feedback_id": str(anna["first"]),
        "subject_id": str(anna["subject"]),
        "subject": ANNA_BY_EMAIL,
    }
    body = {"basis": "legal_claims", "reason": "x", **{t: values[t] for t in targets}}

    response = client.post("/v1/holds", json=body, headers=officer)

    assert response.status_code == 422
    assert "exactly one of feedback_id, subject_id and subject" in response.get_json()["detail"]
    assert set(response.get_json()["errors"]) == {"feedback_id", "subject_id", "subject"}
    assert conn.execute("SELECT count(*) AS n FROM legal_holds").fetchone()["n"] == 0


def test_a_hold_by_subject_id_still_answers_with_its_one_hold(client, officer, anna):
    response = client.post(
        "/v1/holds",
        json={"subject_id": str(anna["subject"]), "basis": "security", "reason": "fraud case"},
        headers=officer,
    )

    assert response.status_code == 201
    placed = response.get_json()
    assert placed["subject_id"] == str(anna["subject"])
    assert [hold["id"] for hold in placed["holds"]] == [placed["id"]]
    assert placed["unmatched"] is None


def test_invalid_identifiers_are_refused_by_field(client, officer, anna):
    response = hold_by(client, officer, {"emails": ["not-an-email"]})

    assert response.status_code == 422
    assert "subject" in response.get_json()["errors"]
