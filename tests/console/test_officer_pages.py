"""The privacy officer's pages beyond the queue: information from the subject, lifting a
restriction, recipients' tasks and notices on the request page; legal holds; the archive."""

from __future__ import annotations

import re

from tests.console.conftest import post_form
from tests.console.test_requests_pages import _file
from tests.dsr.conftest import Archive, hooks  # noqa: F401 (a fixture)


def _status(page: str) -> str:
    return re.search(r'id="request-status">([^<]+)<', page).group(1)


def _task_ids(page: str) -> dict[str, str]:
    """Return {recipient name: task id} from a request page."""
    found = re.findall(
        r'<li id="task-([0-9a-f-]{36})".*?<h3 id="task-name-\1">([^<]+?) <', page, re.S
    )
    return {name: task_id for task_id, name in found}


def test_asking_the_subject_for_information_pauses_and_resumes_the_request(
    client, make_user, sign_in, conn
):
    sign_in(make_user("privacy_officer"))
    page_path = _file(client, emails="kim@example.org")
    page = client.get(page_path).get_data(as_text=True)
    assert "Ask the subject for information" in page
    assert "No notice has been sent yet." in page

    missing = post_form(
        client, page_path + "/request-information", {"what": "A copy of an ID"}, from_page=page_path
    )
    assert missing.status_code == 400 and "reason" in missing.get_data(as_text=True)

    asked = post_form(
        client,
        page_path + "/request-information",
        {"what": "The order number of your last purchase", "reason": "Two accounts match."},
        from_page=page_path,
    )
    assert asked.status_code == 303
    waiting = client.get(page_path).get_data(as_text=True)
    assert _status(waiting) == "awaiting the subject"
    assert 'id="paused-at"' in waiting and "the clock is paused" in waiting
    notices = waiting.split('id="notices"')[1].split("</ol>")[0]
    assert "request for information" in notices
    assert "The order number of your last purchase" in notices  # the text as sent
    assert "Resume the request" in waiting and "Ask the subject for information" not in waiting

    resumed = post_form(
        client,
        page_path + "/information-received",
        {"notes": "Order number matched"},
        from_page=page_path,
    )
    assert resumed.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert _status(page) == "received" and "Resume the request" not in page
    history = page.split('id="history"')[1]
    assert "information requested" in history and "information received" in history
    again = post_form(client, page_path + "/information-received", {}, from_page=page_path)
    assert again.status_code == 409  # nothing is awaited any more
    actions = [
        row["action"]
        for row in conn.execute("SELECT action FROM audit_events WHERE action LIKE 'dsr.inf%%'")
    ]
    assert actions == ["dsr.information_requested", "dsr.information_received"]


def test_a_completed_restriction_is_lifted_and_the_subject_told(client, make_user, sign_in):
    sign_in(make_user("privacy_officer"))
    page_path = _file(client, type="restriction", handles="x:@lou_b")
    received = client.get(page_path).get_data(as_text=True)
    assert 'id="execute"' in received  # a restriction is carried out without verification
    executed = post_form(client, page_path + "/execute", {}, from_page=page_path)
    assert executed.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert _status(page) == "completed" and "Lift the restriction" in page

    no_reason = post_form(client, page_path + "/lift", {}, from_page=page_path)
    assert no_reason.status_code == 400
    lifted = post_form(
        client, page_path + "/lift", {"reason": "The accuracy was confirmed."}, from_page=page_path
    )
    assert lifted.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert 'id="lifted"' in page and "Lift the restriction" not in page
    notices = page.split('id="notices"')[1].split("</ol>")[0]
    assert "restriction lifted" in notices and "The accuracy was confirmed." in notices
    twice = post_form(client, page_path + "/lift", {"reason": "again"}, from_page=page_path)
    assert twice.status_code == 409


