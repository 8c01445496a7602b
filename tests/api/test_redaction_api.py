"""The redaction endpoints as a moderation tool sees them."""

from __future__ import annotations

import json

import pytest

COMMENT = (
    "Hi, I'm Sarah Jones. Mail me at sarah.jones@example.com or call +44 7700 900123 "
    "about order #A123456, thanks!"
)


@pytest.fixture
def mod(auth):
    return auth("moderator")


def post(client, path, body, headers):
    return client.post(path, json=body, headers=headers)


def test_analyze_reports_offsets_into_the_text(client, mod):
    response = post(client, "/v1/analyze", {"text": COMMENT}, mod)
    assert response.status_code == 200
    body = response.get_json()
    assert body["language"] == "en"
    found = {COMMENT[f["start"] : f["end"]]: f["entity_type"] for f in body["findings"]}
    assert found["sarah.jones@example.com"] == "EMAIL_ADDRESS"
    assert found["+44 7700 900123"] == "PHONE_NUMBER"
    assert "Sarah Jones" in found
    assert all(
        set(f) >= {"entity_type", "start", "end", "score", "recognizer"} for f in body["findings"]
    )


def test_analyze_with_explanation(client, mod):
    body = post(
        client, "/v1/analyze", {"text": COMMENT, "return_explanation": True}, mod
    ).get_json()
    assert all(f["explanation"] for f in body["findings"])


def test_redact_default_replaces_with_entity_type(client, mod):
    body = post(client, "/v1/redact", {"text": COMMENT}, mod).get_json()
    assert "sarah.jones@example.com" not in body["text"]
    assert "<EMAIL_ADDRESS>" in body["text"] and "<PHONE_NUMBER>" in body["text"]
    assert "Sarah" not in body["text"]
    # Offsets stay in the ORIGINAL text.
    for finding in body["findings"]:
        assert COMMENT[finding["start"] : finding["end"]].strip()


def test_redact_mask_keeps_length_and_last_chars(client, mod):
    text = "Call me on 07700 900123 please"
    body = post(
        client,
        "/v1/redact",
        {
            "text": text,
            "entities": ["PHONE_NUMBER"],
            "operators": {
                "PHONE_NUMBER": {"type": "mask", "masking_char": "#", "chars_to_keep": 3}
            },
        },
        mod,
    ).get_json()
    assert body["text"] == "Call me on " + "#" * 9 + "123 please"  # 12 characters kept in length


def test_redact_hash_links_values_without_revealing_them(client, mod):
    ops = {"DEFAULT": {"type": "hash"}}
    first = post(client, "/v1/redact", {"text": "From sam@example.com", "operators": ops}, mod)
    second = post(client, "/v1/redact", {"text": "cc sam@example.com", "operators": ops}, mod)
    token_1 = first.get_json()["text"].removeprefix("From ")
    token_2 = second.get_json()["text"].removeprefix("cc ")
    assert token_1 == token_2 and "sam@example.com" not in token_1


def test_encrypt_then_decrypt_round_trip_and_roles(client, mod, auth):
    ops = {"DEFAULT": {"type": "encrypt"}}
    redacted = post(client, "/v1/redact", {"text": COMMENT, "operators": ops}, mod).get_json()
    assert "sarah.jones@example.com" not in redacted["text"]
    again = post(client, "/v1/redact", {"text": COMMENT, "operators": ops}, mod).get_json()
    assert again["text"] == redacted["text"]  # deterministic

    assert post(client, "/v1/decrypt", {"text": redacted["text"]}, mod).status_code == 403
    decrypted = post(client, "/v1/decrypt", {"text": redacted["text"]}, auth("privacy_officer"))
    assert decrypted.status_code == 200
    assert decrypted.get_json()["text"] == COMMENT
    assert decrypted.get_json()["decrypted"] == len(redacted["findings"])


