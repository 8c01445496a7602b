"""Dutch recognizers: names, places, phones, postcodes, BSN and dates in Dutch comments.

There is no Dutch spaCy model in the environment, so Dutch text runs through the
English model for tokens and named entities, and this module adds what that model
cannot know: Dutch first and last names and place names (read from Faker's nl_NL
and nl_BE providers), the cues Dutch writers put around names ("mijn naam is ...",
"groetjes, ...", "meneer ..."), and the shapes of Dutch numbers.

Entity types added here:

- ``PERSON`` (Dutch names), ``LOCATION`` (Dutch/Belgian places, country names),
  ``DATE_TIME`` (Dutch dates) for ``nl``;
- ``PHONE_NUMBER`` (06-12345678, 020-1234567, +31 6 12345678, ...), ``POSTCODE``
  (1234 AB: reported as part of the address data, under the same type the address
  recognizers use for other countries' postcodes, so one operator covers them all) and
  ``NL_BSN`` (only numbers that pass the 11-test) for both ``nl`` and ``en``, because
  Dutch customers often write in English about Dutch numbers.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass

import regex as re
from faker.providers.address.nl_BE import Provider as BelgianAddresses
from faker.providers.address.nl_NL import Provider as DutchAddresses
from faker.providers.person.nl_BE import Provider as BelgianPersons
from faker.providers.person.nl_NL import Provider as DutchPersons
from presidio_analyzer import (
    AnalysisExplanation,
    EntityRecognizer,
    Pattern,
    PatternRecognizer,
    RecognizerResult,
)
from presidio_analyzer.nlp_engine import NlpArtifacts
from presidio_analyzer.predefined_recognizers import SpacyRecognizer
from spacy.lang.nl.stop_words import STOP_WORDS as DUTCH_STOP_WORDS

from service.redaction.name_lists import DUTCH_GIVEN_NAMES, DUTCH_SURNAMES


def _word_set(words: str, *, fold: bool = False) -> frozenset[str]:
    """Return the whitespace-separated words of a string as a set (case-folded if asked)."""
    return frozenset(word.casefold() if fold else word for word in words.split())


#: Name particles (tussenvoegsels) that may stand between a given name and a surname.
PARTICLES = _word_set(
    "van de der den ter ten te het 't ’t in op aan la le du von di da del el al d' vd v.d."
)

#: Given names from Faker that are also everyday Dutch (or English) words, so that
#: on their own, especially first in a sentence, they are no evidence of a person:
#: "Ben je thuis?", "Lieve mensen", "Job gevonden".
AMBIGUOUS_GIVEN_NAMES = _word_set(
    """
    Ben Lieve Job Lot Roos Mark Bas Noor Mees Jet Kick Fleur Floor Linde Mare Jade Amber Iris
    Joy Lex Milan Stan Bo Puck Puk Sterre Dean Will May Hope Faith Bob Hanna Ties Fem Guus Jip
    Pien Cato Liv Sil Sep An Ann Rosa Luna Nova Vera Kay Jay Angel Hero Pepijn
    """
)

#: Capitalised words that start or sign off Dutch comments and are never part of a
#: name, the groups a greeting addresses ("Hoi Allemaal"), plus day and month names
#: (often capitalised by mistake).
NOT_NAME_WORDS = _word_set(
    """
    Hoi Hallo Hey Hi Hello Dag Beste Geachte Groetjes Groeten Groet Gr Mvg Liefs Doei Bedankt
    Dank Dankjewel Dankjwel Dankuwel Thanks Thx Top Super Helaas Sorry Excuses Oké Ok Nee Ja
    Yes No Echt Heel Klantenservice Klant Bestelling Pakket Levering Bezorger Bezorging Service
    Support Team Mevrouw Meneer Heer Dhr Mevr Mw Juffrouw Maandag Dinsdag Woensdag Donderdag
    Vrijdag Zaterdag Zondag Januari Februari Maart April Mei Juni Juli Augustus September
    Oktober November December The I We You Nederlands Nederlandse Belgisch Engels Hollands
    Schandalig Waarom Wanneer Waar Wat Wie Hoe Welke Allemaal Iedereen Jongens Mensen Lieverds
    Dames Heren Collega Collega's
    """,
    fold=True,
)

#: Words right before a name that make any capitalised word after them a name.
_STRONG_NAME_CUE = re.compile(
    r"(?:\b(?:mijn\s+naam\s+is|ik\s+heet|heet\s+ik|naam\s*:|met\s+vriendelijke\s+groet(?:en)?"
    r"|vriendelijke\s+groet(?:en)?|hartelijke\s+groet(?:en)?|groetjes|groeten|groet|mvg"
    r"|m\.v\.g\.?|gr\.?|liefs|doei|namens|contactpersoon|ondergetekende)\s*[,:.!\-]?\s*)$",
    re.IGNORECASE,
)
#: Titles before a (sur)name.
_TITLE_CUE = re.compile(
    r"(?:\b(?:meneer|mevrouw|mevr|mw|mr|dhr|heer|juffrouw|juf|meester|dokter|dr|drs|ir|ing"
    r"|prof)\.?\s+)$",
    re.IGNORECASE,
)
#: Greetings before a name: "Hoi Sanne", "Beste Jan".
_WEAK_NAME_CUE = re.compile(
    r"(?:\b(?:hoi|hallo|hey|hi|beste|dag|lieve|dit\s+is|vraag\s+het\s+aan|collega)"
    r"\s*[,:]?\s*)$",
    re.IGNORECASE,
)
_CUE_WINDOW = 40

_WORD = re.compile(r"[\p{L}\p{M}]+(?:['’][\p{L}\p{M}]+)*\.?|['’]t\b")
_SENTENCE_BREAK = re.compile(r"[.!?\n]")


def _entries(provider_values: Iterable[str] | dict) -> list[str]:
    """Return the values of a Faker list that may be a tuple or a weighted dict."""
    return list(provider_values.keys() if isinstance(provider_values, dict) else provider_values)


@dataclass(frozen=True)
class DutchLexicon:
    """Dutch/Flemish given names, surname words and place names, read from Faker."""

    given_names: frozenset[str]
    surname_words: frozenset[str]
    places: frozenset[str]

    @classmethod
    def from_faker(cls) -> DutchLexicon:
        """Read the name and place lists of Faker's nl_NL and nl_BE providers."""
        given = {
            name
            for provider in (DutchPersons, BelgianPersons)
            for attribute in ("first_names", "first_names_male", "first_names_female")
            for name in _entries(getattr(provider, attribute, ()))
            if name[:1].isupper()
        }
        surname_words = set()
        for provider in (DutchPersons, BelgianPersons):
            for entry in _entries(provider.last_names):
                for word in re.split(r"[\s,\-]+", entry):
                    # Keep the capitalised core words ("Vries" of "de Vries"); particles
                    # and odd historical entries ("The Elder") are left out.
                    if (
                        len(word) >= 3
                        and word[0].isupper()
                        and word.casefold()
                        not in (NOT_NAME_WORDS | {"the", "elder", "oude", "heer", "und", "zu"})
                    ):
                        surname_words.add(word)
        places = {
            place
            for provider in (DutchAddresses, BelgianAddresses)
            for attribute in ("cities", "countries")
            for place in _entries(getattr(provider, attribute, ()))
        }
        given |= DUTCH_GIVEN_NAMES
        surname_words |= DUTCH_SURNAMES
        # Everyday names of places whose official name differs.
        places |= {"Den Haag", "Den Bosch", "Nederland", "Holland", "België", "Vlaanderen"}
        return cls(frozenset(given), frozenset(surname_words), frozenset(places))