def test_recipients_tasks_are_resent_and_resolved_until_the_request_completes(
    client,
    make_user,
    sign_in,
    auth,
    db_url,
    hooks,  # noqa: F811 (the fixture imported above)
    conn,
    run_jobs,
):
    archive = Archive(db_url)
    ann = archive.subject(handles=[("x", "@ann_k")])
    archive.item(ann, "Where is my parcel?")
    for name in ("Helpdesk Ltd", "Survey Co"):
        registered = client.post(
            "/v1/recipients",
            json={"name": name, "kind": "processor", "webhook_url": hooks.url + "/hook"},
            headers=auth("privacy_officer"),
        )
        assert registered.status_code == 201
    hooks.status = 500  # both recipients are down when the erasure is carried out

    sign_in(make_user("privacy_officer"))
    page_path = _file(client, type="erasure", handles="x:@ann_k")
    post_form(
        client,
        page_path + "/verify",
        {"method": "email_confirmation", "matched_data_points": "handle"},
        from_page=page_path,
    )
    assert post_form(client, page_path + "/execute", {}, from_page=page_path).status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert _status(page) == "awaiting the recipients"
    assert page.count("not sent yet") == 2  # a worker sends them
    run_jobs()
    page = client.get(page_path).get_data(as_text=True)
    tasks = _task_ids(page)
    assert set(tasks) == {"Helpdesk Ltd", "Survey Co"}
    assert page.count("sending failed") == 2 and page.count(">Send again<") == 2

    hooks.status = 200
    helpdesk = f"{page_path}/tasks/{tasks['Helpdesk Ltd']}"
    assert post_form(client, helpdesk + "/send", {}, from_page=page_path).status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    card = page.split(f'id="task-{tasks["Helpdesk Ltd"]}"')[1].split("</li>")[0]
    assert "not sent yet" in card  # queued again, for the worker
    run_jobs()
    page = client.get(page_path).get_data(as_text=True)
    card = page.split(f'id="task-{tasks["Helpdesk Ltd"]}"')[1].split("</li>")[0]
    assert "sent, waiting for the recipient" in card and "Send again" not in card
    resent_again = post_form(client, helpdesk + "/send", {}, from_page=page_path)
    assert resent_again.status_code == 409  # delivered: nothing to send again

    no_evidence = post_form(
        client, helpdesk + "/resolve", {"resolution": "completed"}, from_page=page_path
    )
    assert no_evidence.status_code == 400 and "evidence" in no_evidence.get_data(as_text=True)
    done = post_form(
        client,
        helpdesk + "/resolve",
        {"resolution": "completed", "evidence": "Ticket 4471 closed by their DPO"},
        from_page=page_path,
    )
    assert done.status_code == 303
    survey = f"{page_path}/tasks/{tasks['Survey Co']}"
    closed = post_form(
        client,
        survey + "/resolve",
        {"resolution": "disproportionate", "reason": "They deleted all survey data in May."},
        from_page=page_path,
    )
    assert closed.status_code == 303
    page = client.get(page_path).get_data(as_text=True)
    assert _status(page) == "completed"
    assert "Ticket 4471 closed by their DPO" in page and "Disproportionate effort" in page
    assert ">Resolve<" not in page  # no task is open any more
    resolved = conn.execute(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'dsr.recipient_task_resolved'"
    ).fetchone()
    assert resolved["n"] == 2


def test_the_request_page_speaks_dutch(client, make_user, sign_in):
    sign_in(make_user("privacy_officer"))
    page_path = _file(client, emails="noor@example.org")
    page = client.get(page_path + "?lang=nl").get_data(as_text=True)
    assert "De betrokkene om informatie vragen" in page
    assert "Berichten aan de betrokkene" in page
    assert "Er is nog geen bericht verstuurd." in page


def _flag(conn, item_id, flag: str) -> None:
    """Record a triage flag on an item's current text, as a scan would."""
    conn.execute(
        "INSERT INTO triage_flags (item_id, flag, start_offset, end_offset, score, rule_id,"
        " rules_version, text_hash, flagged_at)"
        " SELECT id, %s, 0, 4, 0.95, 'console-test', 'test', text_hash, now()"
        " FROM feedback_items WHERE id = %s",
        (flag, item_id),
    )


