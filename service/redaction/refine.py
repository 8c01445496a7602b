"""Post-analysis clean-up: drop known false positives and resolve overlapping findings."""

from __future__ import annotations

import re
from collections.abc import Iterable

from presidio_analyzer import RecognizerResult

# Entity types produced by the statistical NER model; these are the ones that
# misfire on e-mail addresses, handles and numbers.
NER_TYPES = frozenset({"ORGANIZATION", "LOCATION", "NRP", "DATE_TIME", "PERSON", "GPE", "ORG"})
# Types whose span is a single technical token (address, handle, link).
WEB_TYPES = frozenset({"EMAIL_ADDRESS", "SOCIAL_HANDLE", "PROFILE_URL", "URL"})
NUMBER_TYPES = frozenset(
    {
        "PHONE_NUMBER",
        "ORDER_NUMBER",
        "ACCOUNT_NUMBER",
        "CREDIT_CARD",
        "IBAN_CODE",
        "US_SSN",
        "US_DRIVER_LICENSE",
        "IP_ADDRESS",
        "POSTCODE",
        "DATE_OF_BIRTH",
    }
)
# When findings overlap, the more specific type keeps the shared characters.
PRIORITY = {
    "EMAIL_ADDRESS": 100,
    "PROFILE_URL": 95,
    "CREDIT_CARD": 90,
    "IBAN_CODE": 90,
    "US_SSN": 88,
    "IP_ADDRESS": 85,
    "URL": 80,
    "SOCIAL_HANDLE": 78,
    "PHONE_NUMBER": 75,
    "DATE_OF_BIRTH": 72,
    "ORDER_NUMBER": 70,
    "ACCOUNT_NUMBER": 70,
    "STREET_ADDRESS": 65,
    "POSTCODE": 55,
    "PERSON": 50,
    "US_DRIVER_LICENSE": 45,
    "LOCATION": 40,
    "ORGANIZATION": 35,
    "NRP": 30,
    "DATE_TIME": 20,
}
DEFAULT_PRIORITY = 60

_EMAIL_RE = re.compile(r"[\w.!#$%&'*+/=?^`{|}~\-]+@[\w\-]+(?:\.[\w\-]+)+")
_NAME_PIECE_RE = re.compile(r"[^\s|▸»:;,/]+")
_LINK_RE = re.compile(r"(?:https?://|www\.)\S+", re.I)
_HEX_ID_RE = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?=[0-9a-fA-F\-]*[a-fA-F])[0-9a-fA-F][0-9a-fA-F\-]{14,}[0-9a-fA-F]"
)
_HEX_CHARS = frozenset("0123456789abcdefABCDEF-")
_WORD_RE = re.compile(r"\w")
# Month names and abbreviations start with one of these, in English and in Dutch
# ("maart", "mrt", "mei", "okt"; the other Dutch months share the English stems).
_MONTH_STEMS = "jan|feb|mar|maa|apr|may|mei|jun|jul|aug|sep|oct|okt|nov|dec|mrt"
# A DATE_TIME span is kept only when it names a calendar day (which can narrow down a
# person, e.g. a birth or visit date); years, months, weekdays, times of day and
# relative dates ("tonight", "last week") name nobody.
_DAY_DATE_RE = re.compile(
    r"\d{1,4}[./\-]\d{1,2}(?:[./\-]\d{1,4})?|"
    rf"(?i:\b(?:{_MONTH_STEMS})[a-z]*\.?\s+\d{{1,2}}\b|"
    rf"\b\d{{1,2}}(?:st|nd|rd|th|e)?\s+(?:of\s+)?(?:{_MONTH_STEMS}))"
)
# Twitter conventions the NER model takes for names or organisations.
TWITTER_MARKERS = frozenset({"RT", "MT", "HT", "FF", "ICYMI", "via", "Via", "DM", "DMs"})


def refine_findings(
    text: str, results: list[RecognizerResult], language: str
) -> list[RecognizerResult]:
    """Return the findings without known false positives and without overlaps."""
    del language  # the rules are script-level, not language-specific
    findings = [r for r in results if 0 <= r.start < r.end <= len(text)]
    findings = _drop_false_positives(text, findings)
    findings = _with_titles(text, findings)
    findings = _merge_same_type(findings)
    return _resolve_overlaps(text, findings)


def _drop_false_positives(text: str, findings: list[RecognizerResult]) -> list[RecognizerResult]:
    """Drop URL parts of e-mails, NER hits on web tokens, number-like dates and hex-id phones."""
    emails = [m.span() for m in _EMAIL_RE.finditer(text)] if "@" in text else []
    emails += [(r.start, r.end) for r in findings if r.entity_type == "EMAIL_ADDRESS"]
    web = emails + [(r.start, r.end) for r in findings if r.entity_type in WEB_TYPES]
    if "://" in text or "www." in text:
        # Links left unredacted (shorteners) still must not come back as names or places.
        web += [m.span() for m in _LINK_RE.finditer(text)]
    numbers = [(r.start, r.end) for r in findings if r.entity_type in NUMBER_TYPES]
    kept = []
    for finding in findings:
        kind = finding.entity_type
        span = (finding.start, finding.end)
        if kind in ("URL", "DOMAIN_NAME") and _overlaps_any(span, emails):
            continue
        if kind in NER_TYPES and _overlaps_any(span, web):
            # Keep only the words the model saw outside the e-mail, handle or link.
            kept += [
                _copy(finding, start, end)
                for start, end in _outside(text, span, web)
                if kind == "PERSON"
            ]
            continue
        if kind in NER_TYPES:
            span = _without_markers(text, *span)
            if span is None:
                continue
            if span != (finding.start, finding.end):
                finding = _copy(finding, *span)
        if kind == "DATE_TIME" and (
            _overlaps_any(span, numbers) or not _DAY_DATE_RE.search(text[span[0] : span[1]])
        ):
            continue
        if kind in NUMBER_TYPES | {"DATE_TIME"} and _inside_hex_id(text, *span):
            continue
        kept.append(finding)
    return kept