@dataclass
class _Word:
    """A word of the text with what the name rules need to know about it."""

    start: int
    end: int
    text: str
    gap_before: str
    sentence_initial: bool

    @property
    def bare(self) -> str:
        """Return the word without a trailing full stop."""
        return self.text[:-1] if self.text.endswith(".") else self.text

    @property
    def is_capitalised(self) -> bool:
        """Return True for "Sanne", "O'Neill", not for "sanne" or "KLANT"."""
        bare = self.bare
        return bare[:1].isupper() and (len(bare) == 1 or any(c.islower() for c in bare[1:]))

    @property
    def is_initial(self) -> bool:
        """Return True for an initial such as "J." ."""
        return len(self.text) == 2 and self.text[0].isupper() and self.text[1] == "."

    @property
    def is_particle(self) -> bool:
        """Return True for tussenvoegsels such as "van", "de", "'t"."""
        return self.bare.casefold() in PARTICLES or self.text.casefold() in PARTICLES


def _words(text: str) -> list[_Word]:
    """Split text into words, noting the separator before each and sentence starts."""
    words: list[_Word] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        gap = text[previous_end : match.start()]
        previous = words[-1] if words else None
        sentence_initial = (
            previous is None
            or bool(_SENTENCE_BREAK.search(gap))
            or (previous.text.endswith(".") and not previous.is_initial)
        )
        words.append(_Word(match.start(), match.end(), match.group(), gap, sentence_initial))
        previous_end = match.end()
    return words


