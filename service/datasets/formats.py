"""Read and write dataset files: list the inputs, cut them into partitions, parse and serialise.

Text inputs (JSON lines, CSV) are cut at record boundaries into byte ranges, Parquet into row
ranges, in one pass over the input that also counts rows, so every partition knows the number
of its first row. A CSV record may hold newlines inside quotes; the cut follows RFC 4180 quoting.
"""

from __future__ import annotations

import csv
import io
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from fsspec.implementations.local import LocalFileSystem
from fsspec.implementations.memory import MemoryFileSystem

from service.datasets.errors import BadRowError, DatasetInputError
from service.datasets.partition import BadRow, group_key, plain
from service.datasets.settings import DatasetSettings

_SUFFIXES = {
    "jsonl": (".jsonl", ".ndjson", ".json"),
    "csv": (".csv",),
    "parquet": (".parquet", ".pq"),
}
_GLOB_CHARS = set("*?[")


@dataclass(frozen=True)
class InputFile:
    """One input file: where it is, what identifies its current content, its CSV header."""

    url: str
    size: int
    version: str
    header_end: int = 0
    columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartitionSpec:
    """A slice of one input file: a byte range (JSON lines, CSV) or a row range (Parquet)."""

    index: int
    file: int
    first_row: int
    rows: int
    start: int
    end: int


@dataclass
class ParsedPartition:
    """The rows of a partition as a frame, their row numbers, and rows that did not parse."""

    frame: pd.DataFrame
    row_numbers: list[int]
    unparsed: list[BadRow]
    records: list[dict[str, Any]] | None = None  # JSON lines: the objects as read


#: URL schemes of stores that every worker process (on any host) reads and writes alike;
#: a path without a scheme is a local path. Others are refused before any work: memory://
#: lives inside one process, and read-only or per-process stores (http://, zip://, caches
#: chained with ``::``) cannot hold an output or would give each worker another view.
SHARED_SCHEMES = (
    *("file", "local", "s3", "s3a", "gs", "gcs"),
    *("abfs", "abfss", "az", "adl", "hdfs", "webhdfs"),
)


def shared_filesystem(url: str) -> tuple[Any, str]:
    """Return the filesystem and path of a URL every worker process can reach.

    Raises DatasetInputError for a scheme not in SHARED_SCHEMES, with the reason: for
    memory://, each worker would read an empty store of its own and write where nothing
    outlives it. A shared store whose fsspec driver is not installed (s3fs, gcsfs, adlfs)
    is refused with the package's name.
    """
    if "::" in url:
        raise DatasetInputError(
            f"{url}: chained URLs (PROTOCOL::URL) are not supported: give the store's own "
            f"URL ({_SCHEME_LIST})"
        )
    protocol, _ = fsspec.core.split_protocol(url)
    protocol = protocol.lower() if protocol else None
    if protocol == "memory":
        raise DatasetInputError(
            f"{url}: memory:// is not shared between processes, so the Dask worker processes "
            f"can neither read nor write it: use a path or the URL of a shared store "
            f"({_SCHEME_LIST})"
        )
    if protocol is not None and protocol not in SHARED_SCHEMES:
        raise DatasetInputError(
            f"{url}: {protocol}: URLs are not supported for datasets: use a path or the URL "
            f"of a store every worker can read and write ({_SCHEME_LIST})"
        )
    try:
        fs, path = fsspec.core.url_to_fs(url)
    except ImportError as error:
        raise DatasetInputError(
            f"{url}: the {protocol}:// driver is not installed on this machine ({error})"
        ) from None
    if isinstance(fs, MemoryFileSystem):  # a scheme registered to memory under another name
        raise DatasetInputError(f"{url}: an in-process store cannot be shared by the workers")
    return fs, path


_SCHEME_LIST = ", ".join(f"{scheme}://" for scheme in SHARED_SCHEMES if scheme != "local")


