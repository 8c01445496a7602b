"""Inputs that used to reach a 500 or slip through: each now gets a precise 4xx problem."""

from __future__ import annotations

import io

import pytest

from service.jsonprovider import MAX_JSON_DEPTH, MAX_NUMBER_CHARS
from tests.foundation.test_errors import assert_problem

JSON = "application/json"
# One route per area with a JSON body: the rules hold wherever webargs parses a body.
JSON_ROUTES = [
    "/v1/analyze",
    "/v1/keys",
    "/v1/feedback",
    "/v1/replies/check",
    "/v1/requests",
    "/v1/scans",
]


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_deeply_nested_json_is_422_naming_the_limit(client, auth, path):
    deep = "[" * 1000 + "]" * 1000
    body = assert_problem(
        client.post(path, data=f'{{"text": {deep}}}', headers=auth("admin"), content_type=JSON),
        422,
    )
    assert str(MAX_JSON_DEPTH) in body["detail"]
    assert body["limit"] == MAX_JSON_DEPTH


def test_nesting_just_over_the_limit_is_refused_and_at_it_is_parsed(client, auth):
    def nested(depth: int) -> str:
        return '{"text": "hi", "x": ' + "[" * (depth - 1) + "]" * (depth - 1) + "}"

    over = client.post(
        "/v1/analyze", data=nested(MAX_JSON_DEPTH + 1), headers=auth("admin"), content_type=JSON
    )
    assert_problem(over, 422)
    at = client.post(
        "/v1/analyze", data=nested(MAX_JSON_DEPTH), headers=auth("admin"), content_type=JSON
    )
    # Parsed, then refused by the schema for the unknown field: not by the depth rule.
    assert at.status_code == 422
    assert "x" in at.get_json()["errors"]


@pytest.mark.parametrize("path", JSON_ROUTES)
def test_huge_integer_literal_is_422_naming_the_limit(client, auth, path):
    data = '{"text": "hello", "limit": ' + "7" * 5000 + "}"
    body = assert_problem(
        client.post(path, data=data, headers=auth("admin"), content_type=JSON), 422
    )
    assert str(MAX_NUMBER_CHARS) in body["detail"]


def test_nan_and_infinity_are_not_json(client, auth):
    response = client.post(
        "/v1/scans", data='{"rescan": NaN}', headers=auth("admin"), content_type=JSON
    )
    body = assert_problem(response, 422)
    assert "NaN" in body["detail"]


def test_duplicate_keys_are_422(client, auth):
    response = client.post(
        "/v1/analyze",
        data='{"text": "Call Anna on 06 12345678", "text": "nothing"}',
        headers=auth("admin"),
        content_type=JSON,
    )
    body = assert_problem(response, 422)
    assert "`text` appears twice" in body["detail"]


def test_non_utf8_charset_is_415(client, auth):
    response = client.post(
        "/v1/analyze",
        data='{"text": "hello"}'.encode("utf-16"),
        headers=auth("admin"),
        content_type="application/json; charset=utf-16",
    )
    body = assert_problem(response, 415)
    assert "UTF-8" in body["detail"]
    # UTF-8 spelled either way still passes.
    for charset in ("utf-8", "UTF8"):
        ok = client.post(
            "/v1/analyze",
            data='{"text": "hello"}',
            headers=auth("admin"),
            content_type=f"application/json; charset={charset}",
        )
        assert ok.status_code == 200, ok.get_json()


def test_undeclared_utf16_body_is_not_guessed(client, auth):
    response = client.post(
        "/v1/analyze",
        data='{"text": "hello"}'.encode("utf-16"),
        headers=auth("admin"),
        content_type=JSON,
    )
    assert_problem(response, 400)


def test_chunked_body_over_the_limit_is_413(client, auth, app):
    limit = app.config["MAX_CONTENT_LENGTH"]
    data = b'{"text": "' + b"a" * (limit + 10) + b'"}'
    response = client.post(
        "/v1/analyze",
        input_stream=io.BytesIO(data),
        headers={**auth("admin"), "Content-Type": JSON, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    body = assert_problem(response, 413)
    assert str(limit) in body["detail"]


def test_chunked_body_under_the_limit_is_read_whole(client, auth):
    response = client.post(
        "/v1/analyze",
        input_stream=io.BytesIO(b'{"text": "mail me at jan@example.com"}'),
        headers={**auth("admin"), "Content-Type": JSON, "Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert response.status_code == 200, response.get_json()
    assert [f["entity_type"] for f in response.get_json()["findings"]] == ["EMAIL_ADDRESS"]


def test_content_type_is_checked_after_authentication(app, client, auth, conn):
    unauthenticated = client.post("/v1/analyze", data="hello", content_type="text/plain")
    assert_problem(unauthenticated, 401)
    # The refusal is audited (summed with other denials).
    app.extensions["privacy.audit_aggregate"].flush()
    denied = conn.execute(
        "SELECT details FROM audit_events WHERE action = 'auth.denied'"
    ).fetchall()
    assert [row["details"]["reasons"] for row in denied] == [{"missing_key": 1}]
    authenticated = client.post(
        "/v1/analyze", data="hello", content_type="text/plain", headers=auth("admin")
    )
    assert_problem(authenticated, 415)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:00+14:00"),
        ("until", "9999-12-31T23:59:59-14:00"),
    ],
)
def test_timestamps_out_of_range_are_422_at_parse_time(client, auth, name, value):
    for path in ("/v1/audit/export", "/v1/audit/events"):
        response = client.get(path, query_string={name: value}, headers=auth("admin"))
        body = assert_problem(response, 422)
        assert "out of range" in body["errors"][name][0]


def test_timestamp_out_of_range_in_a_body_is_422(client, auth):
    response = client.post(
        "/v1/scans", json={"since": "0001-01-01T00:00:00+14:00"}, headers=auth("admin")
    )
    body = assert_problem(response, 422)
    assert "out of range" in str(body["errors"])


def test_an_admin_cannot_revoke_its_own_key(client, make_key, conn):
    raw = make_key("admin")
    headers = {"Authorization": f"Bearer {raw}"}
    own = next(
        row["id"]
        for row in conn.execute("SELECT id, name FROM api_keys").fetchall()
        if row["name"] == "test admin"
    )
    body = assert_problem(client.delete(f"/v1/keys/{own}", headers=headers), 409)
    assert "another admin key" in body["detail"]
    # Still usable, and another key may revoke it.
    assert client.get("/v1/keys", headers=headers).status_code == 200
    other = {"Authorization": f"Bearer {make_key('admin', name='second admin')}"}
    assert client.delete(f"/v1/keys/{own}", headers=other).status_code == 200
    assert_problem(client.get("/v1/keys", headers=headers), 401)
