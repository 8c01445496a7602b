"""Requests with known outcomes and response times for the report pages' tests."""

from __future__ import annotations

from datetime import datetime


def file_year_of_requests(client, officer: dict, conn) -> None:
    """File, through the API, GDPR and CCPA requests received in 2025 (and one in 2024):
    three GDPR access requests still open, two GDPR erasures denied after 4 and 12 days, a
    CCPA opt-out and a CCPA portability request."""

    def file(received_at: str, **fields) -> str:
        body = {
            "type": "access",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": "@sam_k"}]},
            "received_at": received_at,
            **fields,
        }
        response = client.post("/v1/requests", json=body, headers=officer)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def deny(request_id: str, closed_at: str) -> None:
        response = client.post(
            f"/v1/requests/{request_id}/deny",
            json={"reason": "Cannot verify the requester", "basis": "identity_not_verified"},
            headers=officer,
        )
        assert response.status_code == 200, response.get_json()
        # The service stamps the real time; the test moves it to a known day.
        conn.execute(
            "UPDATE dsr_requests SET closed_at = %s WHERE id = %s",
            (datetime.fromisoformat(closed_at), request_id),
        )

    for day in ("01", "02", "03"):
        file(f"2025-02-{day}T09:00:00+00:00")
    deny(file("2025-03-01T09:00:00+00:00", type="erasure"), "2025-03-05T09:00:00+00:00")
    deny(file("2025-03-02T09:00:00+00:00", type="erasure"), "2025-03-14T09:00:00+00:00")
    file("2025-04-01T09:00:00+00:00", type="opt_out", regime="ccpa")
    file("2025-04-02T09:00:00+00:00", type="portability", regime="ccpa")
    file("2024-06-01T09:00:00+00:00")  # another year
