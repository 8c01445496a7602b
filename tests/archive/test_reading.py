"""Reading the archive: filters, cursor pages, the raw view and the redacted public view."""

from __future__ import annotations

import json

import pytest

from tests.archive.conftest import make_item, run_worker_once

SARAH = {"handle": "@Sarah_J", "display_name": "Sarah Jones"}
TOM = {"handle": "tom.b", "display_name": "Tom Baker"}
ITEMS = [
    make_item("x1", "Call me on +44 7700 900123", author=SARAH, created_at="2026-03-01T09:00:00Z"),
    make_item("x2", "Still waiting for my parcel", author=SARAH, created_at="2026-03-02T09:00:00Z"),
    make_item(
        "x3", "Mail sarah.jones@example.com", author=SARAH, created_at="2026-03-03T09:00:00Z"
    ),
    make_item("x4", "Thanks, all sorted", author=SARAH, created_at="2026-03-04T09:00:00Z"),
    make_item(
        "i1", "Great colours", platform="instagram", author=TOM, created_at="2026-03-05T09:00:00Z"
    ),
    make_item(
        "i2",
        "I'm Tom Baker, ring 020 7946 0018",
        platform="instagram",
        author=TOM,
        created_at="2026-03-06T09:00:00Z",
    ),
    make_item("i3", "Love it", platform="instagram", author=TOM, created_at="2026-03-07T09:00:00Z"),
]


@pytest.fixture(scope="module")
def archive(module_client, module_auth, module_config, module_db_url, engine) -> dict[str, str]:
    """Ingest and scan the items once; return external_id -> id."""
    response = module_client.post(
        "/v1/feedback", json={"items": ITEMS}, headers=module_auth("privacy_officer")
    )
    assert response.status_code == 200
    run_worker_once(module_config)
    return {item["external_id"]: item["id"] for item in response.get_json()["items"]}


def _list(client, auth, **params) -> dict:
    response = client.get("/v1/feedback", query_string=params, headers=auth("privacy_officer"))
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def _external_ids(page: dict) -> list[str]:
    return [item["external_id"] for item in page["items"]]


def test_items_are_listed_newest_first_with_redacted_text_only(archive, module_client, module_auth):
    page = _list(module_client, module_auth)
    assert _external_ids(page) == ["i3", "i2", "i1", "x4", "x3", "x2", "x1"]
    assert page["next_cursor"] is None
    i2 = page["items"][1]
    assert i2["public_text"] == "I'm <PERSON>, ring <PHONE_NUMBER>"
    assert (i2["has_pii"], i2["finding_count"], i2["scan_status"]) == (True, 2, "done")
    assert "text" not in i2


def test_filters(archive, module_client, module_auth):
    def ids(**params):
        return _external_ids(_list(module_client, module_auth, **params))

    assert ids(platform="instagram") == ["i3", "i2", "i1"]
    assert ids(platform="twitter") == ["x4", "x3", "x2", "x1"]
    assert ids(has_pii="true") == ["i2", "x3", "x1"]
    assert ids(has_pii="false") == ["i3", "i1", "x4", "x2"]
    assert ids(since="2026-03-04T09:00:00Z") == ["i3", "i2", "i1", "x4"]
    tom = _list(module_client, module_auth, platform="instagram")["items"][0]["author_id"]
    assert ids(subject=tom) == ["i3", "i2", "i1"]
    assert ids(subject=tom, has_pii="true", platform="instagram") == ["i2"]
    unknown = module_client.get(
        "/v1/feedback?platform=myspace", headers=module_auth("privacy_officer")
    )
    assert unknown.status_code == 422 and "platform" in unknown.get_json()["errors"]


def test_cursor_pages_cover_everything_once(archive, module_client, module_auth):
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = _list(module_client, module_auth, **params)
        seen += _external_ids(page)
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == ["i3", "i2", "i1", "x4", "x3", "x2", "x1"]

    filtered = _list(module_client, module_auth, limit=2, platform="x")
    rest = _list(module_client, module_auth, limit=2, platform="x", cursor=filtered["next_cursor"])
    assert _external_ids(filtered) + _external_ids(rest) == ["x4", "x3", "x2", "x1"]


def test_bad_cursor_and_limit_are_refused(archive, module_client, module_auth):
    officer = module_auth("privacy_officer")
    bad = module_client.get("/v1/feedback?cursor=not-a-cursor", headers=officer)
    assert bad.status_code == 422 and "cursor" in bad.get_json()["errors"]
    assert module_client.get("/v1/feedback?limit=501", headers=officer).status_code == 422
    assert module_client.get("/v1/feedback?limit=0", headers=officer).status_code == 422


def test_public_view_never_shows_the_raw_text(archive, module_client, module_auth):
    for external_id, secret_value in (("x1", "7700"), ("x3", "sarah.jones"), ("i2", "Tom")):
        response = module_client.get(
            f"/v1/feedback/{archive[external_id]}/public", headers=module_auth("moderator")
        )
        assert response.status_code == 200
        assert secret_value not in json.dumps(response.get_json())
    public = module_client.get(
        f"/v1/feedback/{archive['x1']}/public", headers=module_auth("moderator")
    ).get_json()
    assert public["text"] == "Call me on <PHONE_NUMBER>"
    assert (public["redactions"], public["scan_status"]) == (1, "done")


def test_raw_view_is_for_privacy_officers_and_audited(
    archive, module_client, module_auth, module_query
):
    url = f"/v1/feedback/{archive['x1']}"
    assert module_client.get(url, headers=module_auth("moderator")).status_code == 403
    detail = module_client.get(url, headers=module_auth("privacy_officer")).get_json()
    assert detail["text"] == "Call me on +44 7700 900123"
    assert detail["author"]["handle"] == "sarah_j"
    assert detail["author"]["display_name"] == "Sarah Jones"
    assert [(f["entity_type"], f["start"], f["end"]) for f in detail["findings"]] == [
        ("PHONE_NUMBER", 11, 26)
    ]
    viewed = module_query(
        "SELECT target_id, subject_ref, details FROM audit_events "
        "WHERE action = 'feedback.viewed' ORDER BY id DESC LIMIT 1"
    )[0]
    assert viewed["target_id"] == archive["x1"]
    assert viewed["subject_ref"].startswith("subj_")
    assert viewed["details"] == {"findings": 1}


def test_unknown_items_are_404(archive, module_client, module_auth):
    missing = "00000000-0000-4000-8000-000000000001"
    for path, role in ((missing, "privacy_officer"), (f"{missing}/public", "moderator")):
        response = module_client.get(f"/v1/feedback/{path}", headers=module_auth(role))
        assert response.status_code == 404
