"""The moderator's pages: the reply checker and the redaction playground."""

from __future__ import annotations

from tests.console.conftest import post_form

REPLY = "Thanks Alex, we will call you back on +31 6 12345678 this afternoon."


def test_the_reply_checker_blocks_a_phone_number_in_a_public_reply(
    client, make_user, sign_in, conn
):
    sign_in(make_user("moderator"))
    response = post_form(
        client, "/console/replies/check", {"text": REPLY, "visibility": "public", "platform": ""}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="verdict" class="verdict-block"' in page
    assert '<mark data-entity="PHONE_NUMBER" data-action="block">+31 6 12345678' in page
    assert "PHONE_NUMBER: public replies may not disclose" in page
    assert 'id="suggestion"' in page
    assert "&lt;PHONE_NUMBER&gt;" in page  # the safe text
    [event] = conn.execute(
        "SELECT actor_type, details FROM audit_events WHERE action = 'reply.checked'"
    ).fetchall()
    assert event["actor_type"] == "user" and event["details"]["verdict"] == "block"
    assert "12345678" not in str(event["details"])


def test_a_private_reply_may_carry_what_a_public_one_may_not(client, make_user, sign_in):
    sign_in(make_user("privacy_officer"))
    page = post_form(
        client, "/console/replies/check", {"text": REPLY, "visibility": "private"}
    ).get_data(as_text=True)
    assert 'class="verdict-block"' not in page and 'id="suggestion"' not in page


def test_the_reply_checker_says_what_is_wrong_with_the_form(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    unknown_item = post_form(
        client,
        "/console/replies/check",
        {"text": REPLY, "visibility": "public", "in_reply_to": "not-an-id"},
    )
    assert unknown_item.status_code == 400
    assert "The thread item is an id" in unknown_item.get_data(as_text=True)
    empty = post_form(client, "/console/replies/check", {"text": "  ", "visibility": "public"})
    assert empty.status_code == 400 and "Type or paste a text first." in empty.get_data(
        as_text=True
    )


def test_the_playground_explains_each_finding_and_applies_the_operator(client, make_user, sign_in):
    sign_in(make_user("moderator"))
    text = "Mail me at jamie.doe@example.com please"
    page = post_form(
        client, "/console/redaction", {"text": text, "operator": "mask", "language": "en"}
    ).get_data(as_text=True)
    assert '<mark data-entity="EMAIL_ADDRESS">jamie.doe@example.com' in page
    assert "jamie.doe@example.com" not in page.split('id="redacted">')[1].split("</p>")[0]
    assert "*****" in page.split('id="redacted">')[1]
    findings = page.split('id="findings"')[1]
    assert "<td>EMAIL_ADDRESS</td><td>jamie.doe@example.com</td>" in findings
    assert "using pattern `Email (Medium)`" in findings


def test_moderator_pages_are_closed_to_auditors(client, make_user, sign_in):
    sign_in(make_user("auditor"))
    assert client.get("/console/replies/check").status_code == 403
    assert client.get("/console/redaction").status_code == 403