# A title right before a name is redacted with it: "Dr <PERSON>" would still point at one
# of few people, and a title tells the gender.
_TITLE_BEFORE_RE = re.compile(
    r"(?i)(?<![\w.])(?:mr|mrs|ms|mx|miss|dr|prof|sir|dame|lady|lord|dhr|mevr|mw|meneer"
    r"|mevrouw|drs|ing|ir)\.?[ \t]+$"
)


def _with_titles(text: str, findings: list[RecognizerResult]) -> list[RecognizerResult]:
    """Return the findings with PERSON spans widened over a title just before them."""
    widened = []
    for finding in findings:
        if finding.entity_type == "PERSON" and finding.start:
            title = _TITLE_BEFORE_RE.search(text, max(0, finding.start - 12), finding.start)
            if title:
                finding = _copy(finding, title.start(), finding.end)
        widened.append(finding)
    return widened


def _without_markers(text: str, start: int, end: int) -> tuple[int, int] | None:
    """Return the span without leading/trailing Twitter markers (RT, via) or separators."""
    words = list(_NAME_PIECE_RE.finditer(text, start, end))
    while words and words[0].group() in TWITTER_MARKERS:
        words.pop(0)
    while words and words[-1].group() in TWITTER_MARKERS:
        words.pop()
    if not words:
        return None
    return words[0].start(), words[-1].end()


def _overlaps_any(span: tuple[int, int], others: Iterable[tuple[int, int]]) -> bool:
    """Tell whether the span shares a character with any of the others."""
    return any(s < span[1] and span[0] < e for s, e in others)


def _outside(
    text: str, span: tuple[int, int], others: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Return the parts of the span outside the other spans that hold a word of 2+ letters."""
    pieces = [span]
    for o_start, o_end in others:
        next_pieces = []
        for start, end in pieces:
            if o_end <= start or end <= o_start:
                next_pieces.append((start, end))
                continue
            if start < o_start:
                next_pieces.append((start, o_start))
            if o_end < end:
                next_pieces.append((o_end, end))
        pieces = next_pieces
    kept = []
    for start, end in pieces:
        start, end = _strip(text, start, end)
        if re.search(r"\w{2}", text[start:end]):
            kept.append((start, end))
    return kept


def _inside_hex_id(text: str, start: int, end: int) -> bool:
    """Tell whether the span is part of a UUID or long hexadecimal identifier."""
    left, right = start, end
    while left > 0 and text[left - 1] in _HEX_CHARS:
        left -= 1
    while right < len(text) and text[right] in _HEX_CHARS:
        right += 1
    if (left, right) == (start, end) and not any(c in "abcdefABCDEF" for c in text[start:end]):
        return False
    return bool(_HEX_ID_RE.fullmatch(text[left:right]))


def _copy(
    finding: RecognizerResult, start: int, end: int, score: float | None = None
) -> RecognizerResult:
    """Return a copy of a finding with new offsets (and optionally a new score)."""
    return RecognizerResult(
        entity_type=finding.entity_type,
        start=start,
        end=end,
        score=finding.score if score is None else score,
        analysis_explanation=finding.analysis_explanation,
        recognition_metadata=finding.recognition_metadata,
    )


def _merge_same_type(findings: list[RecognizerResult]) -> list[RecognizerResult]:
    """Merge overlapping findings of the same type into one with the best score."""
    by_type: dict[str, list[RecognizerResult]] = {}
    for finding in findings:
        by_type.setdefault(finding.entity_type, []).append(finding)
    merged: list[RecognizerResult] = []
    for group in by_type.values():
        group.sort(key=lambda r: (r.start, -r.end))
        current = group[0]
        for finding in group[1:]:
            if finding.start < current.end:
                if finding.end > current.end or finding.score > current.score:
                    best = current if current.score >= finding.score else finding
                    current = _copy(
                        best,
                        current.start,
                        max(current.end, finding.end),
                        max(current.score, finding.score),
                    )
            else:
                merged.append(current)
                current = finding
        merged.append(current)
    return merged


def _resolve_overlaps(text: str, findings: list[RecognizerResult]) -> list[RecognizerResult]:
    """Give shared characters to the more specific finding; keep the rest of the other."""
    order = sorted(
        findings,
        key=lambda r: (-PRIORITY.get(r.entity_type, DEFAULT_PRIORITY), -r.score, r.start - r.end),
    )
    accepted: list[RecognizerResult] = []
    for finding in order:
        pieces = [(finding.start, finding.end)]
        for other in accepted:
            next_pieces = []
            for start, end in pieces:
                if other.end <= start or end <= other.start:
                    next_pieces.append((start, end))
                    continue
                if start < other.start:
                    next_pieces.append((start, other.start))
                if other.end < end:
                    next_pieces.append((other.end, end))
            pieces = next_pieces
        for start, end in pieces:
            start, end = _strip(text, start, end)
            if end > start and _WORD_RE.search(text, start, end):
                same = (start, end) == (finding.start, finding.end)
                accepted.append(finding if same else _copy(finding, start, end))
    return sorted(accepted, key=lambda r: (r.start, r.end))


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Return the span without leading or trailing whitespace and separators."""
    while start < end and text[start] in " \t\r\n,;:":
        start += 1
    while end > start and text[end - 1] in " \t\r\n,;:":
        end -= 1
    return start, end
