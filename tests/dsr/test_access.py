"""Access and portability: what the package holds, what is redacted, download and expiry."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from service.dsr.package import verify_package
from tests.dsr.conftest import audit_events


@pytest.fixture
def anna(archive):
    """Anna's posts, a thread around them, a mention of her, and posts that are not hers."""
    anna = archive.subject(
        handles=[("x", "@anna_j")], emails=["anna@example.com"], names=[("x", "Anna Jansen")]
    )
    bob = archive.subject(handles=[("x", "@bob")], names=[("x", "Bob")])
    carl = archive.subject(handles=[("x", "@carl")])
    question = archive.item(
        bob,
        "What do you think of the app? Regards, Bob Builder",
        findings=[("PERSON", "Bob Builder")],
    )
    answer = archive.item(
        anna,
        "Loved it, and my friend Carla Smith agrees. Order A-1234 arrived fine.",
        in_reply_to=question,
        findings=[("PERSON", "Carla Smith"), ("ORDER_NUMBER", "A-1234")],
    )
    reply = archive.item(
        bob,
        "@anna_j thanks, ask Dave Miller for a discount",
        in_reply_to=answer,
        findings=[("SOCIAL_HANDLE", "@anna_j"), ("PERSON", "Dave Miller")],
    )
    mention = archive.item(
        bob, "Anna Jansen from the forum was right", findings=[("PERSON", "Anna Jansen")]
    )
    elsewhere = archive.item(
        carl, "Nobody here but Erik Olsen", findings=[("PERSON", "Erik Olsen")]
    )
    return {
        "subject": anna,
        "question": question,
        "answer": answer,
        "reply": reply,
        "mention": mention,
        "elsewhere": elsewhere,
    }


def verified_request(client, officer, file_request, **fields) -> dict:
    filed = file_request(
        subject={"handles": [{"platform": "twitter", "handle": "@Anna_J"}]}, **fields
    )
    response = client.post(
        f"/v1/requests/{filed['id']}/verify",
        json={"method": "identity_document", "notes": "passport seen"},
        headers=officer,
    )
    assert response.status_code == 200, response.get_json()
    return filed


def download(client, officer, request_id) -> zipfile.ZipFile:
    response = client.get(f"/v1/requests/{request_id}/package", headers=officer)
    assert response.status_code == 200, response.get_json()
    assert response.mimetype == "application/zip"
    assert verify_package(response.data) == []
    return zipfile.ZipFile(io.BytesIO(response.data))


def test_an_access_package_holds_the_subjects_data_and_redacts_everyone_else(
    client, officer, file_request, anna, conn, audit_verified
):
    filed = verified_request(client, officer, file_request)

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 200, response.get_json()
    done = response.get_json()
    assert done["status"] == "completed"
    assert [h["action"] for h in done["history"]] == ["created", "verified", "started", "completed"]
    assert done["result"]["items"] == 1
    assert done["result"]["related_items"] == 3
    assert done["result"]["third_party_values_redacted"] == 3
    assert done["package"]["size_bytes"] > 0

    package = download(client, officer, filed["id"])
    names = package.namelist()
    for name in ("README.txt", "data.json", "manifest.json", "feedback_items.csv"):
        assert name in names
    assert {"related_items.csv", "findings.csv", "identifiers.csv", "requests.csv"} <= set(names)
    data = json.loads(package.read("data.json"))
    [own] = data["records"]["feedback_items"]
    assert own["id"] == str(anna["answer"])
    assert own["text"] == "Loved it, and my friend <PERSON> agrees. Order A-1234 arrived fine."
    related = {item["id"]: item for item in data["records"]["related_items"]}
    assert set(related) == {str(anna["question"]), str(anna["reply"]), str(anna["mention"])}
    assert related[str(anna["question"])]["text"] == (
        "What do you think of the app? Regards, <PERSON>"
    )
    assert related[str(anna["reply"])]["text"] == "@anna_j thanks, ask <PERSON> for a discount"
    assert related[str(anna["reply"])]["relation"] == "thread+mention"
    assert related[str(anna["mention"])]["text"] == "Anna Jansen from the forum was right"
    assert sorted(f["value"] for f in data["records"]["findings"]) == [
        "@anna_j",
        "A-1234",
        "Anna Jansen",
    ]
    assert {(i["kind"], i["value"]) for i in data["records"]["identifiers"]} == {
        ("handle", "anna_j"),
        ("email", "anna@example.com"),
        ("name", "Anna Jansen"),
    }
    everything = b"".join(package.read(name) for name in names).decode("utf-8-sig", "replace")
    for stranger in ("Carla Smith", "Dave Miller", "Bob Builder", "Erik Olsen", "Nobody here"):
        assert stranger not in everything
    readme = package.read("README.txt").decode()
    assert "(a) Purposes of the processing" in readme
    assert "(h) Automated decision-making" in readme

    assert [e["action"] for e in audit_events(conn) if e["action"].startswith("dsr.")] == [
        "dsr.created",
        "dsr.verified",
        "dsr.started",
        "dsr.completed",
        "dsr.package_downloaded",
    ]
    audit_verified()


