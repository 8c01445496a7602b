"""The feedback archive searched by a data subject's identifiers, redacted by default.

The identifiers are matched by the lookup access, erasure and holds use
(`service.dsr.discovery.find_subject`); the items are listed with the archive's own
`list_feedback` (as `GET /v1/feedback?subject=`), showing the redacted text only. Reading an
item's raw text is a separate action through `get_feedback_item`, the function behind
`GET /v1/feedback/<id>`, so it is audited as `feedback.viewed` exactly as the API's raw access.
The search is a POST: identifiers never end up in a URL, a log line or the browser's history.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from flask import g, request

from schemas.feedback import FeedbackDetailSchema, FeedbackSummarySchema
from schemas.requests import DsrSubjectSchema
from service.archive.reading import get_feedback_item, list_feedback
from service.auth import requires
from service.console.base import console
from service.console.pages import highlight, render_page
from service.console.requests import FormInvalid, _describe, _load, subject_from_form
from service.dsr.discovery import find_subject, mention_items
from service.errors import DomainError, problem_type_for
from service.runtime import current_runtime

# Items listed per subject found; the page says when there are more.
ITEMS_PER_SUBJECT = 100


@console.get("/archive")
@requires("privacy_officer")
def archive():
    """Show the search form."""
    return render_page("archive.html", form={}, searched=False)


@console.post("/archive")
@requires("privacy_officer")
def archive_search():
    """Find the archive subjects the identifiers name; list their items and the items that
    mention them, redacted."""
    runtime = current_runtime()
    try:
        subject = _load(DsrSubjectSchema(), subject_from_form())
        if not any(subject.values()):
            raise FormInvalid({"identifiers": ["Give at least one identifier."]})
        with runtime.database.transaction() as conn:
            match = find_subject(
                conn, runtime.dsr.secret, subject, phone_region=runtime.dsr.phone_region
            )
            subjects = []
            for subject_id in match.subject_ids:
                page = list_feedback(conn, subject_id=subject_id, limit=ITEMS_PER_SUBJECT)
                subjects.append(
                    {
                        "id": str(subject_id),
                        "found": FeedbackSummarySchema(many=True).dump(page["items"]),
                        "more": page["next_cursor"] is not None,
                    }
                )
            mentions = [
                {
                    "id": str(row["id"]),
                    "platform": row["platform"],
                    "kind": row["kind"],
                    "visibility": row["visibility"],
                    "created_at": row["created_at"].isoformat(),
                    # Only the redacted text; an item not scanned yet shows none.
                    "public_text": row["public_text"] if row["scanned"] else None,
                }
                for row in mention_items(conn, match)
            ]
    except FormInvalid as exc:
        return render_page(
            "archive.html", 400, form=request.form, searched=False, error=_describe(exc.messages)
        )
    except DomainError as exc:
        return render_page(
            "archive.html",
            problem_type_for(exc).status,
            form=request.form,
            searched=False,
            error=exc.detail,
        )
    return render_page(
        "archive.html",
        form=request.form,
        searched=True,
        subjects=subjects,
        mentions=mentions,
        unmatched=match.unmatched,
    )


@console.post("/archive/items/<uuid:item_id>/raw")
@requires("privacy_officer")
def archive_item_raw(item_id: UUID):
    """Show an item's raw text with its findings; recorded as `feedback.viewed`, as the API's
    raw read is."""
    runtime = current_runtime()
    with runtime.database.transaction() as conn:
        stored = get_feedback_item(conn, g.actor, runtime.secret, item_id)
    item: dict[str, Any] = FeedbackDetailSchema().dump(stored)
    # The findings point into the text they were found in: mark them only while it is current.
    current = item["scan_status"] == "done"
    return render_page(
        "archive_item.html",
        item=item,
        segments=highlight(item["text"], item["findings"]) if current else None,
    )
