"""After an erasure, ingestion refuses the erased posts and new posts by the erased author."""

from __future__ import annotations

import pytest

from tests.dsr.conftest import audit_events


def feedback(external_id: str, handle: str, text: str, **author) -> dict:
    return {
        "items": [
            {
                "external_id": external_id,
                "platform": "twitter",
                "kind": "comment",
                "visibility": "public",
                "author": {"handle": handle, **author},
                "text": text,
                "created_at": "2026-01-05T12:00:00Z",
            }
        ]
    }


@pytest.fixture
def erased_anna(client, officer, file_request):
    """Anna posted twice (once with her e-mail address) and was then erased."""
    for body in (
        feedback("1001", "@Anna_J", "Where is my parcel?"),
        feedback("1002", "@Anna_J", "Still waiting", email="anna@example.com"),
    ):
        response = client.post("/v1/feedback", json=body, headers=officer)
        assert response.status_code == 200, response.get_json()
    filed = file_request(type="erasure", subject={"emails": ["anna@example.com"]})
    url = f"/v1/requests/{filed['id']}"
    assert (
        client.post(f"{url}/verify", json={"method": "other"}, headers=officer).status_code == 200
    )
    done = client.post(f"{url}/execute", json={}, headers=officer)
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["result"]["items_deleted"] == 2


@pytest.mark.parametrize(
    "body",
    [
        feedback("1001", "someone_else", "Where is my parcel?"),  # an erased post
        feedback("2001", "@anna_j", "A new post by the erased author"),
        feedback("2002", "anna_new", "New account, same address", email="ANNA@example.com"),
    ],
)
def test_ingestion_refuses_what_an_erasure_removed(client, officer, erased_anna, conn, body):
    before = conn.execute("SELECT count(*) AS n FROM feedback_items").fetchone()["n"]

    response = client.post("/v1/feedback", json=body, headers=officer)

    assert response.status_code == 422
    assert "Erased" in response.get_json()["errors"]["items"]["0"]["external_id"][0]
    assert conn.execute("SELECT count(*) AS n FROM feedback_items").fetchone()["n"] == before
    assert audit_events(conn, "feedback.ingested")[-1]["details"]["created"] == 1


def test_ingestion_still_accepts_everyone_else(client, officer, erased_anna):
    response = client.post(
        "/v1/feedback", json=feedback("3001", "bob", "Parcel arrived, thanks"), headers=officer
    )

    assert response.status_code == 200
    assert response.get_json()["items"][0]["status"] == "created"