def list_inputs(url: str, input_format: str, exclude: str | None = None) -> list[InputFile]:
    """Return the input files of a path, folder or glob (a path or a URL of SHARED_SCHEMES), sorted.

    Nothing under the folder ``exclude`` (the run's output) is an input, so an output folder
    inside the input folder is never read back as input.
    """
    fs, path = shared_filesystem(url)
    inside_output = _inside(fs, exclude)
    if _GLOB_CHARS & set(path):
        paths = sorted(found for found in fs.glob(path) if not inside_output(found))
    elif fs.isdir(path):
        paths = sorted(
            found
            for found in fs.find(path)
            if found.lower().endswith(_SUFFIXES[input_format])
            and not os.path.basename(found).startswith(("_", "."))
            and not inside_output(found)
        )
    elif fs.exists(path):
        paths = [path]
    else:
        raise DatasetInputError(f"no such input: {url}")
    if not paths:
        raise DatasetInputError(f"no {input_format} files in {url}")
    files = []
    for found in paths:
        info = fs.info(found)
        files.append(InputFile(fs.unstrip_protocol(found), int(info["size"]), fs.ukey(found)))
    return files


def _inside(fs: Any, folder: str | None) -> Any:
    """Return a test of whether a path of ``fs`` is the folder (a URL) or under it."""
    if folder is None:
        return lambda found: False
    other, path = fsspec.core.url_to_fs(folder)
    if type(other) is not type(fs):
        return lambda found: False
    path = path.rstrip("/")
    return lambda found: found.rstrip("/") == path or found.startswith(f"{path}/")


# ----------------------------------------------------------------------------- columns


class ColumnCollector:
    """Collect the columns of every input and the kinds of value each holds.

    A part of the output then has every column of the input, in the order they first
    appear, with one type across parts, even when a partition lacks a column or has only
    missing values in it. Kinds: ``int``, ``float``, ``bool``, ``string``, ``json`` (JSON
    arrays and objects, or Parquet's list, struct and map columns), ``null`` (never a
    value), ``mixed`` (several kinds of scalar) and ``arrow`` (Parquet: as stored).
    """

    def __init__(self) -> None:
        self.kinds: dict[str, set[str]] = {}

    def add_names(self, names: Any, kind: str | None = None) -> None:
        """Add columns (of a CSV header or a Parquet schema), with one kind for all."""
        for name in names:
            kinds = self.kinds.setdefault(str(name), set())
            if kind is not None:
                kinds.add(kind)

    def add_record(self, record: dict[str, Any]) -> None:
        """Add the fields of one JSON object and the kinds of their values."""
        for name, value in record.items():
            kinds = self.kinds.setdefault(name, set())
            if value is not None:
                kinds.add(_json_kind(value))

    def add_schema(self, schema: pa.Schema) -> None:
        """Add the columns of a Parquet file: nested ones are ``json``, others ``arrow``."""
        for column in schema:
            nested = pa.types.is_nested(column.type)
            self.add_names([column.name], "json" if nested else "arrow")

    def columns(self, settings: DatasetSettings) -> tuple[tuple[str, str], ...]:
        """Return (name, kind) of every column; the text field is always a string."""
        return tuple(
            (name, "string" if name == settings.text_field else _resolve(kinds))
            for name, kinds in self.kinds.items()
            if name != settings.findings_field
        )


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    return "json"


def _resolve(kinds: set[str]) -> str:
    if not kinds:
        return "null"
    if "json" in kinds:
        return "json"
    if len(kinds) == 1:
        return next(iter(kinds))
    if kinds == {"int", "float"}:
        return "float"
    if "arrow" in kinds:
        return "arrow"
    return "mixed"


# ----------------------------------------------------------------------------- planning


def plan_partitions(
    files: list[InputFile],
    settings: DatasetSettings,
    collector: ColumnCollector | None = None,
) -> tuple[list[InputFile], list[PartitionSpec]]:
    """Cut every input file into partitions of about ``partition_rows`` rows.

    With a group field, a cut falls only between two groups, so a group's rows share one
    partition (and one pseudonym numbering); the rows of a group must then be contiguous.
    Returns the files (CSV headers filled in) and the partitions, in input order; a
    ``collector`` is given every file's columns on the way (JSON lines: every record's).
    """
    planned_files: list[InputFile] = []
    partitions: list[PartitionSpec] = []
    for number, file in enumerate(files):
        if settings.input_format == "parquet":
            keys, planned = _parquet_keys(file, settings, collector)
        else:
            keys, planned = _text_keys(file, settings, collector)
        planned_files.append(planned)
        for first_row, rows, start, end in _cuts(keys, file, settings):
            partitions.append(PartitionSpec(len(partitions), number, first_row, rows, start, end))
    return planned_files, partitions