def test_decrypt_rejects_a_tampered_token(client, mod, auth):
    ops = {"DEFAULT": {"type": "encrypt"}}
    token = post(
        client, "/v1/redact", {"text": "sam@example.com", "operators": ops}, mod
    ).get_json()["text"]
    tampered = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    response = post(client, "/v1/decrypt", {"text": tampered}, auth("privacy_officer"))
    assert response.status_code == 422
    assert "text" in response.get_json()["errors"]


def test_keep_leaves_value_but_reports_it(client, mod):
    body = post(
        client,
        "/v1/redact",
        {"text": "mail sam@example.com", "operators": {"EMAIL_ADDRESS": {"type": "keep"}}},
        mod,
    ).get_json()
    assert body["text"] == "mail sam@example.com"
    assert [f["entity_type"] for f in body["findings"]] == ["EMAIL_ADDRESS"]


def test_batch_keeps_order_and_pseudonyms_across_items(client, mod):
    items = [
        {"id": "c1", "text": "My email is anna.smith@example.com, I'm Anna Smith"},
        {"id": "c2", "text": "@brand please reply to anna.smith@example.com"},
        {"id": "c3", "text": "Contact bob.jones@example.org too"},
    ]
    body = post(
        client,
        "/v1/redact/batch",
        {"items": items, "operators": {"DEFAULT": {"type": "pseudonymize"}}},
        mod,
    ).get_json()
    assert [item["id"] for item in body["items"]] == ["c1", "c2", "c3"]
    texts = [item["text"] for item in body["items"]]
    assert "<EMAIL_ADDRESS_1>" in texts[0] and "<EMAIL_ADDRESS_1>" in texts[1]
    assert "<EMAIL_ADDRESS_2>" in texts[2]
    assert not any("example." in t for t in texts)


def test_batch_over_limit_is_422(app_config, auth):
    from service import create_app

    app = create_app({**app_config, "PRIVACY_MAX_BATCH": 2})
    try:
        items = [{"id": str(i), "text": "x"} for i in range(3)]
        response = app.test_client().post(
            "/v1/redact/batch", json={"items": items}, headers=auth("moderator")
        )
        assert response.status_code == 422
        assert "items" in response.get_json()["errors"]
    finally:
        app.extensions["privacy"].database.close()


def test_dutch_comment(client, mod):
    text = (
        "Hoi, ik ben Sanne de Vries. Bel me op 06-12345678 of stuur naar Kerkstraat 12, "
        "1234 AB Utrecht. Mijn IBAN is NL91ABNA0417164300."
    )
    body = post(client, "/v1/redact", {"text": text}, mod).get_json()
    assert body["language"] == "nl"
    for secret in ("Sanne", "06-12345678", "1234 AB", "NL91ABNA0417164300"):
        assert secret not in body["text"], secret


def test_entities_per_language(client, mod):
    body = client.get("/v1/entities", headers=mod).get_json()
    assert {"en", "nl"} <= set(body["languages"])
    assert "EMAIL_ADDRESS" in body["languages"]["en"]
    assert "NL_BSN" in body["languages"]["nl"]


def test_empty_text_has_no_findings(client, mod):
    response = post(client, "/v1/redact", {"text": "", "language": "en"}, mod)
    assert response.status_code == 200
    assert response.get_json() == {"language": "en", "text": "", "findings": []}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"text": "hi", "language": "xx"}, "language"),
        ({"text": "hi", "entities": ["NOT_AN_ENTITY"]}, "entities"),
        ({"text": 42}, "text"),
        ({"text": ["a"]}, "text"),
        ({}, "text"),
        ({"text": "hi", "score_threshold": 2}, "score_threshold"),
        ({"text": "hi", "operators": {"PERSON": {"type": "shred"}}}, "operators"),
        ({"text": "hi", "operators": {"NOT_AN_ENTITY": {"type": "mask"}}}, "operators"),
        ({"text": "hi", "surprise": True}, "surprise"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, mod, body, field):
    response = post(client, "/v1/redact", body, mod)
    assert response.status_code == 422, response.get_json()
    assert response.mimetype == "application/problem+json"
    errors = response.get_json()["errors"]
    assert any(key == field or key.startswith(field) for key in errors), errors


