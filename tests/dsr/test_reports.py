"""Request records (CCPA § 7101), yearly metrics (§ 7102), and retention of the records."""

from __future__ import annotations

from datetime import datetime

import psycopg
import pytest

from service.audit import SYSTEM
from service.dsr.retention import minimise_closed_requests
from service.dsr.settings import DsrSettings, load_dsr_settings
from tests.dsr.conftest import SECRET, audit_events


def close_on(conn, request_id: str, closed_at: str) -> None:
    """Move a request's closing time (the service stamps the real time)."""
    conn.execute(
        "UPDATE dsr_requests SET closed_at = %s WHERE id = %s",
        (datetime.fromisoformat(closed_at), request_id),
    )


@pytest.fixture
def year_of_requests(client, officer, file_request, conn, archive):
    """Requests received in 2025 with known outcomes and response times, and one from 2024."""
    archive.subject(handles=[("x", "@anna_j")])

    def completed(received_at: str, closed_at: str, **fields) -> dict:
        filed = file_request(received_at=received_at, **fields)
        url = f"/v1/requests/{filed['id']}"
        verified = client.post(f"{url}/verify", json={"method": "other"}, headers=officer)
        assert verified.status_code == 200
        assert client.post(f"{url}/execute", json={}, headers=officer).status_code == 200
        close_on(conn, filed["id"], closed_at)
        return filed

    fast = completed("2025-03-01T10:00:00+00:00", "2025-03-11T10:00:00+00:00")  # 10 days
    slow = completed("2025-03-02T10:00:00+00:00", "2025-04-01T18:00:00+00:00")  # 30 days
    denied = file_request(type="erasure", received_at="2025-03-03T10:00:00+00:00")
    client.post(
        f"/v1/requests/{denied['id']}/deny",
        json={"reason": "Cannot verify the requester", "basis": "identity_not_verified"},
        headers=officer,
    )
    close_on(conn, denied["id"], "2025-03-05T09:00:00+00:00")  # 2 days
    cancelled = file_request(type="opt_out", regime="ccpa", received_at="2025-05-01T10:00:00Z")
    client.post(
        f"/v1/requests/{cancelled['id']}/cancel", json={"reason": "withdrawn"}, headers=officer
    )
    still_open = file_request(type="erasure", received_at="2025-12-30T10:00:00+00:00")
    file_request(received_at="2024-12-31T10:00:00+00:00")
    return {
        "fast": fast,
        "slow": slow,
        "denied": denied,
        "cancelled": cancelled,
        "open": still_open,
    }


def test_yearly_metrics_count_outcomes_per_type_and_the_median_days(
    client, officer, year_of_requests
):
    response = client.get("/v1/reports/dsr-metrics?year=2025&regime=gdpr", headers=officer)

    assert response.status_code == 200
    metrics = response.get_json()
    by_type = {row["type"]: row for row in metrics["by_type"]}
    assert by_type["access"] == {
        "type": "access",
        "received": 2,
        "complied": 2,
        "complied_in_part": 0,
        "no_data_held": 0,
        "categories_only": 0,
        "denied": 0,
        "cancelled": 0,
        "open": 0,
        "median_days_to_respond": 20.0,
        "mean_days_to_respond": 20.0,
    }
    assert by_type["erasure"]["received"] == 2
    assert by_type["erasure"]["denied"] == 1
    assert by_type["erasure"]["open"] == 1
    assert by_type["erasure"]["median_days_to_respond"] == 2.0
    assert by_type["rectification"]["received"] == 0
    # The GDPR report holds GDPR requests only: the CCPA opt-out is in the CCPA one.
    assert by_type["opt_out"]["received"] == 0
    assert metrics["totals"]["received"] == 4
    assert metrics["totals"]["median_days_to_respond"] == 10.0
    assert metrics["totals"]["mean_days_to_respond"] == 14.0
    assert "by_category" not in metrics

    ccpa = client.get("/v1/reports/dsr-metrics?year=2025&regime=ccpa", headers=officer).get_json()
    assert ccpa["totals"]["received"] == 1
    categories = {row["category"]: row for row in ccpa["by_category"]}
    assert categories["opt_out"]["cancelled"] == 1
    assert categories["opt_out"]["median_days_to_respond"] is None
    assert categories["know"]["types"] == ["access", "portability"]
    assert (
        client.get("/v1/reports/dsr-metrics?year=2024&regime=gdpr", headers=officer).get_json()[
            "totals"
        ]["received"]
        == 1
    )
    # One regime per report: figures of the two laws never mix.
    assert client.get("/v1/reports/dsr-metrics?year=2025", headers=officer).status_code == 422


