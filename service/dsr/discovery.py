"""Find a data subject in the feedback archive: their subjects, their items, mentions of them.

Authorship is matched on the identifiers that name one account or one person: a handle on a
platform, an e-mail address, a phone number. A display name is not unique ("Anna Jansen" is
many people), so names never make someone the author of an item; they, and every identifier of
the matched subjects, find *mentions*: findings in other people's items whose keyed value hash
equals the hash of one of those values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

import psycopg

from service.archive.identifiers import (
    IdentifierError,
    normalize_email,
    normalize_handle,
    normalize_phone,
    value_hash,
)
from service.db import queries

# The identifier kinds that make someone the author of an item.
STRONG_KINDS = frozenset({"handle", "email", "phone"})


@dataclass
class SubjectMatch:
    """Who a request is about in the archive and the hashes that find mentions of them."""

    subject_ids: list[UUID]
    identifiers: list[dict[str, Any]]
    # Hashes of every value that identifies the subject (names included): a finding with one of
    # these is about the subject.
    mention_hashes: set[bytes]
    # (kind, platform, hash) of the request's handles, e-mails and phones and of the matched
    # subjects' ones: the keys of suppression entries and processing flags.
    strong_keys: set[tuple[str, str | None, bytes]]
    unmatched: dict[str, int] = field(default_factory=dict)


def find_subject(
    conn: psycopg.Connection,
    secret: bytes,
    subject: Mapping[str, Sequence[Any]],
    *,
    phone_region: str | None = None,
) -> SubjectMatch:
    """Return the archive subjects a request's identifiers point at and the hashes of mentions."""
    platforms = _platform_resolver(conn)
    wanted: list[tuple[str, str | None, str | None, bytes]] = []
    unmatched = {"handles": 0, "emails": 0, "phones": 0}
    for handle in subject.get("handles") or []:
        platform = platforms(handle["platform"])
        try:
            normalised = normalize_handle(handle["handle"])
        except IdentifierError:
            unmatched["handles"] += 1
            continue
        wanted.append(("handle", platform, normalised, value_hash(secret, "handle", normalised)))
    for email in subject.get("emails") or []:
        try:
            normalised = normalize_email(email)
        except IdentifierError:
            unmatched["emails"] += 1
            continue
        wanted.append(("email", None, normalised, value_hash(secret, "email", normalised)))
    for phone in subject.get("phones") or []:
        try:
            normalised = normalize_phone(phone, phone_region)
        except IdentifierError:
            # Without a country the number still matches by its national digits.
            normalised = None
        wanted.append(("phone", None, normalised, value_hash(secret, "phone", phone)))
    name_hashes = {value_hash(secret, "name", name) for name in subject.get("names") or []}

    candidates = conn.execute(
        queries()["list_dsr_identifiers_by_hash"],
        {"value_hashes": sorted({entry[3] for entry in wanted})},
    ).fetchall()
    subject_ids: list[UUID] = []
    matched_wanted: set[int] = set()
    for row in candidates:
        for index, (kind, platform, normalised, _) in enumerate(wanted):
            if _same_identifier(row, kind, platform, normalised):
                matched_wanted.add(index)
                if row["subject_id"] not in subject_ids:
                    subject_ids.append(row["subject_id"])
    for index, (kind, _, _, _) in enumerate(wanted):
        if index not in matched_wanted:
            unmatched[kind + "s"] += 1

    identifiers = (
        conn.execute(
            queries()["list_dsr_identifiers_of_subjects"], {"subject_ids": subject_ids}
        ).fetchall()
        if subject_ids
        else []
    )
    strong_keys = {
        (kind, platform, digest)
        for kind, platform, _, digest in wanted
        if kind != "handle" or platform is not None
    } | {
        (row["kind"], row["platform"], bytes(row["value_hash"]))
        for row in identifiers
        if row["kind"] in STRONG_KINDS
    }
    mention_hashes = (
        {entry[3] for entry in wanted}
        | name_hashes
        | {bytes(row["value_hash"]) for row in identifiers}
    )
    return SubjectMatch(
        subject_ids=subject_ids,
        identifiers=identifiers,
        mention_hashes=mention_hashes,
        strong_keys=strong_keys,
        unmatched=unmatched,
    )


def items_by_subjects(conn: psycopg.Connection, subject_ids: Sequence[UUID]) -> list[dict]:
    """Return the items the subjects wrote, oldest first."""
    if not subject_ids:
        return []
    return conn.execute(
        queries()["list_dsr_items_by_authors"], {"subject_ids": list(subject_ids)}
    ).fetchall()


def mention_items(conn: psycopg.Connection, match: SubjectMatch) -> list[dict]:
    """Return other people's items that mention the subject (by stored findings)."""
    if not match.mention_hashes:
        return []
    return conn.execute(
        queries()["list_dsr_mention_items"],
        {"value_hashes": sorted(match.mention_hashes), "subject_ids": match.subject_ids},
    ).fetchall()


def thread_items(conn: psycopg.Connection, subject_ids: Sequence[UUID]) -> list[dict]:
    """Return other people's items the subjects replied to, and the direct replies to them."""
    if not subject_ids:
        return []
    return conn.execute(
        queries()["list_dsr_thread_items"], {"subject_ids": list(subject_ids)}
    ).fetchall()


def findings_of_items(
    conn: psycopg.Connection,
    *,
    subject_ids: Sequence[UUID] = (),
    item_ids: Iterable[UUID] = (),
) -> dict[UUID, list]:
    """Return the stored findings of the subjects' items and of other items, keyed by item id."""
    found: dict[UUID, list] = {}
    q = queries()
    ids = list(item_ids)
    rows: list[dict] = []
    if subject_ids:
        rows += conn.execute(
            q["list_dsr_findings_by_authors"], {"subject_ids": list(subject_ids)}
        ).fetchall()
    if ids:
        rows += conn.execute(q["list_dsr_findings_of_items"], {"item_ids": ids}).fetchall()
    for row in rows:
        found.setdefault(row["item_id"], []).append(row)
    return found


def _same_identifier(
    row: Mapping[str, Any], kind: str, platform: str | None, normalised: str | None
) -> bool:
    if row["kind"] != kind:
        return False
    if kind == "handle":
        return row["platform"] == platform and row["value"] == normalised
    # A phone number given without a country matched by hash (its national digits) alone.
    return normalised is None or row["value"] == normalised


def _platform_resolver(conn: psycopg.Connection):
    names: dict[str, str] = {}
    for row in conn.execute(queries()["list_dsr_platform_names"]).fetchall():
        names[row["code"].casefold()] = row["code"]
        for alias in row["aliases"] or []:
            names[alias.casefold()] = row["code"]

    def resolve(name: str) -> str | None:
        return names.get(name.strip().casefold())

    return resolve
