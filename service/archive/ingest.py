"""Ingest feedback items: normalise, resolve authors to subjects, upsert items, queue scans.

Ingestion is idempotent on (platform, external_id): an item sent again unchanged changes
nothing; a changed item is overwritten, and a changed text drops the old findings and is
scanned again. New and re-worded items are scanned by the workers (see scanning.plan_scan).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import psycopg

from service.archive.identifiers import (
    IdentifierError,
    clean_display_name,
    normalize_email,
    normalize_handle,
    normalize_phone,
    value_hash,
)
from service.archive.scanning import plan_scan, text_hash
from service.archive.settings import MAX_INGEST_ITEMS, ArchiveSettings
from service.audit import Actor, record_event
from service.db import queries
from service.dsr.suppression import refuse_suppressed
from service.errors import Conflict, NotFound, Unprocessable

ITEM_KINDS = ("comment", "review", "dm", "mention", "reply")
VISIBILITIES = ("public", "private")
# The fields that make an item "the same" when it is sent again.
_COMPARED = (
    "kind",
    "visibility",
    "author_id",
    "in_reply_to_external_id",
    "text_hash",
    "created_at",
)


@dataclass
class _Author:
    """One author of the batch: the handle on a platform and the contacts sent with it."""

    platform: str
    handle: str
    display_name: str | None = None
    emails: set[str] = field(default_factory=set)
    phones: set[str] = field(default_factory=set)
    subject_id: UUID | None = None


@dataclass
class _Item:
    """One validated, normalised item of the batch."""

    index: int
    platform: str
    external_id: str
    kind: str
    visibility: str
    author: _Author
    text: str
    text_hash: bytes
    created_at: datetime
    in_reply_to_external_id: str | None


def platform_codes(conn: psycopg.Connection) -> dict[str, str]:
    """Return every accepted platform name (codes and aliases, lower case) -> platform code."""
    names: dict[str, str] = {}
    for row in conn.execute(queries()["list_platforms"]).fetchall():
        names[row["code"]] = row["code"]
        for alias in row["aliases"]:
            names[alias.lower()] = row["code"]
    return names


def resolve_platform(names: Mapping[str, str], value: str) -> str:
    """Return the platform code for a name or alias; raise IdentifierError for an unknown one."""
    code = names.get(value.strip().lower())
    if code is None:
        known = ", ".join(sorted(set(names.values())))
        raise IdentifierError(f"Unknown platform; use one of: {known}.")
    return code


class UnknownPlatform(Unprocessable):
    """A platform name or alias the archive does not know, given in a field (a 422)."""


class PlatformNotFound(NotFound):
    """A platform named in an address that the archive does not know (a 404)."""


def platform_code(
    conn: psycopg.Connection, value: str | None, field: str = "platform"
) -> str | None:
    """Return the platform code of a name or alias (None for None); raise UnknownPlatform."""
    if value is None:
        return None
    try:
        return resolve_platform(platform_codes(conn), value)
    except IdentifierError as exc:
        raise UnknownPlatform(str(exc), errors={field: [str(exc)]}) from exc


def find_platform(conn: psycopg.Connection, name: str) -> str:
    """Return the platform code of a name or alias in an address; raise PlatformNotFound."""
    try:
        return resolve_platform(platform_codes(conn), name)
    except IdentifierError as exc:
        raise PlatformNotFound(f"No platform {name!r}. {exc}") from exc


def ingest_feedback(
    conn: psycopg.Connection,
    actor: Actor,
    settings: ArchiveSettings,
    secret: bytes,
    items: Sequence[Mapping[str, Any]],
    *,
    max_text_chars: int,
) -> dict[str, Any]:
    """Store a batch of items and queue scans of new and re-worded ones.

    Returns ``{"items": [{id, external_id, status}], "scan_id"}`` with statuses created,
    unchanged or updated, in the order of ``items``. Raises Unprocessable with errors keyed
    by item index (``{"items": {"3": {"author": {"phone": [...]}}}}``), and Conflict when a
    concurrent request stored the same items first (sending the batch again succeeds).
    """
    if len(items) > MAX_INGEST_ITEMS:
        raise Unprocessable(
            f"Send at most {MAX_INGEST_ITEMS} items per call; this one has {len(items)}.",
            errors={"items": [f"At most {MAX_INGEST_ITEMS} items per call."]},
        )
    batch = _validated(platform_codes(conn), settings, items, max_text_chars)
    refuse_suppressed(conn, secret, batch)  # erased at a data subject's request
    try:
        _resolve_authors(conn, secret, batch)
        return _store_items(conn, actor, settings, batch)
    except (psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure) as exc:
        raise Conflict(
            "Another request changed the same items at the same time; send this batch again."
        ) from exc


def _validated(
    platforms: Mapping[str, str],
    settings: ArchiveSettings,
    items: Sequence[Mapping[str, Any]],
    max_text_chars: int,
) -> list[_Item]:
    """Normalise every item; raise Unprocessable naming each failing item's index and field."""
    errors: dict[str, dict[str, Any]] = {}
    authors: dict[tuple[str, str], _Author] = {}
    seen: dict[tuple[str, str], int] = {}
    batch: list[_Item] = []

    def fail(index: int, path: tuple[str, ...], message: str) -> None:
        node = errors.setdefault(str(index), {})
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node.setdefault(path[-1], []).append(message)

    for index, raw in enumerate(items):
        before = len(errors)
        try:
            platform = resolve_platform(platforms, raw["platform"])
        except IdentifierError as exc:
            fail(index, ("platform",), str(exc))
            continue
        author_in = raw["author"]
        try:
            handle = normalize_handle(author_in["handle"])
        except IdentifierError as exc:
            fail(index, ("author", "handle"), str(exc))
            handle = ""
        email = phone = display_name = None
        if author_in.get("email"):
            try:
                email = normalize_email(author_in["email"])
            except IdentifierError as exc:
                fail(index, ("author", "email"), str(exc))
        elif platform == "email" and "@" in handle:
            # On the e-mail platform the handle is normally the sender's address.
            try:
                email = normalize_email(handle)
            except IdentifierError:
                email = None
        if author_in.get("phone"):
            try:
                phone = normalize_phone(author_in["phone"], settings.phone_region)
            except IdentifierError as exc:
                fail(index, ("author", "phone"), str(exc))
        if author_in.get("display_name"):
            try:
                display_name = clean_display_name(author_in["display_name"])
            except IdentifierError as exc:
                fail(index, ("author", "display_name"), str(exc))
        external_id = raw["external_id"].strip()
        if not external_id:
            fail(index, ("external_id",), "Must contain a non-blank character.")
        key = (platform, external_id)
        if key in seen:
            fail(
                index,
                ("external_id",),
                f"Item {seen[key]} has the same platform and external_id; send each item once.",
            )
        seen.setdefault(key, index)
        parent = (raw.get("in_reply_to") or "").strip() or None
        if parent is not None and parent == external_id:
            fail(index, ("in_reply_to",), "An item cannot reply to itself.")
        text = raw["text"]
        if len(text) > max_text_chars:
            fail(index, ("text",), f"At most {max_text_chars} characters (this has {len(text)}).")
        if len(errors) > before:
            continue

        author = authors.setdefault((platform, handle), _Author(platform, handle))
        if display_name:
            author.display_name = display_name
        if email:
            author.emails.add(email)
        if phone:
            author.phones.add(phone)
        created_at = raw["created_at"]
        if created_at.tzinfo is None:
            created_at = created_at.replace(tzinfo=UTC)
        batch.append(
            _Item(
                index=index,
                platform=platform,
                external_id=external_id,
                kind=raw["kind"],
                visibility=raw["visibility"],
                author=author,
                text=text,
                text_hash=text_hash(text),
                created_at=created_at,
                in_reply_to_external_id=parent,
            )
        )
    if errors:
        first = min(errors, key=int)
        raise Unprocessable(
            f"Item {first} is not valid ({len(errors)} item(s) failed); nothing was stored.",
            errors={"items": errors},
        )
    return batch


