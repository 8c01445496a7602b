"""Confirming receipt of a CCPA request (regulations § 7021(a)): on time, late, once, only CCPA."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from service.audit import SYSTEM
from service.dsr.requests import acknowledge_request
from service.dsr.settings import DsrSettings
from tests.dsr.conftest import SECRET, audit_events


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).isoformat()


def acknowledge(client, officer, request_id: str, **body):
    return client.post(f"/v1/requests/{request_id}/acknowledge", json=body, headers=officer)


def test_a_ccpa_request_acknowledged_in_time_shows_when_and_how(client, officer, file_request):
    filed = file_request(type="erasure", regime="ccpa", received_at=days_ago(2))
    assert filed["acknowledged_at"] is None
    assert filed["acknowledgement"] is None

    response = acknowledge(
        client, officer, filed["id"], channel="email", notes="Sent the receipt to Anna's address"
    )

    assert response.status_code == 200, response.get_json()
    acknowledged = response.get_json()
    assert acknowledged["status"] == "received"
    assert acknowledged["acknowledged_at"] is not None
    assert acknowledged["acknowledgement"] == {
        "acknowledged_at": acknowledged["acknowledged_at"],
        "on_time": True,
        "channel": "email",
    }
    last = acknowledged["history"][-1]
    assert (last["action"], last["from_status"], last["to_status"]) == (
        "acknowledged",
        "received",
        "received",
    )
    assert last["reason"] == "Sent the receipt to Anna's address"
    assert last["details"]["on_time"] is True
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["acknowledgement"] == acknowledged["acknowledgement"]


def test_an_acknowledgement_after_ten_business_days_is_late(client, officer, file_request):
    filed = file_request(type="access", regime="ccpa", received_at=days_ago(30))

    response = acknowledge(client, officer, filed["id"])

    assert response.status_code == 200, response.get_json()
    acknowledgement = response.get_json()["acknowledgement"]
    assert acknowledgement["on_time"] is False
    assert acknowledgement["channel"] is None


@pytest.mark.parametrize(
    ("acknowledged_at", "on_time"),
    [
        # Received Saturday 1 March 2025: acknowledge by Friday 14 March, to its last instant.
        (datetime(2025, 3, 14, 23, 59, 59, 999999, tzinfo=UTC), True),
        (datetime(2025, 3, 15, 0, 0, tzinfo=UTC), False),
    ],
)
def test_on_time_means_before_the_acknowledge_by_day_ends(
    app, file_request, acknowledged_at, on_time
):
    filed = file_request(type="rectification", regime="ccpa", received_at="2025-03-01T10:00:00Z")
    assert filed["acknowledge_by"] == "2025-03-14"

    with app.extensions["privacy"].database.transaction() as conn:
        shown = acknowledge_request(
            conn, SYSTEM, DsrSettings(secret=SECRET), UUID(filed["id"]), now=acknowledged_at
        )

    assert shown.row["acknowledged_at"] == acknowledged_at
    assert shown.row["acknowledged_on_time"] is on_time


def test_a_request_is_acknowledged_once(client, officer, file_request, conn):
    filed = file_request(type="erasure", regime="ccpa")
    first = acknowledge(client, officer, filed["id"], channel="email")
    assert first.status_code == 200

    again = acknowledge(client, officer, filed["id"], channel="mail")

    assert again.status_code == 409
    assert again.mimetype == "application/problem+json"
    assert "already confirmed" in again.get_json()["detail"]
    assert again.get_json()["acknowledged_at"] == first.get_json()["acknowledged_at"]
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["acknowledgement"]["channel"] == "email"
    assert [h["action"] for h in shown["history"]] == ["created", "acknowledged"]
    assert len(audit_events(conn, "dsr.acknowledged")) == 1


@pytest.mark.parametrize(
    ("regime", "request_type"),
    [("gdpr", "access"), ("gdpr", "erasure"), ("ccpa", "opt_out"), ("ccpa", "restriction")],
)
def test_a_request_without_an_acknowledge_by_date_cannot_be_acknowledged(
    client, officer, file_request, conn, regime, request_type
):
    filed = file_request(type=request_type, regime=regime)
    assert filed["acknowledge_by"] is None

    response = acknowledge(client, officer, filed["id"], channel="email")

    assert response.status_code == 409
    assert response.mimetype == "application/problem+json"
    detail = response.get_json()["detail"]
    assert "CCPA request to know, delete or correct" in detail
    assert f"{regime.upper()} {request_type}" in detail
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["acknowledged_at"] is None
    assert audit_events(conn, "dsr.acknowledged") == []


@pytest.mark.parametrize(
    ("close", "body"),
    [("deny", {"reason": "duplicate", "basis": "excessive"}), ("cancel", {"reason": "withdrawn"})],
)
def test_a_closed_request_cannot_be_acknowledged(client, officer, file_request, conn, close, body):
    filed = file_request(type="erasure", regime="ccpa")
    closed = client.post(f"/v1/requests/{filed['id']}/{close}", json=body, headers=officer)
    assert closed.status_code == 200

    response = acknowledge(client, officer, filed["id"])

    assert response.status_code == 409
    assert "closed" in response.get_json()["detail"]
    assert response.get_json()["request_status"] == closed.get_json()["status"]
    assert audit_events(conn, "dsr.acknowledged") == []


def test_acknowledging_an_unknown_request_or_with_an_unknown_channel_is_refused(
    client, officer, file_request
):
    filed = file_request(type="erasure", regime="ccpa")

    unknown = acknowledge(client, officer, "00000000-0000-4000-8000-000000000000")
    bad_channel = acknowledge(client, officer, filed["id"], channel="carrier_pigeon")

    assert unknown.status_code == 404
    assert bad_channel.status_code == 422
    assert "channel" in bad_channel.get_json()["errors"]


def test_the_list_of_receipts_to_confirm_is_sorted_by_acknowledge_by(client, officer, file_request):
    # Extended, so due last, but its receipt was due first.
    extended = file_request(type="access", regime="ccpa", received_at=days_ago(8))
    assert (
        client.post(
            f"/v1/requests/{extended['id']}/extend", json={"reason": "busy"}, headers=officer
        ).status_code
        == 200
    )
    recent = file_request(type="erasure", regime="ccpa", received_at=days_ago(3))
    late = file_request(type="rectification", regime="ccpa", received_at=days_ago(40))
    acknowledged = file_request(type="erasure", regime="ccpa", received_at=days_ago(5))
    assert acknowledge(client, officer, acknowledged["id"]).status_code == 200
    cancelled = file_request(type="erasure", regime="ccpa", received_at=days_ago(6))
    client.post(f"/v1/requests/{cancelled['id']}/cancel", json={"reason": "x"}, headers=officer)
    gdpr = file_request(type="erasure", regime="gdpr", received_at=days_ago(7))
    opt_out = file_request(type="opt_out", regime="ccpa", received_at=days_ago(1))

    def listed(query: str) -> dict:
        response = client.get(f"/v1/requests?{query}", headers=officer)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    to_confirm = listed("unacknowledged=true")
    assert [item["id"] for item in to_confirm["items"]] == [
        late["id"],
        extended["id"],
        recent["id"],
    ]
    assert to_confirm["total"] == 3
    assert [item["acknowledge_by"] for item in to_confirm["items"]] == sorted(
        item["acknowledge_by"] for item in to_confirm["items"]
    )
    # The default order is by due date, where the extended request comes last.
    default_order = [item["id"] for item in listed("regime=ccpa&status=received")["items"]]
    assert default_order.index(recent["id"]) < default_order.index(extended["id"])
    assert {item["id"] for item in listed("unacknowledged=false")["items"]} == {
        acknowledged["id"],
        cancelled["id"],
        gdpr["id"],
        opt_out["id"],
    }
    assert [item["id"] for item in listed("unacknowledged=true&limit=1&offset=1")["items"]] == [
        extended["id"]
    ]
    acknowledged_item = next(
        item for item in listed("unacknowledged=false")["items"] if item["id"] == acknowledged["id"]
    )
    assert acknowledged_item["acknowledgement"]["on_time"] is True


def test_the_acknowledgement_is_audited_without_the_notes(
    client, officer, file_request, conn, audit_verified
):
    filed = file_request(type="access", regime="ccpa", received_at=days_ago(30))

    response = acknowledge(
        client, officer, filed["id"], channel="mail", notes="Letter to Anna Jansen, 1 Main St"
    )

    assert response.status_code == 200
    [event] = audit_events(conn, "dsr.acknowledged")
    assert event["target_type"] == "dsr_request"
    assert event["target_id"] == filed["id"]
    assert event["subject_ref"] == filed["subject_ref"]
    assert event["details"] == {
        "from_status": "received",
        "to_status": "received",
        "regime": "ccpa",
        "type": "access",
        "on_time": False,
        "channel": "mail",
    }
    assert "anna" not in str(event).lower()
    assert "main st" not in str(event).lower()
    audit_verified()
