"""The reply guard: verdicts under the default policy, thread knowledge, policies, audit."""

from __future__ import annotations

import json

import pytest

from service.archive.guard import value_shape
from tests.archive.conftest import make_item

SARAH = {
    "handle": "@Sarah_J",
    "display_name": "Sarah Jones",
    "phone": "+44 7700 900123",
    "email": "sarah.jones@example.com",
}
COMPLAINT = "My order 5512-AB-9981 never arrived. Call me on +44 7700 900123"


@pytest.fixture(scope="module")
def complaint_id(module_client, module_auth, engine) -> str:
    """Ingest the customer's complaint (not scanned yet: the guard must not need the scan)."""
    response = module_client.post(
        "/v1/feedback",
        json={"items": [make_item("c1", COMPLAINT, author=SARAH)]},
        headers=module_auth("privacy_officer"),
    )
    assert response.status_code == 200
    return response.get_json()["items"][0]["id"]


@pytest.fixture(scope="module")
def check(module_client, module_auth, complaint_id):
    """Return a function checking a reply as a moderator and returning the JSON verdict."""

    def _check(
        text: str,
        visibility: str = "public",
        reply_to: bool = True,
        role: str = "moderator",
        **extra,
    ) -> dict:
        body = {"text": text, "visibility": visibility, **extra}
        if reply_to:
            body["in_reply_to"] = complaint_id
        response = module_client.post("/v1/replies/check", json=body, headers=module_auth(role))
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    return _check


def test_customer_phone_in_a_public_reply_is_blocked_with_a_suggestion(check):
    verdict = check(
        "Hi Sarah, sorry about that! We will call you on 07700 900123 today.",
        role="privacy_officer",
    )
    assert verdict["verdict"] == "block"
    phone = next(f for f in verdict["findings"] if f["entity_type"] == "PHONE_NUMBER")
    assert (phone["action"], phone["belongs_to"]) == ("block", "customer")
    assert (
        verdict["text"] == "Hi Sarah, sorry about that! We will call you on <PHONE_NUMBER> today."
    )
    assert any("PHONE_NUMBER" in reason for reason in verdict["reasons"])
    assert verdict["suggestion"].startswith("Hi Sarah,")
    assert "direct message" in verdict["suggestion"]


def test_greeting_the_customer_by_first_name_or_handle_is_allowed(check):
    for text in ("Hi Sarah, so sorry to hear that!", "Hi @sarah_j, we are on it!"):
        verdict = check(text)
        assert verdict["verdict"] == "allow", verdict
        assert verdict["text"] == text
        assert "suggestion" not in verdict
        assert verdict["findings"][0]["greeting"] in ("first name", "handle")


def test_order_number_quoted_back_from_the_thread_is_recognised(check):
    reply = "Hi Sarah, 5512-AB-9981 has shipped today."
    blind = check(reply, reply_to=False)
    assert "ORDER_NUMBER" not in {f["entity_type"] for f in blind["findings"]}

    verdict = check(reply, role="privacy_officer")
    order = next(f for f in verdict["findings"] if f["entity_type"] == "ORDER_NUMBER")
    assert reply[order["start"] : order["end"]] == "5512-AB-9981"
    assert (order["action"], order["belongs_to"]) == ("block", "customer")
    assert verdict["verdict"] == "block"
    assert "5512" not in verdict["text"]


def test_private_replies_are_allowed(check):
    verdict = check("Hi Sarah, we will call you on 07700 900123 about 5512-AB-9981.", "private")
    assert verdict["verdict"] == "allow"
    assert "suggestion" not in verdict


def test_someone_elses_name_is_redacted(check):
    verdict = check(
        "Hi Sarah, our driver Michael Thompson will contact you tomorrow.", role="privacy_officer"
    )
    assert verdict["verdict"] == "redact"
    assert verdict["text"] == "Hi Sarah, our driver <PERSON> will contact you tomorrow."
    person = next(f for f in verdict["findings"] if f["action"] == "redact")
    assert person["belongs_to"] == "other"