def _cuts(
    keys: Iterator[tuple[Any, int, int]], file: InputFile, settings: DatasetSettings
) -> Iterator[tuple[int, int, int, int]]:
    """Yield (first row, rows, start, end) cuts over (group key, start, end) per row."""
    target = settings.partition_rows
    grouped = settings.group_field is not None
    seen: set[Any] = set()
    previous: Any = None
    first_row, rows, cut_start, last_end = 1, 0, None, None
    for row, (key, start, end) in enumerate(keys, start=1):
        if cut_start is None:
            cut_start = start
        boundary = not grouped or (key != previous and not (key is None and previous is not None))
        if rows >= target and boundary:
            yield first_row, rows, cut_start, start
            first_row, rows, cut_start = row, 0, start
        if grouped and key is not None and key != previous:
            if key in seen:
                raise DatasetInputError(
                    f"{file.url}: row {row} belongs to a {settings.group_field} group that "
                    "ended earlier; the rows of a group must be next to each other, so sort "
                    f"the input by {settings.group_field} first"
                )
            seen.add(key)
            previous = key
        rows += 1
        last_end = end
    if rows:
        yield first_row, rows, cut_start, last_end


def iter_records(handle: Any, quoted: bool) -> Iterator[tuple[int, int, bytes]]:
    """Yield (start, end, bytes) of every record; with ``quoted``, newlines in quotes stay in."""
    position = start = 0
    inside = False
    parts: list[bytes] = []
    for line in handle:
        position += len(line)
        parts.append(line)
        if quoted and line.count(b'"') % 2:
            inside = not inside
        if not inside:
            yield start, position, b"".join(parts)
            start, parts = position, []
    if parts:
        yield start, position, b"".join(parts)


def _text_keys(
    file: InputFile, settings: DatasetSettings, collector: ColumnCollector | None = None
) -> tuple[Iterator, InputFile]:
    """Read a JSON lines or CSV file's records: the header, then (group key, start, end)."""
    quoted = settings.input_format == "csv"
    handle = fsspec.open(file.url, "rb").open()
    records = iter_records(handle, quoted)
    group_index = None
    if quoted:
        try:
            _, header_end, header = next(records)
        except StopIteration:
            handle.close()
            raise DatasetInputError(f"{file.url}: the CSV file is empty (no header)") from None
        columns = tuple(_csv_fields(header.decode("utf-8-sig")))
        for name in (settings.text_field,):
            if name not in columns:
                handle.close()
                raise DatasetInputError(
                    f"{file.url}: no column {name!r} (columns: {', '.join(columns)})"
                )
        file = InputFile(file.url, file.size, file.version, header_end, columns)
        if collector is not None:
            collector.add_names(columns, "string")
        if settings.group_field in columns:
            group_index = columns.index(settings.group_field)

    objects = None if quoted else collector  # CSV columns are the header's

    def keys() -> Iterator[tuple[Any, int, int]]:
        with handle:
            for start, end, record in records:
                if not record.strip():
                    continue
                yield _record_group(record, quoted, group_index, settings, objects), start, end

    return keys(), file


def _record_group(
    record: bytes,
    quoted: bool,
    group_index: int | None,
    settings: DatasetSettings,
    collector: ColumnCollector | None = None,
) -> Any:
    """Return the group key of one text record (None when it has none or does not parse)."""
    if settings.group_field is None and collector is None:
        return None
    try:
        if quoted:
            if group_index is None:
                return None
            fields = _csv_fields(record.decode("utf-8"))
            return group_key(fields[group_index]) if group_index < len(fields) else None
        value = json.loads(record)
    except (ValueError, csv.Error):
        return None
    if not isinstance(value, dict):
        return None
    if collector is not None:
        collector.add_record(value)
    return group_key(value.get(settings.group_field)) if settings.group_field else None


def _parquet_keys(
    file: InputFile, settings: DatasetSettings, collector: ColumnCollector | None = None
) -> tuple[Iterator, InputFile]:
    """Read a Parquet file's schema and (group key, row, row + 1) per row."""
    with fsspec.open(file.url, "rb") as handle:
        parquet = pq.ParquetFile(handle)
        names = parquet.schema_arrow.names
        if collector is not None:
            collector.add_schema(parquet.schema_arrow)
        if settings.text_field not in names:
            raise DatasetInputError(
                f"{file.url}: no column {settings.text_field!r} (columns: {', '.join(names)})"
            )
        total = parquet.metadata.num_rows
        if settings.group_field in names:
            values = parquet.read(columns=[settings.group_field]).column(0).to_pylist()
            groups = [group_key(value) for value in values]
        else:
            groups = [None] * total
    return ((key, row, row + 1) for row, key in enumerate(groups)), file


