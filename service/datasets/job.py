"""Run a dataset redaction on Dask: plan, skip what is written, redact the rest, report.

The output is a folder: ``part-NNNNN.<ext>`` per partition, ``_manifest.json`` (the input and
settings fingerprint and the partition plan), ``_done/part-NNNNN.json`` per written partition
(its counts and bad rows) and ``_bad_rows.jsonl``. A part is written under a temporary name
and renamed into place, then its done record is written the same way; a rerun skips the
partitions with a done record, so a killed worker or run loses only the partitions in flight.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import fsspec

from service.datasets.errors import (
    BadRowError,
    DatasetError,
    DatasetInputError,
    OutputMismatch,
    PartitionFailed,
)
from service.datasets.formats import (
    ColumnCollector,
    InputFile,
    PartitionSpec,
    list_inputs,
    plan_partitions,
    read_partition,
    serialise,
    shared_filesystem,
    write_atomically,
)
from service.datasets.partition import redact_rows, worker_engine
from service.datasets.settings import EXTENSIONS, OUTPUT_VERSION, DatasetSettings

MANIFEST = "_manifest.json"
DONE_FOLDER = "_done"
BAD_ROWS_REPORT = "_bad_rows.jsonl"
MANIFEST_VERSION = 1


@dataclass
class Job:
    """A planned run: the input files, the partitions and what is already written."""

    input_url: str
    output_url: str
    settings: DatasetSettings
    files: list[InputFile]
    partitions: list[PartitionSpec]
    fingerprint: str
    done: dict[int, dict[str, Any]] = field(default_factory=dict)
    #: (name, kind) of every input column when a CSV or Parquet part needs them all.
    columns: tuple[tuple[str, str], ...] | None = None

    @property
    def total_rows(self) -> int:
        """Return the number of rows in the input (parsed or not)."""
        return sum(spec.rows for spec in self.partitions)

    def part_url(self, index: int) -> str:
        """Return the URL of a partition's output part."""
        return f"{self.output_url}/part-{index:05d}{EXTENSIONS[self.settings.output_format]}"


@dataclass
class Progress:
    """Where a run stands: rows and partitions done, and how fast this run goes."""

    rows_total: int
    rows_done: int
    rows_this_run: int
    partitions_total: int
    partitions_done: int
    seconds: float

    @property
    def rows_per_second(self) -> float:
        """Return this run's rate (rows skipped as already written do not count)."""
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """Return the seconds left at this run's rate, or None before a rate is known."""
        rate = self.rows_per_second
        return (self.rows_total - self.rows_done) / rate if rate > 0 else None


@dataclass
class JobReport:
    """What a run did, for the summary, the audit event and the exit status."""

    partitions_total: int
    partitions_written: int
    partitions_skipped: int
    failed: list[tuple[int, str]]
    rows_read: int
    rows_written: int
    rows_redacted: int
    rows_this_run: int
    bad_rows: Counter[str]
    findings_by_type: Counter[str]
    seconds: float
    stopped_on: BadRowError | None = None
    interrupted: bool = False

    @property
    def complete(self) -> bool:
        """Tell whether every partition of the input is written."""
        return self.partitions_written + self.partitions_skipped == self.partitions_total

    @property
    def rows_per_second(self) -> float:
        """Return the rows this run processed per second of its work."""
        return self.rows_this_run / self.seconds if self.seconds > 0 else 0.0

    def summary(self) -> dict[str, Any]:
        """Return the counts as JSON-ready values (no text, no values)."""
        return {
            "partitions": {
                "total": self.partitions_total,
                "written": self.partitions_written,
                "skipped": self.partitions_skipped,
                "failed": len(self.failed),
            },
            "rows": {
                "read": self.rows_read,
                "written": self.rows_written,
                "redacted": self.rows_redacted,
                "bad_skipped": self.bad_rows.get("skipped", 0),
                "bad_kept": self.bad_rows.get("kept", 0),
            },
            "findings": sum(self.findings_by_type.values()),
            "entity_types": dict(sorted(self.findings_by_type.items())),
            "seconds": round(self.seconds, 2),
            "rows_per_second": round(self.rows_per_second, 1),
        }


# ----------------------------------------------------------------------------- planning


