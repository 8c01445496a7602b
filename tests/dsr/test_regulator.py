"""What a regulator checks: sensitive values withheld, lawful holds only, checked denials with
their notice, flags honoured across the archive, the paused clock, and each request's zone."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

import pytest

from service.audit import SYSTEM
from service.dsr.flags import excluded_subject_ids
from service.dsr.requests import create_request, information_received
from service.dsr.settings import DsrSettings, load_dsr_settings, load_holidays
from tests.dsr.conftest import SECRET, audit_events

HANDLE = {"handles": [{"platform": "x", "handle": "@anna_j"}]}


def post(client, officer, url: str, body: dict | None = None, status: int = 200) -> dict:
    response = client.post(url, json=body or {}, headers=officer)
    assert response.status_code == status, response.get_json()
    return response.get_json()


def verified(client, officer, file_request, **fields) -> dict:
    filed = file_request(**fields)
    method = "account_authentication" if fields.get("regime") == "ccpa" else "other"
    post(client, officer, f"/v1/requests/{filed['id']}/verify", {"method": method})
    return filed


def notices(client, officer, request_id: str) -> list[dict]:
    response = client.get(f"/v1/requests/{request_id}/notices", headers=officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


# --- 1. sensitive values are withheld from an access package (CCPA § 7024(d)) ----------------


def test_an_access_package_withholds_sensitive_values_and_names_their_type(
    client, officer, file_request, archive
):
    anna = archive.subject(handles=[("x", "@anna_j")])
    archive.item(
        anna,
        "Refund to NL91ABNA0417164300 please, card 4111 1111 1111 1111, SSN 219-09-9999.",
        findings=[
            ("IBAN_CODE", "NL91ABNA0417164300"),
            ("CREDIT_CARD", "4111 1111 1111 1111"),
            ("US_SSN", "219-09-9999"),
        ],
    )
    archive.item(anna, "Order Q-7781 never came", findings=[("ORDER_NUMBER", "Q-7781")])
    filed = verified(client, officer, file_request, subject=HANDLE)

    post(client, officer, f"/v1/requests/{filed['id']}/execute")
    content = client.get(f"/v1/requests/{filed['id']}/package", headers=officer).get_data()

    with zipfile.ZipFile(io.BytesIO(content)) as package:
        everything = b"".join(package.read(name) for name in package.namelist()).decode("utf-8")
        data = json.loads(package.read("data.json"))
    for value in ("NL91ABNA0417164300", "4111 1111 1111 1111", "219-09-9999"):
        assert value not in everything
    texts = [item["text"] for item in data["records"]["feedback_items"]]
    assert "Refund to <IBAN_CODE withheld> please, card <CREDIT_CARD withheld>" in texts[0]
    findings = {f["entity_type"]: f for f in data["records"]["findings"]}
    assert findings["US_SSN"]["value"] is None
    assert findings["US_SSN"]["withheld"] == "Social Security number"
    # The subject's own values of other types are still theirs to see.
    assert findings["ORDER_NUMBER"]["value"] == "Q-7781"
    assert "Q-7781" in texts[1]
    assert data["subject"]["withheld_types"] == [
        "Social Security number",
        "bank account number (IBAN)",
        "payment card number",
    ]


# --- 1. holds carry their regime; only lawful ones stop an erasure -----------------------------


def test_a_security_hold_does_not_keep_data_against_a_gdpr_erasure(
    client, officer, file_request, archive, conn
):
    anna = archive.subject(handles=[("x", "@anna_j")])
    item = archive.item(anna, "Login from a new device again")
    hold = post(
        client,
        officer,
        "/v1/holds",
        {"feedback_id": str(item), "basis": "security", "reason": "fraud investigation"},
        status=201,
    )
    assert hold["regimes"] == ["ccpa"]
    filed = verified(client, officer, file_request, type="erasure", subject=HANDLE)

    done = post(client, officer, f"/v1/requests/{filed['id']}/execute")

    # GDPR Art. 17(3) is exhaustive: "security" is not in it.
    assert done["result"]["items_deleted"] == 1
    assert done["result"]["kept_by_hold"] == 0
    assert done["result"]["holds_not_applicable"] == [{"hold_id": hold["id"], "basis": "security"}]
    assert conn.execute("SELECT count(*) AS n FROM feedback_items").fetchone()["n"] == 0


def test_held_data_is_restricted_to_the_purpose_of_the_hold(
    client, officer, file_request, archive, conn
):
    anna = archive.subject(handles=[("x", "@anna_j")])
    item = archive.item(anna, "I will see you in court over this blender")
    post(
        client,
        officer,
        "/v1/holds",
        {"feedback_id": str(item), "basis": "legal_claims", "reason": "claim announced"},
        status=201,
    )
    filed = verified(client, officer, file_request, type="erasure", regime="ccpa", subject=HANDLE)

    done = post(client, officer, f"/v1/requests/{filed['id']}/execute")

    assert done["result"]["kept_by_hold"] == 1
    assert done["outcome"] == "complied_in_part"
    # Kept for the claim only (CCPA regulations § 7022(f)(3)): no analysis, no sharing.
    assert excluded_subject_ids(conn, "analysis") == {anna}
    assert excluded_subject_ids(conn, "sharing") == {anna}
    shown = client.get(f"/v1/feedback/{item}", headers=officer).get_json()
    assert shown["processing_restricted"] is True


# --- 1. denials are checked, and the subject gets a notice with the remedies -------------------


@pytest.mark.parametrize("request_type", ["opt_out", "restriction"])
def test_a_ccpa_opt_out_is_refused_only_for_documented_fraud(
    client, officer, file_request, request_type
):
    filed = file_request(type=request_type, regime="ccpa", subject={"emails": ["a@b.example"]})
    url = f"/v1/requests/{filed['id']}/deny"

    unverified = post(
        client,
        officer,
        url,
        {"basis": "identity_not_verified", "reason": "no ID"},
        status=422,
    )
    fraud = post(
        client,
        officer,
        url,
        {"basis": "suspected_fraud", "reason": "Filed by a bot net with 400 other requests"},
    )

    assert "§ 7026" in unverified["errors"]["basis"][0]
    assert fraud["status"] == "denied"


def test_a_denial_sends_the_reasons_and_the_remedies(client, officer, file_request, conn):
    filed = file_request(
        type="erasure", subject={"emails": ["anna@example.com"], "names": ["Anna Jansen"]}
    )

    post(
        client,
        officer,
        f"/v1/requests/{filed['id']}/deny",
        {"basis": "identity_not_verified", "reason": "The e-mail confirmation was not answered"},
    )

    [notice] = notices(client, officer, filed["id"])
    assert notice["kind"] == "denial"
    assert notice["recipient"] == "anna@example.com"
    assert notice["template"] == "denial/gdpr/en/v1"
    assert "The e-mail confirmation was not answered" in notice["body"]
    assert "supervisory authority" in notice["body"]
    assert "judicial remedy" in notice["body"]
    # Nothing about the subject beyond the address it went to.
    assert "Anna Jansen" not in str(notice)
    assert "anna" not in notice["body"].lower()


def test_a_dutch_ccpa_denial_names_the_ccpa_remedies(client, officer, file_request):
    filed = file_request(type="access", regime="ccpa", language="nl")

    post(
        client,
        officer,
        f"/v1/requests/{filed['id']}/deny",
        {"basis": "manifestly_unfounded", "reason": "Dezelfde vraag werd gisteren beantwoord"},
    )

    [notice] = notices(client, officer, filed["id"])
    assert notice["language"] == "nl"
    assert "California Privacy Protection Agency" in notice["body"]
    assert "Wij willigen uw verzoek" in notice["body"]
    assert notice["recipient"] is None  # no e-mail given: recorded for the officer to deliver


# --- 2. flags are enforced across the archive --------------------------------------------------


def test_a_restriction_stops_processing_beyond_storage(
    client, officer, auth, file_request, archive, app, conn
):
    anna = archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    item = archive.item(
        anna, "My number is 06 12345678", findings=[("PHONE_NUMBER", "06 12345678")]
    )
    filed = file_request(type="restriction", subject=HANDLE)

    post(client, officer, f"/v1/requests/{filed['id']}/execute")

    listed = client.get("/v1/feedback", headers=officer).get_json()["items"]
    assert [entry["processing_restricted"] for entry in listed] == [True]
    public = client.get(f"/v1/feedback/{item}/public", headers=auth("moderator")).get_json()
    assert public["processing_restricted"] is True
    assert public["text"] is None
    # The reply guard no longer reads the customer's stored data.
    verdict = post(
        client,
        auth("moderator"),
        "/v1/replies/check",
        {"text": "Thanks, we will look into it", "visibility": "public", "in_reply_to": str(item)},
    )
    assert verdict["customer_processing_restricted"] is True
    # A scan leaves the item out.
    conn.execute("UPDATE feedback_items SET scanned_text_hash = NULL WHERE id = %s", (item,))
    scan = post(client, officer, "/v1/scans", {}, status=202)
    assert scan["items_total"] == 0


def test_lifting_a_restriction_tells_the_subject_first(
    client, officer, file_request, archive, conn
):
    anna = archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    filed = file_request(type="restriction", subject={**HANDLE, "emails": ["anna@example.com"]})
    post(client, officer, f"/v1/requests/{filed['id']}/execute")
    assert excluded_subject_ids(conn, "analysis") == {anna}

    lifted = post(
        client,
        officer,
        f"/v1/requests/{filed['id']}/lift",
        {"reason": "The accuracy of your address was verified"},
    )

    assert lifted["lifted_at"] is not None
    assert excluded_subject_ids(conn, "analysis") == set()
    kinds = [notice["kind"] for notice in notices(client, officer, filed["id"])]
    assert kinds == ["completion", "restriction_lifted"]
    [event] = audit_events(conn, "dsr.lifted")
    assert event["details"]["flags_lifted"] == 2
    again = client.post(
        f"/v1/requests/{filed['id']}/lift", json={"reason": "again"}, headers=officer
    )
    assert again.status_code == 409


# --- 3. the paused clock -----------------------------------------------------------------------


def test_waiting_for_the_subject_suspends_a_gdpr_clock(app, client, officer, file_request, conn):
    filed = file_request(type="access", received_at="2025-03-03T09:00:00+00:00")
    assert filed["due_on"] == "2025-04-03"

    paused = post(
        client,
        officer,
        f"/v1/requests/{filed['id']}/request-information",
        {"what": "A copy of the confirmation e-mail", "reason": "Two accounts share this name"},
    )
    assert paused["status"] == "awaiting_subject"
    assert paused["overdue"] is False  # the clock is stopped although 2025-04-03 has passed
    # Paused since 10 March (backdated here); the answer arrives on 20 March: 10 days waited.
    conn.execute(
        "UPDATE dsr_requests SET paused_at = '2025-03-10T12:00:00+00:00' WHERE id = %s",
        (filed["id"],),
    )
    with app.extensions["privacy"].database.transaction() as tx:
        resumed = information_received(
            tx,
            SYSTEM,
            DsrSettings(secret=SECRET),
            UUID(filed["id"]),
            now=datetime(2025, 3, 20, 8, 0, tzinfo=UTC),
        )

    assert resumed.row["status"] == "received"
    assert resumed.row["due_on"] == date(2025, 4, 13)
    assert resumed.row["paused_days"] == 10
    [notice] = notices(client, officer, filed["id"])
    assert notice["kind"] == "information_request"
    assert "A copy of the confirmation e-mail" in notice["body"]
    assert "suspended" in notice["body"]


def test_waiting_for_the_subject_does_not_move_a_ccpa_deadline(client, officer, file_request):
    filed = file_request(type="erasure", regime="ccpa")
    url = f"/v1/requests/{filed['id']}"

    post(client, officer, f"{url}/request-information", {"what": "Your account id", "reason": "ID"})
    blocked = client.post(f"{url}/verify", json={"method": "other"}, headers=officer)
    resumed = post(client, officer, f"{url}/information-received", {"notes": "answered"})

    # § 7021(b): 45 days "regardless of time required to verify the request".
    assert blocked.status_code == 409
    assert resumed["status"] == "received"
    assert resumed["due_on"] == filed["due_on"]
    assert resumed["paused_days"] == 0


def test_only_a_waiting_request_can_be_resumed(client, officer, file_request):
    filed = file_request()

    response = client.post(
        f"/v1/requests/{filed['id']}/information-received", json={}, headers=officer
    )

    assert response.status_code == 409


# --- 4. jurisdiction: each request's zone, the holiday calendar --------------------------------


def test_a_ccpa_request_at_six_in_the_evening_in_california_is_due_on_its_own_day(file_request):
    # 18:00 Pacific on 3 March 2025 is 02:00 UTC on 4 March: the UTC date would be a day late.
    filed = file_request(type="access", regime="ccpa", received_at="2025-03-03T18:00:00-08:00")

    assert filed["time_zone"] == "America/Los_Angeles"
    assert filed["received_on"] == "2025-03-03"
    assert filed["due_on"] == "2025-04-17"
    assert filed["due_at"] == "2025-04-18T07:00:00+00:00"


def test_a_gdpr_request_counts_in_the_configured_zone(app):
    settings = load_dsr_settings({"PRIVACY_DSR_TIMEZONE": "Europe/Amsterdam"}, SECRET)
    with app.extensions["privacy"].database.transaction() as conn:
        shown = create_request(
            conn,
            SYSTEM,
            settings,
            type="access",
            regime="gdpr",
            subject={"emails": ["a@b.example"]},
            received_at=datetime(2025, 1, 31, 23, 30, tzinfo=UTC),
        )

    # 23:30 UTC on 31 January is 00:30 on 1 February in Amsterdam.
    assert shown.row["time_zone"] == "Europe/Amsterdam"
    assert shown.row["received_on"] == date(2025, 2, 1)
    assert shown.row["due_on"] == date(2025, 3, 1)


def test_the_holiday_calendar_is_configurable(tmp_path):
    dates = tmp_path / "holidays.txt"
    dates.write_text("# company closure\n2025-03-04\n\n2025-03-05  # two days\n")

    from_file = load_holidays(str(dates))

    assert from_file(2025) == {date(2025, 3, 4), date(2025, 3, 5)}
    assert load_holidays("none")(2025) == frozenset()
    assert date(2025, 7, 4) in load_holidays("us-federal")(2025)
    with pytest.raises(ValueError, match="PRIVACY_DSR_HOLIDAYS"):
        load_holidays(str(tmp_path / "missing.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_text("4 July\n")
    with pytest.raises(ValueError, match="bad.txt:1"):
        load_holidays(str(bad))


def test_a_ccpa_opt_out_skips_the_days_the_business_is_closed(app, tmp_path):
    closed = tmp_path / "closed.txt"
    closed.write_text("2025-03-04\n2025-03-05\n")
    settings = load_dsr_settings({"PRIVACY_DSR_HOLIDAYS": str(closed)}, SECRET)
    with app.extensions["privacy"].database.transaction() as conn:
        shown = create_request(
            conn,
            SYSTEM,
            settings,
            type="opt_out",
            regime="ccpa",
            subject={"emails": ["a@b.example"]},
            received_at=datetime(2025, 3, 3, 17, 0, tzinfo=UTC),
        )

    # 15 business days from Monday 3 March, skipping 4 and 5 March: Wednesday 26 March.
    assert shown.row["due_on"] == date(2025, 3, 26)


def test_a_future_received_at_is_refused(client, officer):
    body = {
        "type": "access",
        "regime": "gdpr",
        "subject": {"emails": ["a@b.example"]},
        "received_at": (datetime.now(UTC) + timedelta(hours=2)).isoformat(),
    }

    response = client.post("/v1/requests", json=body, headers=officer)

    assert response.status_code == 422
    assert "received_at" in response.get_json()["errors"]
