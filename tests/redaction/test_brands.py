"""Brands, products and assistants are not people; things with numbers are not addresses."""

from __future__ import annotations

import pytest

from service.redaction import get_engine
from service.redaction.engine import parse_brand_terms


@pytest.fixture(scope="module")
def engine():
    return get_engine(b"b" * 32, brand_terms=["Fernwave", "Fernwave Pulse", "@FernwaveHelp"])


def found(engine, text, language="en", **options):
    result = engine.analyze(text, language=language, **options)
    return [(f.entity_type, text[f.start : f.end]) for f in result.findings]


@pytest.mark.parametrize(
    "text",
    [
        "Hey Alexa, turn the lights off",
        "I asked Siri and she had no idea",
        "thanks Vodafone, the signal is back",
        "Dear Lufthansa, my suitcase is still missing",
        "bought new zara jeans and they ripped",
        "my Ford Focus is in the garage again",
        "we stayed at the Paris Hilton hotel last week",
        "Hi Coolblue, waar blijft mijn wasmachine?",
        "Bedankt Albert Heijn, de bezorger was super",
        "Pardon me, Sir robot, that answer made no sense",
        "ok mr chatbot, put me through to a human",
        "the Whitfield Philharmonic plays on Sunday",
        "great bread at Okafor Bakery this morning",
    ],
)
def test_brands_products_and_assistants_are_not_people(engine, text):
    assert [kind for kind, _ in found(engine, text)] == []


@pytest.mark.parametrize(
    "text",
    [
        "Windows 11 keeps crashing after the update",
        "Follow Step 3 and restart the router",
        "we waited at Terminal 2 for an hour",
        "the milk is in aisle 5",
        "parked on Level 4 of the garage",
        "watching Channel 4 tonight",
        "version 2 of the app is worse",
        "your chat said Support 3 would call back",
        "boarding at Gate 14 now",
    ],
)
def test_word_and_number_alone_is_not_an_address(engine, text):
    assert [kind for kind, _ in found(engine, text) if kind == "STREET_ADDRESS"] == []


def test_a_title_or_introduction_still_makes_a_person(engine):
    assert ("PERSON", "Alexa Brandt") in found(engine, "my name is Alexa Brandt")
    persons = [
        v for k, v in found(engine, "please ask for Mrs Sydney at the desk") if k == "PERSON"
    ]
    assert persons and all("Sydney" in v for v in persons)
    assert ("PERSON", "Mr Hobbs") in found(engine, "Mr Hobbs fixed my boiler")
    assert ("PERSON", "Lena Whitfield") in found(engine, "Lena Whitfield works at the bakery")


def test_the_brands_own_terms_are_never_reported(engine):
    text = "Thanks Fernwave! @FernwaveHelp fixed my Fernwave Pulse, Greta Holm was great"
    assert found(engine, text) == [("PERSON", "Greta Holm")]


def test_brand_terms_per_call_add_to_the_configured_ones(engine):
    text = "Morning Quillory team, @quillory_nl helped me"
    assert found(engine, text, brand_terms=["Quillory", "@quillory_nl"]) == []
    assert ("SOCIAL_HANDLE", "@quillory_nl") in found(engine, text)


def test_brand_terms_setting_is_comma_separated():
    assert parse_brand_terms(" Acme , Acme Phone X,,@AcmeCare ") == (
        "Acme",
        "Acme Phone X",
        "@AcmeCare",
    )
    assert parse_brand_terms(None) == ()


def test_real_addresses_still_need_and_have_their_structure(engine):
    assert ("STREET_ADDRESS", "14 Harbour Road") in found(engine, "send it to 14 Harbour Road")
    text = "mijn adres is Lindelaan 7, 3521 KB Utrecht"
    assert any(kind == "STREET_ADDRESS" for kind, _ in found(engine, text, language="nl"))
