"""Tests of the social-media recognizers: what each finds in a text, and what it leaves alone."""

from __future__ import annotations

import pytest
import tldextract.suffix_list

from service.redaction.recognizers import build_recognizers
from service.redaction.recognizers.address import PostcodeRecognizer, StreetAddressRecognizer
from service.redaction.recognizers.contact import DateOfBirthRecognizer, PhoneNumberRecognizer
from service.redaction.recognizers.names import PersonNameRecognizer
from service.redaction.recognizers.reference import (
    AccountNumberRecognizer,
    CardNumberRecognizer,
    LowercaseIbanRecognizer,
    OrderNumberRecognizer,
)
from service.redaction.recognizers.social import ProfileUrlRecognizer, SocialHandleRecognizer
from service.redaction.recognizers.web import OfflineEmailRecognizer, WebUrlRecognizer


def found(recognizer, text: str) -> list[str]:
    """Return the texts of the recognizer's findings, in order."""
    results = recognizer.analyze(text, entities=None, nlp_artifacts=None)
    return [text[r.start : r.end] for r in sorted(results, key=lambda r: r.start)]


@pytest.fixture(scope="module")
def names() -> PersonNameRecognizer:
    return PersonNameRecognizer()


# -- build_recognizers ------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "nl"])
def test_build_recognizers_covers_the_agreed_types_for_each_language(language):
    recognizers = build_recognizers(language)
    entities = {e for r in recognizers for e in r.supported_entities}
    assert {
        "SOCIAL_HANDLE",
        "PROFILE_URL",
        "STREET_ADDRESS",
        "POSTCODE",
        "ORDER_NUMBER",
        "ACCOUNT_NUMBER",
        "PHONE_NUMBER",
        "DATE_OF_BIRTH",
        "PERSON",
        "EMAIL_ADDRESS",
        "CREDIT_CARD",
        "IBAN_CODE",
        "IP_ADDRESS",
        "US_SSN",
        "URL",
    } <= entities
    assert {r.supported_language for r in recognizers} == {language}


