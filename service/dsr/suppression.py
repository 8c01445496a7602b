"""The suppression list: keyed hashes of what an erasure removed, so it is not stored again.

An entry is an account (a handle on a platform), an e-mail address, a phone number, or one
post (platform and post id). Identifiers are keyed with the archive's ``value_hash``; a post id
with a key of its own. Nothing in the list can be turned back into the value.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any
from uuid import UUID

import psycopg

from service.archive.identifiers import value_hash
from service.db import queries
from service.errors import Unprocessable

_ITEM_KEY_CONTEXT = b"privacy-service/dsr/suppressed-item/v1"
SUPPRESSIBLE_KINDS = frozenset({"handle", "email", "phone"})


def item_hash(secret: bytes, platform: str, external_id: str) -> bytes:
    """Return the keyed hash that stands for one post (platform and post id) in the list."""
    return item_hasher(secret)(platform, external_id)


def item_hasher(secret: bytes) -> Callable[[str, str], bytes]:
    """Return a function hashing (platform, post id) as ``item_hash`` does, the key derived once."""
    key = hmac.new(secret, _ITEM_KEY_CONTEXT, hashlib.sha256).digest()

    def hash_item(platform: str, external_id: str) -> bytes:
        return hmac.new(key, f"{platform}\x1f{external_id}".encode(), hashlib.sha256).digest()

    return hash_item


def suppress(
    conn: psycopg.Connection,
    request_id: UUID | None,
    entries: Iterable[tuple[str, str | None, bytes]],
) -> int:
    """Add (kind, platform, hash) entries to the list; return how many were new."""
    rows = sorted(set(entries), key=lambda entry: (entry[0], entry[1] or "", entry[2]))
    if not rows:
        return 0
    inserted = conn.execute(
        queries()["insert_dsr_suppressions"],
        {
            "kinds": [kind for kind, _, _ in rows],
            "platforms": [platform for _, platform, _ in rows],
            "value_hashes": [digest for _, _, digest in rows],
            "request_id": request_id,
        },
    ).fetchall()
    return len(inserted)


def is_suppressed(
    conn: psycopg.Connection,
    secret: bytes,
    *,
    platform: str,
    external_id: str,
    author_identifiers: Sequence[Mapping[str, Any]] = (),
) -> bool:
    """Tell whether an item must not be stored: it was erased, or its author was.

    ``author_identifiers`` are the author's identifiers as ingestion has them, dicts with
    ``kind`` (handle, email, phone; others are ignored), ``platform`` (for a handle) and
    ``value``.
    """
    return bool(
        suppressed_items(
            conn,
            secret,
            [
                {
                    "platform": platform,
                    "external_id": external_id,
                    "author_identifiers": author_identifiers,
                }
            ],
        )
    )


def suppressed_items(
    conn: psycopg.Connection, secret: bytes, items: Sequence[Mapping[str, Any]]
) -> set[int]:
    """Return the positions of the items (as for ``is_suppressed``) that must not be stored."""
    keys: list[tuple[int, str, str | None, bytes]] = []
    for position, item in enumerate(items):
        keys.append(
            (
                position,
                "item",
                item["platform"],
                item_hash(secret, item["platform"], item["external_id"]),
            )
        )
        for identifier in item.get("author_identifiers") or ():
            kind = identifier.get("kind")
            if kind not in SUPPRESSIBLE_KINDS or not identifier.get("value"):
                continue
            platform = identifier.get("platform") if kind == "handle" else None
            keys.append((position, kind, platform, value_hash(secret, kind, identifier["value"])))
    if not keys:
        return set()
    found = conn.execute(
        queries()["list_dsr_suppressions"],
        {
            "kinds": [kind for _, kind, _, _ in keys],
            "platforms": [platform for _, _, platform, _ in keys],
            "value_hashes": [digest for _, _, _, digest in keys],
        },
    ).fetchall()
    hits = {(row["kind"], row["platform"], bytes(row["value_hash"])) for row in found}
    return {
        position for position, kind, platform, digest in keys if (kind, platform, digest) in hits
    }


def refuse_suppressed(conn: psycopg.Connection, secret: bytes, batch: Sequence[Any]) -> None:
    """Raise Unprocessable naming each item of an ingestion batch that must not be stored.

    ``batch`` holds the archive's validated items: ``index``, ``platform``, ``external_id`` and
    an ``author`` with ``platform``, ``handle``, ``emails`` and ``phones``, all normalised.
    """
    items = [
        {
            "platform": item.platform,
            "external_id": item.external_id,
            "author_identifiers": [
                {"kind": "handle", "platform": item.author.platform, "value": item.author.handle},
                *({"kind": "email", "value": email} for email in sorted(item.author.emails)),
                *({"kind": "phone", "value": phone} for phone in sorted(item.author.phones)),
            ],
        }
        for item in batch
    ]
    refused = suppressed_items(conn, secret, items)
    if not refused:
        return
    errors = {
        str(batch[position].index): {
            "external_id": [
                "Erased at the request of the data subject (the item or its author): it may "
                "not be stored again."
            ]
        }
        for position in sorted(refused)
    }
    first = min(errors, key=int)
    raise Unprocessable(
        f"Item {first} was erased at the data subject's request ({len(errors)} item(s) "
        "refused); nothing was stored.",
        errors={"items": errors},
    )
