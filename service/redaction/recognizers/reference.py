"""Order, booking, ticket and case numbers, and account or customer numbers, after a cue word."""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.redaction.recognizers.base import RuleRecognizer, words_pattern

_ORDER_CUES = (
    "order",
    "orders",
    "order id",
    "ordernummer",
    "bestelling",
    "bestelnummer",
    "booking",
    "boeking",
    "boekingsnummer",
    "reservation",
    "reservering",
    "ticket",
    "case",
    "ref",
    "reference",
    "referentie",
    "kenmerk",
    "confirmation",
    "tracking",
    "track and trace",
    "track en trace",
    "track & trace",
    "track&trace",
    "t&t",
    "trackingnummer",
    "trackingcode",
    "tracking code",
    "zendingnummer",
    "verzendcode",
    "barcode",
    "invoice",
    "factuur",
    "factuurnummer",
    "claim",
    "incident",
    "rma",
    "shipment",
    "parcel",
    "pakket",
    "zending",
    "dossier",
    "dossiernummer",
    "receipt",
    "transaction",
    "pnr",
    "refund",
    "return",
    "retour",
    "retourzending",
    "purchase",
    "aankoop",
)
_ACCOUNT_CUES = (
    "account",
    "acct",
    "acc",
    "customer",
    "customer id",
    "client",
    "member",
    "membership",
    "klant",
    "klantnummer",
    "klantnr",
    "lidnummer",
    "rekening",
    "rekeningnummer",
    "policy",
    "polis",
    "polisnummer",
    "contract",
    "contractnummer",
    "subscriber",
    "subscription",
    "abonnement",
    "abonnementsnummer",
    "loyalty",
    "user id",
    "userid",
    "login",
    "patient",
    "patiëntnummer",
    "student",
    "studentnummer",
    "employee",
    "personeelsnummer",
)
# Words between the cue and the number: "order no. 123", "account number: 42", "case #9".
_FILLER = (
    r"(?:[\s:#.\-]*(?:no|nr|num|number|nummer|id|code|#)\.?)*[\s:#.\-]*"
    r"(?:(?:is|was|for|voor|van)\s+)?"
)
# The identifier: letters, digits and dashes, with at least one digit, 4-30 long.
_IDENTIFIER = r"(?=[A-Za-z\-/]*\d)[A-Za-z0-9][A-Za-z0-9\-/]{3,29}(?<![\-/])"


def _cue_regex(cues: tuple[str, ...]) -> re.Pattern[str]:
    """Compile the cue + filler + identifier pattern for a list of cue words."""
    cue = words_pattern(cues).replace(r"\ ", r"\s+")
    return re.compile(rf"(?i)\b(?:{cue})(?:nummer|nr|no)?{_FILLER}(?P<id>{_IDENTIFIER})(?![\w\-])")