def test_the_records_show_date_type_manner_response_and_basis_for_denial(
    client, officer, year_of_requests
):
    period = "received_from=2025-01-01&received_before=2026-01-01"
    response = client.get(f"/v1/reports/dsr-records?{period}&regime=gdpr", headers=officer)
    ccpa = client.get(f"/v1/reports/dsr-records?{period}&regime=ccpa", headers=officer)
    mixed = client.get(f"/v1/reports/dsr-records?{period}", headers=officer)

    assert response.status_code == 200
    records = {record["id"]: record for record in response.get_json()["items"]}
    assert len(records) == 4
    assert {record["regime"] for record in records.values()} == {"gdpr"}
    # One regime per record set: the CCPA opt-out is listed there only.
    [withdrawn] = ccpa.get_json()["items"]
    assert withdrawn["id"] == year_of_requests["cancelled"]["id"]
    assert withdrawn["nature_of_response"] == "withdrawn"
    assert mixed.status_code == 422 and "regime" in mixed.get_json()["errors"]
    denied = records[year_of_requests["denied"]["id"]]
    assert denied["received_on"] == "2025-03-03"
    assert denied["type"] == "erasure"
    assert denied["manner"] == "other"
    assert denied["response_date"] == "2025-03-05"
    assert denied["nature_of_response"] == "denied"
    assert denied["denial_basis"] == "identity_not_verified"
    assert records[year_of_requests["slow"]["id"]]["nature_of_response"] == "complied"
    assert records[year_of_requests["open"]["id"]]["response_date"] is None
    assert "Cannot verify" not in response.get_data(as_text=True)
    empty = client.get(
        "/v1/reports/dsr-records?received_from=2025-01-01&received_before=2025-01-01&regime=gdpr",
        headers=officer,
    )
    assert empty.status_code == 422


def test_a_request_that_matches_nobody_is_no_data_held_not_complied(client, officer, file_request):
    # Nobody in the archive has this handle (or a display name alone was given).
    filed = file_request(
        type="objection",
        received_at="2025-04-01T10:00:00+00:00",
        subject={"names": ["Anna Jansen"]},
    )

    done = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert done.status_code == 200, done.get_json()
    assert done.get_json()["status"] == "completed"
    assert done.get_json()["outcome"] == "no_data_held"
    metrics = client.get("/v1/reports/dsr-metrics?year=2025&regime=gdpr", headers=officer)
    objection = next(t for t in metrics.get_json()["by_type"] if t["type"] == "objection")
    assert (objection["complied"], objection["no_data_held"]) == (0, 1)
    records = client.get(
        "/v1/reports/dsr-records?received_from=2025-01-01&received_before=2026-01-01&regime=gdpr",
        headers=officer,
    ).get_json()["items"]
    assert [r["nature_of_response"] for r in records] == ["no_data_held"]


def test_a_request_record_cannot_be_deleted_within_24_months(file_request, conn):
    filed = file_request()

    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM dsr_requests WHERE id = %s", (filed["id"],))


def test_old_closed_requests_lose_their_personal_data_but_keep_the_record(
    client, officer, file_request, conn, db_url, audit_verified
):
    old = file_request(
        subject={"emails": ["anna@example.com"]},
        requester={"kind": "authorized_agent", "name": "Agents Inc.", "proof": "signed letter"},
    )
    client.post(
        f"/v1/requests/{old['id']}/deny",
        json={"reason": "Anna's agent sent no valid letter", "basis": "agent_not_authorized"},
        headers=officer,
    )
    recent = file_request(subject={"emails": ["bob@example.com"]})
    client.post(f"/v1/requests/{recent['id']}/cancel", json={"reason": "x"}, headers=officer)
    close_on(conn, old["id"], "2023-01-01T00:00:00+00:00")

    with psycopg.connect(db_url, row_factory=psycopg.rows.dict_row) as tx:
        summary = minimise_closed_requests(tx, SYSTEM, DsrSettings(secret=SECRET))

    assert summary["requests_minimised"] == 1
    shown = client.get(f"/v1/requests/{old['id']}", headers=officer).get_json()
    assert shown["subject"] is None
    assert shown["requester"] == {"kind": "authorized_agent", "name": None, "proof": None}
    assert shown["denial"] == {"basis": "agent_not_authorized", "reason": None}
    assert shown["identifiers_minimised_at"] is not None
    assert "anna" not in str(shown).lower()
    kept = client.get(f"/v1/requests/{recent['id']}", headers=officer).get_json()
    assert kept["subject"] == {
        "handles": [],
        "emails": ["bob@example.com"],
        "phones": [],
        "names": [],
    }
    [event] = audit_events(conn, "dsr.minimised")
    assert event["target_id"] == old["id"]
    assert event["details"]["identifiers_dropped"] == 3
    audit_verified()


def test_record_retention_cannot_be_set_below_24_months():
    with pytest.raises(ValueError, match="at least 24"):
        load_dsr_settings({"PRIVACY_DSR_RECORD_MONTHS": 12}, SECRET)
    assert load_dsr_settings({}, SECRET).record_months == 24


def test_retention_command_minimises_old_closed_requests(
    client, officer, file_request, conn, db_url, tmp_path
):
    import os
    import subprocess
    import sys

    old = file_request(subject={"emails": ["carla@example.com"]})
    client.post(f"/v1/requests/{old['id']}/cancel", json={"reason": "x"}, headers=officer)
    close_on(conn, old["id"], "2022-06-01T00:00:00+00:00")
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "PRIVACY_DATA_DIR": str(tmp_path),
        "PRIVACY_SECRET_KEY": SECRET.decode(),
    }
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "dsr", "retention"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "1 request(s) minimised" in done.stdout
    shown = client.get(f"/v1/requests/{old['id']}", headers=officer).get_json()
    assert shown["subject"] is None
    assert [e["target_id"] for e in audit_events(conn, "dsr.minimised")] == [old["id"]]