def test_text_over_limit_is_413(app_config, auth):
    from service import create_app

    app = create_app({**app_config, "PRIVACY_MAX_TEXT_CHARS": 50})
    try:
        response = app.test_client().post(
            "/v1/redact", json={"text": "a" * 51}, headers=auth("moderator")
        )
        assert response.status_code == 413
        assert response.mimetype == "application/problem+json"
    finally:
        app.extensions["privacy"].database.close()


def test_each_call_is_audited_with_counts_but_no_text(app, client, mod, conn):
    post(client, "/v1/redact", {"text": COMMENT}, mod)
    post(client, "/v1/redact", {"text": COMMENT}, mod)
    app.extensions["privacy.audit_aggregate"].flush()
    events = conn.execute(
        "SELECT action, details::text AS details FROM audit_events WHERE action LIKE 'redact.%'"
    ).fetchall()
    # Both calls are summed into one event for this key and interval.
    assert [e["action"] for e in events] == ["redact.performed"]
    details = json.loads(events[0]["details"])
    assert details["requests"] == 2 and details["texts"] == 2
    assert details["entity_types"]["EMAIL_ADDRESS"] == 2
    for secret in ("Sarah", "sarah.jones", "7700", "A123456"):
        assert secret not in events[0]["details"]


def test_answers_are_what_the_response_schemas_dump(app, client, mod):
    """The redaction answers are built by hand: they must stay the documented schemas' dump."""
    from schemas.redaction import AnalyzeResponseSchema, BatchResponseSchema, RedactResponseSchema

    engine = app.extensions["privacy"].engine()
    text = "I'm Sarah Jones, mail sarah.j@example.com or call 07700 900123. Thanks @sarahj!"
    cases = [
        (
            "/v1/redact",
            {"text": text, "language": "en"},
            RedactResponseSchema,
            engine.redact(text, language="en"),
        ),
        (
            "/v1/analyze",
            {"text": text, "return_explanation": True},
            AnalyzeResponseSchema,
            engine.analyze(text, return_explanation=True),
        ),
        (
            "/v1/analyze",
            {"text": "no personal data here"},
            AnalyzeResponseSchema,
            engine.analyze("no personal data here"),
        ),
    ]
    for path, body, schema, result in cases:
        answer = post(client, path, body, mod)
        assert answer.status_code == 200
        assert answer.mimetype == "application/json"
        assert list(answer.get_json()) == list(schema().dump(result))
        assert answer.get_json() == json.loads(json.dumps(schema().dump(result)))
    items = [("a", text, "en"), ("b", "Bel Pieter de Vries op 06-12345678", "nl")]
    batch = post(
        client,
        "/v1/redact/batch",
        {"items": [{"id": i, "text": t, "language": lang} for i, t, lang in items]},
        mod,
    )
    results = engine.redact_batch(items)
    expected = BatchResponseSchema().dump(
        {"items": [{"id": i, **vars(r)} for (i, _, _), r in zip(items, results, strict=True)]}
    )
    assert batch.status_code == 200
    assert batch.get_json() == json.loads(json.dumps(expected))
    assert [list(item) for item in batch.get_json()["items"]] == [
        list(item) for item in expected["items"]
    ]


@pytest.mark.parametrize(
    "body",
    [
        {"text": "Call Kim on 07700 900123"},
        {"text": "Bel Sanne", "language": "nl"},
        {"text": "", "language": None},
        {"text": "x", "language": "en", "entities": ["PERSON"]},
        {"text": "x", "score_threshold": 0.5},
        {"text": 3},
        {"text": "x", "language": 7},
        {"language": "en"},
        {"text": "x", "colour": "red"},
        [{"text": "x"}],
    ],
)
def test_the_quick_redact_body_load_is_marshmallows(body):
    from marshmallow import Schema, ValidationError

    from schemas.redaction import RedactRequestSchema

    schema = RedactRequestSchema()

    def outcome(load):
        try:
            return "ok", load(body)
        except ValidationError as error:
            return "error", error.messages

    assert outcome(schema.load) == outcome(lambda data: Schema.load(schema, data))