def prepare_job(
    input_url: str, output_url: str, settings: DatasetSettings, *, overwrite: bool = False
) -> Job:
    """List the input, check or create the output folder's manifest, and plan partitions.

    A folder holding a run of the same input and settings is resumed (its plan is reused);
    one holding a run of another input, other settings or another output version (an
    earlier release's layout, see OUTPUT_VERSION) raises OutputMismatch unless ``overwrite``
    is set, in which case that earlier output is deleted: never resumed into, never
    overwritten silently.
    """
    output_url = output_url.rstrip("/")
    fs, path = shared_filesystem(output_url)
    input_fs, input_path = shared_filesystem(input_url)
    if type(input_fs) is type(fs) and input_path.rstrip("/") == path.rstrip("/"):
        raise DatasetInputError("OUTPUT must be a folder other than the input")
    files = list_inputs(input_url, settings.input_format, exclude=output_url)
    input_digest = hashlib.sha256(
        json.dumps([[f.url, f.size, f.version] for f in files]).encode()
    ).hexdigest()
    fingerprint = hashlib.sha256(f"{input_digest}:{settings.fingerprint()}".encode()).hexdigest()

    for file in files:
        if type(input_fs) is type(fs) and _inside(path, input_fs._strip_protocol(file.url)):
            raise DatasetInputError(f"OUTPUT must not hold the input: {file.url} is inside it")
    manifest = _read_json(fs, f"{path}/{MANIFEST}")
    if manifest is not None and manifest.get("fingerprint") != fingerprint:
        earlier = manifest.get("output_version", 1)
        if not overwrite and earlier != OUTPUT_VERSION:
            raise OutputMismatch(
                f"{output_url} holds a run written as output version {earlier}; this version "
                f"of redact-dataset writes version {OUTPUT_VERSION}, whose parts would not "
                "match the ones written: choose another output folder, or pass --overwrite "
                "to delete it and start again"
            )
        if not overwrite:
            changed = [
                what
                for what, key, value in (
                    ("the input", "input_fingerprint", input_digest),
                    ("the settings", "settings_fingerprint", settings.fingerprint()),
                )
                if manifest.get(key) != value
            ]
            raise OutputMismatch(
                f"{output_url} holds a run with other {' and '.join(changed) or 'input'}: "
                "choose another output folder, or pass --overwrite to delete it and start again"
            )
        _clear_output(fs, path)
        manifest = None
    elif manifest is None and fs.exists(path) and fs.ls(path):
        if not overwrite:
            raise OutputMismatch(
                f"{output_url} exists and holds other files: choose an empty or new folder "
                "(or pass --overwrite to delete what this command wrote there)"
            )
        _clear_output(fs, path)

    if manifest is None:
        collector = ColumnCollector() if _needs_columns(settings) else None
        files, partitions = plan_partitions(files, settings, collector)
        columns = None if collector is None else collector.columns(settings)
        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "output_version": OUTPUT_VERSION,
            "fingerprint": fingerprint,
            "input_fingerprint": input_digest,
            "settings_fingerprint": settings.fingerprint(),
            "created_at": datetime.now(UTC).isoformat(),
            "settings": {**asdict(settings)},
            "files": [asdict(f) for f in files],
            "partitions": [asdict(p) for p in partitions],
            "columns": None if columns is None else [list(column) for column in columns],
        }
        fs.makedirs(f"{path}/{DONE_FOLDER}", exist_ok=True)
        write_atomically(f"{output_url}/{MANIFEST}", json.dumps(manifest, indent=1).encode())
    else:
        files = [
            InputFile(**{**f, "columns": tuple(f.get("columns", ()))}) for f in manifest["files"]
        ]
        partitions = [PartitionSpec(**p) for p in manifest["partitions"]]
        stored = manifest.get("columns")
        columns = None if stored is None else tuple(tuple(column) for column in stored)
        fs.makedirs(f"{path}/{DONE_FOLDER}", exist_ok=True)

    job = Job(input_url, output_url, settings, files, partitions, fingerprint, columns=columns)
    job.done = _written_partitions(fs, path, job)
    return job


def _needs_columns(settings: DatasetSettings) -> bool:
    """Tell whether the parts need the input's columns planned: CSV or Parquet from another
    format (JSON lines keep each record's fields; Parquet to Parquet keeps its schema)."""
    if settings.output_format == "jsonl":
        return False
    return not (settings.input_format == settings.output_format == "parquet")


