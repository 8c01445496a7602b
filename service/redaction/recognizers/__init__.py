"""Rule-based recognizers for social-media text; ``build_recognizers`` lists them per language.

Entity types added on top of Presidio's predefined ones:

- SOCIAL_HANDLE: @handles (X/Twitter, Instagram, TikTok).
- PROFILE_URL: links to a person's profile on a social platform.
- URL: other web addresses (link-shortener links are left readable).
- STREET_ADDRESS: street line with unit and city/region/country/postcode lines.
- POSTCODE: US ZIP+4, UK and Dutch postcodes, or any postcode after "zip"/"postcode".
- ORDER_NUMBER: order, booking, reservation, ticket, case, reference, invoice and
  tracking numbers after their cue word.
- ACCOUNT_NUMBER: account, customer, member, policy and contract numbers after their cue.
- PHONE_NUMBER: international and local phone shapes.
- DATE_OF_BIRTH: a date or birth year after born / DOB / date of birth / geboren.
- CREDIT_CARD (extra): 12-19 digits right after "card"/"cc", without checksum check.
- IBAN_CODE (extra): IBANs typed in lower case, mod-97 validated.
- PERSON: names in any casing, after greetings and titles, backed by name lists.
"""

from __future__ import annotations

from presidio_analyzer import EntityRecognizer

from service.redaction.recognizers.address import PostcodeRecognizer, StreetAddressRecognizer
from service.redaction.recognizers.contact import DateOfBirthRecognizer, PhoneNumberRecognizer
from service.redaction.recognizers.names import PersonNameRecognizer
from service.redaction.recognizers.predefined import (
    GatedCreditCardRecognizer,
    GatedIbanRecognizer,
    GatedIpRecognizer,
    GatedUsLicenseRecognizer,
    GatedUsSsnRecognizer,
)
from service.redaction.recognizers.reference import (
    AccountNumberRecognizer,
    CardNumberRecognizer,
    LowercaseIbanRecognizer,
    OrderNumberRecognizer,
)
from service.redaction.recognizers.social import ProfileUrlRecognizer, SocialHandleRecognizer
from service.redaction.recognizers.web import OfflineEmailRecognizer, WebUrlRecognizer

__all__ = ["build_recognizers"]


def build_recognizers(language: str) -> list[EntityRecognizer]:
    """Return every pattern/rule recognizer the engine registers for the language ("en", "nl")."""
    recognizers: list[EntityRecognizer] = [
        OfflineEmailRecognizer(supported_language=language),
        GatedCreditCardRecognizer(supported_language=language),
        CardNumberRecognizer(supported_language=language),
        GatedIbanRecognizer(supported_language=language),
        LowercaseIbanRecognizer(supported_language=language),
        GatedIpRecognizer(supported_language=language),
        GatedUsSsnRecognizer(supported_language=language),
        SocialHandleRecognizer(supported_language=language),
        ProfileUrlRecognizer(supported_language=language),
        WebUrlRecognizer(supported_language=language),
        StreetAddressRecognizer(supported_language=language),
        PostcodeRecognizer(supported_language=language),
        PhoneNumberRecognizer(supported_language=language),
        DateOfBirthRecognizer(supported_language=language),
        OrderNumberRecognizer(supported_language=language),
        AccountNumberRecognizer(supported_language=language),
        PersonNameRecognizer(supported_language=language),
    ]
    if language == "en":
        # US driver licences only make sense for English text; the pattern is noisy
        # (it matches many short letter+digit codes) so it relies on its context words.
        recognizers.append(GatedUsLicenseRecognizer(supported_language=language))
    return recognizers
