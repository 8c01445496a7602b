"""Fixtures of the archive tests: item builders, the engine, and workers in and out of process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo
from psycopg.rows import dict_row

from service.jobs import run_worker
from service.runtime import bootstrap
from tests.conftest import TEST_SECRET

SECRET = TEST_SECRET.encode()


def make_item(external_id: str, text: str, **overrides: Any) -> dict[str, Any]:
    """Return one valid ingestion item; overrides replace fields (author fields too)."""
    author = {"handle": "@Sarah_J", "display_name": "Sarah Jones"}
    author.update(overrides.pop("author", {}))
    item = {
        "external_id": external_id,
        "platform": "x",
        "kind": "comment",
        "visibility": "public",
        "author": author,
        "text": text,
        "created_at": "2026-03-01T10:00:00Z",
    }
    item.update(overrides)
    return item


@pytest.fixture(scope="session")
def engine():
    """Return this process's redaction engine (built once per test session)."""
    from service.redaction import get_engine

    return get_engine(SECRET)


def run_worker_once(config: dict) -> None:
    """Run an in-process worker on its own runtime until the queues are empty."""
    runtime = bootstrap(config, pool_min=1, pool_max=2)
    try:
        run_worker(runtime, wait=False, install_signal_handlers=False)
    finally:
        runtime.close()


@pytest.fixture
def run_jobs(app_config: dict, db_url: str, engine) -> Callable[[], None]:
    """Return a function running an in-process worker until the queue is empty."""

    def _run() -> None:
        run_worker_once(app_config)

    return _run


@pytest.fixture
def ingest(client, auth) -> Callable[..., dict]:
    """Return a function posting items as a privacy officer and returning the JSON body."""

    def _ingest(*items: dict, expect: int = 200) -> dict:
        response = client.post(
            "/v1/feedback", json={"items": list(items)}, headers=auth("privacy_officer")
        )
        assert response.status_code == expect, response.get_json()
        return response.get_json()

    return _ingest


def fresh_database(pg_server_url: str, template_db: str) -> str:
    """Create a database from the migrated template and return its URL."""
    name = "t_" + uuid.uuid4().hex[:16]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template_db)
            )
        )
    return make_conninfo(pg_server_url, dbname=name)


def drop_database(pg_server_url: str, url: str) -> None:
    """Drop a test database, whoever is still connected."""
    name = psycopg.conninfo.conninfo_to_dict(url)["dbname"]
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


class WorkerProcess:
    """A `privacy-service worker` subprocess on a test database."""

    def __init__(self, db_url: str, data_dir: Path, log_path: Path, **env: str):
        self.log_path = log_path
        self.env = {
            **os.environ,
            "DATABASE_URL": db_url,
            "PRIVACY_DATA_DIR": str(data_dir),
            "PRIVACY_SECRET_KEY": TEST_SECRET,
            "PRIVACY_WORKER_HEARTBEAT_SECONDS": "1",
            "PRIVACY_WORKER_STALLED_SECONDS": "3",
            "PRIVACY_LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        """Start the worker and wait until it has registered with the queue."""
        handle = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker"],
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
        handle.close()
        return self

    def kill(self) -> None:
        """Kill the worker at once (SIGKILL): no shutdown, no unregistering."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        """Stop the worker gracefully (SIGTERM), killing it if it does not exit."""
        if self.process is None or self.process.poll() is not None:
            return
        stop_process(self.process)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def stop_process(process: subprocess.Popen, timeout: float = 30) -> None:
    """Stop a process gracefully (SIGTERM), killing it if it does not exit in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def wait_for(predicate: Callable[[], Any], timeout: float, message: str, step: float = 0.1) -> Any:
    """Poll until predicate() is truthy and return its value; fail with message on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(step)


@pytest.fixture
def query(db_url: str) -> Iterator[Callable[..., list[dict]]]:
    """Return a function running SQL on the test database and returning rows as dicts."""
    with psycopg.connect(db_url, autocommit=True, row_factory=dict_row) as connection:

        def _query(statement: str, params: dict | None = None) -> list[dict]:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

        yield _query


@pytest.fixture(scope="module")
def module_db_url(pg_server_url: str, template_db: str) -> Iterator[str]:
    """Return a database shared by the tests of one module (for tests that only read)."""
    url = fresh_database(pg_server_url, template_db)
    yield url
    drop_database(pg_server_url, url)


@pytest.fixture(scope="module")
def module_config(module_db_url: str, tmp_path_factory) -> dict:
    """Return the app settings on the module's shared database."""
    return {
        "TESTING": True,
        "DATABASE_URL": module_db_url,
        "PRIVACY_DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "PRIVACY_SECRET_KEY": TEST_SECRET,
        "PRIVACY_DB_POOL_MIN": 0,
        "PRIVACY_DB_POOL_MAX": 4,
    }


@pytest.fixture(scope="module")
def module_app(module_config: dict):
    """Build one application for the module's shared database."""
    from service import create_app

    application = create_app(module_config)
    yield application
    application.extensions["privacy"].database.close()


@pytest.fixture(scope="module")
def module_client(module_app):
    return module_app.test_client()


@pytest.fixture(scope="module")
def module_auth(module_db_url: str) -> Callable[[str], dict]:
    """Return a function giving the Authorization header of a role on the shared database."""
    from service.audit import SYSTEM
    from service.auth import create_key

    cache: dict[str, dict] = {}

    def _auth(role: str) -> dict:
        if role not in cache:
            with psycopg.connect(module_db_url, row_factory=dict_row) as connection:
                _, raw = create_key(connection, SYSTEM, name=f"test {role}", role=role)
            cache[role] = {"Authorization": f"Bearer {raw}"}
        return cache[role]

    return _auth


@pytest.fixture(scope="module")
def module_query(module_db_url: str) -> Iterator[Callable[..., list[dict]]]:
    """Return a function running SQL on the module's shared database."""
    with psycopg.connect(module_db_url, autocommit=True, row_factory=dict_row) as connection:

        def _query(statement: str, params: dict | None = None) -> list[dict]:
            cursor = connection.execute(statement, params)
            return cursor.fetchall() if cursor.description else []

        yield _query
