"""Recipients and processors: the register, one task per recipient, and the request that waits."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime

from service import create_app
from service.dsr.requests import VERIFICATION_REQUIRED
from service.dsr.webhooks import SIGNATURE_HEADER, verify_signature
from tests.archive.conftest import run_worker_once
from tests.dsr.conftest import audit_events


def register(client, officer, **fields) -> dict:
    response = client.post("/v1/recipients", json=fields, headers=officer)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def carry_out(client, officer, file_request, **fields) -> dict:
    filed = file_request(**fields)
    url = f"/v1/requests/{filed['id']}"
    if filed["type"] in VERIFICATION_REQUIRED:
        verified = client.post(f"{url}/verify", json={"method": "other"}, headers=officer)
        assert verified.status_code == 200, verified.get_json()
    executed = client.post(f"{url}/execute", json={}, headers=officer)
    assert executed.status_code == 200, executed.get_json()
    return executed.get_json()


def tasks_of(client, officer, request_id: str) -> list[dict]:
    response = client.get(f"/v1/requests/{request_id}/tasks", headers=officer)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def resolve(client, officer, request_id: str, task_id: str, **body):
    return client.post(
        f"/v1/requests/{request_id}/tasks/{task_id}/resolve", json=body, headers=officer
    )


def test_the_register_lists_shows_and_archives_recipients(client, officer):
    crm = register(
        client,
        officer,
        name="Helpdesk Ltd",
        kind="processor",
        webhook_url="https://93.184.215.14/hooks/privacy",
        data_categories=["handles", "posts"],
        purposes=["customer support"],
    )
    ads = register(
        client,
        officer,
        name="Ad Partner",
        kind="third_party",
        contact_email="privacy@ads.example",
        sale_or_sharing=True,
    )

    archived = client.delete(f"/v1/recipients/{ads['id']}", headers=officer)
    active = client.get("/v1/recipients", headers=officer).get_json()["items"]
    every = client.get("/v1/recipients?include_archived=true", headers=officer).get_json()

    assert crm["kind"] == "processor" and crm["archived_at"] is None
    assert crm["data_categories"] == ["handles", "posts"]
    assert archived.status_code == 200 and archived.get_json()["archived_at"] is not None
    assert [r["name"] for r in active] == ["Helpdesk Ltd"]
    assert [r["name"] for r in every["items"]] == ["Helpdesk Ltd", "Ad Partner"]
    assert client.get(f"/v1/recipients/{crm['id']}", headers=officer).get_json() == crm


def test_a_recipient_must_be_reachable_and_well_formed(client, officer, auth):
    unreachable = client.post(
        "/v1/recipients", json={"name": "Nobody", "kind": "processor"}, headers=officer
    )
    bad_kind = client.post(
        "/v1/recipients",
        json={"name": "X", "kind": "friend", "contact_email": "a@b.example"},
        headers=officer,
    )
    ftp = client.post(
        "/v1/recipients",
        json={"name": "X", "kind": "processor", "webhook_url": "ftp://x.example/"},
        headers=officer,
    )
    unknown = client.get("/v1/recipients/00000000-0000-4000-8000-000000000000", headers=officer)
    moderator = client.get("/v1/recipients", headers=auth("moderator"))

    assert unreachable.status_code == 422
    assert "reachable" in unreachable.get_json()["errors"]["contact_email"][0]
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]
    assert ftp.status_code == 422 and "webhook_url" in ftp.get_json()["errors"]
    assert unknown.status_code == 404
    assert moderator.status_code == 403


def test_an_erasure_waits_for_its_recipients_until_each_task_ends(
    client, officer, file_request, archive, hooks, runtime, conn, run_jobs
):
    anna = archive.subject(handles=[("x", "@anna_j")], emails=["anna@example.com"])
    archive.item(anna, "My order never came")
    register(client, officer, name="Helpdesk Ltd", kind="processor", webhook_url=hooks.url + "/a")
    register(client, officer, name="Mailhouse", kind="processor", contact_email="dpo@mail.example")
    archived = register(client, officer, name="Old CRM", kind="processor", webhook_url=hooks.url)
    client.delete(f"/v1/recipients/{archived['id']}", headers=officer)

    executed = carry_out(client, officer, file_request, type="erasure")
    queued = tasks_of(client, officer, executed["id"])
    run_jobs()
    helpdesk, mailhouse = tasks_of(client, officer, executed["id"])

    assert executed["status"] == "awaiting_recipients"
    assert executed["closed_at"] is None
    assert (helpdesk["recipient_name"], helpdesk["action"], helpdesk["channel"]) == (
        "Helpdesk Ltd",
        "erase",
        "webhook",
    )
    # Executing queued the tasks; a worker sent them.
    assert [task["status"] for task in queued] == ["pending", "pending"]
    assert hooks.calls, "the worker delivered the webhook"
    assert helpdesk["status"] == "sent" and helpdesk["sent_at"] is not None
    assert (helpdesk["attempts"], helpdesk["last_error"]) == (1, None)
    # No SMTP server in this app: the e-mail task failed its first attempt and waits to retry.
    assert (mailhouse["channel"], mailhouse["status"]) == ("notice", "pending")
    assert (mailhouse["last_error"], mailhouse["attempts"]) == ("no_smtp", 1)
    assert mailhouse["next_attempt_at"] > mailhouse["last_attempt_at"]
    # The recipient got the identifiers it needs, signed; the archived one got nothing.
    [call] = hooks.calls
    assert call["path"] == "/a"
    assert verify_signature(
        runtime.dsr.webhook_secret, call["headers"][SIGNATURE_HEADER], call["body"]
    )
    sent = hooks.json()
    assert sent["action"] == "erase" and sent["task_id"] == helpdesk["id"]
    assert sent["subject"]["handles"] == [{"platform": "x", "handle": "@anna_j"}]
    # What is stored of a task, and audited, carries no identifier.
    assert "anna" not in str(conn.execute("SELECT * FROM dsr_recipient_tasks").fetchall())
    assert "anna" not in str(audit_events(conn)).lower()

    done = resolve(
        client,
        officer,
        executed["id"],
        helpdesk["id"],
        resolution="completed",
        evidence="Ticket 4411",
    )
    still_waiting = client.get(f"/v1/requests/{executed['id']}", headers=officer).get_json()
    closed = resolve(
        client,
        officer,
        executed["id"],
        mailhouse["id"],
        resolution="disproportionate",
        reason="The mail house deleted its copy of the list on 1 May",
    )
    completed = client.get(f"/v1/requests/{executed['id']}", headers=officer).get_json()
    again = resolve(
        client, officer, executed["id"], helpdesk["id"], resolution="completed", evidence="x"
    )

    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert done.get_json()["evidence"] == "Ticket 4411"
    assert still_waiting["status"] == "awaiting_recipients"
    assert closed.status_code == 200
    assert (closed.get_json()["status"], closed.get_json()["closed_as"]) == (
        "closed",
        "disproportionate",
    )
    assert completed["status"] == "completed" and completed["closed_at"] is not None
    assert [h["action"] for h in completed["history"]][-2:] == ["awaiting_recipients", "completed"]
    kinds = [
        n["kind"]
        for n in client.get(f"/v1/requests/{executed['id']}/notices", headers=officer).get_json()[
            "items"
        ]
    ]
    assert kinds.count("completion") == 1
    assert again.status_code == 409 and again.get_json()["task_status"] == "completed"
    events = audit_events(conn, "dsr.recipient_task_resolved")
    assert [e["details"]["resolution"] for e in events] == ["completed", "disproportionate"]
    assert "Ticket 4411" not in str(events) and "mail house" not in str(events)


def test_a_task_needs_evidence_or_a_reason_and_a_waiting_request_cannot_be_undone(
    client, officer, file_request, archive, hooks, run_jobs
):
    archive.subject(handles=[("x", "@anna_j")])
    register(client, officer, name="Helpdesk Ltd", kind="processor", webhook_url=hooks.url)
    executed = carry_out(client, officer, file_request, type="erasure")
    run_jobs()
    [task] = tasks_of(client, officer, executed["id"])

    no_evidence = resolve(client, officer, executed["id"], task["id"], resolution="completed")
    no_reason = resolve(client, officer, executed["id"], task["id"], resolution="impossible")
    wrong_request = resolve(
        client,
        officer,
        "00000000-0000-4000-8000-000000000000",
        task["id"],
        resolution="impossible",
        reason="gone",
    )
    denied = client.post(
        f"/v1/requests/{executed['id']}/deny",
        json={"reason": "changed our mind", "basis": "excessive"},
        headers=officer,
    )

    assert no_evidence.status_code == 422 and "evidence" in no_evidence.get_json()["errors"]
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    assert wrong_request.status_code == 404
    assert denied.status_code == 409
    assert tasks_of(client, officer, executed["id"])[0]["status"] == "sent"


def test_an_opt_out_goes_only_to_those_we_sell_to_or_share_with(
    client, officer, file_request, archive, hooks, run_jobs
):
    archive.subject(emails=["anna@example.com"])
    register(
        client,
        officer,
        name="Ad Partner",
        kind="third_party",
        webhook_url=hooks.url + "/ads",
        sale_or_sharing=True,
    )
    register(
        client, officer, name="Helpdesk Ltd", kind="processor", webhook_url=hooks.url + "/help"
    )

    executed = carry_out(
        client,
        officer,
        file_request,
        type="opt_out",
        regime="ccpa",
        subject={"emails": ["anna@example.com"]},
    )
    run_jobs()
    [task] = tasks_of(client, officer, executed["id"])

    assert (task["recipient_name"], task["action"]) == ("Ad Partner", "opt_out")
    assert [call["path"] for call in hooks.calls] == ["/ads"]
    assert executed["status"] == "awaiting_recipients"


def test_a_request_with_nobody_to_tell_completes_at_once(client, officer, file_request, archive):
    archive.subject(handles=[("x", "@anna_j")])

    executed = carry_out(client, officer, file_request, type="erasure")

    assert executed["status"] == "completed"
    assert tasks_of(client, officer, executed["id"]) == []
    unknown = client.get("/v1/requests/00000000-0000-4000-8000-000000000000/tasks", headers=officer)
    assert unknown.status_code == 404


def test_an_access_package_names_the_actual_recipients(client, officer, file_request, archive):
    anna = archive.subject(handles=[("x", "@anna_j")])
    archive.item(anna, "Where is my parcel")
    register(
        client,
        officer,
        name="Helpdesk Ltd",
        kind="processor",
        contact_email="dpo@helpdesk.example",
        purposes=["customer support"],
    )

    executed = carry_out(client, officer, file_request, type="access")
    package = client.get(f"/v1/requests/{executed['id']}/package", headers=officer)

    # An access request is not passed on: there is nothing for a recipient to do.
    assert executed["status"] == "completed"
    with zipfile.ZipFile(io.BytesIO(package.get_data())) as files:
        text = "".join(
            files.read(name).decode()
            for name in files.namelist()
            if name.endswith((".txt", ".md", ".json"))
        )
    assert "Helpdesk Ltd (processor): customer support" in text


def test_a_recipient_without_a_webhook_is_mailed(app_config, make_key, inbox, archive):
    handler, port = inbox
    config = {
        **app_config,
        "PRIVACY_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "PRIVACY_NOTICE_FROM": "privacy@brand.example",
    }
    app = create_app(config)
    try:
        client = app.test_client()
        officer = {"Authorization": f"Bearer {make_key('privacy_officer')}"}
        archive.subject(emails=["anna@example.com"])
        register(
            client, officer, name="Mailhouse", kind="processor", contact_email="dpo@mail.example"
        )

        def file_request(**fields):
            body = {
                "type": "erasure",
                "regime": "gdpr",
                "subject": {"emails": ["anna@example.com"]},
                "received_at": datetime.now(UTC).isoformat(),
                **fields,
            }
            response = client.post("/v1/requests", json=body, headers=officer)
            assert response.status_code == 201, response.get_json()
            return response.get_json()

        executed = carry_out(client, officer, file_request)
        run_worker_once(config)
        [task] = tasks_of(client, officer, executed["id"])
    finally:
        app.extensions["privacy"].close()

    assert task["status"] == "sent"
    [mail] = [m for m in handler.messages if m["to"] == ["dpo@mail.example"]]
    body = mail["message"].get_content()
    assert "please erase the personal data of" in body
    assert "- e-mail address: anna@example.com" in body
    assert task["id"] in body


def test_a_task_that_failed_to_send_is_sent_again(
    app_config, make_key, file_request, archive, hooks
):
    config = {**app_config, "PRIVACY_DSR_SEND_RETRY_SECONDS": "none"}  # a single attempt
    app = create_app(config)
    try:
        client = app.test_client()
        officer = {"Authorization": f"Bearer {make_key('privacy_officer')}"}
        archive.subject(handles=[("x", "@anna_j")])
        register(client, officer, name="Helpdesk Ltd", kind="processor", webhook_url=hooks.url)
        hooks.status = 503
        executed = carry_out(client, officer, _filer(client, officer), type="erasure")
        run_worker_once(config)
        [failed] = tasks_of(client, officer, executed["id"])
        hooks.status = 200

        resent = client.post(
            f"/v1/requests/{executed['id']}/tasks/{failed['id']}/send", headers=officer
        )
        queued_again = client.post(
            f"/v1/requests/{executed['id']}/tasks/{failed['id']}/send", headers=officer
        )
        run_worker_once(config)
        [sent] = tasks_of(client, officer, executed["id"])
        again = client.post(
            f"/v1/requests/{executed['id']}/tasks/{failed['id']}/send", headers=officer
        )
    finally:
        app.extensions["privacy"].close()

    assert (failed["status"], failed["last_error"], failed["attempts"]) == (
        "send_failed",
        "http_5xx",
        1,
    )
    assert resent.status_code == 202, resent.get_json()
    assert resent.get_json()["status"] == "pending" and resent.get_json()["attempts"] == 0
    assert resent.get_json()["delivery_id"] != failed["delivery_id"]
    # Asked twice while queued: the second round replaces the first; one call is made.
    assert queued_again.status_code == 202
    assert (sent["status"], sent["last_error"], sent["attempts"]) == ("sent", None, 1)
    assert len(hooks.calls) == 2 and hooks.json()["task_id"] == failed["id"]
    assert again.status_code == 409 and again.get_json()["task_status"] == "sent"


def _filer(client, officer):
    def file_request(**fields):
        body = {
            "type": "access",
            "regime": "gdpr",
            "subject": {"handles": [{"platform": "x", "handle": "@anna_j"}]},
            "received_at": datetime.now(UTC).isoformat(),
            **fields,
        }
        response = client.post("/v1/requests", json=body, headers=officer)
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return file_request


def test_a_request_about_someone_we_hold_nothing_on_is_passed_on_to_nobody(
    client, officer, file_request, hooks, run_jobs
):
    register(client, officer, name="Helpdesk Ltd", kind="processor", webhook_url=hooks.url)

    executed = carry_out(client, officer, file_request, type="restriction")
    run_jobs()

    assert (executed["status"], executed["outcome"]) == ("completed", "no_data_held")
    assert tasks_of(client, officer, executed["id"]) == []
    assert hooks.calls == []
