"""Fixtures: one real local Dask cluster (2 worker processes) shared by the dataset tests."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.datasets import DatasetSettings, key_id
from service.datasets.cluster import dask_client, warm_up
from service.redaction import RedactionEngine, get_engine
from tests.conftest import TEST_SECRET

KEY_ID = key_id(TEST_SECRET.encode())

# Comments written for these tests: a handle, an e-mail address and a phone number per row.
HANDLES = ("@tessa_vd", "@bramsbikes", "@noor.k")
EMAILS = ("tessa.devries@example.com", "bram@example.org", "noor.k@example.net")


def comment(row: int) -> str:
    """Return the test comment of a row number (1-based)."""
    return (
        f"Hi {HANDLES[row % 3]}, my parcel is late again, mail me at {EMAILS[row % 3]} "
        "or call 06-12345678"
    )


def make_rows(count: int, *, per_thread: int = 5) -> list[dict]:
    """Return rows with an id, a thread id (contiguous threads) and a comment."""
    return [
        {"comment_id": f"c{row}", "thread": f"t{(row - 1) // per_thread}", "body": comment(row)}
        for row in range(1, count + 1)
    ]


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def settings(**overrides) -> DatasetSettings:
    """Return dataset settings for the test rows (text in `body`), with overrides."""
    values = {
        "text_field": "body",
        "key_id": KEY_ID,
        "id_field": "comment_id",
        "partition_rows": 20,
        **overrides,
    }
    return DatasetSettings(**values)


@pytest.fixture(scope="session")
def engine() -> RedactionEngine:
    return get_engine(TEST_SECRET.encode())


@pytest.fixture(scope="session")
def dask(request) -> Iterator:
    """Yield a client of a real LocalCluster with 2 worker processes, engines built."""
    logging.getLogger("distributed").setLevel(logging.ERROR)
    with dask_client(workers=2, environment={"PRIVACY_SECRET_KEY": TEST_SECRET}) as client:
        warm_up(client, settings())
        yield client
