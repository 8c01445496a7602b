"""`privacy-service audit`: run the signer, verify exports offline, witness a log, show the key."""

from __future__ import annotations

import io
import signal
import sys
import threading
from pathlib import Path
from typing import TextIO

import click

from service.audit.export import ExportFormatError, read_export
from service.audit.note import NoteError, Verifier, parse_verifier_key
from service.audit.verify import ExportReport, load_trusted, verify_export


@click.group()
def audit() -> None:
    """Verifiable audit log."""


def read_verifier_keys(values: tuple[str, ...]) -> list[Verifier]:
    """Read verifier keys given inline or as files holding one per line."""
    keys = []
    for value in values:
        path = Path(value)
        text = path.read_text() if len(value) < 4096 and path.is_file() else value
        try:
            keys.extend(parse_verifier_key(line) for line in text.split() if line)
        except NoteError as exc:
            raise click.BadParameter(str(exc), param_hint="--verifier-key") from exc
    if not keys:
        raise click.BadParameter("give at least one key", param_hint="--verifier-key")
    return keys


def _open_export(path: str) -> TextIO:
    """Open an export for reading; `newline=""` keeps carriage returns inside CSV fields intact."""
    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", newline="")
    try:
        return open(path, encoding="utf-8", newline="")  # noqa: SIM115 - closed by the caller
    except OSError as exc:
        raise click.BadParameter(str(exc), param_hint="FILE") from exc


VERIFIER_KEY_HELP = (
    "A note verifier key you trust (name+keyid+key, from GET /v1/audit/public-key), or a file of "
    "them; repeat for a keyring."
)


@audit.command("verify")
@click.argument("export_file", metavar="FILE")
@click.option(
    "--verifier-key", "verifier_keys", multiple=True, required=True, help=VERIFIER_KEY_HELP
)
@click.option(
    "--trusted-checkpoint",
    help="A checkpoint note you already hold, or a witness state file: the export must extend it.",
)
@click.option("--full", "require_full", is_flag=True, help="Fail unless it is a full export.")
def verify_command(
    export_file: str, verifier_keys: tuple[str, ...], trusted_checkpoint: str | None, require_full
) -> None:
    """Verify an export (JSON lines or CSV; `-` for stdin) without the database; exit 1 if bad."""
    keys = read_verifier_keys(verifier_keys)
    trusted = None
    if trusted_checkpoint:
        try:
            trusted = load_trusted(trusted_checkpoint, keys)
        except (NoteError, OSError) as exc:
            raise click.BadParameter(str(exc), param_hint="--trusted-checkpoint") from exc
    with _open_export(export_file) as handle:
        try:
            report = verify_export(read_export(handle), keys, trusted, require_full=require_full)
        except (ExportFormatError, UnicodeDecodeError) as exc:
            click.echo(f"FAILED: {exc}", err=True)
            sys.exit(1)
    if not report.ok:
        where = f" at seq {report.first_bad_seq}" if report.first_bad_seq else ""
        click.echo(f"FAILED{where}: {report.reason}", err=True)
        sys.exit(1)
    click.echo(_summary(report, trusted))


def _summary(report: ExportReport, trusted) -> str:
    if report.mode == "full":
        line = (
            f"OK: full export, all {report.events} events of the signed tree of "
            f"{report.tree_size} ({report.origin}); the root recomputed from their leaves matches"
        )
    else:
        line = (
            f"OK: filtered export, {report.events} events each proven in the signed tree of "
            f"{report.tree_size} ({report.origin}); a filtered export cannot show that no other "
            "event matches its filter"
        )
    if trusted is not None:
        line += f"; consistent with the checkpoint of {trusted.size} you hold"
    return line


@audit.command("public-key")
def public_key_command() -> None:
    """Print the note verifier key of this configuration's signing key."""
    from service.audit.signing import load_signer_settings
    from service.config import load_config

    click.echo(load_signer_settings(load_config()).verifier.verifier_key)


def _signer_start(*, logs: bool):
    """Migrate and return (service URL, signer settings) for the signer's commands.

    Not the runtime every other command uses: the signer needs the signing key and nothing
    else, so it neither reads nor creates the service's secret and opens no pool.
    """
    from service.audit.signing import load_signer_settings
    from service.config import load_config
    from service.db import migrate, resolve_database_urls
    from service.logs import configure_logging

    config = load_config()
    if logs:
        configure_logging(config["PRIVACY_LOG_LEVEL"])
    urls = resolve_database_urls(config)
    migrate(urls.owner, service_role=urls.service_role)
    return urls.service, load_signer_settings(config)


