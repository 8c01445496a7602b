"""The redaction hot path: verified keys cached per process, failed keys rate-limited."""

from __future__ import annotations

import json
import time

import pytest

from service import create_app

TEXT = {"text": "Ping me at kim.orr@example.org", "language": "en"}


def _denials(conn) -> list[dict]:
    return [
        json.loads(row["details"])
        for row in conn.execute(
            "SELECT details::text AS details FROM audit_events WHERE action = 'auth.denied'"
        )
    ]


def test_a_key_revoked_elsewhere_stops_working_within_the_cache_time(app_config, make_key):
    serving = create_app({**app_config, "PRIVACY_KEY_CACHE_SECONDS": 0.5})
    admin_side = create_app(app_config)  # another process: its revoke cannot clear our cache
    try:
        client, admin = serving.test_client(), admin_side.test_client()
        admin_key = {"Authorization": f"Bearer {make_key('admin')}"}
        created = admin.post(
            "/v1/keys", json={"name": "bot", "role": "moderator"}, headers=admin_key
        )
        headers = {"Authorization": f"Bearer {created.get_json()['key']}"}
        assert client.post("/v1/redact", json=TEXT, headers=headers).status_code == 200

        revoked = admin.delete(f"/v1/keys/{created.get_json()['id']}", headers=admin_key)
        assert revoked.status_code == 200
        time.sleep(0.6)
        refused = client.post("/v1/redact", json=TEXT, headers=headers)
        assert refused.status_code == 401
        assert refused.get_json()["detail"] == "This API key has been revoked."
    finally:
        for application in (serving, admin_side):
            application.extensions["privacy"].close()


def test_a_key_revoked_in_this_process_stops_at_once(client, auth):
    created = client.post(
        "/v1/keys", json={"name": "bot", "role": "moderator"}, headers=auth("admin")
    ).get_json()
    headers = {"Authorization": f"Bearer {created['key']}"}
    assert client.post("/v1/redact", json=TEXT, headers=headers).status_code == 200
    client.delete(f"/v1/keys/{created['id']}", headers=auth("admin"))
    assert client.post("/v1/redact", json=TEXT, headers=headers).status_code == 401


def test_a_verified_key_redacts_without_the_database(app, client, auth):
    headers = auth("moderator")
    assert client.post("/v1/redact", json=TEXT, headers=headers).status_code == 200
    # The database goes away: a key verified moments ago still redacts (no round trip), and the
    # audit counts wait in the process until the database is back.
    app.extensions["privacy"].database.pool.close()
    again = client.post("/v1/redact", json=TEXT, headers=headers)
    assert again.status_code == 200
    assert "<EMAIL_ADDRESS>" in again.get_json()["text"]


def test_last_used_is_written_once_a_minute_at_most(client, auth, conn):
    headers = auth("moderator")
    client.post("/v1/redact", json=TEXT, headers=headers)
    first = conn.execute("SELECT max(last_used_at) AS t FROM api_keys").fetchone()["t"]
    conn.execute("UPDATE api_keys SET last_used_at = NULL")
    client.post("/v1/redact", json=TEXT, headers=headers)
    assert first is not None
    assert conn.execute("SELECT max(last_used_at) AS t FROM api_keys").fetchone()["t"] is None


@pytest.fixture
def strict_app(app_config):
    application = create_app({**app_config, "PRIVACY_AUTH_FAILURES_PER_MINUTE": 3})
    yield application
    application.extensions["privacy"].close()


def test_failed_keys_are_rate_limited_per_address(strict_app, make_key, conn):
    client = strict_app.test_client()
    good = {"Authorization": f"Bearer {make_key('moderator')}"}
    assert client.post("/v1/redact", json=TEXT, headers=good).status_code == 200
    bad = {"Authorization": "Bearer psk_not-a-key"}
    statuses = [client.post("/v1/redact", json=TEXT, headers=bad).status_code for _ in range(5)]
    assert statuses == [401, 401, 401, 429, 429]

    limited = client.post("/v1/redact", json=TEXT, headers=bad)
    assert limited.mimetype == "application/problem+json"
    assert int(limited.headers["Retry-After"]) >= 1
    assert limited.get_json()["status"] == 429
    # Another address is not affected, and a key this process already verified still works.
    other = client.post(
        "/v1/redact", json=TEXT, headers=bad, environ_base={"REMOTE_ADDR": "192.0.2.9"}
    )
    assert other.status_code == 401
    assert client.post("/v1/redact", json=TEXT, headers=good).status_code == 200

    # The refusals reach the audit log summed, not one event each.
    strict_app.extensions["privacy.audit_aggregate"].flush()
    denials = _denials(conn)
    assert sum(d["requests"] for d in denials) == 4
    assert sum(d["reasons"]["unknown_key"] for d in denials) == 4
    assert len(denials) == 1


def test_redaction_calls_are_summed_into_one_event_per_key(app, client, auth, conn):
    headers = auth("moderator")
    for _ in range(3):
        client.post("/v1/redact", json=TEXT, headers=headers)
    client.post("/v1/analyze", json=TEXT, headers=headers)
    app.extensions["privacy.audit_aggregate"].flush()
    rows = conn.execute(
        "SELECT action, actor_role, details::text AS details FROM audit_events "
        "WHERE action LIKE 'redact.%' ORDER BY action"
    ).fetchall()
    assert [(r["action"], r["actor_role"]) for r in rows] == [
        ("redact.analyzed", "moderator"),
        ("redact.performed", "moderator"),
    ]
    performed = json.loads(rows[1]["details"])
    assert performed["aggregated"] is True
    assert performed["requests"] == 3 and performed["texts"] == 3
    assert performed["entity_types"] == {"EMAIL_ADDRESS": 3}
    assert performed["languages"] == ["en"]
    assert performed["window_start"] <= performed["window_end"]


def test_request_bodies_are_read_by_schemas_built_once(app):
    """Every operation's argument schema is an instance made at start-up, not one per request."""
    import marshmallow

    checked, classes = 0, []
    for name, view in app.view_functions.items():
        view_class = getattr(view, "view_class", None)
        for method in getattr(view_class, "methods", None) or ():
            handler = getattr(view_class, method.lower())
            for parameter in handler._apidoc.get("arguments", {}).get("parameters", []):
                checked += 1
                schema = parameter["schema"]
                if isinstance(schema, type) and issubclass(schema, marshmallow.Schema):
                    classes.append(f"{name} {method}: {schema.__name__}")
    assert checked > 20 and classes == []
