"""Objection, restriction, opt-out flags and rectification of identifiers."""

from __future__ import annotations

import pytest

from service.archive.identifiers import value_hash
from service.audit import subject_ref
from service.dsr.flags import excluded_subject_ids, subject_exclusions
from tests.dsr.conftest import SECRET, audit_events


@pytest.fixture
def people(archive):
    anna = archive.subject(
        handles=[("x", "@anna_j")], emails=["anna@example.com"], names=[("x", "Anna Jansen")]
    )
    bob = archive.subject(handles=[("x", "@bob")])
    return {"anna": anna, "bob": bob}


def carry_out(client, officer, file_request, request_type, subject, **body) -> dict:
    filed = file_request(type=request_type, subject=subject)
    if request_type == "rectification":
        verify(client, officer, filed)
    response = client.post(f"/v1/requests/{filed['id']}/execute", json=body, headers=officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def verify(client, officer, filed: dict) -> None:
    response = client.post(
        f"/v1/requests/{filed['id']}/verify", json={"method": "other"}, headers=officer
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize(
    ("request_type", "excluded_from"),
    [
        # An objection (Art. 21(1)): "no longer process", so neither analysis nor sharing.
        ("objection", {"analysis", "sharing"}),
        ("restriction", {"analysis", "sharing"}),
        ("opt_out", {"sharing"}),
    ],
)
def test_a_flag_leaves_the_subject_out_of_the_flagged_processing(
    client, officer, file_request, people, conn, audit_verified, request_type, excluded_from
):
    done = carry_out(
        client,
        officer,
        file_request,
        request_type,
        {"handles": [{"platform": "x", "handle": "anna_j"}]},
    )

    assert done["result"]["excludes"] == sorted(excluded_from)
    for processing in ("analysis", "sharing"):
        expected = {people["anna"]} if processing in excluded_from else set()
        assert excluded_subject_ids(conn, processing) == expected
    assert set(subject_exclusions(conn, people["anna"])) == excluded_from
    assert subject_exclusions(conn, people["bob"]) == {}
    [event] = audit_events(conn, "subject.flagged")
    assert event["subject_ref"] == subject_ref(SECRET, people["anna"])
    assert event["details"]["flag"] == request_type
    flags = conn.execute("SELECT * FROM dsr_processing_flags").fetchall()
    assert not any("anna" in str(flag).lower() for flag in flags)
    audit_verified()


def test_a_flag_also_covers_a_subject_stored_later(client, officer, file_request, archive, conn):
    carry_out(
        client,
        officer,
        file_request,
        "objection",
        {"emails": ["new@example.com"], "handles": [{"platform": "reddit", "handle": "newbie"}]},
    )
    assert excluded_subject_ids(conn, "analysis") == set()

    later = archive.subject(handles=[("reddit", "Newbie")])
    same_handle_elsewhere = archive.subject(handles=[("x", "newbie")])

    assert excluded_subject_ids(conn, "analysis") == {later}
    assert same_handle_elsewhere not in excluded_subject_ids(conn, "analysis")


def test_rectification_corrects_identifiers_and_display_names(
    client, officer, file_request, people, conn, audit_verified
):
    done = carry_out(
        client,
        officer,
        file_request,
        "rectification",
        {"emails": ["anna@example.com"]},
        corrections=[
            {"kind": "name", "platform": "x", "old": "anna jansen", "new": "Anna de Vries"},
            {"kind": "email", "old": "Anna@Example.com", "new": "anna.devries@example.com"},
        ],
        reason="Married; new e-mail address",
    )

    assert done["result"]["corrected"] == 2
    assert done["history"][-1]["reason"] == "Married; new e-mail address"
    stored = conn.execute(
        "SELECT kind, value, value_hash FROM subject_identifiers WHERE subject_id = %s"
        " ORDER BY kind",
        (people["anna"],),
    ).fetchall()
    assert [(row["kind"], row["value"]) for row in stored] == [
        ("email", "anna.devries@example.com"),
        ("handle", "anna_j"),
        ("name", "Anna de Vries"),
    ]
    assert bytes(stored[0]["value_hash"]) == value_hash(SECRET, "email", "anna.devries@example.com")
    [event] = audit_events(conn, "subject.rectified")
    assert event["details"] == {"corrected": {"email": 1, "name": 1}}
    assert "Married" not in str(audit_events(conn))
    audit_verified()


def test_a_correction_that_fits_no_stored_identifier_changes_nothing(
    client, officer, file_request, people, conn
):
    filed = file_request(type="rectification", subject={"emails": ["anna@example.com"]})
    verify(client, officer, filed)

    response = client.post(
        f"/v1/requests/{filed['id']}/execute",
        json={
            "corrections": [{"kind": "name", "platform": "x", "old": "Someone", "new": "Else"}],
            "reason": "typo",
        },
        headers=officer,
    )

    assert response.status_code == 422
    assert "corrections.0.old" in response.get_json()["errors"]
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["status"] == "verified"
    assert audit_events(conn, "dsr.started") == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reason": "x"}, "corrections"),
        (
            {"corrections": [{"kind": "email", "old": "a@b.example", "new": "c@d.example"}]},
            "reason",
        ),
    ],
)
def test_a_rectification_needs_corrections_and_a_reason(
    client, officer, file_request, people, body, field
):
    filed = file_request(type="rectification", subject={"emails": ["anna@example.com"]})

    response = client.post(f"/v1/requests/{filed['id']}/execute", json=body, headers=officer)

    assert response.status_code == 422
    assert field in response.get_json()["errors"]


def test_a_correction_to_someone_elses_handle_is_a_conflict(
    client, officer, file_request, people, conn
):
    filed = file_request(type="rectification", subject={"emails": ["anna@example.com"]})
    verify(client, officer, filed)

    response = client.post(
        f"/v1/requests/{filed['id']}/execute",
        json={
            "corrections": [{"kind": "handle", "platform": "x", "old": "anna_j", "new": "@bob"}],
            "reason": "wrong account",
        },
        headers=officer,
    )

    assert response.status_code == 409
    handle = conn.execute(
        "SELECT value FROM subject_identifiers WHERE subject_id = %s AND kind = 'handle'",
        (people["anna"],),
    ).fetchone()
    assert handle["value"] == "anna_j"


def test_an_unverified_rectification_changes_nothing(client, officer, file_request, people, conn):
    # Otherwise anyone could replace a victim's e-mail address by their own, then pass an
    # e-mail confirmation on an access request and receive the victim's data.
    filed = file_request(type="rectification", subject={"emails": ["anna@example.com"]})

    response = client.post(
        f"/v1/requests/{filed['id']}/execute",
        json={
            "corrections": [{"kind": "email", "old": "anna@example.com", "new": "eve@example.com"}],
            "reason": "new address",
        },
        headers=officer,
    )

    assert response.status_code == 409
    assert "verified" in response.get_json()["detail"]
    emails = conn.execute("SELECT value FROM subject_identifiers WHERE kind = 'email'").fetchall()
    assert [row["value"] for row in emails] == ["anna@example.com"]
