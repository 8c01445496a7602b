"""Filing requests, their deadlines, listing, and the transitions that need no archive data."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from service.dsr.deadlines import add_calendar_months
from tests.dsr.conftest import audit_events

UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


# --- filing and deadlines ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regime", "request_type", "received_at", "due_on", "acknowledge_by"),
    [
        # GDPR: one calendar month; a month without the day ends on its last day.
        ("gdpr", "access", "2023-01-31T09:00:00+00:00", "2023-02-28", None),
        ("gdpr", "erasure", "2024-01-31T09:00:00+00:00", "2024-02-29", None),  # leap year
        ("gdpr", "objection", "2024-03-31T23:30:00+00:00", "2024-04-30", None),
        ("gdpr", "rectification", "2024-12-15T12:00:00+00:00", "2025-01-15", None),
        # The receipt date is the UTC date: 23:30 in New York on 31 Jan is 1 Feb in UTC.
        ("gdpr", "access", "2023-01-31T23:30:00-05:00", "2023-03-01", None),
        # CCPA: 45 calendar days whatever verification takes; acknowledge in 10 business days.
        ("ccpa", "access", "2025-03-01T10:00:00+00:00", "2025-04-15", "2025-03-14"),
        # Acknowledgement across Christmas and New Year (federal holidays) and two weekends.
        ("ccpa", "erasure", "2024-12-20T10:00:00+00:00", "2025-02-03", "2025-01-07"),
        # Opt-outs: 15 business days, no acknowledgement date.
        ("ccpa", "opt_out", "2025-03-01T10:00:00+00:00", "2025-03-21", None),
        (
            "ccpa",
            "restriction",
            "2025-06-13T10:00:00+00:00",
            "2025-07-08",
            None,
        ),  # Juneteenth, 4 July
    ],
)
def test_a_filed_request_shows_its_statutory_dates(
    file_request, regime, request_type, received_at, due_on, acknowledge_by
):
    filed = file_request(type=request_type, regime=regime, received_at=received_at)

    assert filed["status"] == "received"
    assert filed["due_on"] == due_on
    assert filed["original_due_on"] == due_on
    assert filed["acknowledge_by"] == acknowledge_by
    # due_at is the end of the due day in UTC.
    end_of_day = datetime.fromisoformat(due_on).replace(tzinfo=UTC) + timedelta(days=1)
    assert datetime.fromisoformat(filed["due_at"]) == end_of_day
    assert filed["extended_until"] is None


def test_a_filed_request_keeps_its_identifiers_and_history(client, officer, file_request):
    filed = file_request(
        type="erasure",
        regime="ccpa",
        channel="web_form",
        subject={
            "handles": [{"platform": "instagram", "handle": "@anna_j"}],
            "emails": ["anna@example.com"],
            "phones": ["+31 6 12345678"],
            "names": ["Anna Jansen"],
        },
        requester={"kind": "authorized_agent", "name": "Privacy Agents Inc.", "proof": "letter"},
    )

    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["subject"] == {
        "handles": [{"platform": "instagram", "handle": "@anna_j"}],
        "emails": ["anna@example.com"],
        "phones": ["+31 6 12345678"],
        "names": ["Anna Jansen"],
    }
    assert shown["requester"] == {
        "kind": "authorized_agent",
        "name": "Privacy Agents Inc.",
        "proof": "letter",
    }
    assert shown["channel"] == "web_form"
    assert [(h["action"], h["from_status"], h["to_status"]) for h in shown["history"]] == [
        ("created", None, "received")
    ]
    assert shown["subject_ref"].startswith("subj_")


def test_filing_is_audited_without_identifiers(file_request, conn, audit_verified):
    filed = file_request(
        subject={"emails": ["anna@example.com"], "names": ["Anna Jansen"]},
    )

    [event] = audit_events(conn, "dsr.created")
    assert event["target_id"] == filed["id"]
    assert event["subject_ref"] == filed["subject_ref"]
    assert event["details"]["identifier_counts"] == {
        "handles": 0,
        "emails": 1,
        "phones": 0,
        "names": 1,
    }
    assert "anna" not in str(event).lower()
    audit_verified()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "access", "regime": "gdpr", "subject": {}}, "subject"),
        ({"type": "objection", "regime": "ccpa", "subject": {"emails": ["a@b.example"]}}, "type"),
        ({"type": "sale", "regime": "gdpr", "subject": {"emails": ["a@b.example"]}}, "type"),
        ({"type": "access", "regime": "lgpd", "subject": {"emails": ["a@b.example"]}}, "regime"),
        ({"type": "access", "regime": "gdpr", "subject": {"emails": ["not-an-email"]}}, "subject"),
        (
            {
                "type": "access",
                "regime": "gdpr",
                "subject": {"emails": ["a@b.example"]},
                "received_at": "2999-01-01T00:00:00+00:00",
            },
            "received_at",
        ),
        (
            {
                "type": "access",
                "regime": "gdpr",
                "subject": {"emails": ["a@b.example"]},
                "received_at": "2025-01-01T00:00:00",
            },
            "received_at",
        ),
        (
            {
                "type": "access",
                "regime": "gdpr",
                "subject": {"emails": ["a@b.example"]},
                "requester": {"kind": "authorized_agent"},
            },
            "requester",
        ),
        (
            {"type": "access", "regime": "gdpr", "subject": {"emails": ["a@b.example"]}, "x": 1},
            "x",
        ),
    ],
)
def test_an_invalid_request_is_refused_with_the_field_at_fault(client, officer, conn, body, field):
    response = client.post("/v1/requests", json=body, headers=officer)

    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.get_json()["errors"]
    assert conn.execute("SELECT count(*) AS n FROM dsr_requests").fetchone()["n"] == 0


def test_an_unknown_request_is_404(client, officer):
    for path in ("", "/verify", "/deny", "/cancel", "/extend", "/execute", "/package"):
        method = "get" if path in ("", "/package") else "post"
        body = {
            "/verify": {"method": "other"},
            "/deny": {"reason": "x", "basis": "other"},
            "/cancel": {"reason": "x"},
            "/extend": {"months": 1, "reason": "x"},
        }.get(path, {})
        kwargs = {"json": body} if method == "post" else {}
        response = getattr(client, method)(
            f"/v1/requests/{UNKNOWN_ID}{path}", headers=officer, **kwargs
        )
        assert response.status_code == 404, path
        assert response.mimetype == "application/problem+json"


# --- listing ------------------------------------------------------------------------------------


def test_requests_are_listed_most_urgent_first_with_closed_ones_last(client, officer, file_request):
    later = file_request(received_at=days_ago(1))
    sooner = file_request(received_at=days_ago(20))
    overdue = file_request(received_at=days_ago(45))
    closed = file_request(received_at=days_ago(60))
    client.post(
        f"/v1/requests/{closed['id']}/cancel", json={"reason": "withdrawn"}, headers=officer
    )

    listed = client.get("/v1/requests", headers=officer).get_json()

    assert [item["id"] for item in listed["items"]] == [
        overdue["id"],
        sooner["id"],
        later["id"],
        closed["id"],
    ]
    assert listed["total"] == 4
    assert [item["overdue"] for item in listed["items"]] == [True, False, False, False]


def test_requests_can_be_filtered(client, officer, file_request):
    gdpr_access = file_request(received_at=days_ago(45))
    ccpa_erasure = file_request(type="erasure", regime="ccpa", received_at=days_ago(2))
    gdpr_optout = file_request(type="opt_out", received_at=days_ago(3))
    client.post(
        f"/v1/requests/{gdpr_optout['id']}/deny",
        json={"reason": "duplicate", "basis": "excessive"},
        headers=officer,
    )

    def ids(query: str) -> list[str]:
        response = client.get(f"/v1/requests?{query}", headers=officer)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("regime=ccpa") == [ccpa_erasure["id"]]
    assert ids("type=access") == [gdpr_access["id"]]
    assert ids("status=denied") == [gdpr_optout["id"]]
    assert ids("overdue=true") == [gdpr_access["id"]]
    assert set(ids("overdue=false")) == {ccpa_erasure["id"], gdpr_optout["id"]}
    assert ids(f"due_before={ccpa_erasure['due_on']}") == [gdpr_access["id"], gdpr_optout["id"]]
    assert ids("limit=1&offset=1") == [ccpa_erasure["id"]]
    assert client.get("/v1/requests?limit=1&offset=9", headers=officer).get_json() == {
        "items": [],
        "total": 3,
    }
    assert client.get("/v1/requests?status=lost", headers=officer).status_code == 422


# --- verification --------------------------------------------------------------------------------


def test_verification_records_how_identity_was_established(client, officer, file_request, conn):
    filed = file_request()

    response = client.post(
        f"/v1/requests/{filed['id']}/verify",
        json={
            "method": "email_confirmation",
            "matched_data_points": ["email"],
            "notes": "Anna answered from anna@example.com",
        },
        headers=officer,
    )

    assert response.status_code == 200
    verified = response.get_json()
    assert verified["status"] == "verified"
    assert verified["verification"]["method"] == "email_confirmation"
    assert verified["verification"]["matched_data_points"] == ["email"]
    assert verified["history"][-1]["reason"] == "Anna answered from anna@example.com"
    [event] = audit_events(conn, "dsr.verified")
    assert event["details"]["method"] == "email_confirmation"
    assert "anna" not in str(event["details"]).lower()


@pytest.mark.parametrize(
    ("request_type", "points", "signed", "status", "degree"),
    [
        # Requests to know specific pieces: a reasonably high degree (3 points + declaration).
        ("access", ["email", "phone"], False, 422, None),
        ("access", ["email", "phone", "handle"], False, 422, None),
        ("portability", ["email", "phone", "handle"], True, 200, "reasonably_high"),
        # Deletion and correction: a reasonable degree (2 points).
        ("erasure", ["email"], False, 422, None),
        ("erasure", ["email", "phone"], False, 200, "reasonable"),
        ("rectification", ["email", "email"], False, 422, None),  # the same point twice is one
        # Opt-outs need no verification; recording one is allowed.
        ("opt_out", [], False, 200, None),
    ],
)
def test_ccpa_verification_needs_the_degree_of_certainty_of_the_request(
    client, officer, file_request, request_type, points, signed, status, degree
):
    filed = file_request(type=request_type, regime="ccpa")

    response = client.post(
        f"/v1/requests/{filed['id']}/verify",
        json={
            "method": "matching_data_points",
            "matched_data_points": points,
            "signed_declaration": signed,
        },
        headers=officer,
    )

    assert response.status_code == status, response.get_json()
    if status == 200:
        assert response.get_json()["verification"]["degree"] == degree
    else:
        assert "matched_data_points" in response.get_json()["errors"]


def test_a_ccpa_request_is_verified_by_matching_data_points(client, officer, file_request):
    filed = file_request(type="erasure", regime="ccpa")

    response = client.post(
        f"/v1/requests/{filed['id']}/verify", json={"method": "other"}, headers=officer
    )

    assert response.status_code == 422
    assert "method" in response.get_json()["errors"]


def test_an_agent_without_proof_of_authority_cannot_be_verified(client, officer, file_request):
    filed = file_request(requester={"kind": "authorized_agent", "name": "Agents Inc."})

    response = client.post(
        f"/v1/requests/{filed['id']}/verify", json={"method": "identity_document"}, headers=officer
    )

    assert response.status_code == 409
    assert "authorized agent" in response.get_json()["detail"]


def test_a_request_is_verified_once(client, officer, file_request):
    filed = file_request()
    url = f"/v1/requests/{filed['id']}/verify"
    assert client.post(url, json={"method": "other"}, headers=officer).status_code == 200

    again = client.post(url, json={"method": "other"}, headers=officer)

    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert again.get_json()["request_status"] == "verified"


@pytest.mark.parametrize("request_type", ["access", "portability", "erasure"])
def test_access_portability_and_erasure_cannot_execute_before_verification(
    client, officer, file_request, conn, request_type
):
    filed = file_request(type=request_type)

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    assert "verified" in response.get_json()["detail"]
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["status"] == "received"
    assert audit_events(conn, "dsr.started") == []


# --- extension -----------------------------------------------------------------------------------


def test_a_gdpr_request_is_extended_by_one_then_one_more_month(
    client, officer, file_request, conn, audit_verified
):
    filed = file_request(received_at=days_ago(10))
    original = date.fromisoformat(filed["due_on"])
    url = f"/v1/requests/{filed['id']}/extend"

    first = client.post(url, json={"months": 1, "reason": "many platforms"}, headers=officer)
    second = client.post(url, json={"months": 1, "reason": "still many"}, headers=officer)
    third = client.post(url, json={"months": 1, "reason": "too much"}, headers=officer)

    assert first.status_code == 200
    assert first.get_json()["extended_until"] == add_calendar_months(original, 1).isoformat()
    assert second.status_code == 200
    assert second.get_json()["due_on"] == add_calendar_months(original, 2).isoformat()
    assert second.get_json()["original_due_on"] == original.isoformat()
    assert third.status_code == 409
    assert "2 months" in third.get_json()["detail"]
    events = audit_events(conn, "dsr.extended")
    assert [e["details"]["months"] for e in events] == [1, 1]
    assert all("platforms" not in str(e["details"]) for e in events)
    audit_verified()


def test_an_extension_is_refused_once_the_due_date_has_passed(client, officer, file_request):
    filed = file_request(received_at=days_ago(40))

    response = client.post(
        f"/v1/requests/{filed['id']}/extend", json={"months": 2, "reason": "late"}, headers=officer
    )

    assert response.status_code == 409
    assert "too late" in response.get_json()["detail"]


def test_a_ccpa_request_is_extended_once_by_45_days(client, officer, file_request):
    filed = file_request(regime="ccpa", type="erasure", received_at=days_ago(5))
    url = f"/v1/requests/{filed['id']}/extend"

    with_months = client.post(url, json={"months": 1, "reason": "busy"}, headers=officer)
    first = client.post(url, json={"reason": "busy"}, headers=officer)
    second = client.post(url, json={"reason": "busy"}, headers=officer)

    assert with_months.status_code == 422
    assert "months" in with_months.get_json()["errors"]
    assert first.status_code == 200
    due = date.fromisoformat(filed["received_on"]) + timedelta(days=90)
    assert first.get_json()["due_on"] == due.isoformat()
    assert second.status_code == 409


def test_a_ccpa_opt_out_cannot_be_extended(client, officer, file_request):
    filed = file_request(regime="ccpa", type="opt_out")

    response = client.post(
        f"/v1/requests/{filed['id']}/extend", json={"reason": "busy"}, headers=officer
    )

    assert response.status_code == 409
    assert "cannot be extended" in response.get_json()["detail"]


def test_a_gdpr_extension_needs_a_month_count(client, officer, file_request):
    filed = file_request()

    response = client.post(
        f"/v1/requests/{filed['id']}/extend", json={"reason": "busy"}, headers=officer
    )

    assert response.status_code == 422
    assert "months" in response.get_json()["errors"]


# --- denial and cancellation ---------------------------------------------------------------------


def test_a_denied_request_shows_its_reason_and_basis(
    client, officer, file_request, conn, audit_verified
):
    filed = file_request()

    response = client.post(
        f"/v1/requests/{filed['id']}/deny",
        json={"reason": "Third identical request this week", "basis": "excessive"},
        headers=officer,
    )

    assert response.status_code == 200
    denied = response.get_json()
    assert denied["status"] == "denied"
    assert denied["denial"] == {"basis": "excessive", "reason": "Third identical request this week"}
    assert denied["closed_at"] is not None
    [event] = audit_events(conn, "dsr.denied")
    assert event["details"]["basis"] == "excessive"
    assert "identical" not in str(event["details"])
    audit_verified()


@pytest.mark.parametrize(
    ("close", "body"),
    [("deny", {"reason": "x", "basis": "excessive"}), ("cancel", {"reason": "withdrawn"})],
)
def test_a_closed_request_accepts_no_further_transition(client, officer, file_request, close, body):
    filed = file_request(type="opt_out")
    url = f"/v1/requests/{filed['id']}"
    assert client.post(f"{url}/{close}", json=body, headers=officer).status_code == 200

    attempts = {
        "verify": {"method": "other"},
        "extend": {"months": 1, "reason": "x"},
        "deny": {"reason": "x", "basis": "other"},
        "cancel": {"reason": "x"},
        "execute": {},
    }
    for action, attempt in attempts.items():
        response = client.post(f"{url}/{action}", json=attempt, headers=officer)
        assert response.status_code == 409, action
        assert "closed" in response.get_json()["detail"], action
