"""Fixtures: a real PostgreSQL (embedded or TEST_DATABASE_URL), a fresh database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import flask
import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from service import create_app
from service.audit import SYSTEM
from service.audit.signer import integrate_now
from service.audit.signing import load_signer_settings
from service.auth import create_key
from service.db import ensure_role, migrate, start_embedded
from service.runtime import Runtime
from tests.problem_contract import error_contract_violations

ROOT = Path(__file__).resolve().parent.parent
TEST_SECRET = "test-secret-key-0123456789abcdef0123456789"
# The role test apps connect as, like the service in production: granted, not owning.
SERVICE_ROLE = "privacy_service"


@pytest.fixture(autouse=True)
def every_error_keeps_the_documented_contract() -> Iterator[None]:
    """Fail a test when any error response it provoked departs from the OpenAPI document."""
    violations: list[str] = []

    def check(app, response, **_):
        if response.status_code >= 400:
            violations.extend(error_contract_violations(app, flask.request, response))

    flask.request_finished.connect(check)
    try:
        yield
    finally:
        flask.request_finished.disconnect(check)
    if violations:
        pytest.fail("error responses break the documented contract:\n" + "\n".join(violations))


@pytest.fixture
def embedded_data_dir() -> Iterator[Path]:
    """A fresh data folder for an embedded server of its own, under the project's .data.

    Not under tmp_path: pytest keeps /tmp/pytest-of-<user> at mode 0700 (and resets it when any
    session starts), where the server's own OS user (root runs it as `pgserver`) cannot reach.
    """
    import shutil

    (ROOT / ".data").mkdir(exist_ok=True)
    path = ROOT / ".data" / f"embedded-{uuid.uuid4().hex[:12]}"
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    """Return a URL to a real server's maintenance database."""
    url = os.environ.get("TEST_DATABASE_URL") or start_embedded(
        ROOT / ".data" / "test", database="postgres"
    )
    ensure_role(url, SERVICE_ROLE)
    return url


def _db_url(server_url: str, name: str) -> str:
    return make_conninfo(server_url, dbname=name)


@pytest.fixture(scope="session")
def template_db(pg_server_url: str, worker_id: str) -> Iterator[str]:
    """Create a migrated template database for this test session; dropped at the end."""
    # The pid keeps concurrent sessions (xdist workers, two terminals) out of each other's way.
    name = f"privacy_template_{worker_id}_{os.getpid()}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    migrate(_db_url(pg_server_url, name), service_role=SERVICE_ROLE)
    yield name
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture(scope="session")
def worker_id(request) -> str:
    """Return the xdist worker id, or 'main' without xdist."""
    return getattr(request.config, "workerinput", {}).get("workerid", "main")


@pytest.fixture
def db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """Return the owner's URL of a fresh database copied from the migrated template.

    Tests use it to set up and tamper as an owner (or superuser) would; the app they build
    connects as the service's role (`app_config`). The database is dropped afterwards.
    """
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_db)
            )
        )
    yield _db_url(pg_server_url, name)
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def app_config(db_url: str, tmp_path: Path) -> dict:
    """Return the settings every test app is built with."""
    return {
        "TESTING": True,
        "DATABASE_URL": make_conninfo(db_url, user=SERVICE_ROLE),
        "PRIVACY_DATABASE_OWNER_URL": db_url,
        "PRIVACY_DATA_DIR": str(tmp_path / "data"),
        "PRIVACY_SECRET_KEY": TEST_SECRET,
        "PRIVACY_DB_POOL_MIN": 0,
        "PRIVACY_DB_POOL_MAX": 4,
        # Tests probe with many bad keys from one address; the limit has a test of its own.
        "PRIVACY_AUTH_FAILURES_PER_MINUTE": 0,
    }


@pytest.fixture
def integrate_audit(app_config: dict, db_url: str) -> Callable[[], int]:
    """Return a function running one pass of the audit signer (integrate and sign) now.

    Events get their tree position from the signer process, not from the action that writes
    them; tests run that step explicitly where they need seqs or checkpoints.
    """
    settings = load_signer_settings(app_config)
    return lambda: integrate_now(db_url, settings)


@pytest.fixture
def app(app_config: dict):
    """Build an application from the factory on the test's own database."""
    application = create_app(app_config)
    yield application
    application.extensions["privacy"].close()


@pytest.fixture
def runtime(app) -> Runtime:
    """Return the test app's runtime (its database, secrets and settings)."""
    return app.extensions["privacy"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    """Return a direct autocommit connection to the test database, for assertions."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as connection:
        yield connection


@pytest.fixture
def make_key(db_url: str) -> Callable[[str], str]:
    """Return a function that creates a key of a role and returns the raw key."""

    def _make(role: str, name: str | None = None) -> str:
        with psycopg.connect(db_url, row_factory=dict_row) as connection:
            _, raw = create_key(connection, SYSTEM, name=name or f"test {role}", role=role)
        return raw

    return _make


@pytest.fixture
def auth(make_key) -> Callable[[str], dict]:
    """Return a function giving the Authorization header for a new key of a role."""
    cache: dict[str, dict] = {}

    def _auth(role: str) -> dict:
        if role not in cache:
            cache[role] = {"Authorization": f"Bearer {make_key(role)}"}
        return cache[role]

    return _auth