def test_email_validation_never_fetches_the_suffix_list(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("tldextract tried to fetch the public suffix list")

    monkeypatch.setattr(tldextract.suffix_list, "find_first_response", no_network)
    email = OfflineEmailRecognizer()
    assert found(email, "mail jan.smit@voorbeeld.nl today") == ["jan.smit@voorbeeld.nl"]
    assert found(WebUrlRecognizer(), "see www.example.org/page") == ["www.example.org/page"]


# -- handles and profile links ------------------------------------------------------------


def test_handles_of_x_and_instagram_are_found():
    text = "thanks @jan_dev and @sarah.styles.official, cc @X"
    assert found(SocialHandleRecognizer(), text) == [
        "@jan_dev",
        "@sarah.styles.official",
        "@X",
    ]


def test_handle_does_not_take_email_addresses_or_a_trailing_full_stop():
    text = "mail jan@example.com or ask @piet."
    assert found(SocialHandleRecognizer(), text) == ["@piet"]


def test_profile_urls_are_found_but_site_pages_are_not():
    text = (
        "see https://twitter.com/jan_dev/status/1, instagram.com/sarah.s and "
        "https://www.tiktok.com/@piet but not https://twitter.com/search?q=x"
    )
    assert found(ProfileUrlRecognizer(), text) == [
        "https://twitter.com/jan_dev/status/1",
        "instagram.com/sarah.s",
        "https://www.tiktok.com/@piet",
    ]


def test_web_urls_skip_link_shorteners_and_email_domains():
    text = "read http://t.co/Xb12Kq9 and https://janblog.nl/over-mij, mail jan@blog.nl"
    assert found(WebUrlRecognizer(), text) == ["https://janblog.nl/over-mij"]


def test_links_to_an_opaque_code_are_left_but_links_with_words_are_found():
    text = (
        "pics http://snapr.example.com/7hQx2p, http://pix.example.org/p/88412031, "
        "https://vids.example.com/watch?v=Qm3-xZ81kP and http://fb.me/Kq8tRzVw but "
        "http://shop.example.com/MarthaKlein and http://blog.example.nl/jan-de-vries"
    )
    assert found(WebUrlRecognizer(), text) == [
        "http://shop.example.com/MarthaKlein",
        "http://blog.example.nl/jan-de-vries",
    ]


def test_a_missing_space_after_a_full_stop_is_no_web_address():
    text = "it was lovely.It rained later, see lovely.it or Lovely.com"
    assert found(WebUrlRecognizer(), text) == ["lovely.it", "Lovely.com"]


def test_facebook_short_links_to_a_post_are_no_profile():
    text = "page fb.me/bakkerijdekroon, post http://fb.me/Kq8tRzVw"
    assert found(ProfileUrlRecognizer(), text) == ["fb.me/bakkerijdekroon"]


# -- addresses and postcodes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("ship it to 12 Baker Street, London SW1A 1AA. Thanks", "12 Baker Street, London SW1A 1AA"),
        (
            "I live at 4521 Oak Ave Apt 4B, Denver, CO 80202-1234",
            "4521 Oak Ave Apt 4B, Denver, CO 80202-1234",
        ),
        ("mijn adres: Hoofdstraat 12, 1234 AB Amsterdam", "Hoofdstraat 12, 1234 AB Amsterdam"),
        ("woont op Kerkstraat 5a in Utrecht", "Kerkstraat 5a"),
        (
            "Rue des Lilas 4\n Suite 12\n Ostkamp\n Belgium",
            "Rue des Lilas 4\n Suite 12\n Ostkamp\n Belgium",
        ),
        ("meet at Calle Mayor 5, Madrid", "Calle Mayor 5, Madrid"),
        (
            "Norrby 14\n Apt. 31\n LILLMOSSA\n Sweden 35345",
            "Norrby 14\n Apt. 31\n LILLMOSSA\n Sweden 35345",
        ),
        ("send to PSC 1021, Box 4410\nAPO AE 09123 please", "PSC 1021, Box 4410\nAPO AE 09123"),
        ("my address is 123 main st apt 2", "123 main st apt 2"),
        ("the hostel is at 4410 Korvenkatu 9 St. near the port", "4410 Korvenkatu 9 St."),
        ("drop it at 12 rue tavernier St. please", "12 rue tavernier St."),
        (
            "3305 Kastanjelaan 7\nHarderwijk\n Netherlands 38441",
            "3305 Kastanjelaan 7\nHarderwijk\n Netherlands 38441",
        ),
        ("912 Ojala tie 14\n Apt. 2\n Oulu", "912 Ojala tie 14\n Apt. 2\n Oulu"),
        ("the studio is on Marten Kloosweg 41", "Marten Kloosweg 41"),
        ("the shop is on Rosendal Hage 212", "Rosendal Hage 212"),
        (
            "we are at the corner of 18 Lindell Road and Pemberton Avenue today",
            "the corner of 18 Lindell Road and Pemberton Avenue",
        ),
        (
            "Hotel Adria, Lindenweg 3, Neustadt an Weinstrasse 67433",
            "Lindenweg 3, Neustadt an Weinstrasse 67433",
        ),
        ("office: 17 Grove Road, Springfield il 62704", "17 Grove Road, Springfield il 62704"),
    ],
)
def test_street_addresses_are_found_with_unit_and_place_lines(text, address):
    assert found(StreetAddressRecognizer(), text) == [address]


@pytest.mark.parametrize(
    "text",
    [
        "My party is on the weekend. I'll be 31.",
        "I bring 2 bottles to Gate 5",
        "we have 3 kids and a dog on the way",
        "scored 2 goals in the 90th minute",
        "the match is at 8 tonight",
        "my slot is on 12 May",
        "we met on the corner of the room and the hall",
        "return to page 5 and read it again",
        "sold 25 mill copies and the 3 run streak",
    ],
)
def test_sentences_with_numbers_are_not_addresses(text):
    assert found(StreetAddressRecognizer(), text) == []


