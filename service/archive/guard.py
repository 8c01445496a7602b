"""The reply guard: check a brand reply for personal data before it is published.

Every finding in the reply gets an action from the platform's policy (block, redact or pass)
for the reply's visibility. With ``in_reply_to``, the customer is the author of that item:
values the customer posted in the thread (their order number, phone, ...) and their stored
identifiers are recognised in the reply even where a generic recognizer would not see them,
and greeting the customer by first name or handle passes.

The guard must not tell a moderator more than the customer's redacted post does: findings say
what to do and why in general terms, never whether a value matched the customer's stored data
(only privacy officers see `belongs_to`). So the thread's values are not looked for as
themselves but by their shape (letters, digits and separators, case ignored): "5512-AB-9981"
makes every "dddd-LL-dddd" in the reply a finding, and a guess of that shape gets exactly the
verdict, findings and reasons the real value gets. A moderator learns at most a value's shape,
and only at the pace checks of one item by one key are allowed (`take_reply_check` counts them
per window, refuses past a limit and audits the refusal).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg
from presidio_analyzer import AnalysisExplanation, EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from service.archive.identifiers import (
    first_name,
    normalize_handle,
    normalize_name,
    value_hash,
)
from service.archive.policies import action_for, get_policy
from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.errors import Unprocessable
from service.redaction import RedactionEngine
from service.triage.checks import hold_reasons, thread_flags_pending_review

MAX_THREAD_DEPTH = 20
# The engine takes at most this many deny-list values of at most 200 characters.
_MAX_THREAD_VALUES = 1000
_MAX_VALUE_CHARS = 200
# Identifier kinds as the entity types that detect them.
_KIND_ENTITY = {
    "email": "EMAIL_ADDRESS",
    "phone": "PHONE_NUMBER",
    "handle": "SOCIAL_HANDLE",
    "name": "PERSON",
}
# Names and handles are matched by the greeting rules, not looked for by their shape.
_NOT_DENIED = frozenset({"PERSON", "SOCIAL_HANDLE", "DATE_TIME", "LOCATION", "NRP", "URL"})
# A shape with fewer letters and digits than this would flag every short number in a reply.
_MIN_SHAPE_ALNUM = 4
# What the thread's shape findings are reported as: one name and score for every one of them.
SHAPE_RECOGNIZER = "ThreadValueRecognizer"
_SHAPE_SCORE = 1.0
_ENTITY_WORDS = {
    "EMAIL_ADDRESS": "e-mail addresses",
    "PHONE_NUMBER": "phone numbers",
    "STREET_ADDRESS": "street addresses",
    "POSTCODE": "postcodes",
    "ORDER_NUMBER": "order, booking and ticket numbers",
    "ACCOUNT_NUMBER": "account and customer numbers",
    "CREDIT_CARD": "card numbers",
    "IBAN_CODE": "bank account numbers",
    "PERSON": "names",
    "SOCIAL_HANDLE": "handles",
    "DATE_OF_BIRTH": "dates of birth",
}
_PRIVATE_CHANNEL = {
    "email": "reply to our e-mail",
    "trustpilot": "e-mail our support team",
    "google_reviews": "e-mail our support team",
    "app_store": "e-mail our support team",
    "play_store": "e-mail our support team",
    "web": "e-mail our support team",
}


@dataclass
class CustomerContext:
    """What the thread says about the customer being answered."""

    subject_id: UUID
    platform: str
    item_id: UUID
    handle: str | None = None
    display_name: str | None = None
    # (entity type, value) of everything the customer posted or is known by.
    values: list[tuple[str, str]] = field(default_factory=list)
    hashes: set[bytes] = field(default_factory=set)
    processing_restricted: bool = False

    def owns(self, secret: bytes, entity_type: str, value: str) -> bool:
        """Tell whether a value found in the reply is one of the customer's."""
        return value_hash(secret, entity_type, value) in self.hashes

    def posted(self, value: str) -> bool:
        """Tell whether a value is, ignoring case and spacing, one the customer posted."""
        wanted = normalize_name(value)
        return any(normalize_name(known) == wanted for _, known in self.values)

    def greeting(self, entity_type: str, value: str, allowed: list[str]) -> str | None:
        """Return how a name or handle in the reply greets the customer, if allowed."""
        if entity_type == "SOCIAL_HANDLE" or value.lstrip().startswith("@"):
            if "handle" in allowed and self.handle and _handle(value) == self.handle:
                return "handle"
            return None
        if entity_type != "PERSON":
            return None
        name = normalize_name(value)
        if self.display_name:
            first = first_name(self.display_name)
            if "first_name" in allowed and first and name == normalize_name(first):
                return "first name"
            if "full_name" in allowed and name == normalize_name(self.display_name):
                return "full name"
        if "handle" in allowed and self.handle and _handle(value) == self.handle:
            return "handle"
        return None