def _resolve_authors(conn: psycopg.Connection, secret: bytes, batch: list[_Item]) -> None:
    """Find or create the subject of every author and record their identifiers."""
    q = queries()
    authors = list({id(item.author): item.author for item in batch}.values())
    by_handle = _handle_owners(conn, authors)
    for author in authors:
        author.subject_id = by_handle.get((author.platform, author.handle))

    # A new handle with a known e-mail address or phone number is the same person, whether
    # the address is stored already or came with another author of this batch.
    unresolved = [author for author in authors if author.subject_id is None]
    wanted = [contact for author in unresolved for contact in _contacts(author)]
    owners: dict[tuple[str, str], UUID] = {}
    if wanted:
        rows = conn.execute(
            q["list_subjects_by_contact"],
            {"kinds": [k for k, _ in wanted], "values": [v for _, v in wanted]},
        ).fetchall()
        owners = {(row["kind"], row["value"]): row["subject_id"] for row in rows}
    for author in authors:
        if author.subject_id is not None:
            for contact in _contacts(author):
                owners.setdefault(contact, author.subject_id)
    created: list[UUID] = []
    for author in unresolved:
        author.subject_id = next(
            (owners[contact] for contact in _contacts(author) if contact in owners), None
        )
        if author.subject_id is None:
            author.subject_id = uuid4()
            created.append(author.subject_id)
        for contact in _contacts(author):
            owners.setdefault(contact, author.subject_id)
    if created:
        conn.execute(q["insert_subjects"], {"ids": created})

    rows: list[tuple[UUID, str, str | None, str]] = []
    for author in authors:
        rows.append((author.subject_id, "handle", author.platform, author.handle))
        rows += [(author.subject_id, "email", None, value) for value in sorted(author.emails)]
        rows += [(author.subject_id, "phone", None, value) for value in sorted(author.phones)]
        if author.display_name:
            rows.append((author.subject_id, "name", author.platform, author.display_name))
    conn.execute(
        q["insert_identifiers"],
        {
            "subject_ids": [r[0] for r in rows],
            "kinds": [r[1] for r in rows],
            "platforms": [r[2] for r in rows],
            "values": [r[3] for r in rows],
            "value_hashes": [value_hash(secret, r[1], r[3]) for r in rows],
        },
    )
    # One display name per subject and platform: the last one in the batch wins.
    names = list({(a.subject_id, a.platform): a for a in authors if a.display_name}.values())
    if names:
        conn.execute(
            q["update_display_names"],
            {
                "subject_ids": [a.subject_id for a in names],
                "platforms": [a.platform for a in names],
                "values": [a.display_name for a in names],
                "value_hashes": [value_hash(secret, "name", a.display_name) for a in names],
            },
        )
    if created:
        # A concurrent request may have claimed a handle first: its subject is the author.
        fresh = [a for a in authors if a.subject_id in set(created)]
        owners_now = _handle_owners(conn, fresh)
        for author in fresh:
            author.subject_id = owners_now[(author.platform, author.handle)]
        conn.execute(q["delete_subjects_without_handle"], {"ids": created})