# ----------------------------------------------------------------------------- reading


def read_partition(
    file: InputFile, spec: PartitionSpec, settings: DatasetSettings
) -> ParsedPartition:
    """Read one partition's rows; rows that do not parse are reported, never guessed at."""
    if settings.input_format == "parquet":
        return _read_parquet(file, spec)
    with fsspec.open(file.url, "rb") as handle:
        handle.seek(spec.start)
        data = handle.read(spec.end - spec.start)
    if settings.input_format == "csv":
        return _read_csv(file, spec, data, settings)
    return _read_jsonl(file, spec, data, settings)


def _unparsed(file: InputFile, row: int, reason: str, settings: DatasetSettings) -> BadRow:
    """Report a row that does not parse: it cannot be kept, so it is skipped (or fails)."""
    if settings.on_bad_row == "fail":
        raise BadRowError(file.url, row, reason)
    return BadRow(file.url, row, reason, "skipped")


def _read_jsonl(
    file: InputFile, spec: PartitionSpec, data: bytes, settings: DatasetSettings
) -> ParsedPartition:
    records: list[dict[str, Any]] = []
    numbers: list[int] = []
    unparsed: list[BadRow] = []
    row = spec.first_row
    for _, _, line in iter_records(io.BytesIO(data), quoted=False):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except ValueError:
            unparsed.append(_unparsed(file, row, "not valid JSON", settings))
        else:
            if isinstance(value, dict):
                records.append(value)
                numbers.append(row)
            else:
                unparsed.append(_unparsed(file, row, "not a JSON object", settings))
        row += 1
    # Built as objects from the start: an int column with a missing value stays ints.
    frame = pd.DataFrame(records, dtype=object) if records else pd.DataFrame(dtype=object)
    return ParsedPartition(frame, numbers, unparsed, records)


def _read_csv(
    file: InputFile, spec: PartitionSpec, data: bytes, settings: DatasetSettings
) -> ParsedPartition:
    rows: list[list[str]] = []
    numbers: list[int] = []
    unparsed: list[BadRow] = []
    row = spec.first_row
    width = len(file.columns)
    for _, _, record in iter_records(io.BytesIO(data), quoted=True):
        if not record.strip():
            continue
        try:
            fields = _csv_fields(record.decode("utf-8"))
        except UnicodeDecodeError:
            unparsed.append(_unparsed(file, row, "not UTF-8 text", settings))
        except csv.Error:
            unparsed.append(_unparsed(file, row, "not a valid CSV record", settings))
        else:
            if len(fields) == width:
                rows.append(fields)
                numbers.append(row)
            else:
                reason = f"has {len(fields)} fields; the header has {width}"
                unparsed.append(_unparsed(file, row, reason, settings))
        row += 1
    frame = pd.DataFrame(rows, columns=list(file.columns), dtype=object)
    return ParsedPartition(frame, numbers, unparsed)


def _read_parquet(file: InputFile, spec: PartitionSpec) -> ParsedPartition:
    with fsspec.open(file.url, "rb") as handle:
        parquet = pq.ParquetFile(handle)
        groups, first = [], None
        offset = 0
        for index in range(parquet.metadata.num_row_groups):
            size = parquet.metadata.row_group(index).num_rows
            if offset < spec.end and offset + size > spec.start:
                groups.append(index)
                first = offset if first is None else first
            offset += size
        table = parquet.read_row_groups(groups) if groups else parquet.schema_arrow.empty_table()
    table = table.slice(spec.start - (first or 0), spec.end - spec.start)
    frame = table.to_pandas(types_mapper=pd.ArrowDtype)
    numbers = list(range(spec.first_row, spec.first_row + len(frame)))
    return ParsedPartition(frame, numbers, [])


def _csv_fields(record: str) -> list[str]:
    """Parse one CSV record (RFC 4180: commas, double quotes, quotes doubled inside)."""
    fields = next(csv.reader(io.StringIO(record), strict=True), [])
    return fields


# ----------------------------------------------------------------------------- writing