def test_moderators_learn_what_to_do_not_whose_data_matched(check):
    """A moderator's guess at the customer's phone reads exactly like any other phone."""

    def seen(verdict: dict) -> tuple:
        findings = [
            {k: v for k, v in f.items() if k not in ("start", "end", "score")}
            for f in verdict["findings"]
        ]
        return verdict["verdict"], findings, verdict["reasons"], verdict["text"]

    own = check("Hi Sarah, we will call you on +44 7700 900123 today.")
    other = check("Hi Sarah, we will call you on +44 7700 900456 today.")
    assert seen(own) == seen(other)
    assert own["verdict"] == "block"
    for finding in own["findings"]:
        assert "belongs_to" not in finding
    assert not any("customer's own" in r or "someone else" in r for r in own["reasons"])
    # A privacy officer is told.
    officer = check("Hi Sarah, we will call you on +44 7700 900123 today.", role="privacy_officer")
    phone = next(f for f in officer["findings"] if f["entity_type"] == "PHONE_NUMBER")
    assert phone["belongs_to"] == "customer"
    assert any("the customer's own data" in r for r in officer["reasons"])


def test_unknown_item_is_refused(module_client, module_auth):
    response = module_client.post(
        "/v1/replies/check",
        json={
            "text": "Hi",
            "visibility": "public",
            "in_reply_to": "00000000-0000-4000-8000-000000000001",
        },
        headers=module_auth("moderator"),
    )
    assert response.status_code == 422
    assert "in_reply_to" in response.get_json()["errors"]


def test_policy_changes_the_verdict(check, module_client, module_auth):
    admin = module_auth("admin")
    current = module_client.get("/v1/policies/facebook", headers=admin).get_json()
    assert current["source"] == "default"
    assert current["policy"]["public"]["entities"]["PHONE_NUMBER"] == "block"
    reply = "Hi Sarah, ring us on +44 20 7946 0018 or mail support@brandshop.com"
    assert check(reply, platform="facebook")["verdict"] == "block"

    policy = current["policy"]
    policy["public"]["entities"]["PHONE_NUMBER"] = "redact"
    policy["allow_values"] = ["support@brandshop.com"]
    response = module_client.put("/v1/policies/facebook", json=policy, headers=admin)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["source"] == "custom"

    verdict = check(reply, platform="facebook")
    assert verdict["verdict"] == "redact"
    assert verdict["text"] == "Hi Sarah, ring us on <PHONE_NUMBER> or mail support@brandshop.com"
    # Other platforms keep the default.
    assert check(reply, platform="x")["verdict"] == "block"


def test_policy_with_unknown_entity_type_is_refused(module_client, module_auth):
    admin = module_auth("admin")
    policy = module_client.get("/v1/policies/tiktok", headers=admin).get_json()["policy"]
    policy["public"]["entities"]["SHOE_SIZE"] = "block"
    response = module_client.put("/v1/policies/tiktok", json=policy, headers=admin)
    assert response.status_code == 422
    assert "SHOE_SIZE" in response.get_json()["errors"]["public.entities"][0]
    policy["public"]["entities"] = {"PHONE_NUMBER": "delete"}
    assert module_client.put("/v1/policies/tiktok", json=policy, headers=admin).status_code == 422
    assert module_client.get("/v1/policies/myspace", headers=admin).status_code == 404