def _inside(folder: str, path: str) -> bool:
    """Tell whether a path is a folder or inside it (paths of one filesystem)."""
    folder, path = folder.rstrip("/"), path.rstrip("/")
    return path == folder or path.startswith(f"{folder}/")


def _written_partitions(fs: Any, path: str, job: Job) -> dict[int, dict[str, Any]]:
    """Return the done records of partitions whose part file is in place."""
    done: dict[int, dict[str, Any]] = {}
    names = {entry.rsplit("/", 1)[-1] for entry in fs.ls(f"{path}/{DONE_FOLDER}", detail=False)}
    parts = {entry.rsplit("/", 1)[-1] for entry in fs.ls(path, detail=False)}
    for spec in job.partitions:
        name = f"part-{spec.index:05d}"
        if f"{name}.json" not in names:
            continue
        record = _read_json(fs, f"{path}/{DONE_FOLDER}/{name}.json")
        part = job.part_url(spec.index).rsplit("/", 1)[-1]
        if record and record.get("fingerprint") == job.fingerprint and part in parts:
            done[spec.index] = record
    return done


def _clear_output(fs: Any, path: str) -> None:
    """Delete what a run writes into an output folder, and nothing else."""
    for entry in fs.ls(path, detail=False):
        name = entry.rsplit("/", 1)[-1]
        if name.startswith(("part-", ".part-")) or name in {MANIFEST, BAD_ROWS_REPORT, DONE_FOLDER}:
            fs.rm(entry, recursive=True)
    if fs.ls(path, detail=False):
        raise OutputMismatch(
            f"{path} holds files this command did not write: choose an empty or new folder"
        )


def _read_json(fs: Any, path: str) -> dict[str, Any] | None:
    try:
        with fs.open(path, "rb") as handle:
            return json.loads(handle.read())
    except FileNotFoundError:
        return None


# ----------------------------------------------------------------------------- the task


def redact_partition_task(
    spec: PartitionSpec,
    file: InputFile,
    output_url: str,
    settings: DatasetSettings,
    fp: str,
    columns: tuple[tuple[str, str], ...] | None = None,
) -> dict[str, Any]:
    """Read, redact and write one partition, then record it as done; return its counts.

    Failures reach the command (and Dask's logs) as PartitionFailed: a parser's or Arrow's
    message can quote the row it choked on, so only our own and the OS's messages are kept.
    """
    try:
        return _redact_partition(spec, file, output_url, settings, fp, columns)
    except (BadRowError, PartitionFailed):
        raise
    except (DatasetError, OSError) as error:
        raise PartitionFailed(f"{type(error).__name__}: {error}") from None
    except Exception as error:  # noqa: BLE001 - any other failure is reported without its text
        raise PartitionFailed(
            f"{type(error).__name__} (its message is withheld: it may quote row data)"
        ) from None


def _redact_partition(
    spec: PartitionSpec,
    file: InputFile,
    output_url: str,
    settings: DatasetSettings,
    fp: str,
    columns: tuple[tuple[str, str], ...] | None,
) -> dict[str, Any]:
    parsed = read_partition(file, spec, settings)
    result = redact_rows(parsed.frame, settings, file=file.url, row_numbers=parsed.row_numbers)
    name = f"part-{spec.index:05d}"
    write_atomically(
        f"{output_url}/{name}{EXTENSIONS[settings.output_format]}",
        serialise(result.frame, parsed, settings, columns),
    )
    bad_rows = sorted(
        [row.to_dict() for row in [*parsed.unparsed, *result.bad_rows]], key=lambda r: r["row"]
    )
    record = {
        "index": spec.index,
        "fingerprint": fp,
        "rows_read": spec.rows,
        "rows_written": len(result.frame),
        "rows_redacted": result.rows_redacted,
        "findings_by_type": dict(result.findings_by_type),
        "bad_rows": bad_rows,
    }
    write_atomically(f"{output_url}/{DONE_FOLDER}/{name}.json", json.dumps(record).encode())
    return record


def warm_worker(settings: DatasetSettings) -> int:
    """Build this worker's engine and check the run's operators on it; return the process id."""
    import os

    engine = worker_engine(settings.key_id)
    engine.validate_operators(settings.operators)
    # One small batch fills the engine's lazy caches before the first partition is timed.
    engine.redact_batch([("", "Thanks @shop, mail me at someone@example.com", None)] * 4)
    return os.getpid()


