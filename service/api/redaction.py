"""Redaction endpoints: analyze, redact, batch redact, decrypt, supported entities."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from flask import current_app
from flask.views import MethodView

from schemas.redaction import (
    AnalyzeRequestSchema,
    AnalyzeResponseSchema,
    BatchRequestSchema,
    BatchResponseSchema,
    DecryptRequestSchema,
    DecryptResponseSchema,
    EntitiesResponseSchema,
    RedactRequestSchema,
    RedactResponseSchema,
)
from service.api import Blueprint
from service.audit import record_event
from service.auth import current_actor, requires
from service.errors import PayloadTooLarge, Unprocessable
from service.redaction import RedactionEngine
from service.redaction.engine import AnalysisResult, Finding, RedactionResult
from service.runtime import current_runtime

blp = Blueprint(
    "redaction",
    __name__,
    url_prefix="/v1",
    description="Find and redact personal data before anything is posted or re-shared.",
)


def engine() -> RedactionEngine:
    """Return this process's engine (built once, on first use or at worker start)."""
    return current_runtime().engine()


def _check_length(texts: Iterable[str], field: str = "text") -> None:
    limit = current_app.config["PRIVACY_MAX_TEXT_CHARS"]
    for text in texts:
        if len(text) > limit:
            raise PayloadTooLarge(
                f"`{field}` is {len(text)} characters; the limit is {limit}.",
                extra={"limit": limit},
            )


def _options(body: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: body.get(name) for name in names}


def finding_counts(findings_per_text: Iterable[list]) -> dict[str, Any]:
    """Count findings per entity type: what the audit log may know about a call (never text)."""
    counts: Counter[str] = Counter()
    texts = 0
    for findings in findings_per_text:
        texts += 1
        counts.update(f.entity_type for f in findings)
    return {"texts": texts, "findings": sum(counts.values()), "entity_types": dict(counts)}


def _finding_json(finding: Finding) -> dict[str, Any]:
    """Return a finding as `FindingSchema` dumps it (the same keys, order and types)."""
    explanation = finding.explanation
    return {
        "entity_type": str(finding.entity_type),
        "start": int(finding.start),
        "end": int(finding.end),
        "score": float(finding.score),
        "recognizer": str(finding.recognizer),
        "explanation": None if explanation is None else dict(explanation),
    }


def result_json(result: AnalysisResult | RedactionResult, **more: Any) -> dict[str, Any]:
    """Return a result as `AnalyzeResponseSchema` / `RedactResponseSchema` dump it (`more`:
    keys that follow, a batch item's `id`).

    Built by hand: dumping the findings through marshmallow cost more than all the rest of a
    request's handling outside the engine. tests/api/test_redaction_api.py checks that it
    stays the schemas' dump, key for key.
    """
    payload = {
        "language": str(result.language),
        "findings": [_finding_json(finding) for finding in result.findings],
    }
    if isinstance(result, RedactionResult):
        payload["text"] = str(result.text)
    payload.update(more)
    return payload


def _answer(payload: dict[str, Any]):
    # A Response goes through flask-smorest's response decorator as is (the decorator still
    # documents the operation's schema).
    return current_app.json.response(payload)


def _record(action: str, details: dict[str, Any]) -> None:
    with current_runtime().database.transaction() as conn:
        record_event(conn, current_actor(), action, target_type="text", details=details)


def _count(action: str, counts: dict[str, Any]) -> None:
    """Add a high-volume call to its actor's audit aggregate (written once per interval)."""
    current_app.extensions["privacy.audit_aggregate"].add(current_actor(), action, counts)


@blp.route("/analyze")
class Analyze(MethodView):
    @requires("moderator")
    @blp.arguments(AnalyzeRequestSchema())
    @blp.response(200, AnalyzeResponseSchema)
    def post(self, body):
        """Find personal data in a text without changing it."""
        _check_length([body["text"]])
        result = engine().analyze(
            body["text"],
            return_explanation=body["return_explanation"],
            **_options(body, "language", "entities", "score_threshold", "allow_list"),
        )
        _count(
            "redact.analyzed", {**finding_counts([result.findings]), "languages": [result.language]}
        )
        return _answer(result_json(result))


_REDACT_OPTIONS = ("entities", "score_threshold", "allow_list", "deny_list", "operators")


@blp.route("/redact")
class Redact(MethodView):
    @requires("moderator")
    @blp.arguments(RedactRequestSchema())
    @blp.response(200, RedactResponseSchema)
    def post(self, body):
        """Redact personal data; findings carry offsets into the original text."""
        _check_length([body["text"]])
        result = engine().redact(
            body["text"], language=body.get("language"), **_options(body, *_REDACT_OPTIONS)
        )
        _count(
            "redact.performed",
            {
                **finding_counts([result.findings]),
                "languages": [result.language],
                "operators": sorted((body.get("operators") or {}).keys()),
            },
        )
        return _answer(result_json(result))


@blp.route("/redact/batch")
class RedactBatch(MethodView):
    @requires("moderator")
    @blp.arguments(BatchRequestSchema())
    @blp.response(200, BatchResponseSchema)
    def post(self, body):
        """Redact many texts (a thread) at once; pseudonyms are consistent across items."""
        items = body["items"]
        limit = current_app.config["PRIVACY_MAX_BATCH"]
        if len(items) > limit:
            raise Unprocessable(
                f"A batch holds at most {limit} items; this one has {len(items)}.",
                errors={"items": [f"At most {limit} items."]},
            )
        _check_length((item["text"] for item in items), "items[].text")
        results = engine().redact_batch(
            [(item["id"], item["text"], item.get("language")) for item in items],
            **_options(body, *_REDACT_OPTIONS),
        )
        _count(
            "redact.batch_performed",
            {
                **finding_counts(r.findings for r in results),
                "languages": sorted({r.language for r in results}),
                "operators": sorted((body.get("operators") or {}).keys()),
            },
        )
        return _answer(
            {
                "items": [
                    result_json(result, id=str(item["id"]))
                    for item, result in zip(items, results, strict=True)
                ]
            }
        )


@blp.route("/decrypt")
class Decrypt(MethodView):
    @requires("privacy_officer")
    @blp.arguments(DecryptRequestSchema())
    @blp.response(200, DecryptResponseSchema)
    def post(self, body):
        """Reverse the `encrypt` operator: replace every token in the text by its value."""
        _check_length([body["text"]])
        text, count = engine().decrypt_text(body["text"])
        _record("redact.decrypted", {"tokens": count})
        return {"text": text, "decrypted": count}


@blp.route("/entities")
class Entities(MethodView):
    @requires("moderator", "privacy_officer", "auditor")
    @blp.response(200, EntitiesResponseSchema)
    def get(self):
        """List the entity types detected, per language."""
        return {"languages": engine().supported_entities()}
