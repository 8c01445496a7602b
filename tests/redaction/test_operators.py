"""Tests of the redaction operators: replace, mask, hash, encrypt, pseudonymize, keep."""

from __future__ import annotations

import re

import pytest

from service.redaction import RedactionEngine, RedactionInputError
from service.redaction.operators import PseudonymTable, mask_value, normalize_value

SECRET = b"operator-tests-secret-key-0123456789"
OTHER_SECRET = b"another-secret-key-for-operators-9876"

TEXT = "Write to emma.visser@example.com or, if that fails, to EMMA.VISSER@example.com."
EMAIL = "emma.visser@example.com"
EMAIL_ONLY = ["EMAIL_ADDRESS"]


@pytest.fixture(scope="module")
def engine() -> RedactionEngine:
    """Build one engine for the whole module."""
    return RedactionEngine(SECRET)


@pytest.fixture(scope="module")
def other_engine() -> RedactionEngine:
    """Build an engine with a different secret key."""
    return RedactionEngine(OTHER_SECRET)


def redact(engine, text=TEXT, **operator):
    """Redact e-mail addresses in the text with one operator config."""
    return engine.redact(
        text, language="en", entities=EMAIL_ONLY, operators={"EMAIL_ADDRESS": operator}
    )


def test_replace_uses_the_entity_type_or_a_given_value(engine):
    assert redact(engine, type="replace").text == (
        "Write to <EMAIL_ADDRESS> or, if that fails, to <EMAIL_ADDRESS>."
    )
    assert redact(engine, type="replace", new_value="[e-mail]").text == (
        "Write to [e-mail] or, if that fails, to [e-mail]."
    )


def test_replace_is_the_default_operator(engine):
    result = engine.redact(TEXT, language="en", entities=EMAIL_ONLY)

    assert result.text == "Write to <EMAIL_ADDRESS> or, if that fails, to <EMAIL_ADDRESS>."
    assert len(result.findings) == 2


def test_mask_keeps_length_and_the_last_characters(engine):
    masked = redact(engine, type="mask")
    kept = redact(engine, type="mask", masking_char="#", chars_to_keep=4)

    assert masked.text == f"Write to {'*' * len(EMAIL)} or, if that fails, to {'*' * len(EMAIL)}."
    assert kept.text == (
        f"Write to {'#' * (len(EMAIL) - 4)}.com or, if that fails, to {'#' * (len(EMAIL) - 4)}.com."
    )
    assert len(kept.text) == len(TEXT)


def test_mask_never_reveals_a_whole_value():
    assert mask_value("Bo", "*", 10) == "*o"
    assert mask_value("x", "*", 3) == "*"
    assert mask_value("secret", "-", 0) == "------"


def test_hash_is_keyed_stable_and_hides_the_value(engine, other_engine):
    first = redact(engine, type="hash").text
    again = redact(engine, type="hash").text
    other_key = redact(other_engine, type="hash").text

    tokens = re.findall(r"<EMAIL_ADDRESS:hmac:([0-9a-f]{64})>", first)
    assert len(tokens) == 2
    assert tokens[0] == tokens[1], "case differences are the same address"
    assert again == first
    assert other_key != first
    assert "emma" not in first.lower()


def test_encrypt_round_trips_through_decrypt_text(engine):
    redacted = redact(engine, type="encrypt").text

    tokens = re.findall(r"\[\[ENC:EMAIL_ADDRESS:[A-Za-z0-9_-]+\]\]", redacted)
    assert len(tokens) == 2
    assert "emma" not in redacted.lower()
    assert engine.decrypt_text(redacted) == (TEXT, 2)


def test_encrypt_is_deterministic_for_the_same_value(engine):
    text = f"{EMAIL} and again {EMAIL}"

    redacted = redact(engine, text, type="encrypt").text

    tokens = re.findall(r"\[\[ENC:[^\]]+\]\]", redacted)
    assert len(tokens) == 2
    assert tokens[0] == tokens[1]
    assert redact(engine, text, type="encrypt").text == redacted


def test_decrypt_text_rejects_tampered_tokens(engine):
    redacted = redact(engine, type="encrypt").text
    token = re.search(r"\[\[ENC:EMAIL_ADDRESS:([A-Za-z0-9_-]+)\]\]", redacted)
    payload = token.group(1)
    flipped = payload[:5] + ("A" if payload[5] != "A" else "B") + payload[6:]

    tampered_payload = redacted.replace(payload, flipped)
    retyped = redacted.replace("ENC:EMAIL_ADDRESS:", "ENC:PERSON:", 1)
    garbled = redacted.replace(payload, payload[:-3] + "$%!")

    for text in (tampered_payload, retyped, garbled):
        with pytest.raises(RedactionInputError) as error:
            engine.decrypt_text(text)
        assert error.value.field == "text"
        assert "cannot be decrypted" in error.value.message


