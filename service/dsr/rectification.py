"""Rectification: correct a subject's stored identifiers or display names."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

import psycopg

from service.archive.identifiers import (
    IdentifierError,
    clean_display_name,
    normalize_email,
    normalize_handle,
    normalize_name,
    normalize_phone,
    value_hash,
)
from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.discovery import SubjectMatch, find_subject
from service.dsr.requests import request_identifiers
from service.dsr.settings import DsrSettings
from service.errors import Conflict, Unprocessable


def answer_rectification_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    *,
    corrections: Sequence[Mapping[str, Any]],
    now: datetime,
    **_: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Apply the corrections to the subject's identifiers; return what was corrected.

    Each correction names a stored identifier by ``kind``, ``platform`` (handles and display
    names) and ``old`` value; one that matches none of the subject's identifiers is refused
    with 422 and nothing is changed.
    """
    match, updates = plan_corrections(conn, settings, request, corrections)
    try:
        for target, new in updates:
            conn.execute(
                queries()["update_dsr_identifier"],
                {
                    "id": target["id"],
                    "value": new,
                    "value_hash": value_hash(settings.secret, target["kind"], new),
                },
            )
    except psycopg.errors.UniqueViolation as exc:
        raise Conflict(
            "A corrected handle, e-mail address or phone number already belongs to another "
            "subject in the archive."
        ) from exc

    by_subject: dict[Any, Counter] = {}
    for target, _ in updates:
        by_subject.setdefault(target["subject_id"], Counter())[target["kind"]] += 1
    for subject_id, kinds in by_subject.items():
        record_event(
            conn,
            actor,
            "subject.rectified",
            target_type="dsr_request",
            target_id=request["id"],
            subject_ref=subject_ref(settings.secret, subject_id),
            details={"corrected": dict(sorted(kinds.items()))},
        )
    corrected = Counter(target["kind"] for target, _ in updates)
    result = {
        "subjects_matched": len(match.subject_ids),
        "corrected": len(updates),
        "corrected_by_kind": dict(sorted(corrected.items())),
    }
    return result, result


def plan_corrections(
    conn: psycopg.Connection,
    settings: DsrSettings,
    request: Mapping[str, Any],
    corrections: Sequence[Mapping[str, Any]],
) -> tuple[SubjectMatch, list[tuple[dict, str]]]:
    """Return the subject and (stored identifier, corrected value) pairs; raise 422 on a misfit."""
    given = request_identifiers(conn, request["id"])
    match = find_subject(conn, settings.secret, given, phone_region=settings.phone_region)
    normalise = _normalisers(settings.phone_region)
    updates: list[tuple[dict, str]] = []
    errors: dict[str, list[str]] = {}
    for index, correction in enumerate(corrections):
        kind = correction["kind"]
        platform = correction.get("platform")
        if kind in ("handle", "name") and not platform:
            errors[f"corrections.{index}.platform"] = [f"Required to correct a {kind}."]
            continue
        try:
            old = normalise[kind](correction["old"])
            new = normalise[kind](correction["new"])
        except IdentifierError as exc:
            errors[f"corrections.{index}"] = [str(exc)]
            continue
        target = next(
            (
                row
                for row in match.identifiers
                if row["kind"] == kind
                and (kind not in ("handle", "name") or _platform_matches(row, platform))
                and _same_value(kind, row["value"], old)
            ),
            None,
        )
        if target is None:
            errors[f"corrections.{index}.old"] = [
                f"None of the data subject's stored {kind}s is this value."
            ]
            continue
        updates.append((target, new))
    if errors:
        raise Unprocessable("Some corrections do not fit the data held.", errors=errors)

    return match, updates


def _normalisers(phone_region: str | None) -> dict[str, Callable[[str], str]]:
    return {
        "handle": normalize_handle,
        "email": normalize_email,
        "phone": lambda value: normalize_phone(value, phone_region),
        "name": clean_display_name,
    }


def _platform_matches(row: Mapping[str, Any], platform: str) -> bool:
    return (row["platform"] or "").casefold() == platform.strip().casefold()


def _same_value(kind: str, stored: str, wanted: str) -> bool:
    if kind == "name":
        return normalize_name(stored) == normalize_name(wanted)
    return stored == wanted