def test_holds_are_placed_by_identifiers_listed_and_released(
    client, make_user, sign_in, db_url, conn
):
    archive = Archive(db_url)
    max_ = archive.subject(handles=[("x", "@max_v")], emails=["max@example.net"])
    archive.item(max_, "Refund me or else")
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/holds").get_data(as_text=True)
    assert "No hold is active." in page and "No hold is suggested." in page

    nobody = post_form(
        client,
        "/console/holds",
        {"names": "Max V", "basis": "legal_claims", "reason": "Dispute"},
    )
    assert nobody.status_code == 422  # no target at all (a name names nobody)
    no_reason = post_form(
        client, "/console/holds", {"emails": "max@example.net", "basis": "legal_claims"}
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.get_data(as_text=True)
    assert ">max@example.net</textarea>" in no_reason.get_data(as_text=True)  # kept as typed

    placed = post_form(
        client,
        "/console/holds",
        {
            "emails": "max@example.net\nnot-known@example.net",
            "basis": "legal_claims",
            "reason": "Letter from their lawyer, case 12",
        },
    )
    assert placed.status_code == 303
    page = client.get("/console/holds").get_data(as_text=True)
    assert "Placed 1 legal holds." in page and "1 e-mail addresses" in page
    table = page.split('id="holds"')[1]
    assert str(max_) in table and "Letter from their lawyer, case 12" in table
    assert "legal claims" in table and "GDPR, CCPA" in table
    [hold_id] = re.findall(r'id="release-([0-9a-f-]{36})"', page)

    released = post_form(
        client, f"/console/holds/{hold_id}/release", {}, from_page="/console/holds"
    )
    assert released.status_code == 303
    page = client.get("/console/holds").get_data(as_text=True)
    assert "The hold was released." in page and "No hold is active." in page
    every = client.get("/console/holds?include_released=true").get_data(as_text=True)
    assert "released <time>" in every and "Letter from their lawyer" in every
    actions = [
        row["action"]
        for row in conn.execute("SELECT action FROM audit_events WHERE action LIKE 'hold.%%'")
    ]
    assert actions == ["hold.placed", "hold.released"]


def test_a_suggested_hold_is_confirmed_in_one_click(client, make_user, sign_in, db_url, conn):
    archive = Archive(db_url)
    author = archive.subject(handles=[("x", "@pat_q")])
    threat = archive.item(
        author,
        "Call 06 1234 5678: my lawyer will hear of this",
        findings=[("PHONE_NUMBER", "06 1234 5678")],
    )
    spam = archive.item(author, "Buy cheap followers now")
    _flag(conn, threat, "legal_threat")
    _flag(conn, spam, "spam")
    sign_in(make_user("privacy_officer"))
    page = client.get("/console/holds").get_data(as_text=True)
    suggested = page.split('id="suggested"')[1].split("</ul>")[0]
    assert f'id="suggested-{threat}"' in suggested and str(spam) not in suggested
    assert "Call &lt;PHONE_NUMBER&gt;: my lawyer" in suggested  # the redacted text only
    assert "06 1234 5678" not in page
    assert "legal threat" in suggested

    confirmed = post_form(
        client, f"/console/holds/suggested/{threat}", {}, from_page="/console/holds"
    )
    assert confirmed.status_code == 303
    page = client.get("/console/holds").get_data(as_text=True)
    assert "The suggested hold was placed." in page and "No hold is suggested." in page
    assert str(threat) in page.split('id="holds"')[1]
    review = conn.execute("SELECT decision, hold_id FROM triage_reviews").fetchone()
    assert review["decision"] == "hold_placed" and review["hold_id"] is not None
    assert [
        row["action"]
        for row in conn.execute(
            "SELECT action FROM audit_events WHERE action IN ('hold.placed', 'triage.reviewed')"
            " ORDER BY id"
        )
    ] == ["hold.placed", "triage.reviewed"]


def test_the_holds_page_speaks_dutch_and_is_for_officers_only(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    assert client.get("/console/holds").status_code == 403
    officer = client.application.test_client()
    user = make_user("privacy_officer")
    post_form(officer, "/console/sign-in", {"email": user.email, "password": user.password})
    page = officer.get("/console/holds?lang=nl").get_data(as_text=True)
    assert "Een bewaarplicht instellen" in page and "rechtsvorderingen" in page


def test_the_archive_is_searched_by_identifiers_and_shows_redacted_texts(
    client, make_user, sign_in, db_url, conn
):
    archive = Archive(db_url)
    jo = archive.subject(
        handles=[("x", "@jo_m")], emails=["jo@example.org"], names=[("x", "Jo Mills")]
    )
    other = archive.subject(handles=[("x", "@sam_t")])
    own = archive.item(
        jo,
        "Text me on +31 6 11122233 about the refund",
        findings=[("PHONE_NUMBER", "+31 6 11122233")],
    )
    mention = archive.item(
        other, "Jo Mills never got her refund", findings=[("PERSON", "Jo Mills")]
    )
    archive.item(other, "Nothing about anyone")
    sign_in(make_user("privacy_officer"))
    assert "Search the archive" in client.get("/console/archive").get_data(as_text=True)

    empty = post_form(client, "/console/archive", {})
    assert empty.status_code == 400 and "at least one identifier" in empty.get_data(as_text=True)
    bad = post_form(client, "/console/archive", {"emails": "not an address"})
    assert bad.status_code == 400 and "emails" in bad.get_data(as_text=True)

    found = post_form(
        client,
        "/console/archive",
        {"emails": "JO@example.org", "names": "Jo Mills"},
        from_page="/console/archive",
    )
    assert found.status_code == 200
    page = found.get_data(as_text=True)
    results = page.split('id="results"')[1]
    assert str(jo) in results and "1 items" in results
    assert f'id="item-{own}"' in results and f'id="item-{mention}"' in results
    assert "Text me on &lt;PHONE_NUMBER&gt; about the refund" in results
    assert "&lt;PERSON&gt; never got her refund" in results
    assert "+31 6 11122233" not in results and "Nothing about anyone" not in results
    # Searching shows nothing raw, so it records no raw access.
    assert (
        conn.execute(
            "SELECT count(*) AS n FROM audit_events WHERE action = 'feedback.viewed'"
        ).fetchone()["n"]
        == 0
    )

    nobody = post_form(client, "/console/archive", {"handles": "x:@nobody_here"})
    assert "No subject in the archive has these" in nobody.get_data(as_text=True)
    assert "1 handles" in nobody.get_data(as_text=True)


def test_showing_a_raw_text_is_audited_as_the_apis_raw_access(
    client, make_user, sign_in, db_url, conn, auth
):
    archive = Archive(db_url)
    jo = archive.subject(handles=[("x", "@jo_r")])
    item = archive.item(
        jo, "Call me on +31 6 99988877", findings=[("PHONE_NUMBER", "+31 6 99988877")]
    )
    user = make_user("privacy_officer")
    sign_in(user)
    assert client.get(f"/console/archive/items/{item}/raw").status_code == 405  # never a link
    raw = post_form(client, f"/console/archive/items/{item}/raw", {}, from_page="/console/archive")
    assert raw.status_code == 200
    page = raw.get_data(as_text=True)
    assert 'id="audited"' in page
    assert '<mark data-entity="PHONE_NUMBER">+31 6 99988877' in page
    assert "Call me on &lt;PHONE_NUMBER&gt;" in page  # the redacted text next to it

    # The API's raw read records the same event; only the actor differs.
    assert client.get(f"/v1/feedback/{item}", headers=auth("privacy_officer")).status_code == 200
    console, api = conn.execute(
        "SELECT actor_type, actor_key_id, target_type, target_id, subject_ref, details"
        " FROM audit_events WHERE action = 'feedback.viewed' ORDER BY id"
    ).fetchall()
    assert console["actor_type"] == "user" and console["actor_key_id"] == user.id
    assert api["actor_type"] == "key"
    for field in ("target_type", "target_id", "subject_ref", "details"):
        assert console[field] == api[field], field
    assert "+31" not in str(console["details"])
    missing = post_form(
        client,
        "/console/archive/items/00000000-0000-4000-8000-000000000000/raw",
        {},
        from_page="/console/archive",
    )
    assert missing.status_code == 404


def test_the_archive_speaks_dutch_and_is_for_officers_only(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    assert client.get("/console/archive").status_code == 403
    officer = client.application.test_client()
    user = make_user("privacy_officer")
    post_form(officer, "/console/sign-in", {"email": user.email, "password": user.password})
    page = officer.get("/console/archive?lang=nl").get_data(as_text=True)
    assert "Een betrokkene zoeken" in page and "Het archief doorzoeken" in page
    home = officer.get("/console/").get_data(as_text=True)
    assert "Feedbackarchief" in home and "Bewaarplichten" in home
