"""Fixtures of the triage tests: the archive's item builder, ingestion and in-process workers."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.archive.conftest import engine, ingest, make_item, run_jobs  # noqa: F401


@pytest.fixture
def officer(auth) -> dict:
    """Return the Authorization header of a privacy officer."""
    return auth("privacy_officer")


@pytest.fixture
def scanned(ingest, run_jobs) -> Callable[..., list[str]]:  # noqa: F811
    """Return a function ingesting (external_id, text[, overrides]) items, scanning them, and
    returning their ids in order."""

    def _scanned(*items: tuple) -> list[str]:
        body = ingest(
            *(make_item(item[0], item[1], **(item[2] if len(item) > 2 else {})) for item in items)
        )
        run_jobs()
        return [row["id"] for row in body["items"]]

    return _scanned


def audit_rows(conn, action: str) -> list[dict]:
    """Return the audit events of an action, oldest first."""
    return conn.execute(
        "SELECT target_type, target_id, subject_ref, details FROM audit_events"
        " WHERE action = %s ORDER BY id",
        (action,),
    ).fetchall()