class DutchNameRecognizer(EntityRecognizer):
    """Find Dutch person names from name lists, capitalisation and context cues.

    Scores: a known given name with a surname (or initials/title/cue with a surname)
    0.85; a name after "mijn naam is", "groetjes," and similar 0.8; a known given name
    alone 0.6 (0.5 first in a sentence); "de Vries"-style surname alone 0.6; a
    greeting followed by a capitalised word 0.6; an ambiguous given name alone
    mid-sentence 0.45 and never at the start of a sentence.
    """

    ENTITY = "PERSON"

    def __init__(self, lexicon: DutchLexicon, supported_language: str = "nl"):
        self.lexicon = lexicon
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            name="DutchNameRecognizer",
        )

    def load(self) -> None:
        """Nothing to load: the lexicon is passed in."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        """Return PERSON results for Dutch names in the text."""
        if self.ENTITY not in entities:
            return []
        words = _words(text)
        results = []
        index = 0
        while index < len(words):
            found = self._name_at(text, words, index)
            if found is None:
                index += 1
                continue
            end_index, score, reason = found
            start, end = words[index].start, words[end_index].end
            if text[end - 1] == "." and not words[end_index].is_initial:
                end -= 1
            results.append(self._result(start, end, score, reason))
            index = end_index + 1
        return results

    def _name_at(self, text: str, words: list[_Word], index: int) -> tuple[int, float, str] | None:
        """Return (last word index, score, reason) for a name starting at ``index``."""
        first = words[index]
        if not (first.is_capitalised or first.is_particle):
            return None
        if first.bare.casefold() in NOT_NAME_WORDS or self._is_place_only(first):
            return None
        if (
            not first.is_particle
            and first.bare.casefold() in DUTCH_STOP_WORDS
            and first.bare not in self.lexicon.given_names
        ):
            return None
        chain = self._chain(words, index)
        if not chain:
            return None
        capitalised = [word for word in chain if not word.is_particle]
        if not capitalised:
            return None
        has_particle = any(word.is_particle for word in chain)
        before = text[max(0, first.start - _CUE_WINDOW) : first.start]
        given = self.lexicon.given_names
        first_is_given = first.bare in given and first.bare not in AMBIGUOUS_GIVEN_NAMES
        first_is_ambiguous = first.bare in AMBIGUOUS_GIVEN_NAMES
        surname_known = capitalised[-1].bare in self.lexicon.surname_words
        with_surname = len(capitalised) >= 2 or (has_particle and len(capitalised) >= 1)
        last = index + len(chain) - 1

        if first.is_particle:
            # "de Vries" without a given name: only for a listed surname, mid-sentence,
            # or after a title ("meneer van Dijk").
            if _TITLE_CUE.search(before):
                return last, 0.85, "title before surname"
            if (
                surname_known
                and len(capitalised) == 1
                and not first.sentence_initial
                and first.text.islower()
            ):
                return last, 0.6, "name particle with a Dutch surname"
            return None
        if _TITLE_CUE.search(before):
            return last, 0.85, "title before name"
        if first_is_given and with_surname:
            return last, 0.85, "Dutch given name with surname"
        if (
            (first.is_initial or first_is_ambiguous)
            and with_surname
            and (surname_known or has_particle)
        ):
            return last, 0.85 if first.is_initial else 0.75, "initials or given name with surname"
        if _STRONG_NAME_CUE.search(before):
            return last, 0.8, "name after a name or signature cue"
        if first_is_given:
            return last, 0.5 if first.sentence_initial else 0.6, "Dutch given name"
        if _WEAK_NAME_CUE.search(before) and not first.is_initial:
            return last, 0.6, "capitalised word after a greeting"
        if first_is_ambiguous and not first.sentence_initial and len(chain) == 1:
            return last, 0.45, "given name that is also a common word"
        return None

    def _is_place_only(self, word: _Word) -> bool:
        """Return True for a place name that is not also a listed given name or surname."""
        lexicon = self.lexicon
        return (
            word.bare in lexicon.places
            and word.bare not in lexicon.given_names
            and word.bare not in lexicon.surname_words
        )

    def _chain(self, words: list[_Word], index: int) -> list[_Word]:
        """Return the words that may form one name, starting at ``index``."""
        chain = [words[index]]
        for word in words[index + 1 : index + 6]:
            if word.gap_before not in (" ", "-"):
                break
            if chain[-1].text.endswith(".") and not chain[-1].is_initial:
                break
            if word.bare.casefold() in NOT_NAME_WORDS or self._is_place_only(word):
                break
            if word.is_particle or word.is_capitalised:
                if not word.is_particle and word.bare.casefold() in DUTCH_STOP_WORDS:
                    break
                chain.append(word)
                continue
            break
        while chain and chain[-1].is_particle:
            chain.pop()
        return chain

    def _result(self, start: int, end: int, score: float, reason: str) -> RecognizerResult:
        """Build a PERSON result with an explanation."""
        explanation = AnalysisExplanation(
            recognizer=self.name, original_score=score, textual_explanation=reason
        )
        return RecognizerResult(
            self.ENTITY,
            start,
            end,
            score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


class DutchSpacyRecognizer(SpacyRecognizer):
    """Presidio's spaCy recognizer for Dutch text, with the English model's guesses checked.

    The English model tags many capitalised Dutch words ("Groetjes", "Mijn") as people
    or places. A PERSON is kept only if it holds a Dutch given name or surname, trimmed
    to the name; a LOCATION is kept at full score when it is a known Dutch/Belgian
    place or country and at 0.35 (below the default threshold) otherwise. Dates,
    groups and organisations from the English model are dropped for Dutch.
    """

    ENTITIES = ["PERSON", "LOCATION"]

    def __init__(self, lexicon: DutchLexicon, ner_strength: float = 0.85):
        self.lexicon = lexicon
        super().__init__(
            supported_language="nl",
            supported_entities=list(self.ENTITIES),
            ner_strength=ner_strength,
            name="DutchSpacyRecognizer",
        )

    def analyze(self, text, entities, nlp_artifacts=None):
        """Return spaCy's PERSON and LOCATION entities that hold up for Dutch text."""
        checked = []
        for result in super().analyze(text, entities, nlp_artifacts):
            if result.entity_type not in self.ENTITIES:
                continue
            for start, end, words in self._name_like_pieces(text, result.start, result.end):
                score = result.score
                if result.entity_type == "PERSON" and not self._holds_known_name(words):
                    continue
                if result.entity_type == "LOCATION" and text[start:end] not in self.lexicon.places:
                    score = min(score, 0.35)
                piece = copy.copy(result)
                piece.start, piece.end, piece.score = start, end, score
                piece.analysis_explanation = copy.copy(result.analysis_explanation)
                if piece.analysis_explanation is not None:
                    piece.analysis_explanation.original_score = score
                    piece.analysis_explanation.score = score
                checked.append(piece)
        return checked

    def _holds_known_name(self, words: list[_Word]) -> bool:
        """Return True if the words hold a listed given name, or a surname next to more."""
        lexicon = self.lexicon
        return any(
            (word.bare in lexicon.given_names and word.bare not in AMBIGUOUS_GIVEN_NAMES)
            or (word.bare in lexicon.surname_words and len(words) > 1)
            for word in words
        )

    @staticmethod
    def _name_like_pieces(text: str, start: int, end: int) -> list[tuple[int, int, list[_Word]]]:
        """Split an entity span at line and sentence breaks; trim each piece to its name.

        A piece survives if, after dropping leading and trailing non-name words, it is
        made only of capitalised words and name particles.
        """
        pieces = []
        piece_start = start
        for separator in [*_SPAN_BREAK.finditer(text, start, end), None]:
            piece_end = separator.start() if separator else end
            trimmed = _trim_to_name(text, piece_start, piece_end)
            if trimmed is not None:
                pieces.append(trimmed)
            if separator:
                piece_start = separator.end()
        return pieces


