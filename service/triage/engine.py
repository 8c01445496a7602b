"""Evaluate the triage rules on a text: which flags it raises, where, with what score and why.

A rule matches a pattern; the match then passes these checks, each explainable on its own:

* a rule with *context* patterns needs one of them in the match's sentence or the one before
  or after it ("melted" counts next to "plug" or "my hand", not next to "my heart");
* an *exception* of the rule matching in the same sentence ("fire sale", "killer price",
  "I'd be lying if") drops it;
* a *negation* cue in the few words before it, in the same clause ("never caught fire",
  "niet naar de rechter"), drops it unless the rule says negation does not apply;
* a *joke* cue in the sentence or a short text ("lol", "haha", "😂") and a *hedge* cue
  ("almost", "kinda", "bijna") scale its score down by the rule's factors;
* a *resolution* cue in the sentence ("was fixed", "no harm done", "panic over", "opgelost")
  scales it by the rule's ``resolved_factor``: a strong report ("caught fire") stays above the
  threshold, a weak cue ("got a bit warm") does not.

A flag is raised when the best surviving match of its rules scores at least the threshold.
No model is involved: the same text and rule set always give the same flags.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# The flags in the order of seriousness: the review queue lists the most serious first.
FLAGS = (
    "self_harm",
    "product_safety",
    "legal_threat",
    "regulator",
    "defamation_claim",
    "abuse",
    "spam",
)
SEVERITY = {flag: rank for rank, flag in enumerate(FLAGS)}
# Flags that could become a legal claim: erasure warns about them and a hold is suggested for
# the first two.
LEGAL_FLAGS = ("product_safety", "legal_threat", "regulator", "defamation_claim")
HOLD_SUGGESTED_FOR = ("legal_threat", "product_safety")
# Flags that stop a public reply until someone has reviewed the item.
REPLY_BLOCKING_FLAGS = ("self_harm", "product_safety", "legal_threat")

THRESHOLD = 0.5
# A joke cue anywhere in a text this short counts for every sentence of it.
_SHORT_TEXT = 280
_NEGATION_WINDOW = 4

_SENTENCE_END = re.compile(r"[.!?\n]+|$")
# "and" / "en" starts a new clause for negation when a new subject or a time word follows it
# ("it wouldn't pop up and flames came out"; "didn't spark and catch fire" stays one clause).
_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2014\u2013]|\s-\s|\b(?:but|though|although|however|maar|alleen|echter)\b"
    r"|\band (?=(?:the|a|an|it|then|suddenly|now|flames|smoke|sparks|i|he|she|we|they|my|his|her"
    r"|our|their)\b)"
    r"|\ben (?=(?:de|het|een|toen|ineens|opeens|plots|ik|hij|zij|ze|we|wij|mijn|zijn|haar|ons"
    r"|onze)\b)",
    re.IGNORECASE,
)
_WORD = re.compile(r"[\w'’]+", re.UNICODE)


@dataclass(frozen=True)
class Rule:
    """One compiled rule: patterns that raise a flag, and what overrides them."""

    id: str
    flag: str
    score: float
    patterns: tuple[re.Pattern[str], ...]
    exceptions: tuple[re.Pattern[str], ...] = ()
    # One of these must match near the match (its sentence or a neighbouring one), if any.
    context: tuple[re.Pattern[str], ...] = ()
    # Per pattern, an alternation of lower-case strings one of which every match starts with
    # (None: no gate; see gate_pattern): a text containing none of them is not scanned with
    # that pattern. One search of the lower-cased text is cheaper than a test per string.
    gates: tuple[re.Pattern[str] | None, ...] = ()
    negatable: bool = True
    joke_factor: float = 0.3
    hedge_factor: float = 0.7
    # Applied when a resolution cue is in the sentence; 1.0: the rule ignores resolutions.
    resolved_factor: float = 1.0
    description: str = ""


@dataclass(frozen=True)
class Cues:
    """The shared cue lists: negations, jokes, hedges and resolutions (English and Dutch)."""

    negations: frozenset[str]
    negation_exceptions: tuple[re.Pattern[str], ...]
    jokes: tuple[re.Pattern[str], ...]
    hedges: tuple[re.Pattern[str], ...]
    resolutions: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True)
class RuleSet:
    """Every rule in force, the cues, and the version stamped on the flags they raise."""

    version: str
    rules: tuple[Rule, ...]
    cues: Cues
    threshold: float = THRESHOLD


@dataclass(frozen=True)
class Flag:
    """A flag raised on a text: the best match of its rules (offsets into the text)."""

    flag: str
    start: int
    end: int
    score: float
    rule_id: str


def evaluate(ruleset: RuleSet, text: str) -> list[Flag]:
    """Return the flags a text raises, one per flag (its best match), most serious first."""
    sentences = _spans(text)
    starts = [start for start, _ in sentences]
    short = len(text) <= _SHORT_TEXT
    text_joke = short and _any(ruleset.cues.jokes, text)
    lowered = text.lower()
    best: dict[str, Flag] = {}
    for rule in ruleset.rules:
        gates = rule.gates or (None,) * len(rule.patterns)
        for pattern, gate in zip(rule.patterns, gates, strict=True):
            if gate is not None and gate.search(lowered) is None:
                continue
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                score = _score(ruleset, rule, text, sentences, starts, match, text_joke)
                if score is None or score < ruleset.threshold:
                    continue
                current = best.get(rule.flag)
                if current is None or score > current.score:
                    best[rule.flag] = Flag(rule.flag, match.start(), match.end(), score, rule.id)
    return sorted(best.values(), key=lambda flag: SEVERITY[flag.flag])


def _score(
    ruleset: RuleSet,
    rule: Rule,
    text: str,
    sentences: Sequence[tuple[int, int]],
    starts: Sequence[int],
    match: re.Match[str],
    text_joke: bool,
) -> float | None:
    """Return the score of one match after exceptions, negation, jokes and hedges (or None)."""
    index = max(0, bisect.bisect_right(starts, match.start()) - 1)
    start, end = sentences[index]
    sentence = text[start:end]
    if any(exception.search(sentence) for exception in rule.exceptions):
        return None
    if rule.context:
        near = text[
            sentences[max(0, index - 1)][0] : sentences[min(len(sentences) - 1, index + 1)][1]
        ]
        if not _any(rule.context, near):
            return None
    if rule.negatable and _negated(ruleset.cues, text[start : match.start()], match.group()):
        return None
    score = rule.score
    if text_joke or _any(ruleset.cues.jokes, sentence):
        score *= rule.joke_factor
    if _any(ruleset.cues.hedges, sentence):
        score *= rule.hedge_factor
    if rule.resolved_factor != 1.0 and _any(ruleset.cues.resolutions, sentence):
        score *= rule.resolved_factor
    return round(score, 3)


def _negated(cues: Cues, before: str, matched: str = "") -> bool:
    """Tell whether the words just before a match, in its clause, negate it.

    The match's first word is read with the words before it, so that "and flames" can start a
    new clause; it is not itself a negation cue.
    """
    head = _WORD.match(matched)
    head_word = head.group() if head else ""
    clause = _CLAUSE_BREAK.split(before + head_word)[-1]
    clause = clause[: len(clause) - len(head_word)]
    if any(exception.search(clause) for exception in cues.negation_exceptions):
        return False
    words = [w.lower().replace("’", "'") for w in _WORD.findall(clause)][-_NEGATION_WINDOW:]
    return any(word in cues.negations or word.endswith("n't") for word in words)


def _spans(text: str) -> list[tuple[int, int]]:
    """Return the (start, end) of each sentence of a text."""
    spans = []
    position = 0
    for end in _SENTENCE_END.finditer(text):
        if end.end() > position:
            spans.append((position, end.end()))
        position = end.end()
        if end.end() == len(text):
            break
    return spans or [(0, len(text))]


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)


_MAX_PREFIXES = 64
_MIN_PREFIX = 3


def gate_pattern(prefixes: frozenset[str] | None) -> re.Pattern[str] | None:
    """Return a pattern that finds any of a pattern's literal prefixes (None for no gate)."""
    if not prefixes:
        return None
    return re.compile("|".join(re.escape(prefix) for prefix in sorted(prefixes)))


