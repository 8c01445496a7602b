"""One-time download links: the access package reaches the data subject without an API key.

A link is a random token (256 bits) shown once, when it is made; only its keyed hash is stored.
It opens the package once, until it expires (``PRIVACY_PACKAGE_LINK_HOURS``, never past the
package's own expiry) or is revoked. Making, revoking and using a link are audited; a wrong
token says nothing about which links exist.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import psycopg

from service.audit import Actor, record_event
from service.db import queries
from service.dsr.notices import record_notice
from service.dsr.requests import lock_request
from service.dsr.settings import DsrSettings
from service.errors import Conflict, Gone, NotFound

LINK_PATH = "/p/"
# The audit actor of a download through a link: the data subject, who has no key.
SUBJECT = Actor(key_id=None, role="data_subject")


def token_hash(secret: bytes, token: str) -> bytes:
    """Return the keyed hash a link's token is stored as."""
    return hmac.new(secret, b"dsr-package-link:" + token.encode(), hashlib.sha256).digest()


def create_link(
    conn: psycopg.Connection,
    actor: Actor,
    settings: DsrSettings,
    request_id: UUID,
    *,
    base_url: str,
    notify: bool = True,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Make a download link to a request's package; return it with its URL (shown only now).

    With ``notify`` the link goes to the subject in a ``package_link`` notice, whose stored body
    keeps a placeholder instead of the URL: what is stored cannot open the package.
    """
    now = now or datetime.now(UTC)
    request = lock_request(conn, request_id)
    package = conn.execute(queries()["get_dsr_package"], {"request_id": request_id}).fetchone()
    if package is None:
        raise Conflict(
            f"Request {request_id} has no package: execute an access or portability request first."
        )
    if now >= package["expires_at"] or package["content"] is None:
        raise Gone(
            f"The package of request {request_id} expired at {package['expires_at'].isoformat()}.",
            extra={"expired_at": package["expires_at"].isoformat()},
        )
    token = secrets.token_urlsafe(32)
    expires_at = min(now + timedelta(hours=settings.package_link_hours), package["expires_at"])
    link = conn.execute(
        queries()["insert_dsr_package_link"],
        {
            "request_id": request_id,
            "token_hash": token_hash(settings.secret, token),
            "created_by": actor.key_id,
            "now": now,
            "expires_at": expires_at,
        },
    ).fetchone()
    url = base_url.rstrip("/") + LINK_PATH + token
    record_event(
        conn,
        actor,
        "dsr.package_link_created",
        target_type="dsr_request",
        target_id=request_id,
        subject_ref=request["subject_ref"],
        details={"link_id": str(link["id"]), "expires_at": expires_at.isoformat()},
    )
    if notify:
        record_notice(
            conn,
            settings,
            request,
            "package_link",
            context={"link": url, "link_expires_at": expires_at},
            now=now,
        )
    return {**link, "url": url}


def revoke_link(
    conn: psycopg.Connection,
    actor: Actor,
    request_id: UUID,
    link_id: UUID,
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Revoke a link so it opens nothing (idempotent); return it."""
    request = lock_request(conn, request_id)
    link = conn.execute(
        queries()["update_dsr_package_link_revoked"],
        {
            "id": link_id,
            "request_id": request_id,
            "now": now or datetime.now(UTC),
            "actor": actor.key_id,
        },
    ).fetchone()
    if link is None:
        raise NotFound(f"Request {request_id} has no download link {link_id}.")
    record_event(
        conn,
        actor,
        "dsr.package_link_revoked",
        target_type="dsr_request",
        target_id=request_id,
        subject_ref=request["subject_ref"],
        details={"link_id": str(link_id)},
    )
    return link


def list_links(conn: psycopg.Connection, request_id: UUID) -> list[dict[str, Any]]:
    """Return a request's links, newest first (never their tokens)."""
    lock_request(conn, request_id)
    return conn.execute(queries()["list_dsr_package_links"], {"request_id": request_id}).fetchall()


def open_link(
    conn: psycopg.Connection, settings: DsrSettings, token: str, *, now: datetime | None = None
) -> tuple[UUID, bytes]:
    """Return (request id, package) for a valid token and use the link up; raise otherwise.

    An unknown token is a 404; a used, revoked or expired link, or an expired package, a 410.
    """
    now = now or datetime.now(UTC)
    link = conn.execute(
        queries()["lock_dsr_package_link_by_token"],
        {"token_hash": token_hash(settings.secret, token)},
    ).fetchone()
    if link is None:
        raise NotFound("This download link is not valid.")
    for problem, when in (
        ("was already used", link["used_at"]),
        ("was revoked", link["revoked_at"]),
    ):
        if when is not None:
            raise Gone(f"This download link {problem}; ask us for a new one.")
    if now >= link["expires_at"]:
        raise Gone("This download link has expired; ask us for a new one.")
    package = conn.execute(
        queries()["get_dsr_package"], {"request_id": link["request_id"]}
    ).fetchone()
    if package is None or package["content"] is None or now >= package["expires_at"]:
        raise Gone("The package behind this link is no longer held; ask us for a new one.")
    conn.execute(queries()["update_dsr_package_link_used"], {"id": link["id"], "now": now})
    conn.execute(queries()["update_dsr_package_downloaded"], {"request_id": link["request_id"]})
    record_event(
        conn,
        SUBJECT,
        "dsr.package_downloaded",
        target_type="dsr_request",
        target_id=link["request_id"],
        subject_ref=link["subject_ref"],
        details={
            "via": "link",
            "link_id": str(link["id"]),
            "size_bytes": package["size_bytes"],
            "sha256": package["sha256"],
        },
    )
    return link["request_id"], bytes(package["content"])