_SPAN_BREAK = re.compile(r"\n|[!?,;:]|(?<=\p{L}{2})\.(?=\s|$)")


def _trim_to_name(text: str, start: int, end: int) -> tuple[int, int, list[_Word]] | None:
    """Drop leading/trailing non-name words of a span; None if a non-name word remains."""
    words = [
        _Word(start + m.start(), start + m.end(), m.group(), "", False)
        for m in _WORD.finditer(text[start:end])
    ]

    def is_name_like(word: _Word) -> bool:
        """Return True for a capitalised word that is not a stop word or greeting."""
        return (
            word.is_capitalised
            and word.bare.casefold() not in NOT_NAME_WORDS
            and word.bare.casefold() not in DUTCH_STOP_WORDS
        )

    while words and not is_name_like(words[0]):
        words.pop(0)
    while words and not is_name_like(words[-1]):
        words.pop()
    if not words or any(not (is_name_like(word) or word.is_particle) for word in words):
        return None
    last_end = words[-1].end - (1 if words[-1].text.endswith(".") else 0)
    return words[0].start, last_end, words


class DutchPlaceRecognizer(EntityRecognizer):
    """Find Dutch and Belgian place names after "in", "uit", "te", "naar" or a postcode."""

    ENTITY = "LOCATION"
    _CUE = re.compile(
        r"(?:\b(?:in|uit|te|naar|vanuit|bij|richting|omgeving|regio|woonplaats:?)"
        r"|\b[1-9]\d{3}\s?[A-Z]{2})\s+(?=['’]?[\p{Lu}])"
    )
    _MAX_WORDS = 5

    def __init__(self, lexicon: DutchLexicon, supported_language: str = "nl"):
        self.lexicon = lexicon
        super().__init__(
            supported_entities=[self.ENTITY],
            supported_language=supported_language,
            name="DutchPlaceRecognizer",
        )

    def load(self) -> None:
        """Nothing to load: the lexicon is passed in."""

    def analyze(self, text, entities, nlp_artifacts=None):
        """Return LOCATION results for listed places that follow a place cue."""
        if self.ENTITY not in entities:
            return []
        results = []
        for cue in self._CUE.finditer(text):
            start = cue.end()
            words = list(re.finditer(r"[^\s,.;:!?()]+", text[start : start + 80]))
            for count in range(min(self._MAX_WORDS, len(words)), 0, -1):
                end = start + words[count - 1].end()
                if text[start:end] in self.lexicon.places:
                    results.append(self._result(start, end))
                    break
        return results

    def _result(self, start: int, end: int) -> RecognizerResult:
        """Build a LOCATION result with an explanation."""
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=0.7,
            textual_explanation="Dutch or Belgian place name after a place cue",
        )
        return RecognizerResult(
            self.ENTITY,
            start,
            end,
            0.7,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
            },
        )


