"""Every request type under every regime, from filing to completion, on a seeded archive."""

from __future__ import annotations

import pytest

from service.dsr.deadlines import REGIMES, REQUEST_TYPES
from tests.dsr.conftest import audit_events

# The CCPA has no general right to object; every other pair exists.
PAIRS = [
    (regime, request_type)
    for regime in REGIMES
    for request_type in REQUEST_TYPES
    if not (regime == "ccpa" and request_type == "objection")
]
CCPA_POINTS = {
    "access": (["email", "handle", "phone"], True),
    "portability": (["email", "handle", "phone"], True),
    "erasure": (["email", "handle"], False),
    "rectification": (["email", "handle"], False),
}


@pytest.mark.parametrize(("regime", "request_type"), PAIRS)
def test_a_request_goes_from_received_to_completed(
    client, officer, file_request, archive, conn, audit_verified, regime, request_type
):
    anna = archive.subject(
        handles=[("x", "@anna_j")], emails=["anna@example.com"], names=[("x", "Anna Jansen")]
    )
    archive.item(anna, "The app keeps crashing")
    filed = file_request(
        type=request_type,
        regime=regime,
        subject={"handles": [{"platform": "x", "handle": "@anna_j"}]},
    )
    points, signed = CCPA_POINTS.get(request_type, ([], False))
    verification = (
        {
            "method": "matching_data_points",
            "matched_data_points": points,
            "signed_declaration": signed,
        }
        if regime == "ccpa"
        else {"method": "identity_document"}
    )
    body = (
        {
            "corrections": [
                {"kind": "name", "platform": "x", "old": "Anna Jansen", "new": "Anna de Vries"}
            ],
            "reason": "Name changed after marriage",
        }
        if request_type == "rectification"
        else {}
    )
    url = f"/v1/requests/{filed['id']}"

    verified = client.post(f"{url}/verify", json=verification, headers=officer)
    executed = client.post(f"{url}/execute", json=body, headers=officer)

    assert verified.status_code == 200, verified.get_json()
    assert executed.status_code == 200, executed.get_json()
    done = client.get(url, headers=officer).get_json()
    assert done["status"] == "completed"
    assert done["closed_at"] is not None
    assert done["overdue"] is False
    assert [(h["from_status"], h["to_status"]) for h in done["history"]] == [
        (None, "received"),
        ("received", "verified"),
        ("verified", "in_progress"),
        ("in_progress", "completed"),
    ]
    assert done["result"]["subjects_matched"] == 1
    request_events = [e for e in audit_events(conn) if e["target_id"] == filed["id"]]
    assert [e["action"] for e in request_events if e["action"].startswith("dsr.")] == [
        "dsr.created",
        "dsr.verified",
        "dsr.started",
        "dsr.completed",
    ]
    assert all(e["actor_role"] == "privacy_officer" for e in request_events)
    assert {e["subject_ref"] for e in request_events if e["action"].startswith("dsr.")} == {
        done["subject_ref"]
    }
    expected_work = {
        "access": "dsr.package_downloaded",
        "portability": "dsr.package_downloaded",
        "erasure": "erasure.executed",
        "rectification": "subject.rectified",
        "objection": "subject.flagged",
        "restriction": "subject.flagged",
        "opt_out": "subject.flagged",
    }[request_type]
    if expected_work == "dsr.package_downloaded":
        assert client.get(f"{url}/package", headers=officer).status_code == 200
    assert audit_events(conn, expected_work)
    audit_verified()


@pytest.mark.parametrize("request_type", ["objection", "restriction", "opt_out"])
def test_flag_requests_can_be_carried_out_without_verification(
    client, officer, file_request, request_type
):
    filed = file_request(type=request_type, subject={"emails": ["anna@example.com"]})

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 200, response.get_json()
    assert [h["to_status"] for h in response.get_json()["history"]] == [
        "received",
        "in_progress",
        "completed",
    ]
