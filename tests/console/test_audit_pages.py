"""The auditor's pages: events with filters, exports, checkpoints and keys, verification."""

from __future__ import annotations

import hashlib
import json

from tests.archive.conftest import run_worker_once
from tests.audit.helpers import fill
from tests.console.conftest import post_form


def test_the_event_browser_filters_like_the_api(
    client, make_user, sign_in, db_url, integrate_audit
):
    auditor = make_user("auditor")
    fill(db_url, 3)
    sign_in(auditor)
    integrate_audit()
    page = client.get("/console/audit").get_data(as_text=True)
    assert page.count("<td>test.filled</td>") == 3 and "<td>user.signed_in</td>" in page
    filtered = client.get("/console/audit?action=user.signed_in&since=&actor=").get_data(
        as_text=True
    )
    assert "<td>test.filled</td>" not in filtered and "<td>user.signed_in</td>" in filtered
    assert str(auditor.id) in filtered  # the user who acted, by id
    bad = client.get("/console/audit?action=Not+An+Action")
    assert bad.status_code == 400
    assert "An action looks like" in bad.get_data(as_text=True)


def test_an_export_downloads_the_signed_log_and_is_recorded(
    client, make_user, sign_in, db_url, integrate_audit, conn
):
    fill(db_url, 2)
    sign_in(make_user("auditor"))
    integrate_audit()
    response = client.get("/console/audit/export?format=jsonl")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="audit-')
    lines = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert lines[0]["type"] == "header" and lines[-1]["type"] == "end"
    assert sum(1 for line in lines if line["type"] == "event") == lines[0]["tree_size"]
    [exported] = conn.execute(
        "SELECT actor_type FROM audit_events WHERE action = 'audit.exported'"
    ).fetchall()
    assert exported["actor_type"] == "user"


def test_checkpoints_page_shows_the_verifier_key_and_its_fingerprint(
    client, make_user, sign_in, integrate_audit
):
    sign_in(make_user("auditor"))
    integrate_audit()
    page = client.get("/console/audit/checkpoints").get_data(as_text=True)
    key = page.split('class="wrap verifier-key">')[1].split("<")[0]
    fingerprint = page.split('class="wrap fingerprint">')[1].split("<")[0]
    assert key.startswith("privacy-service.local/audit+")
    assert fingerprint == hashlib.sha256(key.encode()).hexdigest()
    assert 'id="latest-note"' in page


def test_a_verification_started_from_the_page_shows_its_progress_and_outcome(
    client, make_user, sign_in, db_url, integrate_audit, app_config
):
    fill(db_url, 5)
    sign_in(make_user("auditor"))
    integrate_audit()
    started = post_form(
        client,
        "/console/audit/verifications",
        {"from_size": "0"},
        from_page="/console/audit/checkpoints",
    )
    assert started.status_code == 303
    waiting = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "Waiting for a worker" in waiting and 'http-equiv="refresh"' in waiting
    run_worker_once(app_config)
    done = client.get(started.headers["Location"]).get_data(as_text=True)
    assert "The log is intact" in done and 'http-equiv="refresh"' not in done
    bad = post_form(
        client,
        "/console/audit/verifications",
        {"from_size": "many"},
        from_page="/console/audit/checkpoints",
    )
    assert bad.status_code == 400