def _handle(value: str) -> str | None:
    """Return a value in handle form, or None when it cannot be one."""
    try:
        return normalize_handle(value)
    except ValueError:
        return None


def customer_context(
    conn: psycopg.Connection, engine: RedactionEngine, secret: bytes, item_id: UUID
) -> CustomerContext:
    """Collect the customer's identifiers and the personal data they posted in the thread."""
    q = queries()
    chain = conn.execute(
        q["list_thread_ancestors"], {"id": item_id, "max_depth": MAX_THREAD_DEPTH}
    ).fetchall()
    if not chain:
        raise Unprocessable(
            f"No feedback item with id {item_id}.",
            errors={"in_reply_to": [f"No feedback item with id {item_id}."]},
        )
    item = chain[0]
    context = CustomerContext(
        subject_id=item["author_id"], platform=item["platform"], item_id=item["id"]
    )
    restricted = conn.execute(
        q["get_subject_processing_restricted"], {"subject_id": context.subject_id}
    ).fetchone()["restricted"]
    if restricted:
        # A restricted subject's data is stored only (GDPR Art. 18(2), 21(1)): the guard does
        # not read it; the reply is still checked by the generic recognizers.
        context.processing_restricted = True
        return context
    for row in conn.execute(
        q["list_subject_identifiers"], {"subject_id": context.subject_id}
    ).fetchall():
        if row["kind"] == "handle" and row["platform"] == context.platform:
            context.handle = context.handle or row["value"]
        if row["kind"] == "name" and row["platform"] == context.platform:
            context.display_name = row["value"]
        context.values.append((_KIND_ENTITY[row["kind"]], row["value"]))

    if context.display_name and (first := first_name(context.display_name)):
        context.values.append(("PERSON", first))

    own = [row for row in chain if row["author_id"] == context.subject_id]
    scanned = [row for row in own if row["scanned"]]
    texts = {row["id"]: row["text"] for row in own}
    for finding in conn.execute(
        q["list_findings_of_items"], {"ids": [row["id"] for row in scanned]}
    ).fetchall():
        text = texts[finding["item_id"]]
        context.values.append(
            (finding["entity_type"], text[finding["start_offset"] : finding["end_offset"]])
        )
    # An item not scanned yet (just ingested) is analysed now: the guard cannot wait.
    for row in own:
        if not row["scanned"]:
            for finding in engine.analyze(row["text"]).findings:
                context.values.append(
                    (finding.entity_type, row["text"][finding.start : finding.end])
                )
    context.hashes = {value_hash(secret, entity, value) for entity, value in context.values}
    return context


def take_reply_check(
    conn: psycopg.Connection,
    actor: Actor,
    secret: bytes,
    item_id: UUID,
    *,
    checks_per_window: int,
    window_seconds: int,
) -> int | None:
    """Count one check of an item by the actor's key or console user; return None when
    allowed, else the seconds until the window ends, after recording `reply.check_refused`."""
    if actor.key_id is None and actor.user_id is None:
        return None
    q = queries()
    item = conn.execute(q["get_feedback_item_author"], {"id": item_id}).fetchone()
    if item is None:
        # Left to check_reply, which refuses an unknown item with a 422.
        return None
    if actor.key_id is not None:
        checker = {"checker": "key", "checker_id": actor.key_id}
    else:
        checker = {"checker": "user", "checker_id": actor.user_id}
    row = conn.execute(
        q["upsert_reply_check_window"],
        {**checker, "item_id": item_id, "window_seconds": window_seconds},
    ).fetchone()
    if row["checks"] <= checks_per_window:
        return None
    record_event(
        conn,
        actor,
        "reply.check_refused",
        target_type="feedback_item",
        target_id=item_id,
        subject_ref=subject_ref(secret, item["author_id"]),
        outcome="denied",
        details={"checks": row["checks"], "limit": checks_per_window, "window_s": window_seconds},
    )
    return max(1, math.ceil(float(row["seconds_left"])))


