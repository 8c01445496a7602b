"""Street addresses (US, UK and continental shapes, multi-line) and postcodes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from service.redaction.recognizers import lexicon
from service.redaction.recognizers.base import RuleRecognizer, words_pattern
from service.redaction.recognizers.brands import NOT_STREET_WORDS, brand_words

# Street types that say "street" even with no name before them ("68 St.", "12 Road").
_PLAIN_STREET_TYPES = frozenset(
    [
        "street",
        "st",
        "str",
        "road",
        "rd",
        "avenue",
        "ave",
        "av",
        "boulevard",
        "blvd",
        "lane",
        "ln",
        "drive",
        "dr",
        "court",
        "ct",
        "place",
        "pl",
        "square",
        "sq",
        "terrace",
        "ter",
        "highway",
        "hwy",
        "parkway",
        "pkwy",
    ]
)
# Street types written after the name ("12 Baker Street", "5 Elm St."): the plain ones and more.
_ENGLISH_TYPES = [
    *sorted(_PLAIN_STREET_TYPES),
    "terr",
    "way",
    "crescent",
    "cres",
    "close",
    "circle",
    "cir",
    "trail",
    "trl",
    "walk",
    "row",
    "mews",
    "gardens",
    "gdns",
    "grove",
    "hill",
    "park",
    "point",
    "pt",
    "route",
    "rte",
    "alley",
    "loop",
    "plaza",
    "path",
    "pike",
    "ridge",
    "run",
    "view",
    "vale",
    "green",
    "heights",
    "hts",
    "crossing",
    "cove",
    "creek",
    "cliffs",
    "union",
    "islands",
    "island",
    "prairie",
    "station",
    "extension",
    "junction",
    "meadows",
    "meadow",
    "mills",
    "mill",
    "pass",
    "port",
    "springs",
    "summit",
    "turnpike",
    "valley",
    "village",
    "wharf",
    "wynd",
    "broadway",
    "expressway",
    "freeway",
    "causeway",
    "esplanade",
    "promenade",
    "parade",
    "quay",
    "embankment",
    "rise",
    "hollow",
    "knoll",
    "estate",
    "estates",
    "manor",
    "fields",
    "field",
    "glen",
    "harbor",
    "harbour",
    "haven",
    "landing",
    "lodge",
    "motorway",
    "orchard",
    "oval",
    "passage",
    "spur",
    "track",
    "avenida",
]
# Endings of continental street names written as one word ("Kerkstraat 5a").
_COMPOUND_ENDINGS = [
    "straat",
    "str",
    "straße",
    "strasse",
    "weg",
    "laan",
    "plein",
    "gracht",
    "kade",
    "singel",
    "dijk",
    "dreef",
    "hof",
    "pad",
    "steeg",
    "markt",
    "gasse",
    "allee",
    "ring",
    "platz",
    "damm",
    "ufer",
    "gatan",
    "gata",
    "vägen",
    "väg",
    "gränd",
    "torget",
    "stigen",
    "veien",
    "vei",
    "vegen",
    "gate",
    "gaten",
    "vej",
    "vegur",
    "gade",
    "stræde",
    "tie",
    "katu",
    "kuja",
    "polku",
    "kaari",
    "tanhua",
    "rinne",
    "raitti",
    "bulevardi",
    "tori",
    "utca",
    "út",
    "tér",
    "körút",
    "köz",
    "sor",
    "ulica",
    "cesta",
    "trg",
    "ul",
    "náměstí",
    "útja",
    "třída",
    "nábřeží",
    "stræti",
    "straeti",
    "kapu",
    "sétány",
]
# Street types written before the name ("Rue des Lilas 4", "Via Verdi 27").
_PREFIX_TYPES = [
    "rue",
    "avenue",
    "av",
    "boulevard",
    "bd",
    "chemin",
    "allée",
    "impasse",
    "quai",
    "place",
    "route",
    "calle",
    "avenida",
    "av",
    "avda",
    "carrer",
    "carretera",
    "camino",
    "paseo",
    "plaza",
    "via",
    "viale",
    "vicolo",
    "piazza",
    "piazzale",
    "corso",
    "largo",
    "strada",
    "rua",
    "praça",
    "travessa",
    "estrada",
    "alameda",
    "rodovia",
    "ulica",
    "aleja",
    "plac",
    "strada",
    "calea",
    "bulevardul",
    "leoforos",
    "odos",
    "platia",
    "λεωφόρος",
    "οδός",
    "πλατεία",
]
_STREET_WORDS = frozenset(_ENGLISH_TYPES + _COMPOUND_ENDINGS + _PREFIX_TYPES + ["u"])

_NUM = r"\d{1,6}[A-Za-z]?(?:\s?[-/]\s?\d{1,5}[A-Za-z]?)?"
_WORD = r"[^\W\d_][\w'’.\-]*"
_CONNECTORS = frozenset(
    [
        "de",
        "du",
        "des",
        "del",
        "dela",
        "della",
        "delle",
        "dei",
        "di",
        "da",
        "do",
        "dos",
        "das",
        "la",
        "le",
        "les",
        "los",
        "las",
        "l'",
        "d'",
        "van",
        "von",
        "der",
        "den",
        "het",
        "y",
        "e",
        "of",
        "al",
        "el",
        "ten",
        "ter",
        "op",
        "aan",
    ]
)
# Small words inside place names: "Ostrov nad Ohří", "Frankfurt am Main", "Newcastle upon Tyne".
_PLACE_CONNECTORS = frozenset(["nad", "pod", "am", "an", "im", "upon", "on", "sur", "sous", "en"])
_UNIT = (
    r"(?:apt|apartment|suite|ste|unit|flat|room|rm|bldg|building|floor|fl)\.?\s*#?\s*"
    r"[A-Za-z]?\d{1,6}[A-Za-z]?\b|#\s?\d{1,6}[A-Za-z]?\b"
)
_UNIT_RE = re.compile(
    r"\b(?:apt|apartment|suite|unit|flat)\.?\s*#?\s*[A-Za-z]?\d{1,6}[A-Za-z]?\b", re.I
)
_UNIT_SEGMENT_RE = re.compile(_UNIT, re.I)

_ENGLISH_STREET_RE = re.compile(
    rf"(?<![\w\-/.])(?:{_NUM}\s+)?{_NUM}\s+(?:{_WORD}\s+){{0,4}}?(?:{words_pattern(_ENGLISH_TYPES)})\b\.?",
    re.I,
)
# "Kerkstraat 5a", "Petőfi tér 3.", "Lindenauer Str. 12": the street word itself;
# preceding name words and a leading number are added in code.
# The look-ahead (a word, then a house number) is implied by the rest of the pattern; it
# lets most words fail in one scan instead of trying every ending at every letter.
_COMPOUND_STREET_RE = re.compile(
    rf"(?<![\w\-/])(?P<street>(?=[^\W\d_][\w'’\-]*\.?[ \t]*\d)"
    rf"(?:[^\W\d_][\w'’\-]*)?(?:{words_pattern(_COMPOUND_ENDINGS)})\b\.?|\b[uU]\.)"
    rf"[ \t]*(?:{_NUM})\b\.?",
    re.I,
)
_BARE_NUMBER_STREET_RE = re.compile(rf"{_NUM}\s+[^\W\d_]+\.?", re.I)
_PREFIX_STREET_RE = re.compile(rf"(?<![\w\-/])(?:{words_pattern(_PREFIX_TYPES)})\.?[ \t]+", re.I)
_MILITARY_RE = re.compile(
    r"\b(?:(?:PSC|Unit|CMR)\s+\d{3,5},?\s+Box\s+\d{3,5}|(?:USNS|USNV|USS|USCGC)\s+[^\W\d_]+)"
    r"[\s,]+(?:APO|FPO|DPO)\s+(?:AA|AE|AP)\s+\d{5}\b",
    re.I,
)
_PO_BOX_RE = re.compile(rf"(?<![\w\-/.])(?:{_NUM}\s+)?P\.?\s?O\.?\s?Box\s+\d{{1,6}}\b", re.I)
# "Norrby 14\n Apt. 31", "88 Vinogradska 8 Apt. 12": a name and number before a unit.
_BEFORE_UNIT_RE = re.compile(
    rf"(?<![\w\-/.])(?:{_NUM}\s+)?(?P<words>(?:{_WORD}[ \t]+){{1,3}}){_NUM}\b\.?"
    rf"[ \t]*,?[ \t]*(?:\r?\n[ \t>?*•\-]*)?(?={_UNIT})",
    re.I,
)
# Phrases after which a short "Name 12" or "12 Name" is an address: words that say an
# address follows (address, lives at, ship to, woont op). Each cue starts with one of the
# letters of the leading look-ahead, which lets other positions fail at once.
_ADDRESS_CUE_RE = re.compile(
    r"(?=[adilrsw])(?:\baddress(?:\s+is|\s+to|\s+for|\s*:)?|\baddr\.?:?|\blives?\s+(?:at|on)"
    r"|\b(?:is|are)\s+(?:located\s+)?(?:on|at)|\breturn(?:ed)?\s+(?:it\s+|this\s+)?to"
    r"|\bliving\s+at|\bloca(?:ted|tion)\s+(?:at|on)|\breside[sd]?\s+(?:at|on)"
    r"|\bsen[dt]\s+(?:it\s+|this\s+|them\s+)?to|\bship(?:ped)?\s+(?:it\s+)?to"
    r"|\bdeliver(?:ed)?\s+(?:it\s+)?to|\bdelivery\s+address|\badres(?:\s+is)?:?"
    r"|\bwoon(?:t|achtig)?\s+(?:op|aan)|\bbezorg(?:d|en)?\s+(?:op|aan))[\s:,]*",
    re.I,
)
_CUED_STREET_RE = re.compile(
    rf"(?:{_NUM}\s+){{0,2}}(?P<words>(?:{_WORD}[ \t]+){{0,3}}{_WORD})[ \t]+{_NUM}\b\.?"
    rf"|(?:{_NUM}[ \t]+){{1,2}}(?P<after>(?:{_WORD}[ \t]*){{1,4}})",
)
# "the corner of 5 Elm Street and Oak Avenue": a crossing of two streets.
_CORNER_RE = re.compile(
    r"(?i:\b(?:the[ \t]+)?corner[ \t]+of)[ \t]+(?P<first>[^\n,;:!?]{3,60}?)[ \t]+(?:and|&)[ \t]+"
    r"(?P<second>[^\W_][\w'’.\-]*(?:[ \t]+[^\W_][\w'’.\-]*){0,3})"
)
# "72134 Elmwood 35\n": a numbered street line that place and postcode lines follow.
_NUMBERED_LINE_RE = re.compile(
    rf"(?<![\w\-/.]){_NUM}[ \t]+(?P<words>(?:{_WORD}[ \t]+){{1,3}}){_NUM}\b\.?"
    r"(?=[ \t]*,?[ \t]*\r?\n)"
)
_GAP_RE = re.compile(r"(?:[ \t]*(?:,|\r?\n|\.(?=[ \t]))[ \t>?*•\-]*)+|[ \t]+")
_PLACE_TOKEN_RE = re.compile(
    r"\([^\W\d_][^()\n]{0,29}\)|[A-Z]{1,2}\d[A-Z\d]?[ \t]\d[A-Z]{2}\b|\d{4}[ \t]?[A-Z]{2}\b"
    r"|\d{3}[ \t]\d{2}\b|\d{5}-\d{4}\b|\d{3,6}\b|[^\W\d_][\w'’.\-]*"
)
_POSTCODE_AHEAD_RE = re.compile(r"[ \t]*,?[ \t]*(?:\r?\n[ \t]*)?\d{4,6}\b")
_POSTCODE_TOKEN_RE = re.compile(
    r"\d{3,6}(?:-\d{4})?|[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}|\d{4}\s?[A-Z]{2}|\d{3}\s\d{2}"
)
_STOP_WORDS = frozenset(
    [
        "and",
        "or",
        "but",
        "the",
        "a",
        "an",
        "is",
        "are",
        "was",
        "were",
        "it",
        "its",
        "i",
        "you",
        "he",
        "she",
        "we",
        "they",
        "my",
        "your",
        "his",
        "her",
        "our",
        "their",
        "to",
        "of",
        "for",
        "with",
        "from",
        "by",
        "on",
        "at",
        "in",
        "as",
        "this",
        "that",
        "please",
        "thanks",
        "call",
        "phone",
        "tel",
        "fax",
        "email",
        "mobile",
        "office",
        "website",
        "web",
        "name",
        "if",
        "so",
        "then",
        "will",
        "would",
        "can",
        "could",
        "should",
        "have",
        "has",
        "had",
        "be",
        "been",
        "am",
        "me",
        "him",
        "them",
        "us",
        "not",
        "no",
        "yes",
        "do",
        "does",
        "did",
        "after",
        "before",
        "when",
        "where",
        "there",
        "here",
        "what",
        "who",
        "which",
        "last",
        "next",
        "night",
        "week",
        "weekend",
        "day",
        "today",
        "tomorrow",
        "yesterday",
        "turn",
        "turned",
        "year",
        "years",
        "old",
        "for",
        "card",
        "number",
        "ll",
        "ve",
        "re",
    ]
)


def _is_capitalised(word: str) -> bool:
    """Tell whether a word starts with a capital letter (after an elided "d'" or "l'")."""
    if len(word) > 2 and word[0] in "dDlL" and word[1] in "'’":
        return word[2:3].isupper()
    return word[:1].isupper()


class StreetAddressRecognizer(RuleRecognizer):
    """Find street addresses: street line, unit, then city/region/country/postcode lines.

    A street line is found by an English street type after the name, a continental
    ending (-straat, -weg, -gatan) or type before the name (Rue, Calle, Via) next to a
    house number, a military or PO box line, a "Name 12" line followed by a unit
    (Apt, Suite), or any "Name 12" after an address cue ("lives at", "address:"). The
    match is then extended over following units and short place/postcode segments
    on the same or next lines.
    """

    entity_type = "STREET_ADDRESS"
    prefilter = re.compile(r"\d")

    def __init__(self, supported_language: str = "en", name: str | None = None) -> None:
        super().__init__(supported_language=supported_language, name=name)
        self._countries = lexicon.country_names()
        self._vocabulary = lexicon.english_vocabulary() | lexicon.common_words()

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each address with its continuation lines."""
        letters = [ch for ch in text if ch.isalpha()]
        lower_mode = bool(letters) and sum(ch.isupper() for ch in letters) <= len(letters) // 50
        spans: list[tuple[int, int, float, str]] = []
        for regex, score, rule in (
            (_MILITARY_RE, 0.85, "military"),
            (_PO_BOX_RE, 0.7, "po_box"),
        ):
            spans += [(m.start(), m.end(), score, rule) for m in regex.finditer(text)]
        for match in _ENGLISH_STREET_RE.finditer(text):
            end = _trim(text, match.start(), match.end())
            if self._plausible_words(
                text[match.start() : end], lower_mode, drop_last=True
            ) and not _only_connectors(text[match.start() : end]):
                start = match.start()
                if _BARE_NUMBER_STREET_RE.fullmatch(text, start, end):
                    # "Dalmatinova 68 St.": the name came before the number.
                    start = self._extend_back(text, start, lower_mode, foreign=True)
                    street_type = text[match.start() : end].split()[-1].rstrip(".").lower()
                    named = any(
                        w.lower() not in self._vocabulary
                        for w in re.findall(r"[^\W\d_]+", text[start : match.start()])
                    )
                    following = re.match(r"[ \t]+([^\W\d_]+)", text[end : end + 30])
                    if (
                        street_type not in _PLAIN_STREET_TYPES
                        and not named
                        and not (following and following.group(1).lower() in _STREET_WORDS)
                    ):
                        continue  # "25 mill", "3 run": a number and a word, no street name
                spans.append((start, end, 0.7, "english_street"))
        for match in _COMPOUND_STREET_RE.finditer(text):
            street = match.group("street").rstrip(".")
            # A street word of its own ("fejedelem útja 3") may follow lower-case names.
            standalone = street.lower() in _STREET_WORDS
            start = self._extend_back(text, match.start(), lower_mode, foreign=standalone)
            named = bool(re.search(r"[^\W\d_]", text[start : match.start()]))
            if not named and (
                street.lower() in self._vocabulary or not (lower_mode or _is_capitalised(street))
            ):
                # "bring 2", "Gate 5": an English word with a number is not a street.
                continue
            spans.append((start, _trim(text, start, match.end()), 0.65, "compound_street"))
        for match in _PREFIX_STREET_RE.finditer(text):
            span = self._prefix_street(text, match, lower_mode)
            if span:
                spans.append((*span, 0.65, "prefix_street"))
        for match in _BEFORE_UNIT_RE.finditer(text):
            # With a house number in front, the shape says enough: lower-case foreign
            # words ("Luite tee 87") are street words.
            lenient = lower_mode or text[match.start()].isdigit()
            if self._plausible_words(match.group("words"), lenient):
                spans.append(
                    (match.start(), _trim(text, match.start(), match.end()), 0.6, "before_unit")
                )
        for cue in _ADDRESS_CUE_RE.finditer(text):
            span = self._after_cue(text, cue, lower_mode)
            if span:
                spans.append((*span, 0.6, "after_address_cue"))
        for match in _NUMBERED_LINE_RE.finditer(text):
            if not self._plausible_words(match.group("words"), True):
                continue
            following = text[match.end() : self._extend(text, match.end(), lower_mode)]
            if re.search(r"\d{3,}", following) or any(
                w.lower() in self._countries for w in re.findall(r"[^\W\d_]+", following)
            ):
                spans.append((match.start(), match.end(), 0.6, "numbered_line"))
        if "orner" in text:
            for match in _CORNER_RE.finditer(text):
                span = self._corner(text, match, lower_mode)
                if span:
                    spans.append((*span, 0.65, "corner"))
        spans += [(m.start(), m.end(), 0.5, "unit") for m in _UNIT_RE.finditer(text)]
        extended = [
            (start, self._extend(text, end, lower_mode), score, rule)
            for start, end, score, rule in _merge(spans)
        ]
        yield from _merge(extended)

    def _corner(self, text: str, match: re.Match[str], lower_mode: bool) -> tuple[int, int] | None:
        """Return the span of "the corner of A and B" when A or B reads as a street."""
        first, second = match.group("first"), match.group("second")
        words = re.findall(r"[^\W\d_][\w'’.\-]*", first + " " + second)
        streety = re.search(r"\d", first + second) or any(
            w.rstrip(".").lower() in _STREET_WORDS for w in words
        )
        if not streety or not self._plausible_words(first, lower_mode or not first.isascii()):
            return None
        kept = second.split()
        while kept and (
            kept[-1].rstrip(".,").lower() in _STOP_WORDS
            or not (lower_mode or _is_capitalised(kept[-1]) or kept[-1][0].isdigit())
        ):
            kept.pop()
        if not kept:
            return None
        end = match.start("second") + second.index(kept[-1]) + len(kept[-1])
        return match.start(), _trim(text, match.start(), end)

    def _plausible_words(self, phrase: str, lower_mode: bool, drop_last: bool = False) -> bool:
        """Tell whether the words of a street name read like a name, not a sentence."""
        words = re.findall(r"[^\W\d_][\w'’.\-]*", phrase)
        if drop_last:
            words = words[:-1]
        after_street_word = False
        for word in words:
            bare = word.rstrip(".").lower()
            if bare in _CONNECTORS and bare != "of":
                continue
            if bare in _STOP_WORDS:
                return False
            if bare in _STREET_WORDS:
                after_street_word = True
                continue
            if after_street_word and bare not in self._vocabulary:
                continue  # "Rue tachkent": a foreign name after the street word
            if not lower_mode and not _is_capitalised(word):
                return False
        return True

    def _extend_back(self, text: str, start: int, lower_mode: bool, foreign: bool = False) -> int:
        """Return start moved left over up to two name words and a house number.

        ``foreign`` also takes street words ("ul.") and lower-case words that are no
        English words ("midtvollen"), up to three words.
        """
        for _ in range(3 if foreign else 2):
            match = re.search(r"([^\W\d_][\w'’.\-]*)[ \t]+$", text[max(0, start - 40) : start])
            if not match:
                break
            word = match.group(1)
            bare = word.rstrip(".").lower()
            if bare in _STOP_WORDS:
                break
            if not (lower_mode or _is_capitalised(word)) and not (
                foreign and (bare in _STREET_WORDS or bare not in self._vocabulary)
            ):
                break
            start -= len(match.group())
        number = re.search(
            rf"(?<![\w\-/.])(?:{_NUM}[ \t]+){{1,2}}$", text[max(0, start - 30) : start]
        )
        if number:
            start -= len(number.group())
        return start

    def _prefix_street(
        self, text: str, match: re.Match[str], lower_mode: bool
    ) -> tuple[int, int] | None:
        """Return the span of a "Rue de X 12" street, or None without a house number."""
        position = match.end()
        end = None
        consumed = 0
        for word in re.finditer(r"([^\W\d_][\w'’\-]*\.?)[ \t]*", text[position:]):
            if word.start() != position - match.end():
                break
            bare = word.group(1).rstrip(".").lower()
            if bare in _CONNECTORS or (
                bare not in _STOP_WORDS
                and (
                    lower_mode
                    or _is_capitalised(word.group(1))
                    or (consumed and bare not in self._vocabulary)
                )
            ):
                consumed += 1
                position = match.end() + word.end()
                end = match.end() + word.start(1) + len(word.group(1))
                if consumed >= 5:
                    break
            else:
                break
        if end is None:
            return None
        start = match.start()
        number_after = re.match(rf"[ \t]*,?[ \t]*({_NUM})\b", text[end:])
        number_before = re.search(
            rf"(?<![\w\-/.])(?:{_NUM},?[ \t]+){{1,2}}$", text[max(0, start - 30) : start]
        )
        if number_after:
            end += number_after.end()
        if number_before:
            start -= len(number_before.group())
        if not (number_after or number_before):
            return None
        return start, end

    def _after_cue(self, text: str, cue: re.Match[str], lower_mode: bool) -> tuple[int, int] | None:
        """Return the span of a short address shape right after an address cue.

        Even after a cue, "Name 12" needs a street-like name: ordinary words with a
        number ("Gate 5", "version 2") are not addresses.
        """
        match = _CUED_STREET_RE.match(text, cue.end())
        if not match:
            return None
        words = match.group("words") or ""
        end = _trim(text, match.start(), match.end())
        if match.group("after"):
            # "12 Name Name and ...": drop trailing sentence words after the name.
            words = match.group("after")
            kept = words.split()
            while kept and kept[-1].rstrip(".,").lower() in _STOP_WORDS:
                kept.pop()
            if not kept:
                return None
            end = match.start("after") + words.index(kept[-1]) + len(kept[-1])
            words = " ".join(kept)
        if not self._plausible_words(words, lower_mode or not words.isascii()):
            return None
        if not self._street_like(words):
            return None
        return match.start(), end

    def _street_like(self, words: str) -> bool:
        """Tell whether a cued street name has a word that is no ordinary word or thing."""
        names = [
            w.rstrip(".").lower()
            for w in re.findall(r"[^\W\d_][\w'’.\-]*", words)
            if w.rstrip(".").lower() not in _CONNECTORS
        ]
        return bool(names) and any(
            name in _STREET_WORDS
            or (
                name not in self._vocabulary
                and name not in NOT_STREET_WORDS
                and name not in brand_words()
            )
            for name in names
        )

    def _extend(self, text: str, end: int, lower_mode: bool) -> int:
        """Return the end after units and place/postcode segments that follow."""
        steps = 0
        while steps < 8:
            gap = _GAP_RE.match(text, end)
            if not gap:
                break
            position = gap.end()
            newlines = gap.group().count("\n")
            unit = _UNIT_SEGMENT_RE.match(text, position)
            if unit and newlines < 2:
                end = unit.end()
                steps += 1
                continue
            run_end = self._place_run(text, position, lower_mode, strict=newlines >= 2)
            if run_end is None or newlines > 2:
                break
            end = run_end
            steps += 1
        return end

    def _place_run(self, text: str, position: int, lower_mode: bool, strict: bool) -> int | None:
        """Return the end of the city/region/country/postcode words at position, if any."""
        end = None
        numbers = 0
        words = 0
        country = False
        while words + numbers < 6:
            token = _PLACE_TOKEN_RE.match(text, position)
            if not token:
                break
            value = token.group()
            after = text[token.end() : token.end() + 1]
            if after == ":" or after == "@":
                break
            if value[0].isdigit():
                if numbers or not _POSTCODE_TOKEN_RE.fullmatch(value):
                    break
                numbers += 1
            elif value.startswith("("):
                words += 1
            else:
                bare = value.rstrip(".").lower()
                if bare in self._countries:
                    country = True
                elif len(value) == 2 and value.isupper():
                    pass  # a state or province code: CO, ON, NY
                elif (bare in _CONNECTORS or bare in _PLACE_CONNECTORS) and words:
                    pass
                elif (
                    words
                    and not _is_capitalised(value)
                    and bare not in _STOP_WORDS
                    and _POSTCODE_AHEAD_RE.match(text, token.end())
                ):
                    pass  # a region written in lower case between city and postcode
                elif bare in _STOP_WORDS or not (lower_mode or _is_capitalised(value)):
                    break
                words += 1
            end = token.end()
            space = re.match(r"[ \t]+", text[end:])
            position = end + (space.end() if space else 0)
        if end is None:
            return None
        if strict and not (numbers or country):
            return None
        return end.__index__() if text[end - 1] != "." else end - 1


