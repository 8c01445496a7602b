"""One-time download links: made and revoked by the officer, opened by the subject without a key."""

from __future__ import annotations

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
from service.auth import current_actor, public, requires
from service.dsr.links import create_link, list_links, open_link, revoke_link
from service.errors import TooManyRequests
from service.runtime import current_runtime

blp = Blueprint(
    "package_links",
    __name__,
    description="One-time, expiring download links delivering an access package to the subject.",
)


@blp.route("/v1/requests/<uuid:request_id>/package-links")
class PackageLinks(MethodView):
    @requires("privacy_officer")
    @blp.response(200, PackageLinkListSchema)
    def get(self, request_id: UUID):
        """List a request's download links (never their tokens)."""
        with current_runtime().database.transaction() as conn:
            return {"items": list_links(conn, request_id)}

    @requires("privacy_officer")
    @blp.problems(409)
    @blp.arguments(PackageLinkCreateSchema())
    @blp.response(201, PackageLinkCreatedSchema)
    def post(self, body, request_id: UUID):
        """Make a one-time download link to the package and (by default) send it to the subject."""
        settings = current_runtime().dsr
        with current_runtime().database.transaction() as conn:
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
        with current_runtime().database.transaction() as conn:
            return revoke_link(conn, current_actor(), request_id, link_id)


@blp.route("/p/<token>")
class OpenPackageLink(MethodView):
    @public
    @blp.problems(410, 429, 503)
    @blp.response(
        200,
        content_type="application/zip",
        description="The package, once (404 unknown link; 410 used, revoked or expired; 429).",
    )
    def get(self, token: str):
        """Download an access package through a one-time link (no API key)."""
        attempts = current_app.extensions["privacy.link_attempts"]
        address, now = request.remote_addr or "unknown", time.monotonic()
        wait = attempts.retry_after(address, now)
        if wait is not None:
            raise TooManyRequests(
                "Too many download attempts from this address; wait and try again.",
                retry_after=wait,
            )
        attempts.failed(address, now)
        with current_runtime().database.transaction() as conn:
            request_id, content = open_link(conn, current_runtime().dsr, token[:100])
        return Response(
            content,
            mimetype="application/zip",
            headers={
                "Content-Disposition": f'attachment; filename="personal-data-{request_id}.zip"',
                "Cache-Control": "no-store",
                "Referrer-Policy": "no-referrer",
            },
        )
