"""The triage rule set: built-in rules (rules.toml) plus the deployment's own, and its version.

The built-in rules live in ``rules.toml`` next to this module, as data: every rule has an id, a
flag, a score, patterns, and exceptions. A deployment adds rules of its own and switches
built-in ones off through ``PUT /v1/triage/rules`` (stored in ``triage_rule_sets``). The
version is a fingerprint of the rules file, the engine code and the deployment's document, so
a change to any of them makes ``POST /v1/scans`` re-evaluate every item.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

from service.audit import Actor, record_event
from service.db import queries
from service.errors import Unprocessable
from service.triage.engine import FLAGS, Cues, Rule, RuleSet, gate_pattern, literal_prefixes

_PACKAGE = Path(__file__).resolve().parent
RULES_FILE = _PACKAGE / "rules.toml"
MAX_CUSTOM_RULES = 200
MAX_PATTERNS = 50
MAX_PATTERN_CHARS = 300
_RULE_ID = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,79}$")
# A quantified group that itself contains a quantifier: the shape of catastrophic backtracking.
_NESTED_QUANTIFIER = re.compile(r"\((?:[^()\\]|\\.)*[+*](?:[^()\\]|\\.)*\)\s*(?:[+*]|\{\d*,)")
_RULE_FIELDS = {
    "id",
    "flag",
    "score",
    "patterns",
    "exceptions",
    "context",
    "negatable",
    "joke_factor",
    "hedge_factor",
    "resolved_factor",
    "description",
}
EMPTY_DOCUMENT: dict[str, Any] = {"rules": [], "disabled": []}


@functools.cache
def builtin_document() -> dict[str, Any]:
    """Return the built-in rules file, parsed."""
    with RULES_FILE.open("rb") as handle:
        return tomllib.load(handle)


def _code_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.glob("*.py")):
        if path.name in ("engine.py", "rules.py"):
            digest.update(path.read_bytes())
    digest.update(RULES_FILE.read_bytes())
    return digest.hexdigest()


@functools.cache
def _builtin_fingerprint() -> str:
    return _code_fingerprint()


def rules_version(custom: Mapping[str, Any] | None) -> str:
    """Return the version of the built-in rules with a deployment's document applied."""
    digest = hashlib.sha256(_builtin_fingerprint().encode())
    digest.update(_canonical(custom or EMPTY_DOCUMENT).encode())
    return "triage-" + digest.hexdigest()[:12]


def _canonical(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def load_ruleset(conn: psycopg.Connection) -> RuleSet:
    """Return the rule set in force: the built-in rules with the stored document applied."""
    row = conn.execute(queries()["get_triage_rule_set"]).fetchone()
    return compiled_ruleset(_canonical(row["document"] if row else EMPTY_DOCUMENT))


@functools.lru_cache(maxsize=8)
def compiled_ruleset(custom_json: str) -> RuleSet:
    """Compile the built-in rules plus a (canonical JSON) document; cached per document."""
    custom = json.loads(custom_json)
    builtin = builtin_document()
    disabled = set(custom.get("disabled", []))
    rules = [_compile(raw) for raw in builtin["rules"] if raw["id"] not in disabled]
    rules += [_compile(raw) for raw in custom.get("rules", [])]
    cues = builtin["cues"]
    return RuleSet(
        version=rules_version(custom),
        rules=tuple(rules),
        cues=Cues(
            negations=frozenset(word.lower() for word in cues["negations"]),
            negation_exceptions=tuple(_regex(p) for p in cues["negation_exceptions"]),
            jokes=tuple(_regex(p) for p in cues["jokes"]),
            hedges=tuple(_regex(p) for p in cues["hedges"]),
            resolutions=tuple(_regex(p) for p in cues.get("resolutions", [])),
        ),
        threshold=float(builtin.get("threshold", 0.5)),
    )


def builtin_ruleset() -> RuleSet:
    """Return the built-in rules alone (what a deployment without its own rules uses)."""
    return compiled_ruleset(_canonical(EMPTY_DOCUMENT))


def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE | re.UNICODE)


def _compile(raw: Mapping[str, Any]) -> Rule:
    return Rule(
        id=raw["id"],
        flag=raw["flag"],
        score=float(raw.get("score", 0.9)),
        patterns=tuple(_regex(p) for p in raw["patterns"]),
        gates=tuple(gate_pattern(literal_prefixes(p)) for p in raw["patterns"]),
        exceptions=tuple(_regex(p) for p in raw.get("exceptions", [])),
        context=tuple(_regex(p) for p in raw.get("context", [])),
        negatable=bool(raw.get("negatable", True)),
        joke_factor=float(raw.get("joke_factor", 0.3)),
        hedge_factor=float(raw.get("hedge_factor", 0.7)),
        resolved_factor=float(raw.get("resolved_factor", 1.0)),
        description=raw.get("description", ""),
    )