def test_decrypt_text_rejects_tokens_made_with_another_key(engine, other_engine):
    foreign = redact(other_engine, type="encrypt").text

    with pytest.raises(RedactionInputError, match="cannot be decrypted"):
        engine.decrypt_text(foreign)


def test_decrypt_text_leaves_text_without_tokens_alone(engine):
    assert engine.decrypt_text("Nothing [[encrypted]] here") == ("Nothing [[encrypted]] here", 0)


def test_keep_leaves_the_text_but_reports_the_findings(engine):
    result = redact(engine, type="keep")

    assert result.text == TEXT
    assert [TEXT[f.start : f.end] for f in result.findings] == [EMAIL, "EMMA.VISSER@example.com"]


def test_pseudonyms_are_numbered_per_type_in_order_of_appearance(engine):
    text = (
        "Mail ruben.bos@example.com or emma.visser@example.com; "
        "Ruben.Bos@example.com answers fastest."
    )

    result = redact(engine, text, type="pseudonymize")

    assert result.text == (
        "Mail <EMAIL_ADDRESS_1> or <EMAIL_ADDRESS_2>; <EMAIL_ADDRESS_1> answers fastest."
    )


def test_pseudonyms_are_consistent_across_a_batch(engine):
    thread = [
        ("c1", "Contact me at ruben.bos@example.com please", "en"),
        ("c2", "Use emma.visser@example.com instead", "en"),
        ("c3", "Neem contact op via RUBEN.BOS@example.com of emma.visser@example.com", "nl"),
    ]

    results = engine.redact_batch(
        thread, entities=EMAIL_ONLY, operators={"DEFAULT": {"type": "pseudonymize"}}
    )

    assert [r.text for r in results] == [
        "Contact me at <EMAIL_ADDRESS_1> please",
        "Use <EMAIL_ADDRESS_2> instead",
        "Neem contact op via <EMAIL_ADDRESS_1> of <EMAIL_ADDRESS_2>",
    ]


def test_separate_requests_number_pseudonyms_afresh(engine):
    first = redact(engine, "Mail emma.visser@example.com", type="pseudonymize")
    second = redact(engine, "Mail ruben.bos@example.com", type="pseudonymize")

    assert first.text == second.text == "Mail <EMAIL_ADDRESS_1>"


def test_operators_apply_per_entity_type_with_a_default(engine):
    text = "Sarah Johnson wrote from sarah.johnson@example.com"

    result = engine.redact(
        text,
        language="en",
        entities=["PERSON", "EMAIL_ADDRESS"],
        operators={"PERSON": {"type": "pseudonymize"}, "DEFAULT": {"type": "mask"}},
    )

    assert result.text == f"<PERSON_1> wrote from {'*' * len('sarah.johnson@example.com')}"


def test_pseudonym_values_are_compared_loosely():
    table = PseudonymTable()

    assert table.label("SOCIAL_HANDLE", "@EmmaV") == "<SOCIAL_HANDLE_1>"
    assert table.label("SOCIAL_HANDLE", " emmav ") == "<SOCIAL_HANDLE_1>"
    assert table.label("SOCIAL_HANDLE", "@ruben") == "<SOCIAL_HANDLE_2>"
    assert table.label("PERSON", "Emma  Visser") == "<PERSON_1>"
    assert table.label("PERSON", "emma visser") == "<PERSON_1>"
    assert normalize_value("  @Emma ") == "emma"


@pytest.mark.parametrize(
    ("operators", "message"),
    [
        ({"PERSON": {"type": "shred"}}, "unknown operator type"),
        ({"PERSON": "mask"}, "must be an object"),
        ({"PERSON": {"type": "mask", "masking_char": "**"}}, "masking_char"),
        ({"PERSON": {"type": "mask", "chars_to_keep": -1}}, "chars_to_keep"),
        ({"PERSON": {"type": "mask", "chars_to_keep": True}}, "chars_to_keep"),
        ({"PERSON": {"type": "hash", "salt": "x"}}, "does not take salt"),
        ({"PERSON": {"type": "replace", "new_value": 5}}, "new_value"),
        ({"HAIR_COLOUR": {"type": "keep"}}, "HAIR_COLOUR"),
        (["PERSON"], "must map"),
    ],
)
def test_validate_operators_rejects_bad_configs(engine, operators, message):
    with pytest.raises(RedactionInputError) as error:
        engine.validate_operators(operators)
    assert error.value.field == "operators"
    assert message in error.value.message


def test_validate_operators_accepts_good_configs(engine):
    engine.validate_operators(
        {
            "DEFAULT": {"type": "replace"},
            "PERSON": {"type": "pseudonymize"},
            "EMAIL_ADDRESS": {"type": "mask", "masking_char": "#", "chars_to_keep": 4},
            "PHONE_NUMBER": {"type": "hash"},
            "IBAN_CODE": {"type": "encrypt"},
            "NL_BSN": {"type": "replace", "new_value": "[BSN]"},
            "DENY_LIST": {"type": "keep"},
        }
    )
    engine.validate_operators(None)