@audit.command("signer")
@click.option("--once", is_flag=True, help="Integrate and sign once, then exit.")
def signer_command(once: bool) -> None:
    """Run the integrator/signer: give new events tree positions and sign checkpoints.

    One runs per database at a time (others wait for its lock); it alone needs the signing key.
    """
    from service.audit.signer import SignerRefused, integrate_now, run_signer

    url, settings = _signer_start(logs=True)
    if once:
        try:
            added = integrate_now(url, settings)
        except SignerRefused as exc:
            raise click.ClickException(f"refused to sign: {exc}") from exc
        click.echo(f"integrated {added} event(s)")
        return
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    click.echo(f"audit signer started for {settings.audit.origin}", err=True)
    run_signer(url, settings, stop)


@audit.command("rotate-key")
@click.option(
    "--new-key",
    required=True,
    type=click.Path(exists=True, dir_okay=False),
    help="A file holding the new Ed25519 signing key (base64 seed or PEM).",
)
def rotate_key_command(new_key: str) -> None:
    """Move the log to a new signing key (stop the signer first; restart it with the new key).

    Records the rotation in the log and signs that checkpoint with the old and the new key, then
    prints the new verifier key for auditors.
    """
    from service.audit.signer import SignerBusy, SignerRefused, rotate_key
    from service.audit.signing import AuditKeyError, parse_signing_key

    url, settings = _signer_start(logs=False)
    try:
        key = parse_signing_key(Path(new_key).read_text())
        note = rotate_key(url, settings, key)
    except (AuditKeyError, ValueError, SignerBusy, SignerRefused) as exc:
        raise click.ClickException(str(exc)) from exc
    from service.audit.note import Signer

    click.echo(note, nl=False)
    click.echo(f"new verifier key: {Signer(settings.audit.origin, key).verifier.verifier_key}")


def _http(base_url: str, api_key: str | None):
    """Return (fetch, post) callables on the log's API, with the auditor's key."""
    import json
    import urllib.error
    import urllib.request

    if not base_url.startswith(("http://", "https://")):
        raise click.BadParameter("an http:// or https:// URL", param_hint="--url")

    def call(path: str, body: dict | None = None) -> tuple[int, str]:
        headers = {"Accept": "*/*"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        target = base_url.rstrip("/") + path  # the scheme is checked above
        request = urllib.request.Request(target, data=data, headers=headers)  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except (urllib.error.URLError, OSError) as exc:
            raise click.ClickException(f"cannot reach {base_url}: {exc}") from exc

    return call, call


@audit.command("witness")
@click.option("--url", required=True, help="The service's base URL, e.g. https://privacy.example.")
@click.option(
    "--verifier-key", "verifier_keys", multiple=True, required=True, help=VERIFIER_KEY_HELP
)
@click.option(
    "--state",
    "state_file",
    required=True,
    type=click.Path(dir_okay=False),
    help="Your state file: every checkpoint witnessed (created on the first run).",
)
@click.option(
    "--cosign-key",
    type=click.Path(exists=True, dir_okay=False),
    help="A file holding your Ed25519 witness key (base64 seed): cosign and post back.",
)
@click.option("--cosign-name", help="Your witness name (required with --cosign-key).")
def witness_command(
    url: str, verifier_keys: tuple[str, ...], state_file: str, cosign_key, cosign_name
) -> None:
    """Fetch the latest checkpoint and check it extends the ones held; exit 1 naming a problem.

    Run it from your own machine (cron); the auditor's API key is read from PRIVACY_API_KEY.
    """
    import os

    from service.audit.note import Signer
    from service.audit.signing import AuditKeyError, parse_signing_key
    from service.audit.witness import WitnessAlarm, witness_once

    keys = read_verifier_keys(verifier_keys)
    cosigner = None
    if cosign_key:
        if not cosign_name:
            raise click.BadParameter("give --cosign-name too", param_hint="--cosign-name")
        try:
            cosigner = Signer(cosign_name, parse_signing_key(Path(cosign_key).read_text()))
            cosigner.verifier  # noqa: B018 - checks the name
        except (AuditKeyError, NoteError) as exc:
            raise click.BadParameter(str(exc), param_hint="--cosign-key") from exc
    fetch, post = _http(url, os.environ.get("PRIVACY_API_KEY"))
    try:
        result = witness_once(
            lambda path: fetch(path), Path(state_file), keys, post=post, cosigner=cosigner
        )
    except WitnessAlarm as exc:
        click.echo(f"ALARM ({exc.problem}): {exc}", err=True)
        sys.exit(1)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    checkpoint = result.checkpoint
    if result.previous_size is None:
        line = f"OK: first checkpoint held, {checkpoint.size} events of {checkpoint.origin}"
    elif result.previous_size == checkpoint.size:
        line = f"OK: unchanged at {checkpoint.size} events"
    else:
        line = (
            f"OK: {checkpoint.size} events, consistent with the {result.previous_size} "
            "witnessed before"
        )
    learned = "".join(f"; learned key {key_id} from its rotation" for key_id in result.learned)
    click.echo(line + learned + ("; cosigned" if result.cosigned else ""))
