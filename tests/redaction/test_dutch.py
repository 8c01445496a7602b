"""Tests of Dutch comments: names, places, phones, postcodes, BSN, IBAN and false positives."""

from __future__ import annotations

import pytest

from service.redaction import RedactionEngine
from service.redaction.dutch import DutchLexicon, bsn_passes_eleven_test

SECRET = b"dutch-tests-secret-key-0123456789"


@pytest.fixture(scope="module")
def engine() -> RedactionEngine:
    """Build one engine for the whole module."""
    return RedactionEngine(SECRET)


def found(engine: RedactionEngine, text: str, **options) -> set[tuple[str, str]]:
    """Return the (entity type, value) pairs found in a Dutch text."""
    result = engine.analyze(text, language="nl", **options)
    return {(f.entity_type, text[f.start : f.end]) for f in result.findings}


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hoi, mijn naam is Jan de Vries en mijn pakket is zoek.", "Jan de Vries"),
        ("Super geholpen door Sanne Bakker van jullie winkel.", "Sanne Bakker"),
        ("Met vriendelijke groet,\nKees van der Laan", "Kees van der Laan"),
        ("Groetjes, Henk", "Henk"),
        ("Meneer Jansen van de klantenservice was erg behulpzaam.", "Meneer Jansen"),
        ("Bedankt voor de hulp! Groeten, J. de Boer", "J. de Boer"),
    ],
)
def test_dutch_names_are_found(engine, text, name):
    assert ("PERSON", name) in found(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "Super Snel Geleverd, Dank Jullie Wel! Aanrader.",
        "Mijn Pakket Is Nog Steeds Niet Aangekomen, Wat Een Slechte Service",
        "Ben je morgen thuis? Lieve mensen, de bezorger kwam niet.",
        "Waarom duurt het zo lang? Klantenservice reageert niet. Echt Schandalig!!",
        "Vandaag Besteld, Morgen In Huis. Helemaal Top!",
    ],
)
def test_ordinary_capitalised_dutch_words_are_not_names(engine, text):
    assert {value for entity, value in found(engine, text) if entity == "PERSON"} == set()


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("groetjes, sanne", "sanne"),
        ("Gesproken met John Smith van jullie klantenservice.", "John Smith"),
        ("Bedankt Pieter van den Berg voor de snelle hulp!", "Pieter van den Berg"),
        ("Ik heb met mevrouw van der Linden gesproken", "mevrouw van der Linden"),
    ],
)
def test_names_end_where_the_dutch_sentence_goes_on(engine, text, name):
    persons = {value for entity, value in found(engine, text) if entity == "PERSON"}
    assert persons == {name}


def test_a_greeting_to_a_group_names_nobody(engine):
    for text in ("Hallo Allemaal, weet iemand hoe dit werkt?", "Hoi Iedereen!", "Hey Jongens"):
        assert {entity for entity, _ in found(engine, text)} & {"PERSON"} == set()


@pytest.mark.parametrize(
    "phone",
    [
        "06-12345678",
        "06 12345678",
        "0612345678",
        "+31 6 12345678",
        "020-1234567",
        "0031 6 1234 5678",
    ],
)
def test_dutch_phone_numbers_are_found(engine, phone):
    text = f"Bel me even terug op {phone}, liefst vandaag."

    assert ("PHONE_NUMBER", phone) in found(engine, text)


def test_dutch_address_parts_are_found(engine):
    text = "Stuur het maar naar 3512 AB Utrecht, ik woon daar sinds kort."

    values = found(engine, text)

    assert ("POSTCODE", "3512 AB") in values
    assert ("LOCATION", "Utrecht") in values


def test_a_lower_case_number_and_word_is_not_a_postcode(engine):
    text = "Ik heb 1234 en nog 2000 gb aan opslag over."

    assert {entity for entity, _ in found(engine, text)} & {"POSTCODE"} == set()