def test_a_portability_package_is_the_same_machine_readable_data(
    client, officer, file_request, anna
):
    filed = file_request(
        type="portability",
        regime="ccpa",
        subject={"handles": [{"platform": "x", "handle": "anna_j"}]},
    )
    verified = client.post(
        f"/v1/requests/{filed['id']}/verify",
        json={
            "method": "matching_data_points",
            "matched_data_points": ["email", "handle", "phone"],
            "signed_declaration": True,
        },
        headers=officer,
    )
    assert verified.status_code == 200, verified.get_json()

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 200, response.get_json()
    package = download(client, officer, filed["id"])
    data = json.loads(package.read("data.json"))
    assert data["request"]["type"] == "portability"
    assert len(data["records"]["feedback_items"]) == 1
    assert "California residents (CCPA)" in package.read("README.txt").decode()


def test_an_item_not_scanned_yet_is_redacted_by_the_engine(client, officer, file_request, archive):
    anna = archive.subject(handles=[("x", "@anna_j")])
    archive.item(anna, "Thanks to Peter Parker for the quick help!", scanned=False)
    filed = verified_request(client, officer, file_request)

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 200, response.get_json()
    data = json.loads(download(client, officer, filed["id"]).read("data.json"))
    [own] = data["records"]["feedback_items"]
    assert "Peter Parker" not in own["text"]
    assert "<PERSON>" in own["text"]


def test_a_subject_the_archive_does_not_know_gets_an_empty_package(client, officer, file_request):
    filed = verified_request(client, officer, file_request)

    response = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer)

    assert response.status_code == 200
    assert response.get_json()["result"]["subjects_matched"] == 0
    data = json.loads(download(client, officer, filed["id"]).read("data.json"))
    assert data["record_counts"]["feedback_items"] == 0


def test_a_package_expires_after_its_lifetime(
    client, officer, file_request, anna, conn, audit_verified
):
    filed = verified_request(client, officer, file_request)
    done = client.post(f"/v1/requests/{filed['id']}/execute", json={}, headers=officer).get_json()
    expires_at = datetime.fromisoformat(done["package"]["expires_at"])
    assert abs(expires_at - (datetime.now(UTC) + timedelta(days=30))) < timedelta(minutes=5)

    conn.execute(
        "UPDATE dsr_packages SET expires_at = now() - interval '1 second' WHERE request_id = %s",
        (filed["id"],),
    )
    response = client.get(f"/v1/requests/{filed['id']}/package", headers=officer)

    assert response.status_code == 410
    assert response.mimetype == "application/problem+json"
    assert "expired" in response.get_json()["detail"]
    shown = client.get(f"/v1/requests/{filed['id']}", headers=officer).get_json()
    assert shown["package"]["expired"] is True
    assert audit_events(conn, "dsr.package_downloaded") == []
    audit_verified()


def test_a_request_without_a_package_has_nothing_to_download(client, officer, file_request):
    filed = file_request(type="opt_out")

    response = client.get(f"/v1/requests/{filed['id']}/package", headers=officer)

    assert response.status_code == 404
    assert "no package" in response.get_json()["detail"]
