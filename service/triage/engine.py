"""Evaluate the triage rules on a text: which flags it raises, where, with what score and why.

A rule matches a pattern; the match then passes three checks, each explainable on its own:

* an *exception* of the rule matching in the same sentence ("fire sale", "killer price",
  "I'd be lying if") drops it;
* a *negation* cue in the few words before it, in the same clause ("never caught fire",
  "niet naar de rechter"), drops it unless the rule says negation does not apply;
* a *joke* cue in the sentence or a short text ("lol", "haha", "😂") and a *hedge* cue
  ("almost", "kinda", "bijna") scale its score down by the rule's factors.

A flag is raised when the best surviving match of its rules scores at least the threshold.
No model is involved: the same text and rule set always give the same flags.
"""

from __future__ import annotations

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
_CLAUSE_BREAK = re.compile(
    r"[,;:()\u2014\u2013]|\s-\s|\b(?:but|though|although|however|maar|alleen|echter)\b",
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
    negatable: bool = True
    joke_factor: float = 0.3
    hedge_factor: float = 0.7
    description: str = ""


@dataclass(frozen=True)
class Cues:
    """The shared cue lists: negations, jokes and hedges (English and Dutch)."""

    negations: frozenset[str]
    negation_exceptions: tuple[re.Pattern[str], ...]
    jokes: tuple[re.Pattern[str], ...]
    hedges: tuple[re.Pattern[str], ...]


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
    short = len(text) <= _SHORT_TEXT
    text_joke = short and _any(ruleset.cues.jokes, text)
    best: dict[str, Flag] = {}
    for rule in ruleset.rules:
        for pattern in rule.patterns:
            for match in pattern.finditer(text):
                if match.end() == match.start():
                    continue
                score = _score(ruleset, rule, text, sentences, match, text_joke)
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
    match: re.Match[str],
    text_joke: bool,
) -> float | None:
    """Return the score of one match after exceptions, negation, jokes and hedges (or None)."""
    start, end = _containing(sentences, match.start())
    sentence = text[start:end]
    if any(exception.search(sentence) for exception in rule.exceptions):
        return None
    if rule.negatable and _negated(ruleset.cues, text[start : match.start()]):
        return None
    score = rule.score
    if text_joke or _any(ruleset.cues.jokes, sentence):
        score *= rule.joke_factor
    if _any(ruleset.cues.hedges, sentence):
        score *= rule.hedge_factor
    return round(score, 3)


def _negated(cues: Cues, before: str) -> bool:
    """Tell whether the words just before a match, in its clause, negate it."""
    clause = _CLAUSE_BREAK.split(before)[-1]
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


def _containing(spans: Sequence[tuple[int, int]], offset: int) -> tuple[int, int]:
    for start, end in spans:
        if start <= offset < end:
            return start, end
    return spans[-1]


def _any(patterns: Iterable[re.Pattern[str]], text: str) -> bool:
    return any(pattern.search(text) for pattern in patterns)
