"""The composition root: what a process needs, built once from configuration by `bootstrap`.

The API (`create_app`), the job workers and every CLI command build one `Runtime` and take
their database, secrets and settings from it; nothing of the kind lives in module globals.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from service.archive.settings import ArchiveSettings, load_archive_settings
from service.audit.signing import AuditSettings, load_audit_settings
from service.config import load_config, read_or_create_secret
from service.db import (
    Database,
    DatabaseUrls,
    migrate,
    resolve_database_urls,
    role_is_privileged,
)
from service.dsr.settings import DsrSettings, load_dsr_settings

if TYPE_CHECKING:
    import psycopg

    from service.redaction import RedactionEngine

log = logging.getLogger("service")

SECRET_KEY_FILE = "secret.key"  # noqa: S105 (a file name, not a secret)


@dataclass
class Runtime:
    """One process's database pool, secrets and settings, and its redaction engine factory."""

    config: dict[str, Any]
    urls: DatabaseUrls
    database: Database
    secret: bytes
    audit: AuditSettings
    archive: ArchiveSettings
    dsr: DsrSettings
    # (pid, PRIVACY_BRAND_TERMS) -> engine: a request asks for it without parsing settings.
    _engine: tuple[tuple[int, Any], RedactionEngine] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def database_url(self) -> str:
        """Return the URL of the database in use (the embedded server's when none is set)."""
        return self.database.url

    def engine(self) -> RedactionEngine:
        """Return the process's redaction engine for this secret, built on first use."""
        key = (os.getpid(), self.config.get("PRIVACY_BRAND_TERMS"))
        cached = self._engine
        if cached is not None and cached[0] == key:
            return cached[1]
        # Imported here: loading Presidio and spaCy is what makes the engine heavy, and a CLI
        # command that never redacts should not pay for it.
        from service.redaction import get_engine
        from service.redaction.engine import parse_brand_terms

        engine = get_engine(self.secret, parse_brand_terms(key[1]))
        self._engine = (key, engine)
        return engine

    def connect(self, **kwargs: Any) -> psycopg.Connection:
        """Open a connection outside the pool (a CLI command, a long export)."""
        return self.database.connect(**kwargs)

    def migrate(self) -> list[str]:
        """Apply pending migrations as the owner and grant the service's role its rights.

        Warns when the service's own role could bypass the audit log's protection (a
        superuser, or the owner of its tables): a deployment that should say which owner URL
        migrates (PRIVACY_DATABASE_OWNER_URL).
        """
        applied = migrate(self.urls.owner, service_role=self.urls.service_role)
        with self.database.connect() as conn:
            if role_is_privileged(conn):
                log.warning(
                    "the service connects as a role that owns the audit log or is a superuser;"
                    " set PRIVACY_DATABASE_OWNER_URL and give DATABASE_URL a role of its own"
                )
        return applied

    def close(self) -> None:
        """Close the database pool."""
        self.database.close()


def bootstrap(
    config: Mapping[str, Any] | None = None,
    *,
    pool_min: int | None = None,
    pool_max: int | None = None,
) -> Runtime:
    """Build the runtime from configuration (defaults, environment, then `config`).

    Starts the embedded PostgreSQL when no DATABASE_URL is set, reads or creates the secrets in
    the data folder, and checks every area's settings, so a typo fails here and not in a
    request. The pool opens without waiting: a process starts with the database down. Does not
    migrate; the CLI and `serve` do that once, before any worker starts.
    """
    settings = load_config(config)
    urls = resolve_database_urls(settings)
    if settings.get("DATABASE_URL"):
        missing = [name for name in ("PRIVACY_SECRET_KEY",) if not settings.get(name)]
        if missing:
            # Every process on a shared database must use the same secrets: keys generated
            # into one host's data folder differ from another host's.
            log.warning(
                "secrets taken from the data folder on a shared database",
                extra={"settings": missing},
            )
    secret = read_or_create_secret(settings, "PRIVACY_SECRET_KEY", SECRET_KEY_FILE).encode()
    audit = load_audit_settings(settings)
    archive = load_archive_settings(settings)
    dsr = load_dsr_settings(settings, secret)
    database = Database(
        urls.service,
        min_size=settings["PRIVACY_DB_POOL_MIN"] if pool_min is None else pool_min,
        max_size=settings["PRIVACY_DB_POOL_MAX"] if pool_max is None else pool_max,
        timeout=settings["PRIVACY_DB_TIMEOUT"],
    )
    return Runtime(
        config=settings,
        urls=urls,
        database=database,
        secret=secret,
        audit=audit,
        archive=archive,
        dsr=dsr,
    )


@contextmanager
def command_runtime(*, pool_min: int = 0, pool_max: int = 1) -> Iterator[Runtime]:
    """Yield a migrated runtime for one CLI command (from the environment), closed afterwards."""
    runtime = bootstrap(pool_min=pool_min, pool_max=pool_max)
    try:
        runtime.migrate()
        yield runtime
    finally:
        runtime.close()


def current_runtime() -> Runtime:
    """Return the runtime of the Flask app handling the current request."""
    from flask import current_app

    return current_app.extensions["privacy"]
