"""Objection, restriction and opt-out: flag the subject so the flagged processing leaves them out.

A flag is kept on the keyed hashes of the subject's handles (with their platform), e-mail
addresses and phone numbers, not on an archive row: a subject stored later under a flagged
identifier is left out as well. ``dsr_processing_exclusions`` (a view) lists the archive
subjects each kind of processing must skip.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event, subject_ref
from service.db import queries
from service.dsr.discovery import find_subject
from service.dsr.requests import request_identifiers
from service.dsr.settings import DsrSettings

# Which processing each flag stops (mirrors the dsr_flag_exclusions table).
FLAG_EXCLUSIONS = {
    "objection": ("analysis",),
    "restriction": ("analysis", "sharing"),
    "opt_out": ("sharing",),
}
PROCESSING_KINDS = ("analysis", "sharing")


def answer_flag_request(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request: Mapping[str, Any],
    *,
    now: datetime,
    **_: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Flag the subject of an objection, restriction or opt-out; return what was flagged."""
    flag = request["type"]
    given = request_identifiers(conn, request["id"])
    match = find_subject(conn, settings.secret, given, phone_region=settings.phone_region)
    keys = sorted(match.strong_keys, key=lambda key: (key[0], key[1] or "", key[2]))
    inserted = conn.execute(
        queries()["insert_dsr_flags"],
        {
            "flag": flag,
            "kinds": [kind for kind, _, _ in keys],
            "platforms": [platform for _, platform, _ in keys],
            "value_hashes": [digest for _, _, digest in keys],
            "request_id": request["id"],
        },
    ).fetchall()
    details = {
        "flag": flag,
        "excludes": list(FLAG_EXCLUSIONS[flag]),
        "identifiers_flagged": len(keys),
        "newly_flagged": len(inserted),
    }
    # One event per archive subject, under that subject's own pseudonymous reference, so the
    # audit trail of the subject shows the flag; a subject not in the archive yet gets one
    # under the request's reference.
    refs = [subject_ref(settings.secret, subject_id) for subject_id in match.subject_ids]
    for ref in refs or [request["subject_ref"]]:
        record_event(
            conn,
            actor,
            "subject.flagged",
            target_type="dsr_request",
            target_id=request["id"],
            subject_ref=ref,
            details=details,
        )
    result = {**details, "subjects_matched": len(match.subject_ids)}
    return result, result


def excluded_subject_ids(conn: psycopg.Connection, processing: str) -> set[UUID]:
    """Return the archive subjects that ``processing`` (analysis, sharing) must leave out."""
    if processing not in PROCESSING_KINDS:
        raise ValueError(f"unknown processing {processing!r}; expected one of {PROCESSING_KINDS}")
    rows = conn.execute(
        queries()["list_dsr_excluded_subjects"], {"processing": processing}
    ).fetchall()
    return {row["subject_id"] for row in rows}


def subject_exclusions(conn: psycopg.Connection, subject_id: UUID) -> dict[str, list[str]]:
    """Return, for one archive subject, each processing it is excluded from and the flags why."""
    exclusions: dict[str, list[str]] = {}
    for row in conn.execute(
        queries()["list_dsr_subject_exclusions"], {"subject_id": subject_id}
    ).fetchall():
        exclusions.setdefault(row["processing"], []).append(row["flag"])
    return exclusions
