"""Full verification as a background job on the workers, with its progress and outcome."""

from __future__ import annotations

from service.audit import log as log_module
from tests.archive.conftest import run_worker_once
from tests.audit.helpers import fill, rewrite_event, superuser


def _run_jobs(app_config, db_url) -> None:
    run_worker_once(app_config)


def test_a_background_verification_runs_on_the_workers(
    client, auditor, db_url, integrate_audit, app_config, conn, monkeypatch
):
    monkeypatch.setattr(log_module, "WINDOW_SEQS", 4)  # progress is written every 4 events
    fill(db_url, 11)
    integrate_audit()
    response = client.post("/v1/audit/verifications", json={}, headers=auditor)
    assert response.status_code == 201, response.get_json()
    queued = response.get_json()
    assert (queued["status"], queued["checked"], queued["ok"]) == ("queued", 0, None)
    _run_jobs(app_config, db_url)
    done = client.get(f"/v1/audit/verifications/{queued['id']}", headers=auditor).get_json()
    assert (done["status"], done["ok"], done["checked"], done["tree_size"]) == (
        "done",
        True,
        12,
        12,
    )
    assert done["started_at"] and done["finished_at"]
    event = conn.execute(
        "SELECT details FROM audit_events WHERE action = 'audit.verification_requested'"
    ).fetchone()
    assert event["details"] == {"from_size": 0}


def test_a_background_verification_names_a_changed_event(
    client, auditor, db_url, integrate_audit, app_config, conn
):
    fill(db_url, 5)
    integrate_audit()
    superuser(conn)
    rewrite_event(conn, 4, target_id="other")
    queued = client.post("/v1/audit/verifications", json={}, headers=auditor).get_json()
    _run_jobs(app_config, db_url)
    done = client.get(f"/v1/audit/verifications/{queued['id']}", headers=auditor).get_json()
    assert (done["status"], done["ok"], done["first_bad_seq"]) == ("done", False, 4)
    assert "changed after it was signed" in done["reason"]


def test_an_unknown_verification_is_404(client, auditor):
    response = client.get(
        "/v1/audit/verifications/00000000-0000-4000-8000-000000000000", headers=auditor
    )
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