def check_reply(
    conn: psycopg.Connection,
    actor: Actor,
    engine: RedactionEngine,
    secret: bytes,
    *,
    text: str,
    visibility: str,
    platform: str | None = None,
    in_reply_to: UUID | None = None,
    reveal_owner: bool = False,
) -> dict[str, Any]:
    """Return the verdict on a reply (allow, redact, block) with findings, reasons and a
    suggestion, and record `reply.checked` (counts, never text).

    With ``reveal_owner`` each finding says whose data it is (`belongs_to`) and so do the
    reasons; without it (moderators) neither does. A public reply in a thread with a legal
    threat, product-safety report or self-harm message nobody has reviewed gets
    ``hold_for_review`` whatever its personal data.
    """
    context = customer_context(conn, engine, secret, in_reply_to) if in_reply_to else None
    if platform is None and context is not None:
        platform = context.platform
    policy = get_policy(conn, platform)["policy"]

    shapes = thread_shapes(context.values) if context else {}
    analysis = engine.analyze(
        text,
        allow_list=policy["allow_values"] or None,
        recognizers=(ThreadShapeRecognizer(shapes),) if shapes else (),
    )

    findings: list[dict[str, Any]] = []
    for finding in analysis.findings:
        value = text[finding.start : finding.end]
        entity_type = finding.entity_type
        belongs_to = "unknown"
        if context is not None:
            belongs_to = "other"
            if context.owns(secret, entity_type, value) or (
                finding.recognizer == SHAPE_RECOGNIZER and context.posted(value)
            ):
                belongs_to = "customer"
        greeting = (
            context.greeting(entity_type, value, policy["greet_customer_by"])
            if context is not None
            else None
        )
        action = "pass" if greeting else action_for(policy, visibility, entity_type)
        findings.append(
            {
                "entity_type": entity_type,
                "start": finding.start,
                "end": finding.end,
                "score": finding.score,
                "recognizer": finding.recognizer,
                "action": action,
                "belongs_to": "customer" if greeting else belongs_to,
                "greeting": greeting,
            }
        )

    actions = {f["action"] for f in findings}
    verdict = "block" if "block" in actions else "redact" if "redact" in actions else "allow"
    result: dict[str, Any] = {
        "verdict": verdict,
        "text": text if verdict == "allow" else _redacted(text, findings),
        "findings": findings,
        "reasons": _reasons(findings, visibility, platform, reveal_owner=reveal_owner),
        "customer_processing_restricted": bool(context and context.processing_restricted),
    }
    held = (
        thread_flags_pending_review(conn, in_reply_to)
        if in_reply_to is not None and visibility == "public"
        else []
    )
    if held:
        result["verdict"] = "hold_for_review"
        result["reasons"] = hold_reasons(held) + result["reasons"]
        result["held_by"] = held
    elif verdict != "allow" and visibility == "public":
        result["suggestion"] = _suggestion(context, policy["greet_customer_by"], platform)
    record_event(
        conn,
        actor,
        "reply.checked",
        target_type="feedback_item" if context else None,
        target_id=context.item_id if context else None,
        subject_ref=subject_ref(secret, context.subject_id) if context else None,
        details={
            "verdict": result["verdict"],
            "visibility": visibility,
            "platform": platform,
            "findings": len(findings),
            "actions": dict(Counter(f["action"] for f in findings)),
            "entity_types": dict(Counter(f["entity_type"] for f in findings)),
            "customer_data": sum(1 for f in findings if f["belongs_to"] == "customer"),
            **({"held_by_items": [str(item["item_id"]) for item in held]} if held else {}),
        },
    )
    if not reveal_owner:
        for finding in findings:
            del finding["belongs_to"]
    return result


def value_shape(value: str) -> str | None:
    """Return a regex matching every value of this one's shape, or None for a too weak one.

    Letters stand for any letters and digits for any digits, run by run of the same length;
    whitespace for any whitespace; other characters for themselves. The match must not touch
    a further letter or digit on either side.
    """
    value = value.strip()
    if not 0 < len(value) <= _MAX_VALUE_CHARS:
        return None
    if sum(ch.isalnum() for ch in value) < _MIN_SHAPE_ALNUM:
        return None
    parts: list[str] = []
    kind, run = "", 0

    def flush() -> None:
        if kind == "d":
            parts.append(rf"\d{{{run}}}")
        elif kind == "l":
            parts.append(rf"[^\W\d_]{{{run}}}")
        elif kind == "s":
            parts.append(r"\s+")

    for ch in value:
        if ch.isdecimal():
            this = "d"
        elif ch.isalpha() and re.fullmatch(r"[^\W\d_]", ch):
            this = "l"
        elif ch.isspace():
            this = "s"
        else:
            this = ""
        if this and this == kind:
            run += 1
            continue
        flush()
        kind, run = this, 1
        if not this:
            parts.append(re.escape(ch))
    flush()
    return r"(?<![^\W_])" + "".join(parts) + r"(?![^\W_])"


