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
# A day date is personal only next to a personal event: a birth or death, the writer's
# or reader's own doings (I, my, your, we; ik, mijn, je, uw), or a customer event (order,
# delivery, visit, appointment). "Maintenance on 19 January" or "Comic list out
# September 22" names nobody.
_DATE_PERSONAL_CUE_RE = re.compile(
    r"(?i)\b(?:born|birth|birthday|bday|b-day|dob|d\.o\.b|died|passed\s+away|age[ds]?|i|i'm|i've"
    r"|i'd|im|me|my|mine|we|we're|we've|our|us|you|you're|your|u|ur|he|she|his|her|him"
    r"|order(?:ed)?|deliver(?:y|ed)?|ship(?:ped|ment)?|arriv(?:ed|al)|book(?:ed|ing)"
    r"|appointment|visit(?:ed)?|stay(?:ed)?|flight|paid|bought|purchased|return(?:ed)?"
    r"|refund(?:ed)?|subscri(?:bed|ption)|geboren|geboortedatum|geb|verjaardag|jarig|overleden"
    r"|ik|mijn|mij|wij|ons|onze|je|jij|jouw|jullie|uw|hij|zij|haar|zijn|bestel(?:d|ling)"
    r"|bezorg(?:d|ing)?|lever(?:ing)?|geleverd|afspraak|bezoek|geboekt|boeking|betaald"
    r"|gekocht|retour|verzonden)\b"
)
# A nationality, religion or political group is about a person only in person context:
# "I'm Dutch", "as a Muslim", "my Indian husband"; "Korean class" or "Austrian snow" is not.
_GROUP_PERSON_BEFORE_RE = re.compile(
    r"(?i)(?:\b(?:i'?m|i\s+am|am|are|is|was|were|be|being|been|he'?s|she'?s|we'?re|they'?re"
    r"|you'?re|ur|as|ben|zijn|als)"
    r"(?:\s+(?:not|a|an|so|very|half|proud(?:ly)?|proper|true|real|born|fellow|een|geen|echte))*"
    r")\s+$"
)
_GROUP_PERSON_AFTER_RE = re.compile(
    r"(?i)^[\s\-]+(?:man|men|woman|women|guy|guys|girl|girls|boy|boys|lady|ladies|husband"
    r"|wife|boyfriend|girlfriend|partner|friend|friends|mother|father|mom|mum|dad|family"
    r"|neighbou?r|colleague|parents?|kids?|son|daughter|brother|sister|citizen|citizens"
    r"|national|nationals|origin|descent|background|heritage|roots|passport|nationality"
    r"|vrouw|man|vriend|vriendin|buurman|buurvrouw|collega|afkomst)\b"
)
# Letters of the scripts the English and Dutch pipelines read; a "place" without one is
# the model guessing on a script it was not trained on.
_LATIN_LETTER_RE = re.compile(r"[A-Za-z\u00C0-\u024F]")
# "Awwww", "Sooooo", "YESSSSS": a letter three times in a row is an exclamation.
_REPEATED_LETTER_RE = re.compile(r"([^\W\d_])\1\1", re.I)
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
            _overlaps_any(span, numbers)
            or not _DAY_DATE_RE.search(text[span[0] : span[1]])
            or not _personal_date(text, *span)
        ):
            continue
        if kind in ("PERSON", "LOCATION", "ORGANIZATION") and _month_of_a_date(text, *span):
            continue  # the month of a date taken for a name
        if (
            kind in ("LOCATION", "NRP")
            and _ner_result(finding)
            and not _plausible_group(text, kind, *span)
        ):
            continue
        if kind in NUMBER_TYPES | {"DATE_TIME"} and _inside_hex_id(text, *span):
            continue
        kept.append(finding)
    return kept


_MONTH_WORD_RE = re.compile(
    r"(?i)(?:jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch)?|maart|mrt|apr(?:il)?|may|mei"
    r"|june?|juni|july?|juli|aug(?:ust|ustus)?|sept?(?:ember)?|oct(?:ober)?|okt(?:ober)?"
    r"|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY_BEFORE_RE = re.compile(r"\b\d{1,2}(?:st|nd|rd|th|e)?[ \t\-/]*$")
_DAY_AFTER_RE = re.compile(r"[ \t\-/]*\d{1,4}\b")


def _month_of_a_date(text: str, start: int, end: int) -> bool:
    """Tell whether a lone month word stands next to a day or year: "Sep 23", "12th Jan"."""
    if not _MONTH_WORD_RE.fullmatch(text, start, end):
        return False
    return bool(
        _DAY_BEFORE_RE.search(text[max(0, start - 8) : start]) or _DAY_AFTER_RE.match(text, end)
    )


def _ner_result(finding: RecognizerResult) -> bool:
    """Tell whether a finding came from the statistical NER model (not a rule or lexicon)."""
    metadata = finding.recognition_metadata or {}
    return "Spacy" in str(metadata.get(RecognizerResult.RECOGNIZER_NAME_KEY, ""))


def _sentence_around(text: str, start: int, end: int) -> str:
    """Return the sentence (or line) holding the span, at most 80 characters each side."""
    left = max(0, start - 80)
    for mark in (". ", "! ", "? ", "\n"):
        found = text.rfind(mark, left, start)
        if found != -1:
            left = max(left, found + len(mark))
    right = min(len(text), end + 80)
    for mark in (". ", "! ", "? ", "\n"):
        found = text.find(mark, end, right)
        if found != -1:
            right = min(right, found)
    return text[left:right]


def _personal_date(text: str, start: int, end: int) -> bool:
    """Tell whether a day date stands next to a personal event (see _DATE_PERSONAL_CUE_RE)."""
    around = _sentence_around(text, start, end)
    return bool(_DATE_PERSONAL_CUE_RE.search(around))


def _plausible_group(text: str, kind: str, start: int, end: int) -> bool:
    """Tell whether an NER place or group finding can be one (not noise on other words)."""
    from service.redaction.recognizers.brands import ambiguous_places, fold, place_words
    from service.redaction.recognizers.lexicon import common_words, country_names

    value = text[start:end]
    if not _LATIN_LETTER_RE.search(value) or _REPEATED_LETTER_RE.search(value):
        return False
    folded = fold(value)
    known_place = (
        folded in country_names() or folded in place_words() or folded in ambiguous_places()
    )
    if not any(ch.isupper() for ch in value) and not known_place:
        return False  # "kinda", "intro": lower-case words the model took for places
    if " " not in folded and folded in common_words() and not known_place:
        return False  # "Please", "Imagine" at the start of a tweet
    if kind == "NRP":
        # "my Indian neighbour" is about a person through the noun after it; "my Korean
        # class" is not, so a possessive alone says nothing.
        return bool(
            _GROUP_PERSON_BEFORE_RE.search(text[max(0, start - 40) : start])
            or _GROUP_PERSON_AFTER_RE.match(text[end : end + 20])
        )
    return True


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
