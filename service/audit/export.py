"""The audit export file: records written as JSON lines or CSV, and read back for verification.

A file is a header record, then events in seq order, each checkpoint right after the event it
signs, then bridge events (after a time-range slice, up to the next checkpoint), then an end
record with the counts. JSON lines carry one record per line; CSV has one row per record with the
columns in `CSV_COLUMNS`, NULL written as `\\N`, and the header and end records' JSON in `details`.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from service.audit.canonical import canonical_json
from service.audit.events import HASHED_FIELDS, json_string

FORMAT_NAME = "privacy-service-audit-export"
FORMAT_VERSION = 1
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
EVENT_FIELDS = (*HASHED_FIELDS, "hash")
CHECKPOINT_FIELDS = ("seq", "hash", "signed_at", "signature")
CSV_COLUMNS = ("type", *EVENT_FIELDS, "signed_at", "signature")
CSV_NULL = "\\N"
# Records per chunk handed to the web server: few enough to keep memory flat, enough to keep
# the per-chunk overhead low.
CHUNK_RECORDS = 1000


class ExportFormatError(ValueError):
    """A line of an export file that cannot be read."""


# A record to write: ("header" | "end" | "checkpoint", dict) or ("event" | "bridge", row), where
# a row holds EVENT_FIELDS in order with `details` as JSON text, straight from the database.
Record = tuple[str, Any]

_EVENT_LINE = '{"type":"%s",' + ",".join(f'"{name}":%s' for name in EVENT_FIELDS) + "}\n"
_DETAILS = EVENT_FIELDS.index("details")


def _json_line(kind: str, values: dict[str, Any], encoder: json.JSONEncoder) -> str:
    return encoder.encode({"type": kind, **values}) + "\n"


def _event_line(kind: str, row: tuple) -> str:
    """Write an event row as a JSON line without parsing `details` (it is JSON already)."""
    values = [
        "null" if value is None else json_string(value) if type(value) is str else str(value)
        for value in row
    ]
    values[_DETAILS] = row[_DETAILS]
    return _EVENT_LINE % (kind, *values)


def encode_jsonl(records: Iterable[Record]) -> Iterator[bytes]:
    """Yield chunks of JSON lines, one record per line."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for chunk in _chunks(records):
        yield "".join(
            _event_line(kind, payload)
            if kind in ("event", "bridge")
            else _json_line(kind, payload, encoder)
            for kind, payload in chunk
        ).encode()


def _csv_text(value: Any) -> str:
    """Write NULL as \\N; double a leading backslash so no text is mistaken for NULL."""
    if value is None:
        return CSV_NULL
    text = str(value)
    return "\\" + text if text.startswith("\\") else text


_CHECKPOINT_COLUMNS = tuple(CSV_COLUMNS.index(name) for name in CHECKPOINT_FIELDS)
_DETAILS_COLUMN = CSV_COLUMNS.index("details")


def _csv_row(kind: str, payload: Any) -> list[str]:
    if kind in ("event", "bridge"):
        return [kind, *(_csv_text(value) for value in payload), CSV_NULL, CSV_NULL]
    row = [kind] + [CSV_NULL] * (len(CSV_COLUMNS) - 1)
    if kind == "checkpoint":
        for column, name in zip(_CHECKPOINT_COLUMNS, CHECKPOINT_FIELDS, strict=True):
            row[column] = _csv_text(payload[name])
    else:
        row[_DETAILS_COLUMN] = canonical_json(payload).decode()
    return row


def encode_csv(records: Iterable[Record]) -> Iterator[bytes]:
    """Yield chunks of CSV: a row of column names, then one row per record."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for chunk in _chunks(records):
        writer.writerows(_csv_row(kind, payload) for kind, payload in chunk)
        yield buffer.getvalue().encode()
        buffer.seek(0)
        buffer.truncate()


ENCODERS = {"jsonl": encode_jsonl, "csv": encode_csv}


def _chunks(records: Iterable[Record]) -> Iterator[list[Record]]:
    iterator = iter(records)
    while chunk := list(itertools.islice(iterator, CHUNK_RECORDS)):
        yield chunk


def read_export(handle: TextIO) -> Iterator[dict[str, Any]]:
    """Yield the records of an export file, JSON lines or CSV (told apart by the first line)."""
    first = handle.readline()
    if first.lstrip().startswith("{"):
        yield from _read_jsonl(itertools.chain([first], handle))
    elif first:
        yield from _read_csv(itertools.chain([first], handle))


def _read_jsonl(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise ExportFormatError(f"line {number} is not JSON ({exc})") from exc
        if not isinstance(record, dict):
            raise ExportFormatError(f"line {number} is not a JSON object")
        yield record


def _csv_value(text: str) -> str | None:
    if text == CSV_NULL:
        return None
    return text[1:] if text.startswith("\\\\") else text


def _read_csv(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    reader = csv.reader(lines)
    columns = next(reader, None)
    if columns is None or tuple(columns) != CSV_COLUMNS:
        raise ExportFormatError("the CSV header row is not the audit export's")
    for number, row in enumerate(reader, start=2):
        if not row:
            continue
        if len(row) != len(CSV_COLUMNS):
            raise ExportFormatError(f"row {number} has {len(row)} columns, not {len(CSV_COLUMNS)}")
        values = dict(zip(CSV_COLUMNS, row, strict=True))
        kind = values["type"]
        try:
            yield _csv_record(kind, values)
        except ValueError as exc:
            raise ExportFormatError(f"row {number} cannot be read ({exc})") from exc


def _csv_record(kind: str, values: dict[str, str]) -> dict[str, Any]:
    if kind in ("header", "end"):
        return {"type": kind, **json.loads(values["details"])}
    fields = CHECKPOINT_FIELDS if kind == "checkpoint" else EVENT_FIELDS
    record: dict[str, Any] = {"type": kind}
    for name in fields:
        record[name] = _csv_value(values[name])
    record["seq"] = int(record["seq"]) if record["seq"] is not None else None
    if "details" in record and record["details"] is not None:
        record["details"] = json.loads(record["details"])
    return record
