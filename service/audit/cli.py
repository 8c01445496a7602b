"""`privacy-service audit`: verify an export offline, show the public key, sign a checkpoint."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import TextIO

import click

from service.audit.export import ExportFormatError, read_export
from service.audit.signing import AuditKeyError, parse_public_key
from service.audit.verify import VerificationReport, verify_export


@click.group()
def audit() -> None:
    """Tamper-evident audit log."""


def _read_public_key(value: str):
    """Read a public key given inline (base64 or PEM) or as a file holding one."""
    path = Path(value)
    # A base64 key can look like a relative path; only an existing file is read as one.
    text = path.read_text() if len(value) < 4096 and path.is_file() else value
    try:
        return parse_public_key(text)
    except AuditKeyError as exc:
        raise click.BadParameter(str(exc), param_hint="--public-key") from exc


def _open_export(path: str) -> TextIO:
    """Open an export for reading; `newline=""` keeps carriage returns inside CSV fields intact."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
    try:
        return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from exc


@audit.command("verify")
@click.argument("export_file", metavar="FILE")
@click.option(
    "--public-key",
    "public_key",
    required=True,
    help="The Ed25519 public key you trust: base64 of the raw 32 bytes, PEM, or a file of either.",
)
def verify_command(export_file: str, public_key: str) -> None:
    """Verify an export (JSON lines or CSV; `-` for stdin) without the database; exit 1 if bad."""
    key = _read_public_key(public_key)
    with _open_export(export_file) as handle:
        try:
            report = verify_export(read_export(handle), key)
        except (ExportFormatError, UnicodeDecodeError) as exc:
            click.echo(f"FAILED: {exc}", err=True)
            sys.exit(1)
    click.echo(_summary(report))
    for note in _notes(report):
        click.echo(f"note: {note}")
    if not report.ok:
        click.echo(f"FAILED at seq {report.first_bad_seq}: {report.reason}", err=True)
        sys.exit(1)


def _summary(report: VerificationReport) -> str:
    events = report.events_seen - report.bridge_seen
    valid_events = min(report.checked, events)
    line = f"{valid_events}/{events} events valid"
    if report.bridge_seen:
        line += f" (+{report.bridge_seen} bridge)"
    return line + f", {report.checkpoints_checked}/{report.checkpoints_seen} checkpoints valid"


def _notes(report: VerificationReport) -> list[str]:
    notes = list(report.notes)
    if not report.ok:
        return notes
    if report.first_seq is not None:
        notes.append(f"events cover seq {report.first_seq}..{report.last_seq}")
    if report.last_checkpoint:
        checkpoint = report.last_checkpoint
        notes.append(
            f"signed through seq {checkpoint['seq']} (checkpoint signed at "
            f"{checkpoint['signed_at']}); the file cannot show events added after that"
        )
    if report.gaps:
        notes.append(
            f"filtered export with {report.gaps} gap(s): events between them are not in the "
            "file, so only events signed directly by a checkpoint are proven part of the log"
        )
    if report.unsigned:
        notes.append(f"{report.unsigned} event(s) are not covered by any checkpoint (unsigned)")
    return notes


@audit.command("public-key")
def public_key_command() -> None:
    """Print the base64 public key that verifies checkpoints (from this configuration)."""
    from service.audit.signing import load_audit_settings
    from service.config import load_config

    click.echo(load_audit_settings(load_config()).public_key)


@audit.command("checkpoint")
def checkpoint_command() -> None:
    """Sign a checkpoint at the head of the log now (recorded as `audit.checkpointed`)."""
    from service.audit.events import SYSTEM
    from service.audit.log import checkpoint_now
    from service.runtime import command_runtime

    with command_runtime() as runtime, runtime.database.transaction() as conn:
        checkpoint = checkpoint_now(conn, runtime.audit, SYSTEM)
    click.echo(
        f"checkpoint at seq {checkpoint['seq']} hash {checkpoint['hash']} "
        f"signed at {checkpoint['signed_at']}"
    )
    click.echo(checkpoint["signature"])
