"""The `privacy-service redact-dataset` command: redact a JSON lines, CSV or Parquet dataset."""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from service.datasets.errors import DatasetError
from service.datasets.settings import BAD_ROW_ACTIONS, FORMATS, DatasetSettings, format_of, key_id

if TYPE_CHECKING:
    from service.runtime import Runtime

#: Exit statuses besides 0 (every partition written) and 1/2 (nothing started: bad settings).
EXIT_INCOMPLETE = 3  # some partitions failed: rerun the same command to finish them
EXIT_STOPPED_ON_BAD_ROW = 4  # --on-bad-row fail met a bad row
EXIT_AUDIT_FAILED = 5  # the output is complete but the audit event could not be recorded
EXIT_INTERRUPTED = 130


def _read_operators(path: str | None) -> dict[str, Any] | None:
    """Read an operators file: the `operators` object of POST /v1/redact, or a body holding one."""
    if path is None:
        return None
    try:
        value = json.loads(Path(path).read_text())
    except (OSError, ValueError) as exc:
        raise click.BadParameter(f"cannot read {path}: {exc}", param_hint="--operators") from exc
    if isinstance(value, dict) and isinstance(value.get("operators"), dict):
        value = value["operators"]
    if not isinstance(value, dict):
        raise click.BadParameter(
            'must hold a JSON object such as {"DEFAULT": {"type": "pseudonymize"}}',
            param_hint="--operators",
        )
    return value


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "--"
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class _ProgressLine:
    """Print progress on stderr: one rewritten line on a terminal, a line every 10 s elsewhere."""

    def __init__(self) -> None:
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, progress) -> None:
        now = time.monotonic()
        finished = progress.rows_done >= progress.rows_total
        if not self.tty and now - self.last < 10 and not finished:
            return
        self.last = now
        share = 100 * progress.rows_done / progress.rows_total if progress.rows_total else 100
        line = (
            f"rows {progress.rows_done:,}/{progress.rows_total:,} ({share:.1f}%)  "
            f"{progress.rows_per_second:,.0f} rows/s  ETA {_duration(progress.eta_seconds)}  "
            f"partitions {progress.partitions_done}/{progress.partitions_total}"
        )
        click.echo(f"\r{line}\033[K" if self.tty else line, err=True, nl=not self.tty)

    def close(self) -> None:
        if self.tty:
            click.echo("", err=True)


