"""The labelled triage comments: well formed, and none tuned on is also held out."""

from __future__ import annotations

import re

from bench.triage import DEVELOPMENT, SPLITS, load_examples


def _key(text: str) -> str:
    """A comment's words, case and punctuation aside ("I'm dead!" and "i'm DEAD" are one)."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def test_every_split_and_language_has_comments():
    examples = load_examples()
    for split in SPLITS:
        for language in ("en", "nl"):
            assert any(e.split == split and e.language == language for e in examples)


def test_no_comment_is_in_both_a_development_and_a_held_out_split():
    examples = load_examples()
    tuned = {_key(e.text): e for e in examples if e.split in DEVELOPMENT}
    shared = [
        f"{e.split}.{e.language}:{e.line} = {tuned[_key(e.text)].split}"
        for e in examples
        if e.split not in DEVELOPMENT and _key(e.text) in tuned
    ]
    assert shared == []


def test_no_comment_is_in_two_held_out_splits():
    seen: dict[str, str] = {}
    shared = []
    for e in load_examples():
        if e.split in DEVELOPMENT:
            continue
        key = _key(e.text)
        if seen.setdefault(key, e.split) != e.split:
            shared.append(f"{e.split}.{e.language}:{e.line} = {seen[key]}")
    assert shared == []


def test_the_key_ignores_case_and_punctuation_only():
    assert _key("I'm dead, this ad is hilarious!") == _key("i'm dead this ad is HILARIOUS")
    assert _key("the kettle caught fire") != _key("the kettle never caught fire")
