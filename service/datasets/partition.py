"""Redact one partition of a dataset: a plain function of (rows as a pandas DataFrame, settings).

It runs wherever pandas runs: in a Dask task (see ``service.datasets.job``), in a Spark
``mapInPandas`` (see README), or in a plain loop. The engine is the API's, built once per
process from the server secret of that process.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Hashable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy
import pandas as pd

from service.datasets.errors import BadRowError
from service.datasets.settings import DatasetSettings, worker_secret
from service.redaction import RedactionEngine, get_engine

_secrets: dict[str, bytes] = {}


def worker_engine(key_id: str) -> RedactionEngine:
    """Return this process's redaction engine for the run's secret, building it on first use."""
    secret = _secrets.get(key_id)
    if secret is None:
        secret = _secrets[key_id] = worker_secret(key_id)
    return get_engine(secret)


@dataclass(frozen=True)
class BadRow:
    """A row that could not be redacted: where it is and why (never its text)."""

    file: str
    row: int
    reason: str
    action: str  # "skipped", "kept" (unredacted, as asked) or "failed"
    id: Any = None

    def to_dict(self) -> dict[str, Any]:
        """Return the row as written to the bad-rows report."""
        return asdict(self)


@dataclass
class RedactedRows:
    """The redacted rows of a partition, what was found, and the rows that were bad."""

    frame: pd.DataFrame
    bad_rows: list[BadRow] = field(default_factory=list)
    findings_by_type: Counter[str] = field(default_factory=Counter)
    rows_redacted: int = 0


def is_missing(value: Any) -> bool:
    """Return True for an absent value: None, NaN or pandas' NA."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def plain(value: Any) -> Any:
    """Return a JSON-ready form of a value from pandas, numpy or Arrow (None when missing).

    Lists and mappings (Parquet's list, struct and map columns) become JSON arrays and
    objects, their items made plain in turn.
    """
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, numpy.ndarray):
        return [plain(item) for item in value.tolist()]
    if is_missing(value):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def group_key(value: Any) -> str | None:
    """Return the key under which rows share pseudonyms (None: a row of its own)."""
    value = plain(value)
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, default=str)


def text_problem(value: Any, max_text_chars: int) -> str | None:
    """Return why a text field value cannot be redacted, or None if it can."""
    if is_missing(value):
        return "missing text field"
    if not isinstance(value, str):
        return f"text field is not a string ({type(plain(value)).__name__})"
    if len(value) > max_text_chars:
        return f"text is {len(value)} characters; the limit is {max_text_chars}"
    return None


def findings_json(findings: Sequence[Any]) -> str:
    """Return the findings column value: types, offsets into the original text and scores."""
    return json.dumps(
        [
            {"type": f.entity_type, "start": f.start, "end": f.end, "score": f.score}
            for f in findings
        ],
        separators=(",", ":"),
    )


def redact_rows(
    rows: pd.DataFrame,
    settings: DatasetSettings,
    *,
    engine: RedactionEngine | None = None,
    file: str = "",
    row_numbers: Sequence[int] | None = None,
) -> RedactedRows:
    """Redact the text field of every row and add the findings column.

    Rows keep their order and every other column. Pseudonyms are shared by rows with the
    same ``group_field`` value (one numbering per group, in row order); without a group
    field each row is numbered on its own, as one POST /v1/redact call would be. Bad rows
    are dropped (``skip``), kept unredacted with an empty findings value (``keep``), or
    raise BadRowError (``fail``); every one is listed in ``bad_rows`` by its row number
    (``row_numbers``, else 1 for the first row of the frame).
    """
    engine = engine or worker_engine(settings.key_id)
    count = len(rows)
    numbers = list(row_numbers) if row_numbers is not None else list(range(1, count + 1))
    texts = _column(rows, settings.text_field, count)
    ids = _column(rows, settings.id_field, count)
    groups = _column(rows, settings.group_field, count)

    positions: list[int] = []
    items: list[tuple[str, str, str | None]] = []
    keys: list[Hashable] = []
    bad: list[tuple[int, str]] = []
    for position in range(count):
        problem = text_problem(texts[position], settings.max_text_chars)
        if problem is not None:
            bad.append((position, problem))
            continue
        positions.append(position)
        items.append(("", texts[position], settings.language))
        key = group_key(groups[position]) if settings.group_field else None
        keys.append(("row", position) if key is None else ("group", key))

    action = {"skip": "skipped", "keep": "kept", "fail": "failed"}[settings.on_bad_row]
    bad_rows = [
        BadRow(file, numbers[position], reason, action, plain(ids[position]))
        for position, reason in bad
    ]
    if bad_rows and settings.on_bad_row == "fail":
        first = bad_rows[0]
        raise BadRowError(first.file, first.row, first.reason)

    results = engine.redact_batch(items, operators=settings.operators, groups=keys) if items else []
    redacted = list(texts)
    findings: list[str | None] = [None] * count
    by_type: Counter[str] = Counter()
    for position, result in zip(positions, results, strict=True):
        redacted[position] = result.text
        findings[position] = findings_json(result.findings)
        by_type.update(f.entity_type for f in result.findings)

    frame = rows.copy()
    if settings.text_field in frame.columns:
        frame[settings.text_field] = pd.Series(redacted, index=frame.index, dtype=object)
    frame[settings.findings_field] = pd.Series(findings, index=frame.index, dtype=object)
    if bad and settings.on_bad_row == "skip":
        skipped = {position for position, _ in bad}
        frame = frame.iloc[[p for p in range(count) if p not in skipped]]
    return RedactedRows(frame, bad_rows, by_type, len(positions))


def _column(rows: pd.DataFrame, name: str | None, count: int) -> list[Any]:
    """Return a column's values as a list, or Nones when there is no such column."""
    if name is None or name not in rows.columns:
        return [None] * count
    return rows[name].tolist()