def thread_shapes(values: list[tuple[str, str]]) -> dict[str, str]:
    """Return the shapes of the thread's values to look for, each with its entity type.

    Names and handles are left to the greeting rules; a shape two types share is reported
    as the first of them in alphabetical order, so the type depends on the shape alone.
    """
    shapes: dict[str, str] = {}
    for entity_type, value in values:
        if entity_type in _NOT_DENIED:
            continue
        shape = value_shape(value)
        if shape is None:
            continue
        if shape not in shapes and len(shapes) >= _MAX_THREAD_VALUES:
            continue
        shapes[shape] = min(entity_type, shapes.get(shape, entity_type))
    return shapes


class ThreadShapeRecognizer(EntityRecognizer):
    """Find, in a reply, every value shaped like one the customer posted or is known by."""

    def __init__(self, shapes: Mapping[str, str], supported_language: str = "en") -> None:
        self._patterns = [
            (re.compile(shape), entity_type) for shape, entity_type in sorted(shapes.items())
        ]
        super().__init__(
            supported_entities=sorted(set(shapes.values())),
            supported_language=supported_language,
            name=SHAPE_RECOGNIZER,
        )

    def load(self) -> None:
        """Load nothing: the shapes are compiled when the recognizer is made."""

    def analyze(
        self,
        text: str,
        entities: list[str] | None = None,
        nlp_artifacts: NlpArtifacts | None = None,
    ) -> list[RecognizerResult]:
        """Return one result per shape match, whatever types were asked for."""
        results = []
        for pattern, entity_type in self._patterns:
            for match in pattern.finditer(text):
                results.append(
                    RecognizerResult(
                        entity_type=entity_type,
                        start=match.start(),
                        end=match.end(),
                        score=_SHAPE_SCORE,
                        analysis_explanation=AnalysisExplanation(
                            recognizer=self.name,
                            original_score=_SHAPE_SCORE,
                            pattern_name="thread_value_shape",
                            textual_explanation=f"{self.name}: shaped like a value in the thread",
                        ),
                        recognition_metadata={
                            RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                        },
                    )
                )
        return results


def _redacted(text: str, findings: list[Mapping[str, Any]]) -> str:
    """Replace every blocked or redacted finding by <ENTITY_TYPE>."""
    parts: list[str] = []
    position = 0
    for finding in sorted(findings, key=lambda f: f["start"]):
        if finding["action"] == "pass" or finding["start"] < position:
            continue
        parts.append(text[position : finding["start"]])
        parts.append(f"<{finding['entity_type']}>")
        position = finding["end"]
    parts.append(text[position:])
    return "".join(parts)


def _reasons(
    findings: list[Mapping[str, Any]],
    visibility: str,
    platform: str | None,
    *,
    reveal_owner: bool,
) -> list[str]:
    """Explain, once per entity type and outcome, why the reply gets its verdict."""
    where = f"{visibility} replies on {platform}" if platform else f"{visibility} replies"
    reasons: list[str] = []
    for finding in findings:
        words = _ENTITY_WORDS.get(finding["entity_type"], finding["entity_type"])
        owner = {
            "customer": "the customer's own",
            "other": "someone else's",
            "unknown": "",
        }[finding["belongs_to"]]
        if not reveal_owner:
            owner = ""
        if finding["greeting"]:
            reason = f"Greeting the customer by {finding['greeting']} is allowed."
        elif finding["action"] == "block":
            reason = f"{finding['entity_type']}: {where} may not disclose {words}" + (
                f" ({owner} data)." if owner else "."
            )
        elif finding["action"] == "redact":
            reason = f"{finding['entity_type']}: {words} are redacted in {where}" + (
                f" ({owner} data)." if owner else "."
            )
        else:
            continue
        if reason not in reasons:
            reasons.append(reason)
    return reasons


def _suggestion(context: CustomerContext | None, greet_by: list[str], platform: str | None) -> str:
    """Suggest a public reply that moves the conversation to a private channel."""
    greeting = "Hi there"
    if context is not None:
        first = first_name(context.display_name) if context.display_name else None
        if "first_name" in greet_by and first:
            greeting = f"Hi {first}"
        elif "handle" in greet_by and context.handle:
            greeting = f"Hi @{context.handle}"
    channel = _PRIVATE_CHANNEL.get(platform or "", "send us a direct message")
    return (
        f"{greeting}, thanks for getting in touch. We'd like to sort this out with you "
        f"privately: please {channel} and we'll pick it up from there."
    )