def test_valid_bsn_with_context_is_found(engine):
    text = "Mijn BSN is 111222333, kunnen jullie dat aanpassen?"

    assert ("NL_BSN", "111222333") in found(engine, text)
    dotted = "Burgerservicenummer: 1112.22.333"
    assert ("NL_BSN", "1112.22.333") in found(engine, dotted)


def test_invalid_bsn_is_not_reported(engine):
    text = "Mijn bsn is 123456789, kunnen jullie dat aanpassen?"

    assert all(value != "123456789" for _, value in found(engine, text, score_threshold=0.0))


def test_bsn_eleven_test():
    assert bsn_passes_eleven_test("111222333")
    assert bsn_passes_eleven_test("123456782")
    assert not bsn_passes_eleven_test("123456789")
    assert not bsn_passes_eleven_test("000000000")
    assert not bsn_passes_eleven_test("12345678")


def test_dutch_iban_is_found_and_validated(engine):
    valid = "Graag terugstorten op NL91ABNA0417164300, alvast bedankt."
    invalid = "Graag terugstorten op NL91ABNA0417164301, alvast bedankt."

    assert ("IBAN_CODE", "NL91ABNA0417164300") in found(engine, valid)
    assert all(entity != "IBAN_CODE" for entity, _ in found(engine, invalid))


def test_dutch_email_and_written_date_are_found(engine):
    text = "Mail naar kees.vanderlaan@example.nl, mijn bestelling is van 12 maart 2024."

    values = found(engine, text)

    assert ("EMAIL_ADDRESS", "kees.vanderlaan@example.nl") in values
    assert any(value == "12 maart 2024" for _, value in values)


def test_dutch_comment_redacts_cleanly(engine):
    text = (
        "Hoi! Ik ben Sanne de Jong uit Amersfoort, bel me op 06-12345678 of mail "
        "sanne.dejong@example.nl. Groetjes, Sanne"
    )

    result = engine.redact(text, operators={"DEFAULT": {"type": "pseudonymize"}})

    assert result.language == "nl"
    for value in ("Sanne", "Jong", "Amersfoort", "06-12345678", "sanne.dejong"):
        assert value not in result.text
    assert result.text.startswith("Hoi! Ik ben <PERSON_1> uit <LOCATION_1>, bel me op")


def test_lexicon_is_read_from_faker():
    lexicon = DutchLexicon.from_faker()

    assert {"Sanne", "Daan", "Jan"} <= lexicon.given_names
    assert {"Vries", "Bakker", "Jansen"} <= lexicon.surname_words
    assert {"Amsterdam", "Utrecht", "Zwolle", "België"} <= lexicon.places


@pytest.mark.parametrize(
    ("text", "value", "entity"),
    [
        ("hoi kees, dank voor het meedenken", "kees", "PERSON"),
        ("De monteur Marloes was heel vriendelijk", "Marloes", "PERSON"),
        ("dhr. T. van Leeuwen belde net", "dhr. T. van Leeuwen", "PERSON"),
        ("Groetjes, Lieve De Clercq", "Lieve De Clercq", "PERSON"),
        ("Hier is het: 111222333", "111222333", "NL_BSN"),
        ("track & trace 3SQWRT8812345 zegt bezorgd", "3SQWRT8812345", "ORDER_NUMBER"),
        ("bel me op 0470 12 34 56", "0470 12 34 56", "PHONE_NUMBER"),
        ("mijn gsm: +32 470 12 34 56", "+32 470 12 34 56", "PHONE_NUMBER"),
        ("klantnummer 4455667, graag snel", "4455667", "ACCOUNT_NUMBER"),
    ],
)
def test_dutch_and_flemish_identifiers(engine, text, value, entity):
    assert (entity, value) in found(engine, text)


@pytest.mark.parametrize(
    "text",
    [
        "Lieve HEMA, de tompouce was op",
        "Versie 4.2 van de app crasht",
        "Spoor 7 op het station heeft geen omroep",
        "Bedankt Albert Heijn, op tijd bezorgd",
    ],
)
def test_dutch_brand_and_thing_texts_have_no_findings(engine, text):
    assert found(engine, text) == set()