@click.command("redact-dataset")
@click.argument("input_url", metavar="INPUT")
@click.argument("output_url", metavar="OUTPUT")
@click.option("--text-field", required=True, help="The field (column) holding the text.")
@click.option("--id-field", default=None, help="A field identifying rows in the bad-rows report.")
@click.option(
    "--group-field",
    default=None,
    help="Rows with the same value share pseudonyms (a thread id, say); a group's rows must "
    "be next to each other in the input.",
)
@click.option(
    "--language", default=None, help="en or nl for every row [default: detected per row]."
)
@click.option(
    "--operators",
    "operators_file",
    default=None,
    type=click.Path(dir_okay=False),
    help="JSON file: the operators object of POST /v1/redact (per entity type or DEFAULT).",
)
@click.option(
    "--format",
    "input_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Input format [default: from INPUT's extension].",
)
@click.option(
    "--output-format",
    type=click.Choice(FORMATS),
    default=None,
    help="Format of the output parts [default: the input's].",
)
@click.option(
    "--on-bad-row",
    type=click.Choice(BAD_ROW_ACTIONS),
    default="skip",
    show_default=True,
    help="A row with no text, a non-string or a text over PRIVACY_MAX_TEXT_CHARS: leave it "
    "out, keep it UNREDACTED, or stop the run. Every bad row is reported either way.",
)
@click.option(
    "--partition-rows",
    type=click.IntRange(1),
    default=2000,
    show_default=True,
    help="Rows per partition: the unit of work, of output files and of resuming.",
)
@click.option("--scheduler", default=None, help="Use this Dask scheduler (tcp://HOST:8786).")
@click.option(
    "--workers",
    type=click.IntRange(1),
    default=None,
    help="Worker processes of the local cluster [default: one per core].",
)
@click.option("--overwrite", is_flag=True, help="Delete an earlier run's output in OUTPUT first.")
@click.option(
    "--no-audit",
    is_flag=True,
    help="Run without recording `dataset.redacted` in the audit log (no database needed).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def redact_dataset(
    input_url: str,
    output_url: str,
    text_field: str,
    id_field: str | None,
    group_field: str | None,
    language: str | None,
    operators_file: str | None,
    input_format: str | None,
    output_format: str | None,
    on_bad_row: str,
    partition_rows: int,
    scheduler: str | None,
    workers: int | None,
    overwrite: bool,
    no_audit: bool,
    as_json: bool,
) -> None:
    """Redact the text field of every row of INPUT into the folder OUTPUT, on Dask.

    INPUT is a file, a folder or a glob; INPUT and OUTPUT are paths or file://, s3://, gs://,
    abfs:// or hdfs:// URLs (memory:// and others are refused). OUTPUT gets one part file
    per partition plus a findings column (types and offsets, never values), a manifest and
    `_bad_rows.jsonl`. Run the same command again to resume: written partitions are skipped.
    Exit status: 0 all written, 3 some partitions failed (rerun to finish), 4 stopped on a
    bad row, 5 written but not audited, 130 interrupted.
    """
    from service.config import load_config, read_or_create_secret
    from service.logs import configure_logging
    from service.redaction.language import SUPPORTED_LANGUAGES
    from service.runtime import SECRET_KEY_FILE

    config = load_config()
    configure_logging(config["PRIVACY_LOG_LEVEL"])
    # Dask's own progress chatter (cluster start, workers joining) would bury the progress line.
    logging.getLogger("distributed").setLevel(max(logging.ERROR, logging.getLogger().level))
    if language is not None and language.lower() not in SUPPORTED_LANGUAGES:
        raise click.BadParameter(
            f"use one of {', '.join(SUPPORTED_LANGUAGES)}", param_hint="--language"
        )
    operators = _read_operators(operators_file)
    try:
        input_format = input_format or format_of(input_url)
    except DatasetError as exc:
        raise click.BadParameter(str(exc), param_hint="INPUT") from exc

    # The audit log is checked before any work: a run that cannot be recorded is refused
    # unless the operator said so. Without it the command needs no database at all, so it
    # builds no runtime (that would start the embedded server) and reads only the secret.
    runtime = None if no_audit else _audit_runtime()
    try:
        if runtime is not None:
            config = runtime.config
            secret = runtime.secret.decode()
        else:
            secret = read_or_create_secret(config, "PRIVACY_SECRET_KEY", SECRET_KEY_FILE)
        if config.get("DATABASE_URL") and not config.get("PRIVACY_SECRET_KEY"):
            click.echo(
                "warning: PRIVACY_SECRET_KEY is not set; hash and encrypt tokens use the secret "
                "of this data folder and will not match the API's",
                err=True,
            )
        code = _run(
            runtime,
            secret,
            input_url=input_url,
            output_url=output_url,
            settings=_settings(
                config,
                secret,
                text_field=text_field,
                id_field=id_field,
                group_field=group_field,
                language=language,
                operators=operators,
                on_bad_row=on_bad_row,
                input_format=input_format,
                output_format=output_format,
                partition_rows=partition_rows,
            ),
            scheduler=scheduler,
            workers=workers,
            overwrite=overwrite,
            as_json=as_json,
        )
    finally:
        if runtime is not None:
            runtime.close()
    sys.exit(code)


def _settings(config: dict[str, Any], secret: str, **options: Any) -> DatasetSettings:
    """Return the run's settings from the command's options, or stop with the reason."""
    language = options.pop("language")
    try:
        return DatasetSettings(
            key_id=key_id(secret.encode()),
            language=language.lower() if language else None,
            max_text_chars=config["PRIVACY_MAX_TEXT_CHARS"],
            **{**options, "output_format": options["output_format"] or options["input_format"]},
        )
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc


