"""The audit export file: a header bound to a signed checkpoint, event lines with their leaves.

A file is a header record (the signed checkpoint note it is bound to, the filter, optionally a
consistency proof from a tree size the auditor holds), then event records in seq order, each
with its leaf (base64 of the bytes the tree commits to) and, in a filtered export, its inclusion
proof, then an end record with the count. JSON lines carry one record per line; CSV has one row
per record with the columns in `CSV_COLUMNS`, NULL written as `\\N`, the header and end records'
JSON in `data` and a proof as space-separated base64 hashes.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from service.audit.canonical import canonical_json
from service.audit.events import LEAF_FIELDS

FORMAT_NAME = "privacy-service-audit-export"
FORMAT_VERSION = 2
MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv; charset=utf-8"}
EVENT_FIELDS = ("seq", "id", *LEAF_FIELDS, "leaf", "leaf_hash", "proof")
CSV_COLUMNS = ("type", *EVENT_FIELDS, "data")
CSV_NULL = "\\N"
# Records per chunk handed to the web server: few enough to keep memory flat, enough to keep
# the per-chunk overhead low.
CHUNK_RECORDS = 1000


class ExportFormatError(ValueError):
    """A line of an export file that cannot be read."""


# A record to write: ("header" | "event" | "end", dict).
Record = tuple[str, dict[str, Any]]


def encode_jsonl(records: Iterable[Record]) -> Iterator[bytes]:
    """Yield chunks of JSON lines, one record per line."""
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    for chunk in _chunks(records):
        yield "".join(
            encoder.encode({"type": kind, **_event_fields(kind, payload)}) + "\n"
            for kind, payload in chunk
        ).encode()


def _event_fields(kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    if kind != "event":
        return payload
    return {name: payload[name] for name in EVENT_FIELDS if name in payload}


def _csv_text(value: Any) -> str:
    """Write NULL as \\N; double a leading backslash so no text is mistaken for NULL."""
    if value is None:
        return CSV_NULL
    text = str(value)
    return "\\" + text if text.startswith("\\") else text


def _csv_row(kind: str, payload: dict[str, Any]) -> list[str]:
    if kind != "event":
        return [kind] + [CSV_NULL] * len(EVENT_FIELDS) + [canonical_json(payload).decode()]
    values = []
    for name in EVENT_FIELDS:
        value = payload.get(name)
        if name == "details":
            value = canonical_json(value).decode()
        elif name == "proof" and value is not None:
            value = " ".join(value)
        values.append(_csv_text(value))
    return [kind, *values, CSV_NULL]


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
        try:
            yield _csv_record(values)
        except ValueError as exc:
            raise ExportFormatError(f"row {number} cannot be read ({exc})") from exc


def _csv_record(values: dict[str, str]) -> dict[str, Any]:
    kind = values["type"]
    if kind != "event":
        return {"type": kind, **json.loads(values["data"])}
    record: dict[str, Any] = {"type": kind}
    for name in EVENT_FIELDS:
        record[name] = _csv_value(values[name])
    for name in ("seq", "id"):
        record[name] = int(record[name]) if record[name] is not None else None
    if record["details"] is not None:
        record["details"] = json.loads(record["details"])
    if record["proof"] is None:
        del record["proof"]
    else:
        record["proof"] = record["proof"].split()
    return record