def test_postcodes_of_us_uk_and_nl_are_found():
    text = "ZIP 90210-1234, London SW1A 1AA, 1234 AB Amsterdam, Denver CO 80202"
    assert found(PostcodeRecognizer(), text) == ["90210-1234", "SW1A 1AA", "1234 AB", "80202"]


def test_years_and_eras_are_not_postcodes():
    assert found(PostcodeRecognizer(), "in 2019 and 1000 BC at 1100 AD the 2000 PM") == []


# -- order, account and card numbers ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("where is order 12345?", "12345"),
        ("order #A123-456 is late", "A123-456"),
        ("ticket: INC0012345", "INC0012345"),
        ("booking ref ABC123", "ABC123"),
        ("mijn bestelling 998877 is niet aangekomen", "998877"),
        ("ordernummer: 2024-55512", "2024-55512"),
    ],
)
def test_order_style_numbers_after_a_cue_are_found(text, number):
    assert found(OrderNumberRecognizer(), text) == [number]


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("my account number is 00123456", "00123456"),
        ("customer no. 77-1234", "77-1234"),
        ("klantnummer 4455667", "4455667"),
    ],
)
def test_account_style_numbers_after_a_cue_are_found(text, number):
    assert found(AccountNumberRecognizer(), text) == [number]


@pytest.mark.parametrize(
    "text", ["I want to order 3 pizzas", "in case 2 people come", "my account was hacked"]
)
def test_cue_words_without_an_identifier_find_nothing(text):
    assert found(OrderNumberRecognizer(), text) == []
    assert found(AccountNumberRecognizer(), text) == []


def test_card_numbers_after_a_card_cue_are_found_without_checksum():
    text = "block card no 4000123412341234567 please; I have 3 cards"
    assert found(CardNumberRecognizer(), text) == ["4000123412341234567"]


# -- phone numbers and dates of birth ------------------------------------------------------


@pytest.mark.parametrize(
    "phone",
    [
        "+31 6 12345678",
        "06-12345678",
        "0612345678",
        "07700 900123",
        "+44 7700 900123",
        "(555) 123-4567",
        "555-123-4567",
        "+1-415-555-0142x21",
        "020 7946 0018",
    ],
)
def test_phone_numbers_in_local_and_international_shapes(phone):
    assert found(PhoneNumberRecognizer(), f"reach me at {phone} tomorrow") == [phone]


def test_short_numbers_need_a_phone_cue():
    assert found(PhoneNumberRecognizer(), "call me on 555 0199") == ["555 0199"]
    assert found(PhoneNumberRecognizer(), "we sold 555 0199 units") == []


@pytest.mark.parametrize(
    "text",
    [
        "uuid 550e8400-e29b-41d4-a716-446655440000",
        "on 12/03/2024 at 10:30",
        "ssn 123-45-6789",
        "server 192.168.100.200",
        "version 1.2.3456789",
    ],
)
def test_ids_dates_and_addresses_are_not_phone_numbers(text):
    assert found(PhoneNumberRecognizer(), text) == []


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("born on 12/03/1990 in Leeds", "12/03/1990"),
        ("DOB: 1990-03-12", "1990-03-12"),
        ("date of birth 3rd March 1985", "3rd March 1985"),
        ("geboren op 5 mei 1978", "5 mei 1978"),
        ("I was born in 1992", "1992"),
    ],
)
def test_dates_of_birth_after_a_cue(text, date):
    assert found(DateOfBirthRecognizer(), text) == [date]


def test_dates_without_a_birth_cue_are_not_dates_of_birth():
    assert found(DateOfBirthRecognizer(), "the meeting is on 12/03/1990") == []


# -- names -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("hi sarah, how are you", "sarah"),
        ("thanks john!", "john"),
        ("dear MR SMITH, your parcel", "SMITH"),
        ("My name is Zorabel", "Zorabel"),
        ("RT : club to honour Marta Lindqvist 's career", "Marta Lindqvist"),
        ("Have you seen the Tomasz K Brandt exhibition?", "Tomasz K Brandt"),
        ("follow up with henrietta blomqvist next month", "henrietta blomqvist"),
        ("SPOKE TO EMMA WATSON TODAY", "EMMA WATSON"),
    ],
)
def test_names_in_any_casing_and_after_greetings(names, text, name):
    assert name in found(names, text)