class _CueNumberRecognizer(RuleRecognizer):
    """Find identifiers introduced by one of a set of cue words."""

    pattern: re.Pattern[str]

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield the identifier after each cue word."""
        for match in self.pattern.finditer(text):
            identifier = match.group("id")
            before = text[match.start("id") - 1]
            if before.isalpha() and identifier[0].isalpha():
                continue  # "REFINERY29": the cue was the start of a word, not a cue
            digits = sum(ch.isdigit() for ch in identifier)
            if digits < 3 and len(identifier) < 6:
                continue
            score = 0.7 if digits >= 4 else 0.55
            yield match.start("id"), match.end("id"), score, "after_cue"


# Parcel codes recognisable by their shape alone: PostNL ("3S" + 4 letters + digits),
# UPS ("1Z" + 16), DHL eCommerce ("JVGL"/"JJD" + digits).
_PARCEL_CODE_RE = re.compile(
    r"(?<![\w\-])(?:3S[A-Z]{4}\d{6,10}|1Z[0-9A-Z]{16}|JVGL\d{10,20}|JJD\d{10,20})(?![\w\-])"
)
# "#558210": a hash and five or more digits is how customers quote an order.
_HASH_NUMBER_RE = re.compile(r"(?<![\w&#/])#\d{5,12}(?![\w\-])")


class OrderNumberRecognizer(_CueNumberRecognizer):
    """Find order, booking, ticket, case, reference, invoice and tracking numbers.

    After their cue word, and parcel tracking codes of known carriers by their shape.
    """

    entity_type = "ORDER_NUMBER"
    pattern = _cue_regex(_ORDER_CUES)
    prefilter_words = (
        *("order", "bestel", "boek", "booking", "reserv", "ticket", "case", "ref", "kenmerk"),
        *("confirm", "track", "invoice", "factuur", "claim", "incident", "rma", "ship"),
        *("parcel", "pakket", "zending", "dossier", "receipt", "transaction", "pnr", "t&t"),
        *("barcode", "verzend", "3s", "1z", "jvgl", "jjd", "refund", "return", "retour"),
        *("purchase", "aankoop", "#"),
    )

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield cued identifiers and carrier tracking codes."""
        yield from super().find(text)
        for match in _PARCEL_CODE_RE.finditer(text):
            yield match.start(), match.end(), 0.6, "parcel_code"
        for match in _HASH_NUMBER_RE.finditer(text):
            yield match.start() + 1, match.end(), 0.5, "hash_number"


class AccountNumberRecognizer(_CueNumberRecognizer):
    """Find account, customer, member, policy and contract numbers after their cue word."""

    entity_type = "ACCOUNT_NUMBER"
    pattern = _cue_regex(_ACCOUNT_CUES)
    prefilter_words = (
        *("acc", "customer", "client", "member", "klant", "lid", "rekening", "polic", "polis"),
        *("contract", "subscri", "abonnement", "loyalty", "user", "login", "patient"),
        *("patiënt", "student", "employee", "personeel"),
    )


_CARD_RE = re.compile(
    r"(?i)\b(?:credit\s*card|debit\s*card|bank\s*card|card|cc|kaart|bankpas|pinpas)"
    r"(?:[\s:#.]*(?:no|nr|num|number|nummer|#)\.?)*[\s:#.]*(?:(?:number\s+)?is\s+)?"
    r"(?P<id>\d(?:[ \-]?\d){11,18})(?![\w\-])"
)


class CardNumberRecognizer(RuleRecognizer):
    """Find 12-19 digit payment card numbers right after a card cue, checksum or not.

    Presidio's credit-card recognizer requires a valid Luhn checksum; a number a
    person calls their card is personal data whether or not its checksum holds.
    """

    entity_type = "CREDIT_CARD"
    prefilter_words = ("card", "cc", "kaart", "pas")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each card-number-length digit run that follows a card cue."""
        for match in _CARD_RE.finditer(text):
            yield match.start("id"), match.end("id"), 0.6, "after_card_cue"


_IBAN_RE = re.compile(r"(?i)\b[a-z]{2}\d{2}(?:[ ]?[a-z0-9]{4}){2,7}(?:[ ]?[a-z0-9]{1,3})?\b")


def iban_checksum_ok(iban: str) -> bool:
    """Tell whether an IBAN (any case, spaces allowed) passes the ISO 13616 mod-97 check."""
    compact = iban.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34 or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    digits = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(digits) % 97 == 1


class LowercaseIbanRecognizer(RuleRecognizer):
    """Find IBANs typed in lower or mixed case ("nl91abna0417164300"), checksum-validated.

    Presidio's IBAN recognizer only matches upper-case letters; people on social
    media often type everything in lower case.
    """

    entity_type = "IBAN_CODE"
    prefilter = re.compile(r"[a-z]{2}\d{2}[a-z]")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each IBAN-shaped run with a lower-case letter and a valid checksum."""
        for match in _IBAN_RE.finditer(text):
            value = match.group()
            if value != value.upper() and iban_checksum_ok(value):
                yield match.start(), match.end(), 0.9, "iban_any_case"
