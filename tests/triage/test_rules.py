"""The triage rules on their own: what they flag, what they leave alone, and rule documents."""

from __future__ import annotations

import json

import pytest

from service.errors import Unprocessable
from service.triage.engine import evaluate
from service.triage.rules import (
    builtin_ruleset,
    check_document,
    compiled_ruleset,
    rules_version,
)


def flags(text: str) -> dict[str, str]:
    """Return flag -> the words that raised it."""
    return {f.flag: text[f.start : f.end] for f in evaluate(builtin_ruleset(), text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Your kettle caught fire in my kitchen, I'm talking to my lawyer",
            {"product_safety": "caught fire", "legal_threat": "my lawyer"},
        ),
        (
            "Ik stap naar de rechter als ik mijn geld niet terugkrijg",
            {"legal_threat": "naar de rechter"},
        ),
        ("Er zat een stukje glas in de babyvoeding", {"product_safety": "glas in de babyvoeding"}),
        ("I have filed a complaint with the ICO", {"regulator": "filed a complaint with the ICO"}),
        (
            "Your manager is spreading lies about me",
            {"defamation_claim": "spreading lies about me"},
        ),
        ("I don't want to live anymore", {"self_harm": "don't want to live"}),
        ("Earn $400 a day from home, DM me", {"spam": "Earn $400 a day"}),
        ("Your driver is a complete moron", {"abuse": "complete moron"}),
    ],
)
def test_flags_with_their_evidence(text, expected):
    assert flags(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "This deal is fire",
        "I'd sue for a pizza like that lol",
        "Killer price on the sofa",
        "Sick deal, bought two",
        "The brownies are to die for",
        "I don't recall ordering the blue one",
        "Thanks to Sue at the front desk",
        "Not gonna lie, best coffee in town",
        "Een glaasje advocaat met slagroom",
        "Ik ga dood van het lachen 😂",
        "Deze saus is gevaarlijk lekker",
        "No need for lawyers, just send the part",
        "It never caught fire, it just stopped working",
    ],
)
def test_hard_negatives_raise_nothing(text):
    assert flags(text) == {}


def test_a_joke_cue_lowers_the_score_below_the_threshold_and_a_negation_drops_the_match():
    ruleset = builtin_ruleset()
    plain = evaluate(ruleset, "I will sue you for this")
    assert [(f.flag, f.score) for f in plain] == [("legal_threat", 0.9)]
    assert evaluate(ruleset, "I will sue you for this haha") == []
    assert evaluate(ruleset, "I will not sue you, relax") == []
    # A condition is not a negation.
    assert [f.flag for f in evaluate(ruleset, "If you don't refund me I will sue")] == [
        "legal_threat"
    ]


def test_flags_come_most_serious_first():
    found = evaluate(builtin_ruleset(), "You idiots, the charger exploded and I'm calling a lawyer")
    assert [f.flag for f in found] == ["product_safety", "legal_threat", "abuse"]


def test_a_deployment_rule_extends_the_built_in_ones_and_changes_the_version():
    document = check_document(
        {
            "rules": [
                {
                    "id": "brand.glowmate",
                    "flag": "product_safety",
                    "patterns": [r"\bworryingly warm\b"],
                }
            ],
            "disabled": ["spam.en"],
        }
    )
    ruleset = compiled_ruleset(json.dumps(document, sort_keys=True, separators=(",", ":")))
    found = evaluate(ruleset, "The Glowmate lamp gets worryingly warm")
    assert [(f.flag, f.rule_id) for f in found] == [("product_safety", "brand.glowmate")]
    assert evaluate(ruleset, "Earn $400 a day from home") == []  # spam.en switched off
    assert ruleset.version == rules_version(document) != builtin_ruleset().version


def test_a_rule_with_context_counts_only_next_to_one_of_its_context_words():
    document = check_document(
        {
            "rules": [
                {
                    "id": "brand.wobble",
                    "flag": "product_safety",
                    "patterns": [r"\bwobbl(?:ed|es|ing)\b"],
                    "context": [r"\b(?:my|his|her) (?:son|daughter|hand)\b"],
                }
            ]
        }
    )
    ruleset = compiled_ruleset(json.dumps(document, sort_keys=True, separators=(",", ":")))
    # In the sentence before, in the same one, or not near at all.
    near = evaluate(ruleset, "My son was on the high chair. It wobbled and tipped.")
    assert [(f.flag, f.rule_id) for f in near] == [("product_safety", "brand.wobble")]
    assert evaluate(ruleset, "The table wobbled a bit on our uneven floor.") == []
    far = "My son loves the colour. The delivery was late. Shipping took ages. The stool wobbled."
    assert evaluate(ruleset, far) == []


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("The plug got so hot it melted the socket cover", True),
        ("This cake is so hot right now, everyone wants one", False),
        ("Since using the new face cream my cheeks are puffy and itchy", True),
        ("I'm itching to try the new flavour", False),
    ],
)
def test_everyday_harm_wording_needs_its_context(text, flagged):
    assert ("product_safety" in flags(text)) is flagged


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"rules": [{"id": "x.one", "flag": "gossip", "patterns": ["a"]}]}, "rules.0"),
        ({"rules": [{"id": "x.one", "flag": "spam", "patterns": ["(unclosed"]}]}, "rules.0"),
        ({"rules": [{"id": "x.one", "flag": "spam", "patterns": ["(a+)+$"]}]}, "rules.0"),
        ({"rules": [{"id": "x.one", "flag": "spam", "patterns": ["a*"]}]}, "rules.0"),
        ({"rules": [{"id": "legal.sue.en", "flag": "spam", "patterns": ["a"]}]}, "rules.0"),
        ({"disabled": ["no.such.rule"]}, "disabled"),
        (
            {"rules": [{"id": "x.one", "flag": "spam", "patterns": ["a"], "context": "b"}]},
            "rules.0",
        ),
    ],
)
def test_a_bad_rule_document_is_refused_naming_the_problem(document, field):
    with pytest.raises(Unprocessable) as refused:
        check_document(document)
    assert field in refused.value.errors


def test_the_literal_gates_never_change_what_the_rules_find():
    import dataclasses
    from pathlib import Path

    ruleset = builtin_ruleset()
    assert sum(gate is not None for rule in ruleset.rules for gate in rule.gates) > 200
    ungated = dataclasses.replace(
        ruleset, rules=tuple(dataclasses.replace(rule, gates=()) for rule in ruleset.rules)
    )
    data = Path(__file__).resolve().parents[2] / "bench" / "data" / "triage"
    texts = [
        line.split("\t", 1)[1]
        for path in sorted(data.glob("*.tsv"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    assert len(texts) > 450
    assert [evaluate(ruleset, t) for t in texts] == [evaluate(ungated, t) for t in texts]
