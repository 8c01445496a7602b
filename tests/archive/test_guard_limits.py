"""Repeated checks of replies to one item are refused past a limit, with Retry-After, audited."""

from __future__ import annotations

import pytest

from tests.archive.conftest import make_item

LIMIT = 3
# Long enough that a loaded machine never sees the window pass during the checks; its end is
# simulated by ageing the stored window.
WINDOW = 120


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {
        **app_config,
        "PRIVACY_GUARD_CHECKS_PER_ITEM": LIMIT,
        "PRIVACY_GUARD_WINDOW_SECONDS": WINDOW,
    }


def test_repeated_checks_of_one_item_are_rate_limited_and_audited(
    client, auth, make_key, ingest, conn
):
    items = ingest(
        make_item("g1", "My order 5512-AB-9981 never arrived."),
        make_item("g2", "Still waiting on order 7781-CD-1234."),
    )["items"]
    first, second = items[0]["id"], items[1]["id"]
    moderator = auth("moderator")

    guesses = iter(f"Your parcel 5512-AB-{9900 + n} ships today" for n in range(100))

    def check(item_id: str, headers: dict) -> object:
        body = {"text": next(guesses), "visibility": "public", "in_reply_to": item_id}
        return client.post("/v1/replies/check", json=body, headers=headers)

    for _ in range(LIMIT):
        assert check(first, moderator).status_code == 200
    refused = check(first, moderator)
    assert refused.status_code == 429
    assert refused.mimetype == "application/problem+json"
    problem = refused.get_json()
    assert problem["status"] == 429 and str(LIMIT) in problem["detail"]
    assert 1 <= int(refused.headers["Retry-After"]) <= WINDOW
    assert problem["retry_after"] == int(refused.headers["Retry-After"])

    # Another item, another key and checks without an item are not held back.
    assert check(second, moderator).status_code == 200
    other = {"Authorization": f"Bearer {make_key('moderator', name='second moderator')}"}
    assert check(first, other).status_code == 200
    free = client.post(
        "/v1/replies/check", json={"text": "Thanks!", "visibility": "public"}, headers=moderator
    )
    assert free.status_code == 200

    audited = conn.execute(
        "SELECT target_id, outcome, subject_ref, details FROM audit_events "
        "WHERE action = 'reply.check_refused'"
    ).fetchall()
    assert len(audited) == 1
    assert (audited[0]["target_id"], audited[0]["outcome"]) == (first, "denied")
    assert audited[0]["subject_ref"].startswith("subj_")
    assert audited[0]["details"] == {"checks": LIMIT + 1, "limit": LIMIT, "window_s": WINDOW}
    # Every check that was answered is audited against the item, refused ones are not answered.
    answered = conn.execute(
        "SELECT count(*) AS n FROM audit_events WHERE action = 'reply.checked' AND target_id = %s",
        (first,),
    ).fetchone()["n"]
    assert answered == LIMIT + 1  # LIMIT by the first key, one by the second

    # A new window opens once the old one has passed.
    conn.execute(
        "UPDATE reply_check_counts SET window_started_at = now() - make_interval(secs => %s)",
        (WINDOW + 1,),
    )
    conn.commit()
    assert check(first, moderator).status_code == 200
