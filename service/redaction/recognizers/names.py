"""Person names as written on social media: any casing, after greetings, from name lists."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from service.redaction.dutch import AMBIGUOUS_GIVEN_NAMES, NOT_NAME_WORDS
from service.redaction.recognizers import lexicon
from service.redaction.recognizers.base import RuleRecognizer

_TECHNICAL_CHAR_RE = re.compile(r"[@#/]|www\.")
_TECHNICAL_CHUNK_RE = re.compile(r"\S*(?:[@#/]|www\.)\S*")
_CLITIC_RE = re.compile(r"['’](?:s|t|ll|re|ve|d|m)$", re.I)
_WORD_RE = re.compile(r"(?<![\w'’])[^\W\d_]+(?:['’\-][^\W\d_]+)*\.?")
# Words after which the next name-like word is a person addressed or introduced.
_GREETINGS = frozenset(
    [
        "hi",
        "hey",
        "heya",
        "hello",
        "hiya",
        "yo",
        "dear",
        "thanks",
        "thank",
        "thx",
        "ty",
        "cheers",
        "bye",
        "congrats",
        "congratulations",
        "welcome",
        "morning",
        "goodnight",
        "night",
        "love",
        "miss",
        "hbd",
        "happy",
        "birthday",
        "beste",
        "hoi",
        "hallo",
        "dag",
        "groetjes",
        "bedankt",
        "dankjewel",
        "dankje",
        "doei",
        "liefs",
        "met",
        "name",
        "signed",
        "regards",
        "groeten",
        "tnx",
    ]
)
# "thank you sarah", "happy birthday sarah": the second word keeps the greeting open.
_GREETING_CONTINUATIONS = frozenset({"you", "u", "birthday", "bday", "to", "dear", "je", "wel"})
_INTRODUCTIONS = (
    ("my", "name", "is"),
    ("my", "name's"),
    ("name", "is"),
    ("name",),
    ("last", "name"),
    ("first", "name"),
    ("full", "name"),
    ("surname",),
    ("last", "name", "is"),
    ("i", "am"),
    ("i'm",),
    ("im",),
    ("this", "is"),
    ("call", "me"),
    ("ik", "ben"),
    ("mijn", "naam", "is"),
    ("ik", "heet"),
    ("called",),
    ("named",),
    ("signed",),
)
_INTRODUCTION_STARTS = frozenset(phrase[0] for phrase in _INTRODUCTIONS)
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "sir",
        "madam",
        "mister",
        "meneer",
        "mevrouw",
        "dhr",
        "mevr",
        "juffrouw",
    ]
)
# Capitalised words that open sentences or headings and collide with given names.
_NOT_NAMES = frozenset(
    [
        "i",
        "im",
        "i'm",
        "ill",
        "id",
        "ok",
        "okay",
        "lol",
        "omg",
        "rt",
        "via",
        "dm",
        "pm",
        "am",
        "news",
        "happy",
        "love",
        "god",
        "lord",
        "jesus",
        "christ",
        "christmas",
        "easter",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
        "today",
        "tonight",
        "tomorrow",
        "yesterday",
        "thanks",
        "thank",
        "hello",
        "hey",
        "hi",
        "dear",
        "name",
        "street",
        "road",
        "avenue",
        "lane",
        "apt",
        "suite",
        "unit",
        "flat",
        "box",
        "phone",
        "email",
        "fax",
        "mobile",
        "office",
        "address",
        "city",
        "state",
        "country",
        "north",
        "south",
        "east",
        "west",
        "new",
        "old",
        "great",
        "good",
        "best",
        "big",
        "little",
        "happy",
        "merry",
        "mom",
        "mum",
        "dad",
        "baby",
        "girl",
        "boy",
        "man",
        "men",
        "woman",
        "women",
        "lady",
        "guy",
        "guys",
        "bro",
        "sis",
        "team",
        "club",
        "united",
        "city",
        "fc",
        "the",
        "a",
        "an",
        "and",
        "or",
        "but",
    ]
)

# Lower-case particles inside a name ("Jan van der Berg", "Leonardo da Vinci"). They never
# end a name, and a listed family name after them is taken even if it is also a word
# ("de Jong", "van den Berg"). Place prepositions that Dutch also uses as particles
# ("in", "op", "te") are left out: "Sanne in Utrecht" is not one name.
_PARTICLES = frozenset(
    ["van", "de", "der", "den", "ter", "ten", "vd", "von", "di", "da", "del", "du", "la", "le"]
)
_MAX_PARTICLES = 3


@dataclass(frozen=True)
class _Token:
    """A word of the text with its position and casing."""

    start: int
    end: int
    text: str
    lower: str
    shape: str  # "title", "upper", "lower", "initial" or "other"


def _shape(word: str) -> str:
    """Classify a word's casing."""
    letters = word.rstrip(".")
    if len(letters) == 1:
        return "initial" if letters.isupper() else "lower"
    if letters.isupper():
        return "upper"
    if letters.islower():
        return "lower"
    if letters[0].isupper():
        return "title"
    return "other"


