"""Phone numbers in international and local shapes, and dates of birth next to a cue."""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.redaction.recognizers.base import RuleRecognizer

# A run of digits with the separators phone numbers are written with. The
# look-arounds keep it out of longer identifiers (hex ids, UUIDs, versions, URLs).
_PHONE_CANDIDATE_RE = re.compile(
    r"(?<![\w+\-./:#=&%$€£])"
    r"(?:(?:\+|00)\s?\d{1,3}(?:\s?\(0\))?[\s.\-/]?)?"
    r"(?:\(\d{1,5}\)[\s.\-]?)?"
    r"\d(?:[ \t.\-/]?\d|[ \t]?[\-.][ \t]?\d){5,16}"
    r"(?:\s?(?:x|ext\.?|extension)\s?\d{1,5})?"
    r"(?![\w/]|-\d|[.,]\d)"
)
_PHONE_CUE_RE = re.compile(
    r"(?i)\b(?:phone|ph|tel|telephone|call|calling|text|txt|sms|mobile|mob|cell|cellphone|fax|"
    r"office|home|work|whatsapp|signal|contact|number|nr|no|bel|bellen|telefoon|telefoonnummer|"
    r"mobiel|nummer|gsm|answering|answer|reach|reached|messages?|registered|dial|ring|desk)\b"
)
_DATE_SHAPE_RE = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"
)
_SSN_SHAPE_RE = re.compile(r"\d{3}-\d{2}-\d{4}")
_IP_SHAPE_RE = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_CARD_SHAPE_RE = re.compile(r"\d{4}(?:[ \-]?\d{4}){3}")


class PhoneNumberRecognizer(RuleRecognizer):
    """Find phone numbers: +31/0031 international, NL 06, UK 07, US (555) 123-4567, and more.

    Shapes with a country prefix or 10+ digits in phone-like groups are taken on
    their own; shorter or unseparated numbers need a cue word (phone, call, tel,
    mobile, fax, bel, ...) within a few words.
    """

    entity_type = "PHONE_NUMBER"
    prefilter = re.compile(r"\d\D?\d\D?\d")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each phone-number-shaped digit run that passes the shape checks."""
        for match in _PHONE_CANDIDATE_RE.finditer(text):
            start, end = match.span()
            candidate = match.group()
            digits = sum(ch.isdigit() for ch in candidate)
            if not 7 <= digits <= 15:
                continue
            if (
                _DATE_SHAPE_RE.fullmatch(candidate)
                or _SSN_SHAPE_RE.fullmatch(candidate)
                or _IP_SHAPE_RE.fullmatch(candidate)
                or _CARD_SHAPE_RE.fullmatch(candidate)
            ):
                continue
            if "\n" in candidate:
                continue
            international = candidate.startswith(("+", "00"))
            separated = bool(re.search(r"[\s.\-/()]", candidate))
            cue = _has_cue(text, start, end)
            if international and digits >= 9:
                score = 0.75
            elif candidate.startswith("0") and 10 <= digits <= 11:
                score = 0.65  # national trunk prefix: NL 06..., UK 07..., 020...
            elif separated and 10 <= digits <= 13:
                score = 0.6
            elif separated and digits >= 7 and cue or digits >= 9 and cue:
                score = 0.5
            else:
                continue
            if cue:
                score = min(score + 0.15, 0.95)
            yield start, end, score, "phone_shape"


def _has_cue(text: str, start: int, end: int) -> bool:
    """Tell whether a phone cue word occurs shortly before or after the span."""
    before = text[max(0, start - 30) : start]
    after = text[end : end + 15]
    return bool(_PHONE_CUE_RE.search(before) or _PHONE_CUE_RE.search(after))


_MONTHS = (
    "jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec|january|february|march|april|june|"
    "july|august|september|october|november|december|januari|februari|maart|mei|juni|juli|"
    "augustus|oktober|mrt|okt"
)
_DATE = (
    r"(?:\d{1,2}[./\-]\d{1,2}[./\-](?:\d{4}|\d{2})"
    r"|\d{4}[./\-]\d{1,2}[./\-]\d{1,2}"
    rf"|\d{{1,2}}(?:st|nd|rd|th|e)?\s+(?:of\s+)?(?:{_MONTHS})\.?,?\s+\d{{4}}"
    rf"|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}"
    r"|(?:19|20)\d{2})"
)
_DOB_RE = re.compile(
    r"(?i)\b(?:born(?:\s+(?:on|in))?|d\.?o\.?b\.?|date\s+of\s+birth|birth\s*date|birthday(?:\s+is)?"
    r"|geboren(?:\s+(?:op|in))?|geboortedatum|geb\.)"
    rf"[\s:\-]*(?:is\s+|was\s+|on\s+)?({_DATE})\b"
)


class DateOfBirthRecognizer(RuleRecognizer):
    """Find dates (or birth years) that follow born / DOB / date of birth / geboren."""

    entity_type = "DATE_OF_BIRTH"
    prefilter = re.compile(r"(?i)born|d\.?o\.?b|birth|geboren|geb\.")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each date introduced by a birth cue."""
        for match in _DOB_RE.finditer(text):
            date = match.group(1)
            score = 0.6 if len(date) == 4 else 0.85
            yield match.start(1), match.end(1), score, "birth_cue"