@pytest.mark.parametrize(
    "text",
    [
        "Will you be there? May be.",
        "hey guys, thanks for coming",
        "What's up with the Gardening Monthly list",
        "I'm tired of it",
        "mail jan@example.com or @sarah",
    ],
)
def test_common_words_handles_and_emails_are_not_names(names, text):
    assert found(names, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hi Jan de Vries, your parcel is here", "Jan de Vries"),
        ("thanks jan van der laan for the help", "jan van der laan"),
        ("I spoke to Pieter van den Berg yesterday", "Pieter van den Berg"),
        ("Dear Mr Jansen van de klantenservice", "Jansen"),
    ],
)
def test_name_particles_join_a_family_name_but_never_end_a_name(names, text, name):
    assert name in found(names, text)
    assert all(not value.endswith((" van", " de", " van de")) for value in found(names, text))


@pytest.fixture(scope="module")
def dutch_names() -> PersonNameRecognizer:
    return PersonNameRecognizer(supported_language="nl")


@pytest.mark.parametrize(
    "text",
    [
        "Super Snel Geleverd, Dank Jullie Wel! Aanrader.",
        "Mijn Pakket Is Nog Steeds Niet Aangekomen, Wat Een Slechte Service",
        "Vandaag Besteld, Morgen In Huis. Helemaal Top!",
        "Ben je morgen thuis? Lieve mensen, de bezorger kwam niet.",
        "Hallo Allemaal, weet iemand hoe dit werkt?",
    ],
)
def test_capitalised_dutch_words_are_not_names_on_dutch_text(dutch_names, text):
    assert found(dutch_names, text) == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Hoi! Ik ben Sanne de Jong uit Amersfoort", "Sanne de Jong"),
        ("groetjes, sanne", "sanne"),
        ("hoi ik ben sanne de jong en mijn pakket is zoek", "sanne de jong"),
        ("Gebeld met John Smith van jullie klantenservice", "John Smith"),
    ],
)
def test_names_on_dutch_text_stop_at_dutch_words(dutch_names, text, name):
    assert name in found(dutch_names, text)


def test_lower_case_ibans_with_a_valid_checksum_are_found():
    text = "my iban is nl91abna0417164300, not nl91abna0417164301"
    assert found(LowercaseIbanRecognizer(), text) == ["nl91abna0417164300"]


@pytest.mark.parametrize(
    ("text", "entity_type", "value"),
    [
        ("card 4111 1111 1111 1111 ok", "CREDIT_CARD", "4111 1111 1111 1111"),
        ("iban NL91ABNA0417164300 ok", "IBAN_CODE", "NL91ABNA0417164300"),
        ("from 192.168.1.20 today", "IP_ADDRESS", "192.168.1.20"),
        ("ssn 536-80-4398 today", "US_SSN", "536-80-4398"),
    ],
)
def test_gated_presidio_recognizers_still_find_their_entities(text, entity_type, value):
    recognizers = [r for r in build_recognizers("en") if entity_type in r.supported_entities]
    values = {v for r in recognizers for v in found(r, text)}
    assert value in values


def test_gated_presidio_recognizers_skip_texts_without_digits():
    text = "no numbers here at all"
    assert all(found(r, text) == [] for r in build_recognizers("en"))


def test_a_cue_word_at_the_start_of_a_longer_word_is_no_cue():
    assert found(OrderNumberRecognizer(), "new drop from CASEYSTUDIO42 and REFILL99 today") == []
    assert found(OrderNumberRecognizer(), "my order ref: AB12345 please") == ["AB12345"]


def test_eras_are_not_dutch_postcodes_but_postcodes_before_a_place_are():
    from service.redaction.dutch import NlPostcodeRecognizer

    assert found(NlPostcodeRecognizer(), "built in 1350 AD and rebuilt 1502 AD") == []
    assert found(NlPostcodeRecognizer(), "stuur het naar 2611 AD Delft") == ["2611 AD"]