def bsn_passes_eleven_test(digits: str) -> bool:
    """Return True if a 9-digit string is a valid BSN (weights 9..2 and -1, sum % 11 == 0)."""
    if len(digits) != 9 or not digits.isdigit() or int(digits) == 0:
        return False
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


class _GatedPatternRecognizer(PatternRecognizer):
    """A pattern recognizer that skips texts without its ``gate``, which every match needs.

    Most comments hold no Dutch number at all; one cheap search spares them Presidio's
    pattern loop.
    """

    gate: re.Pattern[str]

    def analyze(self, text, entities, nlp_artifacts=None, regex_flags=None):
        """Return the pattern matches, or none when the gate does not occur."""
        if not self.gate.search(text):
            return []
        return super().analyze(text, entities, nlp_artifacts, regex_flags)


#: Nine digits, whatever lies between them: the least a BSN or Dutch phone number holds.
_NINE_DIGITS = re.compile(r"\d(?:\D*\d){8}")


class BsnRecognizer(_GatedPatternRecognizer):
    """Dutch citizen service numbers (BSN) that pass the 11-test.

    On English text a bare 9-digit number scores 0.35 and so needs a context word
    ("bsn", "burgerservicenummer", "sofinummer") to pass the default threshold: about
    one in eleven random 9-digit numbers (order numbers, tracking codes) passes the
    11-test. On Dutch text, where a BSN is what a bare 11-proof 9-digit number most
    often is, it scores 0.4 and is reported without a context word (a cue such as
    "bestelling" still makes it an order number). The dotted form 1234.56.782 scores
    0.5. Numbers failing the 11-test are dropped.
    """

    CONTEXT = ["bsn", "burgerservicenummer", "sofinummer", "sofi", "citizen service number"]
    gate = _NINE_DIGITS

    def __init__(self, supported_language: str = "nl"):
        bare = 0.4 if supported_language == "nl" else 0.35
        super().__init__(
            supported_entity="NL_BSN",
            name="BsnRecognizer",
            supported_language=supported_language,
            patterns=[
                Pattern("BSN dotted", r"(?<![\d.])\d{4}\.\d{2}\.\d{3}(?![\d.])", 0.5),
                Pattern("BSN", r"(?<![\d.\-])\d{9}(?![\d\-])", bare),
                Pattern("BSN grouped", r"(?<![\d.\-])\d{3}[ \-]\d{3}[ \-]\d{3}(?![\d\-])", bare),
            ],
            context=list(self.CONTEXT),
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Reject numbers that fail the 11-test."""
        return not bsn_passes_eleven_test(re.sub(r"\D", "", pattern_text))


class NlPostcodeRecognizer(_GatedPatternRecognizer):
    """Dutch postcodes such as "1234 AB" or "1234AB" (entity POSTCODE).

    Matching is case-sensitive: "1234 ab" is rarely a postcode and "1234 en" never.
    A postcode followed by a capitalised word (a place) scores 0.7, otherwise 0.45;
    letter pairs that Dutch postcodes never use (SA, SD, SS) and unit abbreviations
    without a place after them ("2000 GB", "500 KM") are not matched.
    """

    _CORE = r"(?<![\w-])[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}(?![\w-])"
    PATTERNS = [
        Pattern("NL postcode with place", _CORE + r"(?=,?\s+['’]?\p{Lu}\p{Ll})", 0.7),
        Pattern(
            "NL postcode",
            r"(?<![\w-])[1-9]\d{3}\s?(?!SA|SD|SS|GB|MB|KB|TB|KM|KG|KW|MW|PK|HD|CM|MM|AM|PM|AD|BC|CE)"
            r"[A-Z]{2}(?![\w-])",
            0.45,
        ),
    ]
    CONTEXT = ["postcode", "adres", "woon", "address", "zip", "post code"]
    gate = re.compile(r"\d{4}\s?[A-Z]{2}")

    def __init__(self, supported_language: str = "nl"):
        super().__init__(
            supported_entity="POSTCODE",
            name="NlPostcodeRecognizer",
            supported_language=supported_language,
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
            global_regex_flags=re.DOTALL | re.MULTILINE,
        )


class NlPhoneRecognizer(_GatedPatternRecognizer):
    """Dutch phone numbers: 06-12345678, 06 12345678, 020-1234567, +31 6 12345678, ...

    A match must have exactly ten digits in national form (0 + 9) or 31 + nine digits
    in international form (an optional "(0)" aside). Mobile numbers (06) and
    international numbers score 0.65, other national numbers 0.5.
    """

    _SEP = r"[\s.\-]?"
    PATTERNS = [
        Pattern(
            "NL phone international",
            r"(?<![\w+])(?:\+|00)31"
            + _SEP
            + r"(?:\(0\)"
            + _SEP
            + r")?[1-9](?:"
            + _SEP
            + r"\d){8}(?![\w])",
            0.65,
        ),
        Pattern(
            "NL mobile", r"(?<![\w+\-])06" + _SEP + r"(?:\d" + _SEP + r"){7}\d(?![\w\-])", 0.65
        ),
        Pattern(
            "NL phone",
            r"(?<![\w+\-])(?:\(0[1-9]\d{1,2}\)\s?|0[1-9]\d{1,2}"
            + _SEP
            + r")\d(?:"
            + _SEP
            + r"\d){5,6}(?![\w\-])",
            0.5,
        ),
    ]
    CONTEXT = ["bel", "telefoon", "tel", "nummer", "mobiel", "whatsapp", "sms", "phone", "call"]
    gate = _NINE_DIGITS

    def __init__(self, supported_language: str = "nl"):
        super().__init__(
            supported_entity="PHONE_NUMBER",
            name="NlPhoneRecognizer",
            supported_language=supported_language,
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )

    def invalidate_result(self, pattern_text: str) -> bool:
        """Reject matches without the digit count of a Dutch number."""
        digits = re.sub(r"\D", "", pattern_text.replace("(0)", ""))
        if digits.startswith("0031"):
            digits = digits[2:]
        if digits.startswith("31") and pattern_text.lstrip().startswith(("+", "00")):
            return len(digits) != 11
        return len(digits) != 10 or not digits.startswith("0")


class DutchDateRecognizer(PatternRecognizer):
    """Dates written the Dutch way: 12-03-2024, 12/3/24, 12 maart 2024, 1 okt."""

    _MONTHS = (
        r"(?:januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november"
        r"|december|jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec)"
    )
    PATTERNS = [
        Pattern(
            "Dutch numeric date",
            r"(?<![\d\-/.])(?:0?[1-9]|[12]\d|3[01])([-/.])(?:0?[1-9]|1[0-2])\1(?:19|20)?\d{2}"
            r"(?![\d\-/])",
            0.6,
        ),
        Pattern(
            "Dutch written date",
            r"\b(?:0?[1-9]|[12]\d|3[01])\s+" + _MONTHS + r"\b\.?(?:\s+(?:19|20)\d{2}\b)?",
            0.6,
        ),
    ]
    CONTEXT = ["geboren", "geboortedatum", "datum", "verjaardag", "jarig"]

    def __init__(self, supported_language: str = "nl"):
        super().__init__(
            supported_entity="DATE_TIME",
            name="DutchDateRecognizer",
            supported_language=supported_language,
            patterns=list(self.PATTERNS),
            context=list(self.CONTEXT),
        )


def build_dutch_recognizers(language: str, lexicon: DutchLexicon) -> list[EntityRecognizer]:
    """Return the Dutch rule recognizers for text in ``language`` (NER is added separately)."""
    recognizers: list[EntityRecognizer] = [
        NlPhoneRecognizer(supported_language=language),
        NlPostcodeRecognizer(supported_language=language),
        BsnRecognizer(supported_language=language),
    ]
    if language == "nl":
        recognizers += [
            DutchNameRecognizer(lexicon),
            DutchPlaceRecognizer(lexicon),
            DutchDateRecognizer(),
        ]
    return recognizers