def _tokens(text: str) -> list[_Token]:
    """Return the words of the text, skipping those inside handles, e-mails, URLs and tags."""
    skipped = (
        [m.span() for m in _TECHNICAL_CHUNK_RE.finditer(text)]
        if _TECHNICAL_CHAR_RE.search(text)
        else []
    )
    tokens = []
    for match in _WORD_RE.finditer(text):
        start, end = match.span()
        if skipped and any(s <= start < e for s, e in skipped):
            continue
        word = match.group()
        clitic = _CLITIC_RE.search(word)
        if clitic:
            # "What's", "Asya's", "don't": the word is the part before the apostrophe.
            word = word[: clitic.start()]
            end = start + len(word)
        if word.endswith(".") and len(word) > 2:
            # A sentence full stop, not an initial's dot.
            word = word[:-1]
            end -= 1
        tokens.append(_Token(start, end, word, word.rstrip(".").lower(), _shape(word)))
    return tokens


class PersonNameRecognizer(RuleRecognizer):
    """Find person names in any casing using name lists, casing runs and greeting context.

    Evidence, strongest first: a title or greeting/introduction before the word; a
    run of capitalised words that starts with a given name or ends with a family
    name; a given name that is not also an English word. Lower-case and ALL CAPS
    text is read with the same lists, but needs a first+last pair or context.
    """

    entity_type = "PERSON"

    def __init__(self, supported_language: str = "en", name: str | None = None) -> None:
        super().__init__(supported_language=supported_language, name=name)
        self._first = lexicon.first_names()
        self._last = lexicon.last_names()
        self._common = lexicon.common_words() | _NOT_NAMES
        self._vocabulary = lexicon.english_vocabulary()
        self._countries = lexicon.country_names()
        self._ambiguous: frozenset[str] = frozenset()
        # On Dutch text the English vocabulary cannot tell a Dutch word from a name, so
        # evidence must come from the name lists: Dutch function and frequent words are
        # common words, given names that are also Dutch words need context, and a run
        # of words merely unknown to the English vocabulary is no name.
        self._dutch = supported_language == "nl"
        if self._dutch:
            self._common = self._common | lexicon.dutch_common_words() | NOT_NAME_WORDS
            self._ambiguous = frozenset(name.lower() for name in AMBIGUOUS_GIVEN_NAMES)

    # -- word classes ---------------------------------------------------------------
    def _is_first(self, token: _Token) -> bool:
        return token.lower in self._first

    def _is_last(self, token: _Token) -> bool:
        return token.lower in self._last and token.lower not in _PARTICLES

    def _is_common(self, token: _Token) -> bool:
        return token.lower in self._common or token.lower in self._countries

    def _is_plain_word(self, token: _Token) -> bool:
        """Tell whether the word is an ordinary word (so a lone match needs more evidence)."""
        return (
            token.lower in self._vocabulary
            or token.lower in self._common
            or token.lower in self._ambiguous
        )

    def _is_surname_after_particle(self, token: _Token) -> bool:
        """Tell whether the word can be the family name after a particle ("de Jong")."""
        if token.lower in _NOT_NAMES or token.lower in NOT_NAME_WORDS:
            return False
        return self._is_last(token) or (
            token.shape in ("title", "upper") and not self._is_plain_word(token)
        )

    def _particle_bridge(self, text: str, tokens: list[_Token], position: int) -> int | None:
        """Return the index of the family name after particles starting at ``position``.

        Returns None unless ``position`` starts 1-3 adjacent particles followed by an
        adjacent word that can be a family name, so a name never ends in "van de".
        """
        index = position
        while (
            index < len(tokens)
            and index - position < _MAX_PARTICLES
            and _is_particle(tokens[index])
        ):
            index += 1
        if index == position or index >= len(tokens):
            return None
        if not all(_adjacent(text, tokens[k - 1], tokens[k]) for k in range(position, index + 1)):
            return None
        return index if self._is_surname_after_particle(tokens[index]) else None

    def _namelike(self, token: _Token, mode: str) -> bool:
        """Tell whether the word is cased like a name for the text's casing mode."""
        if token.shape in ("title", "initial"):
            return True
        if token.shape == "upper":
            return mode == "upper" or len(token.lower) > 1
        return mode == "lower" and token.shape == "lower"

    # -- main -------------------------------------------------------------------------
    def find(self, text: str) -> Iterator[tuple[int, int, float, str]]:
        """Yield person-name spans found by context, casing runs and name lists."""
        tokens = _tokens(text)
        if not tokens:
            return
        mode = _casing_mode(tokens)
        taken: set[int] = set()
        yield from self._after_context(text, tokens, taken)
        yield from self._runs(text, tokens, mode, taken)

    def _after_context(
        self, text: str, tokens: list[_Token], taken: set[int]
    ) -> Iterator[tuple[int, int, float, str]]:
        """Yield names that follow a greeting, title or self-introduction."""
        for index, token in enumerate(tokens):
            start_at = None
            rule = ""
            if token.lower in _TITLES:
                start_at, rule = index + 1, "title"
            elif token.lower in _GREETINGS:
                start_at, rule = index + 1, "greeting"
                while start_at < len(tokens) and tokens[start_at].lower in _GREETING_CONTINUATIONS:
                    start_at += 1
            elif token.lower in _INTRODUCTION_STARTS:
                for phrase in _INTRODUCTIONS:
                    end_at = index + len(phrase)
                    if end_at <= len(tokens) and all(
                        tokens[index + k].lower == phrase[k] for k in range(len(phrase))
                    ):
                        start_at, rule = end_at, "introduction"
                        break
            if start_at is None or start_at >= len(tokens) or start_at in taken:
                continue
            if not _adjacent(text, tokens[start_at - 1], tokens[start_at], allow=",:?!-"):
                continue
            span = self._name_after(text, tokens, start_at, rule)
            if span is None:
                continue
            first, last = span
            taken.update(range(first, last + 1))
            yield tokens[first].start, tokens[last].end, 0.8, rule

    def _name_after(
        self, text: str, tokens: list[_Token], index: int, rule: str
    ) -> tuple[int, int] | None:
        """Return the token range of the name starting at index, if the words look like one."""
        token = tokens[index]
        if token.lower in _TITLES:
            index += 1
            if index >= len(tokens):
                return None
            token = tokens[index]
            rule = "title"
        cased = token.shape in ("title", "upper")
        listed = self._is_first(token) or self._is_last(token)
        if token.lower in self._common or token.shape == "initial":
            return None
        if rule == "title":
            ok = True
        elif rule == "greeting":
            # "hey guys", "thanks again": a lower-case word must be a listed name.
            ok = listed or (cased and not self._is_plain_word(token))
        else:
            ok = listed or cased
        if not ok:
            return None
        last = index
        for _ in range(2):
            follower = last + 1
            if follower >= len(tokens) or not _adjacent(text, tokens[last], tokens[follower]):
                break
            surname = self._particle_bridge(text, tokens, follower)
            if surname is not None:
                last = surname
                continue
            nxt = tokens[follower]
            if nxt.lower in self._common or nxt.lower in _PARTICLES:
                break
            same_case = nxt.shape == token.shape or nxt.shape == "initial"
            if self._is_last(nxt) or (same_case and cased and not self._is_plain_word(nxt)):
                last = follower
            else:
                break
        return index, last

    def _runs(
        self, text: str, tokens: list[_Token], mode: str, taken: set[int]
    ) -> Iterator[tuple[int, int, float, str]]:
        """Yield names found as runs of name-cased words backed by the name lists."""
        index = 0
        while index < len(tokens):
            if index in taken or not self._namelike(tokens[index], mode):
                index += 1
                continue
            end = index
            # One-case text carries no casing cue, so its whole word run is read with the lists.
            cap = 3 if mode == "mixed" else len(tokens)
            while end + 1 < len(tokens) and end + 1 not in taken and end - index < cap:
                if self._namelike(tokens[end + 1], mode) and _adjacent(
                    text, tokens[end], tokens[end + 1]
                ):
                    end += 1
                    continue
                surname = self._particle_bridge(text, tokens, end + 1) if mode == "mixed" else None
                if (
                    surname is None
                    or tokens[surname].shape != "title"
                    or self._is_common(tokens[end])
                    or any(k in taken for k in range(end + 1, surname + 1))
                ):
                    break
                # "Jan de Vries": lower-case particles join two name-cased words.
                end = surname
            if mode == "mixed":
                yield from self._score_run(text, tokens, index, end, mode)
            else:
                yield from self._lower_run(tokens[index : end + 1])
            index = end + 1

    def _score_run(
        self, text: str, tokens: list[_Token], first: int, last: int, mode: str
    ) -> Iterator[tuple[int, int, float, str]]:
        """Yield the name inside one run of name-cased words, trimmed of common words."""
        while first <= last and (
            _is_particle(tokens[first])
            or (
                (self._is_common(tokens[first]) or tokens[first].shape == "initial")
                and not (self._is_first(tokens[first]) and not self._is_plain_word(tokens[first]))
            )
        ):
            first += 1
        while last >= first and (
            _is_particle(tokens[last])
            or (
                (self._is_common(tokens[last]) or tokens[last].shape == "initial")
                and not self._ends_particle_name(tokens, first, last)
            )
        ):
            last -= 1
        if first > last:
            return
        run = tokens[first : last + 1]
        head, tail = run[0], run[-1]
        if head.shape == "lower":
            yield from self._lower_run(run)
            return
        if len(run) >= 2:
            has_initial = any(t.shape == "initial" for t in run[1:-1])
            unknown = not self._dutch and all(
                not self._is_plain_word(t) and not self._is_common(t)
                for t in run
                if t.shape != "initial" and t.lower not in _PARTICLES
            )
            if self._is_first(head) and self._is_last(tail) and not self._is_common(head):
                score = 0.85
            elif (
                self._is_first(head)
                and not self._is_common(head)
                and (not self._is_plain_word(head) or not self._is_plain_word(tail))
            ) or has_initial:
                score = 0.75
            elif self._is_last(tail) and not self._is_plain_word(tail):
                score = 0.7
            elif unknown and len(run) <= 3:
                score = 0.6
            else:
                return
            yield head.start, tail.end, score, "name_run"
            return
        token = head
        if self._is_common(token):
            return
        at_start = _sentence_start(text, token)
        if (
            self._is_first(token)
            and token.lower not in self._ambiguous
            and (not at_start or not self._is_plain_word(token))
        ):
            yield token.start, token.end, 0.6, "given_name"
        elif self._is_last(token) and not self._is_plain_word(token):
            yield token.start, token.end, 0.5, "family_name"
        elif (
            not self._dutch
            and at_start
            and text[token.end : token.end + 1] == ":"
            and not self._is_plain_word(token)
        ):
            yield token.start, token.end, 0.5, "speaker"

    def _ends_particle_name(self, tokens: list[_Token], first: int, last: int) -> bool:
        """Tell whether the word at ``last`` is a family name after a particle ("de Jong")."""
        return (
            last > first
            and _is_particle(tokens[last - 1])
            and self._is_surname_after_particle(tokens[last])
        )

    def _lower_run(self, run: list[_Token]) -> Iterator[tuple[int, int, float, str]]:
        """Yield given names (with a following family name) inside one-case words."""
        index = 0
        while index < len(run):
            token = run[index]
            if not self._is_first(token) or self._is_common(token) or token.lower in _PARTICLES:
                index += 1
                continue
            last = index
            probe = index + 1
            if (
                probe < len(run)
                and run[probe].shape == "initial"
                or (probe < len(run) and len(run[probe].lower) == 1)
            ):
                probe += 1
            after_particles = probe
            while (
                after_particles < len(run)
                and after_particles - probe < _MAX_PARTICLES
                and run[after_particles].lower in _PARTICLES
            ):
                after_particles += 1
            if after_particles > probe:
                # "jan de vries": particles only count with a family name after them.
                if after_particles < len(run) and self._is_surname_after_particle(
                    run[after_particles]
                ):
                    last = after_particles
            elif (
                probe < len(run)
                and not self._is_common(run[probe])
                and (self._is_last(run[probe]) or not self._is_plain_word(run[probe]))
            ):
                last = probe
            if last > index:
                yield token.start, run[last].end, 0.6, "lowercase_full_name"
            elif not self._is_plain_word(token) and len(token.lower) > 3:
                yield token.start, token.end, 0.5, "lowercase_given_name"
            index = last + 1


def _is_particle(token: _Token) -> bool:
    """Tell whether the word is a lower-case name particle ("van", "de", "da")."""
    return token.shape == "lower" and token.lower in _PARTICLES


def _adjacent(text: str, left: _Token, right: _Token, allow: str = "") -> bool:
    """Tell whether two words are separated only by spaces (and optionally the allowed marks)."""
    gap = text[left.end : right.start]
    return len(gap) <= 3 and all(ch == " " or ch in allow for ch in gap) and "\n" not in gap


def _sentence_start(text: str, token: _Token) -> bool:
    """Tell whether the word opens a sentence or a line."""
    before = text[: token.start].rstrip(" \t\"'“(")
    return not before or before[-1] in ".!?\n:"


def _casing_mode(tokens: list[_Token]) -> str:
    """Return "lower" or "upper" for texts written in one case, otherwise "mixed"."""
    shapes = [t.shape for t in tokens if len(t.lower) > 1]
    if not shapes:
        return "mixed"
    uppers = sum(1 for s in shapes if s == "upper")
    lowers = sum(1 for s in shapes if s == "lower")
    if uppers >= 0.7 * len(shapes) and len(shapes) >= 2:
        return "upper"
    if lowers == len(shapes):
        return "lower"
    return "mixed"