# ----------------------------------------------------------------------------- the run


def run_job(
    job: Job,
    client: Any,
    *,
    on_progress: Callable[[Progress], None] | None = None,
) -> JobReport:
    """Redact every partition not yet written on the Dask client's cluster; return the report.

    Partitions are submitted at once and the scheduler hands them to free workers; a worker
    that dies has its partition run again elsewhere. With ``on_bad_row="fail"``, the first
    bad row stops the run (partitions already running still finish and are kept).
    """
    from distributed import as_completed

    todo = [spec for spec in job.partitions if spec.index not in job.done]
    started = time.perf_counter()
    rows_done = sum(job.partitions[i].rows for i in job.done)
    rows_this_run = 0
    run_id = uuid.uuid4().hex[:12]  # a fresh key per run: a rerun must not get an old result
    futures = {
        client.submit(
            redact_partition_task,
            spec,
            job.files[spec.file],
            job.output_url,
            job.settings,
            job.fingerprint,
            job.columns,
            key=f"redact-partition-{spec.index:05d}-{run_id}",
            pure=False,
        ): spec
        for spec in todo
    }
    records = dict(job.done)
    failed: list[tuple[int, str]] = []
    stopped: BadRowError | None = None
    written = 0

    def report_progress() -> None:
        if on_progress is not None:
            on_progress(
                Progress(
                    job.total_rows,
                    rows_done,
                    rows_this_run,
                    len(job.partitions),
                    len(records),
                    time.perf_counter() - started,
                )
            )

    def cancel_rest() -> None:
        for other in futures:
            if not other.done():
                other.cancel()

    report_progress()
    interrupted = False
    try:
        for future in as_completed(list(futures)):
            spec = futures[future]
            try:
                record = future.result()
            except BadRowError as error:
                stopped = stopped or error
                cancel_rest()
                continue
            except Exception as error:  # noqa: BLE001 - one partition's failure is reported
                if future.cancelled() or stopped is not None:
                    continue
                failed.append((spec.index, f"{type(error).__name__}: {error}"[:500]))
                continue
            records[spec.index] = record
            written += 1
            rows_done += spec.rows
            rows_this_run += spec.rows
            report_progress()
    except KeyboardInterrupt:
        # What is written stays written; the report says the run was cut short.
        interrupted = True
        cancel_rest()
    seconds = time.perf_counter() - started

    report = JobReport(
        partitions_total=len(job.partitions),
        partitions_written=written,
        partitions_skipped=len(job.done),
        failed=sorted(failed),
        rows_read=sum(r["rows_read"] for r in records.values()),
        rows_written=sum(r["rows_written"] for r in records.values()),
        rows_redacted=sum(r["rows_redacted"] for r in records.values()),
        rows_this_run=rows_this_run,
        bad_rows=Counter(row["action"] for r in records.values() for row in r["bad_rows"]),
        findings_by_type=sum((Counter(r["findings_by_type"]) for r in records.values()), Counter()),
        seconds=seconds,
        stopped_on=stopped,
        interrupted=interrupted,
    )
    _write_bad_rows_report(job, records, stopped)
    if report.complete:
        _remove_temporaries(job.output_url)
    return report


def _write_bad_rows_report(
    job: Job, records: dict[int, dict[str, Any]], stopped: BadRowError | None
) -> None:
    """Write every bad row of the written partitions (and the one that stopped the run)."""
    rows = [row for index in sorted(records) for row in records[index]["bad_rows"]]
    if stopped is not None:
        rows.append({"file": stopped.file, "row": stopped.row, "reason": stopped.reason})
        rows[-1].update(action="failed", id=None)
    text = "".join(json.dumps(row, default=str) + "\n" for row in rows)
    write_atomically(f"{job.output_url}/{BAD_ROWS_REPORT}", text.encode())


def _remove_temporaries(output_url: str) -> None:
    """Delete temporary files left by attempts that died before their rename."""
    fs, path = fsspec.core.url_to_fs(output_url)
    for folder in (path, f"{path}/{DONE_FOLDER}"):
        for entry in fs.ls(folder, detail=False):
            name = entry.rsplit("/", 1)[-1]
            if name.startswith(".") and name.endswith(".tmp"):
                fs.rm(entry)
