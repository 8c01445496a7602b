"""One-time download links: no key needed, used once, expiring, revocable, audited, rate limited."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.dsr.conftest import audit_events


@pytest.fixture
def executed(client, officer, file_request, archive) -> dict:
    """An access request carried out, with a package, whose notices go to anna@example.com."""
    anna = archive.subject(handles=[("x", "@anna_j")])
    archive.item(anna, "The blender is too loud")
    filed = file_request(contact_email="anna@example.com")
    url = f"/v1/requests/{filed['id']}"
    assert (
        client.post(f"{url}/verify", json={"method": "other"}, headers=officer).status_code == 200
    )
    assert client.post(f"{url}/execute", json={}, headers=officer).status_code == 200
    return filed


def make_link(client, officer, request_id: str, **body) -> dict:
    response = client.post(f"/v1/requests/{request_id}/package-links", json=body, headers=officer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_link_opens_the_package_once_without_a_key(client, officer, executed, conn):
    link = make_link(client, officer, executed["id"])
    path = link["url"].removeprefix("http://localhost:8000")

    first = client.get(path)
    second = client.get(path)

    assert first.status_code == 200
    assert first.mimetype == "application/zip"
    with zipfile.ZipFile(io.BytesIO(first.get_data())) as package:
        assert "The blender is too loud" in package.read("data.json").decode()
    assert second.status_code == 410
    assert second.mimetype == "application/problem+json"
    token = path.removeprefix("/p/")
    # Only a keyed hash is stored; the notice has a placeholder; the audit has no token.
    assert token not in str(conn.execute("SELECT * FROM dsr_package_links").fetchall())
    notice = conn.execute("SELECT * FROM dsr_notices WHERE kind = 'package_link'").fetchone()
    assert notice["recipient"] == "anna@example.com"
    assert token not in notice["body"] and "one-time download link" in notice["body"]
    [event] = [e for e in audit_events(conn, "dsr.package_downloaded")]
    assert event["actor_type"] == "anonymous"
    assert event["details"]["via"] == "link"
    assert token not in str(audit_events(conn))


def test_a_revoked_or_unknown_link_opens_nothing(client, officer, executed):
    link = make_link(client, officer, executed["id"], notify=False)
    path = link["url"].removeprefix("http://localhost:8000")

    revoked = client.delete(
        f"/v1/requests/{executed['id']}/package-links/{link['id']}", headers=officer
    )

    assert revoked.status_code == 200
    assert revoked.get_json()["revoked_at"] is not None
    assert client.get(path).status_code == 410
    assert client.get("/p/not-a-real-token").status_code == 404
    listed = client.get(f"/v1/requests/{executed['id']}/package-links", headers=officer)
    assert [item["id"] for item in listed.get_json()["items"]] == [link["id"]]
    assert "url" not in listed.get_json()["items"][0]


def test_an_expired_link_opens_nothing(client, officer, executed, conn):
    link = make_link(client, officer, executed["id"], notify=False)
    conn.execute("UPDATE dsr_package_links SET expires_at = now() - interval '1 second'")

    response = client.get(link["url"].removeprefix("http://localhost:8000"))

    assert response.status_code == 410
    assert "expired" in response.get_json()["detail"]


def test_guessing_links_is_rate_limited(client):
    statuses = [client.get(f"/p/guess-{n}").status_code for n in range(12)]

    assert statuses[:10] == [404] * 10
    assert statuses[10:] == [429, 429]


def test_a_request_without_a_package_gets_no_link(client, officer, file_request):
    filed = file_request(type="objection")

    response = client.post(f"/v1/requests/{filed['id']}/package-links", json={}, headers=officer)

    assert response.status_code == 409