def test_verdicts_and_policy_changes_are_audited_without_text(
    check, module_query, module_auth, module_client
):
    check("Hi Sarah, we will call you on 07700 900123 today.")
    module_client.put(
        "/v1/policies/youtube",
        json={"public": {"default": "redact"}, "private": {}},
        headers=module_auth("admin"),
    )
    checked = module_query(
        "SELECT target_type, subject_ref, details FROM audit_events "
        "WHERE action = 'reply.checked' ORDER BY id DESC LIMIT 1"
    )[0]
    assert checked["target_type"] == "feedback_item" and checked["subject_ref"].startswith("subj_")
    assert checked["details"]["verdict"] == "block"
    assert checked["details"]["entity_types"] == {"PERSON": 1, "PHONE_NUMBER": 1}
    updated = module_query(
        "SELECT target_id, details FROM audit_events WHERE action = 'policy.updated' "
        "ORDER BY id DESC LIMIT 1"
    )[0]
    assert updated["target_id"] == "youtube"
    assert updated["details"]["public"]["default"] == "redact"
    everything = json.dumps(
        module_query(
            "SELECT action, actor_role, target_type, target_id, outcome, details FROM audit_events"
        ),
        default=str,
    ).lower()
    for secret_value in ("7700", "sarah", "5512", "brandshop"):
        assert secret_value not in everything


def _as_seen(verdict: dict) -> tuple:
    """Everything a moderator is shown about a reply."""
    return (
        verdict["verdict"],
        verdict["findings"],
        verdict["reasons"],
        verdict["text"],
        verdict.get("suggestion"),
    )


@pytest.mark.parametrize(
    "template, real, guesses",
    [
        # Quoted back without its cue word: no generic recognizer sees it, the thread does.
        (
            "Hi Sarah, {} has shipped today.",
            "5512-AB-9981",
            ["5512-AB-9982", "8040-QZ-1177", "5512-ab-9981"],
        ),
        (
            "Hi Sarah, we wrote to {} this morning.",
            "sarah.jones@example.com",
            ["maria.lopez@example.com", "sarah.jonez@example.org"],
        ),
    ],
)
def test_guesses_shaped_like_a_stored_value_read_exactly_like_it(check, template, real, guesses):
    """A moderator who sees <ORDER_NUMBER> cannot find the real value by sending guesses."""
    own = check(template.format(real))
    assert own["verdict"] == "block"
    for guess in guesses:
        assert _as_seen(check(template.format(guess))) == _as_seen(own), guess
    # A privacy officer is still told which one is the customer's.
    officer = check(template.format(real), role="privacy_officer")
    assert {f["belongs_to"] for f in officer["findings"] if f["action"] == "block"} == {"customer"}
    officer = check(template.format(guesses[0]), role="privacy_officer")
    assert {f["belongs_to"] for f in officer["findings"] if f["action"] == "block"} == {"other"}


def test_a_bare_number_from_the_thread_and_numbers_of_its_shape_are_alike(
    module_client, module_auth
):
    """The customer's 5-digit order number, quoted bare, reads like any 5-digit number."""
    response = module_client.post(
        "/v1/feedback",
        json={"items": [make_item("c2", "Where is my order 48213? It is a week late.")]},
        headers=module_auth("privacy_officer"),
    )
    item_id = response.get_json()["items"][0]["id"]

    def check(number: str) -> dict:
        body = {
            "text": f"Thanks for waiting, {number} left our warehouse today.",
            "visibility": "public",
            "in_reply_to": item_id,
        }
        reply = module_client.post("/v1/replies/check", json=body, headers=module_auth("moderator"))
        assert reply.status_code == 200, reply.get_json()
        return reply.get_json()

    own = check("48213")
    assert own["verdict"] == "block"
    assert "48213" not in own["text"]
    for guess in ("48214", "10000", "99999"):
        assert _as_seen(check(guess)) == _as_seen(own), guess


def test_value_shapes_match_their_kind_and_nothing_around_it():
    import re

    shape = re.compile(value_shape("5512-AB-9981"))
    assert shape.fullmatch("5512-AB-9981") and shape.fullmatch("0000-zz-1234")
    assert not shape.search("5512-AB-99812") and not shape.search("X5512-AB-9981")
    assert not shape.search("5512-ABC-9981")
    assert re.compile(value_shape("+44 7700 900123")).search("call +44  7700 900999 now")
    # Too weak a value would flag every short number in a reply.
    assert value_shape("123") is None and value_shape("A-1") is None
