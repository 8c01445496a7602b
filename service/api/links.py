"""One-time download links: made and revoked by the officer, opened by the subject without a key."""

from __future__ import annotations

import threading
import time
from uuid import UUID

from flask import Response, current_app, request
from flask.views import MethodView

from schemas.links import (
    PackageLinkCreatedSchema,
    PackageLinkCreateSchema,
    PackageLinkListSchema,
    PackageLinkSchema,
)
from service.api import Blueprint
from service.api.requests import dsr_settings
from service.auth import current_actor, public, requires
from service.dsr.links import create_link, list_links, open_link, revoke_link
from service.errors import TooManyRequests

blp = Blueprint(
    "package_links",
    __name__,
    description="One-time, expiring download links delivering an access package to the subject.",
)

DEFAULT_RATE_PER_MINUTE = 10


def _db():
    return current_app.extensions["privacy.db"]


class _Window:
    """Counts requests per client address in one-minute windows (per process)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, int]] = {}

    def allow(self, address: str) -> bool:
        minute = int(time.monotonic() // 60)
        with self._lock:
            if len(self._counts) > 10_000:
                self._counts = {k: v for k, v in self._counts.items() if v[0] == minute}
            start, count = self._counts.get(address, (minute, 0))
            if start != minute:
                start, count = minute, 0
            self._counts[address] = (start, count + 1)
            return count < self.limit


def _window() -> _Window:
    window = current_app.extensions.get("privacy.link_window")
    if window is None:
        limit = int(
            current_app.config.get("PRIVACY_LINK_RATE_PER_MINUTE") or DEFAULT_RATE_PER_MINUTE
        )
        window = current_app.extensions["privacy.link_window"] = _Window(limit)
    return window


@blp.route("/v1/requests/<uuid:request_id>/package-links")
class PackageLinks(MethodView):
    @requires("privacy_officer")
    @blp.response(200, PackageLinkListSchema)
    def get(self, request_id: UUID):
        """List a request's download links (never their tokens)."""
        with _db().transaction() as conn:
            return {"items": list_links(conn, request_id)}

    @requires("privacy_officer")
    @blp.arguments(PackageLinkCreateSchema)
    @blp.response(201, PackageLinkCreatedSchema)
    def post(self, body, request_id: UUID):
        """Make a one-time download link to the package and (by default) send it to the subject."""
        settings = dsr_settings()
        with _db().transaction() as conn:
            return create_link(
                conn,
                current_actor(),
                settings,
                request_id,
                base_url=settings.public_url,
                notify=body["notify"],
            )


@blp.route("/v1/requests/<uuid:request_id>/package-links/<uuid:link_id>")
class PackageLinkById(MethodView):
    @requires("privacy_officer")
    @blp.response(200, PackageLinkSchema)
    def delete(self, request_id: UUID, link_id: UUID):
        """Revoke a download link: it opens nothing any more."""
        with _db().transaction() as conn:
            return revoke_link(conn, current_actor(), request_id, link_id)


@blp.route("/p/<token>")
class OpenPackageLink(MethodView):
    @public
    @blp.response(
        200,
        content_type="application/zip",
        description="The package, once (404 unknown link; 410 used, revoked or expired; 429).",
    )
    def get(self, token: str):
        """Download an access package through a one-time link (no API key)."""
        if not _window().allow(request.remote_addr or "unknown"):
            raise TooManyRequests("Too many download attempts from this address; wait a minute.")
        with _db().transaction() as conn:
            request_id, content = open_link(conn, dsr_settings(), token[:100])
        return Response(
            content,
            mimetype="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="personal-data-{request_id}.zip"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