def check_document(document: Mapping[str, Any]) -> dict[str, Any]:
    """Return a deployment's rule document in canonical form; raise Unprocessable naming
    every problem (unknown flag, pattern that does not compile or could backtrack badly)."""
    errors: dict[str, list[str]] = {}
    builtin_ids = {rule["id"] for rule in builtin_document()["rules"]}
    extra = sorted(set(document) - {"rules", "disabled"})
    if extra:
        errors["_schema"] = [f"Unknown field(s): {', '.join(extra)}."]
    rules = document.get("rules", [])
    disabled = document.get("disabled", [])
    if not isinstance(rules, list) or len(rules) > MAX_CUSTOM_RULES:
        errors["rules"] = [f"Must be a list of at most {MAX_CUSTOM_RULES} rules."]
        rules = []
    if not isinstance(disabled, list) or any(not isinstance(i, str) for i in disabled):
        errors["disabled"] = ["Must be a list of built-in rule ids."]
        disabled = []
    unknown = sorted(set(disabled) - builtin_ids)
    if unknown:
        errors["disabled"] = [f"No built-in rule(s) with id: {', '.join(unknown)}."]
    canonical_rules = []
    seen: set[str] = set()
    for index, raw in enumerate(rules):
        problems = _rule_problems(raw, builtin_ids | seen)
        if problems:
            errors[f"rules.{index}"] = problems
            continue
        seen.add(raw["id"])
        canonical_rules.append(
            {
                "id": raw["id"],
                "flag": raw["flag"],
                "score": float(raw.get("score", 0.9)),
                "patterns": list(raw["patterns"]),
                "exceptions": list(raw.get("exceptions", [])),
                "context": list(raw.get("context", [])),
                "negatable": bool(raw.get("negatable", True)),
                "joke_factor": float(raw.get("joke_factor", 0.3)),
                "hedge_factor": float(raw.get("hedge_factor", 0.7)),
                "resolved_factor": float(raw.get("resolved_factor", 1.0)),
                "description": raw.get("description", ""),
            }
        )
    if errors:
        raise Unprocessable("The rule set is not valid; see `errors`.", errors=errors)
    return {"rules": canonical_rules, "disabled": sorted(set(disabled))}


def _rule_problems(raw: Any, taken: set[str]) -> list[str]:
    if not isinstance(raw, Mapping):
        return ["Must be an object with id, flag and patterns."]
    problems = []
    extra = sorted(set(raw) - _RULE_FIELDS)
    if extra:
        problems.append(f"Unknown field(s): {', '.join(extra)}.")
    rule_id = raw.get("id")
    if not isinstance(rule_id, str) or not _RULE_ID.match(rule_id):
        problems.append("`id`: lower-case letters, digits, '.', '_' or '-', at most 80.")
    elif rule_id in taken:
        problems.append(f"`id` {rule_id!r} is taken (by a built-in rule or an earlier one).")
    if raw.get("flag") not in FLAGS:
        problems.append(f"`flag` must be one of: {', '.join(FLAGS)}.")
    for name in ("score", "joke_factor", "hedge_factor", "resolved_factor"):
        value = raw.get(name, 0.5)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            problems.append(f"`{name}` must be a number from 0 to 1.")
    if not isinstance(raw.get("negatable", True), bool):
        problems.append("`negatable` must be true or false.")
    description = raw.get("description", "")
    if not isinstance(description, str) or len(description) > 300:
        problems.append("`description` must be text of at most 300 characters.")
    for name, required in (("patterns", True), ("exceptions", False), ("context", False)):
        patterns = raw.get(name, [] if not required else None)
        if not isinstance(patterns, list) or (required and not patterns):
            problems.append(f"`{name}` must be a list of regular expressions.")
            continue
        if len(patterns) > MAX_PATTERNS:
            problems.append(f"`{name}`: at most {MAX_PATTERNS} patterns.")
        for position, pattern in enumerate(patterns):
            problems += _pattern_problems(f"{name}.{position}", pattern)
    return problems


def _pattern_problems(where: str, pattern: Any) -> list[str]:
    if not isinstance(pattern, str) or not pattern.strip():
        return [f"`{where}` must be a non-empty string."]
    if len(pattern) > MAX_PATTERN_CHARS:
        return [f"`{where}` is longer than {MAX_PATTERN_CHARS} characters."]
    try:
        compiled = _regex(pattern)
    except re.error as exc:
        return [f"`{where}` is not a valid regular expression: {exc}."]
    if _NESTED_QUANTIFIER.search(pattern):
        return [f"`{where}` repeats a group that itself repeats (slow on long texts); simplify."]
    if compiled.search(""):
        return [f"`{where}` matches the empty text."]
    return []


@dataclass(frozen=True)
class RuleSetState:
    """The rules in force: the deployment's document, the built-in rules, version and date."""

    version: str
    document: dict[str, Any]
    builtin: list[dict[str, Any]]
    updated_at: datetime | None


def get_rule_set(conn: psycopg.Connection) -> RuleSetState:
    """Return the deployment's document, the built-in rules and the version in force."""
    row = conn.execute(queries()["get_triage_rule_set"]).fetchone()
    document = row["document"] if row else dict(EMPTY_DOCUMENT)
    return RuleSetState(
        version=rules_version(document),
        document=document,
        builtin=list(builtin_document()["rules"]),
        updated_at=row["updated_at"] if row else None,
    )


def put_rule_set(
    conn: psycopg.Connection, actor: Actor, document: Mapping[str, Any]
) -> RuleSetState:
    """Validate and store the deployment's rules; record `triage.rules_updated` (counts, ids)."""
    canonical = check_document(document)
    conn.execute(
        queries()["upsert_triage_rule_set"],
        {"document": Jsonb(canonical), "updated_by": actor.key_id},
    )
    version = rules_version(canonical)
    record_event(
        conn,
        actor,
        "triage.rules_updated",
        target_type="triage_rules",
        target_id=version,
        details={
            "rules": len(canonical["rules"]),
            "rule_ids": [rule["id"] for rule in canonical["rules"]],
            "disabled": canonical["disabled"],
        },
    )
    return get_rule_set(conn)