def serialise(
    frame: pd.DataFrame,
    parsed: ParsedPartition,
    settings: DatasetSettings,
    columns: tuple[tuple[str, str], ...] | None = None,
) -> bytes:
    """Return the bytes of an output part in the output format.

    With ``columns`` (the input's, from :class:`ColumnCollector`), a CSV or Parquet part
    has exactly those columns and the findings, with one type each, whatever the rows of
    this partition hold: see :func:`_table_rows`.
    """
    findings = settings.findings_field
    if settings.output_format == "jsonl":
        lines = []
        for position, row in zip(frame.index, frame.to_dict("records"), strict=True):
            if parsed.records is not None:
                record = dict(parsed.records[position])
                if settings.text_field in record:
                    record[settings.text_field] = row[settings.text_field]
            else:
                record = {key: plain(value) for key, value in row.items()}
            value = row[findings]
            record[findings] = None if value is None else json.loads(value)
            lines.append(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return "".join(lines).encode()
    if columns is not None:
        return _serialise_table(frame, parsed, settings, columns)
    if settings.output_format == "csv":
        buffer = io.StringIO()
        frame.to_csv(buffer, index=False)
        return buffer.getvalue().encode()
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for name in (settings.text_field, findings):
        if name in table.column_names:
            index = table.column_names.index(name)
            table = table.set_column(index, name, table.column(name).cast(pa.string()))
    buffer = io.BytesIO()
    pq.write_table(table, buffer)
    return buffer.getvalue()


#: Arrow types of the column kinds in a Parquet part ("arrow": as Arrow infers). A column of
#: several kinds of scalar (a number in some rows, text in others) is text, so every part
#: has the same type for it: strings as they are, other values as JSON.
_ARROW_TYPES = {
    "int": pa.int64(),
    "float": pa.float64(),
    "bool": pa.bool_(),
    "string": pa.string(),
    "json": pa.string(),
    "null": pa.string(),
    "mixed": pa.string(),
}


def _serialise_table(
    frame: pd.DataFrame,
    parsed: ParsedPartition,
    settings: DatasetSettings,
    columns: tuple[tuple[str, str], ...],
) -> bytes:
    """Return a CSV or Parquet part with the planned columns.

    Values come from the records as read (JSON lines), so a number stays the number it
    was. In CSV, a string is written as it is, a missing value as an empty field and any
    other value (numbers, true/false, arrays and objects) as JSON; in Parquet, ``json``
    columns hold JSON text and the others the type of their kind.
    """
    names = [name for name, _ in columns] + [settings.findings_field]
    kinds = [kind for _, kind in columns] + ["string"]
    rows = _table_rows(frame, parsed, settings, names)
    if settings.output_format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(names)
        writer.writerows([_csv_cell(value) for value in row] for row in rows)
        return buffer.getvalue().encode()
    arrays = []
    for index, kind in enumerate(kinds):
        values = [_parquet_value(row[index], kind) for row in rows]
        arrays.append(pa.array(values, type=_ARROW_TYPES.get(kind)))
    buffer = io.BytesIO()
    pq.write_table(pa.Table.from_arrays(arrays, names=names), buffer)
    return buffer.getvalue()


def _table_rows(
    frame: pd.DataFrame, parsed: ParsedPartition, settings: DatasetSettings, names: list[str]
) -> list[list[Any]]:
    """Return each output row's values (plain Python, None when missing) in column order."""
    text = settings.text_field
    rows = []
    for position, row in zip(frame.index, frame.to_dict("records"), strict=True):
        if parsed.records is not None:
            source = parsed.records[position]
            values = [
                row[name] if name in (text, settings.findings_field) else source.get(name)
                for name in names
            ]
        else:
            values = [row.get(name) for name in names]
        rows.append([plain(value) for value in values])
    return rows


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, default=str)


def _parquet_value(value: Any, kind: str) -> Any:
    if value is None or kind == "arrow":
        return value
    if kind in ("string", "json", "null", "mixed"):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if kind == "float" and isinstance(value, int):
        return float(value)
    return value


def write_atomically(url: str, data: bytes) -> None:
    """Write a file under a temporary name, then rename it into place in one step."""
    fs, path = fsspec.core.url_to_fs(url)
    folder, name = path.rsplit("/", 1)
    temporary = f"{folder}/.{name}.{uuid.uuid4().hex}.tmp"
    if isinstance(fs, LocalFileSystem):
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        return
    with fs.open(temporary, "wb") as handle:
        handle.write(data)
    fs.mv(temporary, path)