def _contacts(author: _Author) -> list[tuple[str, str]]:
    """Return an author's e-mail addresses and phone numbers as (kind, value), in a fixed order."""
    return [("email", v) for v in sorted(author.emails)] + [
        ("phone", v) for v in sorted(author.phones)
    ]


def _handle_owners(conn: psycopg.Connection, authors: list[_Author]) -> dict[tuple[str, str], UUID]:
    """Return (platform, handle) -> subject id for the authors' handles already stored."""
    if not authors:
        return {}
    rows = conn.execute(
        queries()["list_subjects_by_handle"],
        {"platforms": [a.platform for a in authors], "values": [a.handle for a in authors]},
    ).fetchall()
    return {(row["platform"], row["value"]): row["subject_id"] for row in rows}


def _store_items(
    conn: psycopg.Connection, actor: Actor, settings: ArchiveSettings, batch: list[_Item]
) -> dict[str, Any]:
    """Insert new items, overwrite changed ones, link replies, queue scans, record the event."""
    q = queries()
    stored = {
        (row["platform"], row["external_id"]): row
        for row in conn.execute(
            q["lock_feedback_items"],
            {
                "platforms": [item.platform for item in batch],
                "external_ids": [item.external_id for item in batch],
            },
        ).fetchall()
    }
    statuses: dict[int, tuple[UUID | None, str]] = {}
    new: list[_Item] = []
    changed: list[tuple[_Item, UUID]] = []
    reworded: list[UUID] = []
    for item in batch:
        row = stored.get((item.platform, item.external_id))
        if row is None:
            new.append(item)
            continue
        incoming = _comparable(item)
        if all(row[name] == incoming[name] for name in _COMPARED):
            statuses[item.index] = (row["id"], "unchanged")
            continue
        changed.append((item, row["id"]))
        statuses[item.index] = (row["id"], "updated")
        if row["text_hash"] != item.text_hash:
            reworded.append(row["id"])

    if new:
        inserted = {
            (row["platform"], row["external_id"]): row["id"]
            for row in conn.execute(q["insert_feedback_items"], _columns(new)).fetchall()
        }
        if len(inserted) != len(new):
            raise Conflict(
                "Another request stored some of these items at the same time; "
                "send this batch again."
            )
        for item in new:
            statuses[item.index] = (inserted[(item.platform, item.external_id)], "created")
    if changed:
        conn.execute(
            q["update_feedback_items"],
            {"ids": [item_id for _, item_id in changed], **_columns([i for i, _ in changed])},
        )
    if reworded:
        conn.execute(q["update_items_unscanned"], {"ids": reworded})
    touched = [statuses[item.index][0] for item in new] + [item_id for _, item_id in changed]
    if touched:
        conn.execute(q["update_reply_links"], {"ids": touched})

    to_scan = [statuses[item.index][0] for item in new] + reworded
    scan_id = None
    if to_scan:
        scan_id = plan_scan(
            conn,
            reason="ingest",
            item_ids=to_scan,
            chunk_size=settings.scan_chunk_items,
            requested_by=actor.key_id,
        )
    counts = {
        status: sum(1 for _, s in statuses.values() if s == status)
        for status in ("created", "updated", "unchanged")
    }
    record_event(
        conn,
        actor,
        "feedback.ingested",
        target_type="scan" if scan_id else None,
        target_id=scan_id,
        details={
            "items": len(batch),
            **counts,
            "rescanned": len(reworded),
            "platforms": sorted({item.platform for item in batch}),
        },
    )
    return {
        "items": [
            {
                "id": statuses[item.index][0],
                "external_id": item.external_id,
                "status": statuses[item.index][1],
            }
            for item in batch
        ],
        "scan_id": scan_id,
    }


def _comparable(item: _Item) -> dict[str, Any]:
    """Return the stored-column values an item would have."""
    return {
        "kind": item.kind,
        "visibility": item.visibility,
        "author_id": item.author.subject_id,
        "in_reply_to_external_id": item.in_reply_to_external_id,
        "text_hash": item.text_hash,
        "created_at": item.created_at,
    }


def _columns(items: list[_Item]) -> dict[str, list]:
    """Return the parallel arrays the insert and update queries take."""
    return {
        "platforms": [i.platform for i in items],
        "external_ids": [i.external_id for i in items],
        "kinds": [i.kind for i in items],
        "visibilities": [i.visibility for i in items],
        "author_ids": [i.author.subject_id for i in items],
        "parents": [i.in_reply_to_external_id for i in items],
        "texts": [i.text for i in items],
        "text_hashes": [i.text_hash for i in items],
        "created_ats": [i.created_at for i in items],
    }