def _run(
    runtime: Runtime | None,
    secret: str,
    *,
    input_url: str,
    output_url: str,
    settings: DatasetSettings,
    scheduler: str | None,
    workers: int | None,
    overwrite: bool,
    as_json: bool,
) -> int:
    """Run the job on Dask, print its summary, record it; return the exit status."""
    from service.datasets.cluster import dask_client, warm_up
    from service.datasets.job import prepare_job, run_job

    try:
        job = prepare_job(input_url, output_url, settings, overwrite=overwrite)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(
        f"{job.total_rows:,} rows in {len(job.partitions)} partitions of "
        f"{len(job.files)} file(s); {len(job.done)} partitions already written",
        err=True,
    )
    progress = _ProgressLine()
    # Workers of the local cluster get the command's secret; an existing cluster's workers
    # must have the same PRIVACY_SECRET_KEY (each checks it before working).
    environment = {"PRIVACY_SECRET_KEY": secret}
    try:
        with dask_client(scheduler, workers=workers, environment=environment) as client:
            warm_up(client, settings)
            report = run_job(job, client, on_progress=progress)
    except DatasetError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        progress.close()

    status = _status(report)
    summary = {"status": status, **report.summary()}
    if report.failed:
        summary["failed_partitions"] = [{"partition": i, "error": e} for i, e in report.failed]
    if report.stopped_on is not None:
        summary["stopped_on"] = {"file": report.stopped_on.file, "row": report.stopped_on.row}
    _print_summary(summary, report, job, as_json)

    code = {
        "complete": 0,
        "incomplete": EXIT_INCOMPLETE,
        "stopped_on_bad_row": EXIT_STOPPED_ON_BAD_ROW,
        "interrupted": EXIT_INTERRUPTED,
    }[status]
    if runtime is not None:
        try:
            _record_run(runtime, input_url, output_url, job, settings, summary)
        except Exception as exc:  # noqa: BLE001 - the output stands; the operator must know
            click.echo(f"error: the run was not recorded in the audit log: {exc}", err=True)
            code = code or EXIT_AUDIT_FAILED
    return code


def _status(report) -> str:
    if report.interrupted:
        return "interrupted"
    if report.stopped_on is not None:
        return "stopped_on_bad_row"
    return "complete" if report.complete else "incomplete"


def _print_summary(summary: dict[str, Any], report, job, as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(summary, indent=1))
        return
    rows = summary["rows"]
    click.echo(f"status: {summary['status']}")
    click.echo(
        f"rows: {rows['read']:,} read, {rows['written']:,} written, {rows['redacted']:,} "
        f"redacted, {rows['bad_skipped']:,} bad skipped, {rows['bad_kept']:,} bad kept unredacted"
    )
    partitions = summary["partitions"]
    click.echo(
        f"partitions: {partitions['written']} written, {partitions['skipped']} already "
        f"written, {partitions['failed']} failed, of {partitions['total']}"
    )
    types = ", ".join(f"{name} {count:,}" for name, count in summary["entity_types"].items())
    click.echo(f"findings: {summary['findings']:,}" + (f" ({types})" if types else ""))
    click.echo(f"speed: {report.rows_per_second:,.1f} rows/s over {report.seconds:,.1f} s")
    for index, error in report.failed:
        click.echo(f"partition {index} failed: {error}")
    if report.stopped_on is not None:
        click.echo(f"stopped on a bad row: {report.stopped_on}")
    bad = rows["bad_skipped"] + rows["bad_kept"] + (report.stopped_on is not None)
    if bad:
        click.echo(f"bad rows: {job.output_url}/_bad_rows.jsonl")


def _audit_runtime() -> Runtime:
    """Return a migrated runtime whose audit log is reachable, or stop with advice."""
    from service.runtime import bootstrap

    try:
        runtime = bootstrap(pool_min=0, pool_max=1)
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means the same
        raise _unreachable(exc) from exc
    try:
        runtime.migrate()
        with runtime.connect(connect_timeout=int(runtime.config["PRIVACY_DB_TIMEOUT"]) or 5):
            pass
    except Exception as exc:  # noqa: BLE001
        runtime.close()
        raise _unreachable(exc) from exc
    return runtime


def _unreachable(exc: Exception) -> click.ClickException:
    return click.ClickException(
        f"the audit log's database is not reachable ({type(exc).__name__}): fix "
        "DATABASE_URL, or pass --no-audit to run without recording the run"
    )


def _record_run(
    runtime: Runtime,
    input_url: str,
    output_url: str,
    job,
    settings: DatasetSettings,
    summary: dict[str, Any],
) -> None:
    """Record `dataset.redacted`: names as given, settings and counts, never any text."""
    from service.audit import SYSTEM, record_event

    details = {
        "input": input_url,
        "output": output_url,
        "input_format": settings.input_format,
        "output_format": settings.output_format,
        "files": len(job.files),
        "text_field": settings.text_field,
        "id_field": settings.id_field,
        "group_field": settings.group_field,
        "language": settings.language,
        "operators": sorted((settings.operators or {}).keys()),
        "on_bad_row": settings.on_bad_row,
        **{key: value for key, value in summary.items() if key != "failed_partitions"},
        "failed_partitions": [f["partition"] for f in summary.get("failed_partitions", [])],
    }
    outcome = "success" if summary["status"] == "complete" else "partial"
    with runtime.database.transaction() as conn:
        record_event(
            conn,
            SYSTEM,
            "dataset.redacted",
            target_type="dataset",
            target_id=job.fingerprint[:32],
            outcome=outcome,
            details=details,
        )