def literal_prefixes(pattern: str) -> frozenset[str] | None:
    """Return lower-case strings one of which starts every match of a pattern, or None.

    Read from the parsed pattern: literals, groups and alternatives up to the first repeat,
    class or anything else; anchors and look-arounds are skipped. None when a prefix would be
    shorter than three characters or there would be too many.
    """
    try:
        from re import _parser as parser  # the standard library's own parser

        parsed = parser.parse(pattern)
        found = _walk(parser, list(parsed), {("", True)})
    except Exception:  # no gate is always safe
        return None
    if found is None or not found:
        return None
    prefixes = frozenset(text.lower() for text, _ in found)
    if min(len(prefix) for prefix in prefixes) < _MIN_PREFIX:
        return None
    return prefixes


def _walk(parser, items, current):
    for op, value in items:
        name = str(op)
        if name == "LITERAL":
            current = {
                (text + chr(value), True) if is_open else (text, False) for text, is_open in current
            }
        elif name in ("AT", "ASSERT", "ASSERT_NOT"):
            continue
        elif name == "SUBPATTERN":
            current = _walk(parser, list(value[-1]), current)
        elif name == "BRANCH":
            joined = set()
            for text, is_open in current:
                if not is_open:
                    joined.add((text, False))
                    continue
                for alternative in value[1]:
                    tail = _walk(parser, list(alternative), {("", True)})
                    if tail is None:
                        return None
                    joined |= {(text + more, more_open) for more, more_open in tail}
            current = joined
        else:
            current = {(text, False) for text, _ in current}
        if current is None or len(current) > _MAX_PREFIXES:
            return None
    return current