def _only_connectors(phrase: str) -> bool:
    """Tell whether the words before the street type are only connectors ("9 op het station")."""
    words = [w.rstrip(".").lower() for w in re.findall(r"[^\W\d_][\w'’.\-]*", phrase)][:-1]
    return bool(words) and all(w in _CONNECTORS for w in words)


def _trim(text: str, start: int, end: int) -> int:
    """Return end moved left past trailing spaces and punctuation (keeping 'St.')."""
    while end > start and text[end - 1] in " \t\r\n,;:":
        end -= 1
    return end


def _merge(spans: list[tuple[int, int, float, str]]) -> list[tuple[int, int, float, str]]:
    """Merge overlapping candidate spans, keeping the best score and first rule."""
    merged: list[list] = []
    for start, end, score, rule in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
            merged[-1][2] = max(merged[-1][2], score)
        else:
            merged.append([start, end, score, rule])
    return [tuple(m) for m in merged]  # type: ignore[misc]


_US_STATES = [
    "AL",
    "AK",
    "AZ",
    "AR",
    "CA",
    "CO",
    "CT",
    "DE",
    "DC",
    "FL",
    "GA",
    "HI",
    "ID",
    "IL",
    "IN",
    "IA",
    "KS",
    "KY",
    "LA",
    "ME",
    "MD",
    "MA",
    "MI",
    "MN",
    "MS",
    "MO",
    "MT",
    "NE",
    "NV",
    "NH",
    "NJ",
    "NM",
    "NY",
    "NC",
    "ND",
    "OH",
    "OK",
    "OR",
    "PA",
    "RI",
    "SC",
    "SD",
    "TN",
    "TX",
    "UT",
    "VT",
    "VA",
    "WA",
    "WV",
    "WI",
    "WY",
    "PR",
]
_POSTCODE_PATTERNS = (
    (re.compile(r"(?<![\w\-])\d{5}-\d{4}(?![\w\-])"), 0.7, "us_zip_plus4"),
    (re.compile(rf"(?<=\b(?:{'|'.join(_US_STATES)}) )\d{{5}}\b"), 0.6, "us_zip_after_state"),
    (
        re.compile(r"\b(?:GIR ?0AA|[A-PR-UWYZ][A-HK-Y]?\d[A-Z\d]? ?\d[ABD-HJLNP-UW-Z]{2})\b"),
        0.6,
        "uk_postcode",
    ),
    (re.compile(r"\b[1-9]\d{3} ?(?!SA|SD|SS|AD|BC|AM|PM|CE)[A-Z]{2}\b"), 0.5, "nl_postcode"),
)
_POSTCODE_CUE_RE = re.compile(
    r"(?i)\b(?:zip(?:\s*code)?|post\s*code|postal\s*code)[\s:#]*(\d{4,6}(?:-\d{4})?|\d{4}\s?[A-Za-z]{2}|[A-Za-z]{1,2}\d[A-Za-z\d]?\s?\d[A-Za-z]{2})\b"
)


class PostcodeRecognizer(RuleRecognizer):
    """Find postcodes: US ZIP+4 (and ZIP after a state), UK, Dutch, and any after a cue."""

    entity_type = "POSTCODE"
    prefilter = re.compile(r"\d")

    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield each postcode."""
        seen: set[tuple[int, int]] = set()
        for match in _POSTCODE_CUE_RE.finditer(text):
            seen.add(match.span(1))
            yield match.start(1), match.end(1), 0.7, "after_postcode_cue"
        for regex, score, rule in _POSTCODE_PATTERNS:
            for match in regex.finditer(text):
                if match.span() not in seen:
                    seen.add(match.span())
                    yield match.start(), match.end(), score, rule
