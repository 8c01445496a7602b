"""Request logs are JSON lines without bodies."""

from __future__ import annotations

import json
import logging

from service.logs import JsonFormatter

REQUEST_ID = "6f1c2d4e-8a7b-4c3d-9e0f-123456789abc"


def test_request_log_has_fields_and_no_body(client, auth, caplog):
    caplog.set_level(logging.INFO, logger="service.request")
    secret_name = "Jane Customer jane@example.com"
    response = client.post(
        "/v1/keys",
        json={"name": secret_name, "role": "moderator"},
        headers={**auth("admin"), "X-Request-ID": REQUEST_ID},
    )
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] == REQUEST_ID
    records = [r for r in caplog.records if r.name == "service.request"]
    line = json.loads(JsonFormatter().format(records[-1]))
    assert line["request_id"] == REQUEST_ID
    assert line["method"] == "POST" and line["path"] == "/v1/keys" and line["status"] == 201
    assert line["key_id"] and line["duration_ms"] >= 0
    for record in caplog.records:
        text = JsonFormatter().format(record)
        assert "jane@example.com" not in text and response.get_json()["key"] not in text


def test_exception_logs_carry_no_message():
    try:
        raise ValueError("customer email jane@example.com")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, "f", 1, "boom", None, exc_info=__import__("sys").exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["error_type"] == "ValueError"
    assert "jane@example.com" not in json.dumps(line)


def test_free_text_request_id_is_replaced(client, conn, auth):
    response = client.post(
        "/v1/keys",
        json={"name": "bot", "role": "moderator"},
        headers={**auth("admin"), "X-Request-ID": "jan.devries"},
    )
    assert response.status_code == 201
    assert response.headers["X-Request-ID"] != "jan.devries"
    stored = conn.execute(
        "SELECT request_id FROM audit_events WHERE action = 'key.created' "
        "AND request_id IS NOT NULL"
    ).fetchall()
    assert [row["request_id"] for row in stored] == [response.headers["X-Request-ID"]]
