"""Every error status comes back as RFC 9457 problem+json."""

from __future__ import annotations

import pytest

from service import create_app

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json(force=True)
    assert body["status"] == status
    assert body["type"].startswith("/problems/")
    assert body["title"]
    assert body["detail"]
    return body


def test_malformed_json_is_400(client, auth):
    response = client.post(
        "/v1/keys", data='{"name": "x",', headers=auth("admin"), content_type="application/json"
    )
    body = assert_problem(response, 400)
    assert "JSON" in body["detail"]


def test_missing_key_is_401(client):
    assert_problem(client.get("/v1/keys"), 401)


def test_unknown_key_is_401(client):
    response = client.get("/v1/keys", headers={"Authorization": "Bearer psk_not-a-real-key"})
    body = assert_problem(response, 401)
    assert "not known" in body["detail"]


def test_wrong_role_is_403(client, auth):
    body = assert_problem(client.get("/v1/keys", headers=auth("moderator")), 403)
    assert "moderator" in body["detail"]


def test_unknown_path_is_404(client, auth):
    assert_problem(client.get("/v1/nothing-here", headers=auth("admin")), 404)


def test_unknown_key_id_is_404(client, auth):
    response = client.delete("/v1/keys/6f1c2d4e-0000-4000-8000-000000000000", headers=auth("admin"))
    assert_problem(response, 404)


def test_wrong_method_is_405_with_allow_header(client):
    response = client.delete("/health")
    assert_problem(response, 405)
    assert "GET" in response.headers["Allow"]


def test_body_over_limit_is_413(app_config, auth):
    app = create_app({**app_config, "PRIVACY_MAX_BODY_BYTES": 100})
    try:
        response = app.test_client().post(
            "/v1/keys", json={"name": "x" * 200, "role": "admin"}, headers=auth("admin")
        )
        body = assert_problem(response, 413)
        assert "100 bytes" in body["detail"]
    finally:
        app.extensions["privacy"].database.close()


def test_wrong_content_type_is_415(client, auth):
    response = client.post(
        "/v1/keys",
        data="name=x&role=admin",
        headers=auth("admin"),
        content_type="application/x-www-form-urlencoded",
    )
    assert_problem(response, 415)


def test_validation_error_is_422_with_field_errors(client, auth):
    response = client.post(
        "/v1/keys", json={"name": "", "role": "superuser"}, headers=auth("admin")
    )
    body = assert_problem(response, 422)
    assert set(body["errors"]) == {"name", "role"}
    assert body["errors"]["role"]


def test_missing_body_is_422(client, auth):
    response = client.post("/v1/keys", headers=auth("admin"))
    body = assert_problem(response, 422)
    assert "name" in body["errors"]


@pytest.fixture
def app_without_database(tmp_path):
    # A port nobody listens on: the pool never gets a connection.
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
            "PRIVACY_DATA_DIR": str(tmp_path),
            "PRIVACY_DB_POOL_MIN": 0,
            "PRIVACY_DB_TIMEOUT": 1.0,
        }
    )
    yield app
    app.extensions["privacy"].database.close()


def test_database_down_is_503(app_without_database):
    client = app_without_database.test_client()
    assert client.get("/health").status_code == 200
    assert_problem(client.get("/ready"), 503)
    assert_problem(client.get("/v1/keys", headers={"Authorization": "Bearer psk_x"}), 503)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "bad\u0000name", "role": "admin"}, "name"),
        ({"name": "lone \ud800 surrogate", "role": "admin"}, "name"),
        ({"name": "ok", "role": "admin", "nested": [{"x": "a\u0000"}]}, "nested.0.x"),
    ],
)
def test_unstorable_text_is_422_not_500(client, auth, conn, body, field):
    import json

    from service.api import UNSTORABLE

    response = client.post(
        "/v1/keys", data=json.dumps(body), headers=auth("admin"), content_type="application/json"
    )
    problem = assert_problem(response, 422)
    assert problem["errors"][field] == [UNSTORABLE]
    assert conn.execute("SELECT count(*) AS n FROM api_keys").fetchone()["n"] == 1  # only auth's


def test_titles_are_the_same_for_schema_and_domain_validation(client, auth):
    schema_error = client.post("/v1/keys", json={"role": "nobody"}, headers=auth("admin"))
    assert schema_error.get_json()["title"] == "Unprocessable Content"


def test_unstorable_query_value_is_422_not_500(client, auth):
    from service.api import UNSTORABLE

    response = client.get("/v1/feedback?platform=x%00", headers=auth("privacy_officer"))
    problem = assert_problem(response, 422)
    assert problem["errors"]["platform"] == [UNSTORABLE]
