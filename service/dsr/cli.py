"""`privacy-service dsr`: upkeep of data-subject requests from the command line."""

from __future__ import annotations

import click


@click.group("dsr")
def dsr() -> None:
    """Data-subject request upkeep."""


@dsr.command("retention")
def retention() -> None:
    """Minimise closed requests past their record period and purge expired packages now.

    Workers also run this once a day.
    """
    from service.dsr.retention import run_retention
    from service.runtime import command_runtime

    with command_runtime() as runtime:
        result = run_retention(runtime.database, runtime.dsr)
    click.echo(
        f"{result['requests_minimised']} request(s) minimised, "
        f"{result['packages_purged']} expired package(s) purged"
    )
