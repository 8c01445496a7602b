"""The privacy officer's pages: queue, new request, a request's actions, package download."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from tests.console.conftest import post_form


def _a_moment_ago(regime: str = "gdpr") -> str:
    """What a browser's datetime-local field sends: a local time without a zone (the zone the
    request is counted in: UTC for GDPR here, California's for CCPA)."""
    zone = ZoneInfo("America/Los_Angeles" if regime == "ccpa" else "UTC")
    return (datetime.now(zone) - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")


def _file(client, **fields) -> str:
    """File a request through the form; return its page's path."""
    regime = fields.get("regime", "gdpr")
    data = {
        "type": "access",
        "regime": regime,
        "channel": "email",
        "received_at": _a_moment_ago(regime),
        **fields,
    }
    response = post_form(client, "/console/requests/new", data)
    assert response.status_code == 303, response.get_data(as_text=True)
    return response.headers["Location"]


def test_an_officer_takes_an_access_request_to_its_package(client, make_user, sign_in, conn):
    sign_in(make_user("privacy_officer"))
    page_path = _file(client, emails="robin@example.org\n", handles="x:@robin_r")
    page = client.get(page_path).get_data(as_text=True)
    assert 'id="request-status">received' in page and "robin@example.org" in page
    assert "left</strong>" in page  # the time left before the due date

    verified = post_form(
        client,
        page_path + "/verify",
        {"method": "email_confirmation", "matched_data_points": "email"},
        from_page=page_path,
    )
    assert verified.status_code == 303
    executed = post_form(client, page_path + "/execute", {}, from_page=page_path)
    assert executed.status_code == 303
    done = client.get(page_path).get_data(as_text=True)
    assert 'id="request-status">completed' in done and 'id="package-download"' in done

    package = client.get(page_path + "/package")
    assert package.status_code == 200 and package.mimetype == "application/zip"
    names = zipfile.ZipFile(io.BytesIO(package.data)).namelist()
    assert any(name.lower().startswith("readme") for name in names)
    actions = [
        row["action"]
        for row in conn.execute(
            "SELECT action FROM audit_events WHERE action LIKE 'dsr.%%' ORDER BY id"
        )
    ]
    assert actions[0] == "dsr.created" and "dsr.verified" in actions
    assert "dsr.completed" in actions and actions[-1] == "dsr.package_downloaded"
    history_actor = conn.execute(
        "SELECT actor_key_id FROM dsr_request_history WHERE action = 'verified'"
    ).fetchone()
    assert history_actor["actor_key_id"] is not None  # the officer's user id


def test_the_queue_lists_open_requests_with_their_time_left(client, make_user, sign_in):
    sign_in(make_user("privacy_officer"))
    _file(client, emails="a@example.org")
    _file(client, type="erasure", regime="ccpa", emails="b@example.org", phones="+1 415 555 0100")
    queue = client.get("/console/requests").get_data(as_text=True)
    assert len(re.findall(r"\d+ (?:h|min) left", queue)) == 2 and "2 requests" in queue
    unacknowledged = client.get("/console/requests?unacknowledged=true").get_data(as_text=True)
    assert "1 requests" in unacknowledged and "CCPA" in unacknowledged
    overdue = client.get("/console/requests?overdue=true").get_data(as_text=True)
    assert "No request matches." in overdue


def test_the_forms_say_what_is_wrong(client, make_user, sign_in):
    sign_in(make_user("privacy_officer"))
    base = {"type": "access", "regime": "gdpr", "received_at": _a_moment_ago()}
    undated = post_form(client, "/console/requests/new", {"type": "access", "regime": "gdpr"})
    assert undated.status_code == 400 and "received_at" in undated.get_data(as_text=True)
    nothing = post_form(client, "/console/requests/new", base)
    assert nothing.status_code == 422
    assert "at least one identifier" in nothing.get_data(as_text=True)
    bad_email = post_form(client, "/console/requests/new", {**base, "emails": "nope"})
    assert bad_email.status_code == 400 and "subject.emails" in bad_email.get_data(as_text=True)
    page_path = _file(client, emails="c@example.org")
    too_early = post_form(client, page_path + "/execute", {}, from_page=page_path)
    assert too_early.status_code == 409
    no_reason = post_form(client, page_path + "/deny", {"basis": "other"}, from_page=page_path)
    assert no_reason.status_code == 400 and "reason" in no_reason.get_data(as_text=True)


def test_the_receipt_time_is_read_in_the_zone_the_request_is_counted_in(
    client, make_user, sign_in, conn
):
    sign_in(make_user("privacy_officer"))
    _file(client, regime="ccpa", emails="e@example.org", received_at="2026-03-02T23:30")
    _file(client, regime="gdpr", emails="f@example.org", received_at="2026-03-02T23:30")
    rows = conn.execute(
        "SELECT regime, received_at, received_on FROM dsr_requests ORDER BY regime"
    ).fetchall()
    ccpa, gdpr = rows
    # Half past eleven at night in California is the next morning in UTC, still the 2nd there.
    assert ccpa["received_at"] == datetime(2026, 3, 3, 7, 30, tzinfo=UTC)
    assert str(ccpa["received_on"]) == "2026-03-02"
    assert gdpr["received_at"] == datetime(2026, 3, 2, 23, 30, tzinfo=UTC)


def test_a_moderator_cannot_open_a_request(app, client, make_user, sign_in):
    officer = app.test_client()
    user = make_user("privacy_officer")
    post_form(officer, "/console/sign-in", {"email": user.email, "password": user.password})
    page_path = _file(officer, emails="d@example.org")
    sign_in(make_user("moderator"))
    refused = client.get(page_path)
    assert refused.status_code == 403 and "d@example.org" not in refused.get_data(as_text=True)
    assert client.get("/console/requests").status_code == 403
