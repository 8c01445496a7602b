"""The console's reply checker is held to the same per-item limit as an API key, audited."""

from __future__ import annotations

import pytest

from tests.archive.conftest import make_item
from tests.console.conftest import post_form

LIMIT = 2
WINDOW = 3600


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {
        **app_config,
        "PRIVACY_GUARD_CHECKS_PER_ITEM": LIMIT,
        "PRIVACY_GUARD_WINDOW_SECONDS": WINDOW,
    }


def test_checks_of_one_item_in_the_console_are_limited_and_audited(
    client, auth, make_user, sign_in, conn
):
    ingested = client.post(
        "/v1/feedback",
        json={"items": [make_item("k1", "My order 5512-AB-9981 never arrived.")]},
        headers=auth("privacy_officer"),
    )
    item_id = ingested.get_json()["items"][0]["id"]
    user = make_user("moderator")
    sign_in(user)

    def check(number: int):
        return post_form(
            client,
            "/console/replies/check",
            {
                "text": f"Hi Sarah, 5512-AB-{9900 + number} has shipped.",
                "visibility": "public",
                "in_reply_to": item_id,
            },
        )

    for n in range(LIMIT):
        assert check(n).status_code == 200
    refused = check(LIMIT)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    page = refused.get_data(as_text=True)
    assert "checked 2 times" in page and 'id="verdict"' not in page
    # A reply to nothing in particular is not held back.
    free = post_form(client, "/console/replies/check", {"text": "Thanks!", "visibility": "public"})
    assert free.status_code == 200

    [event] = conn.execute(
        "SELECT actor_type, actor_key_id, target_id, outcome, details FROM audit_events "
        "WHERE action = 'reply.check_refused'"
    ).fetchall()
    assert (event["actor_type"], event["actor_key_id"]) == ("user", user.id)
    assert (str(event["target_id"]), event["outcome"]) == (item_id, "denied")
    assert event["details"] == {"checks": LIMIT + 1, "limit": LIMIT, "window_s": WINDOW}
