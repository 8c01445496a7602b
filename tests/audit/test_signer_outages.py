"""The audit signer rides out a database outage: it restarts the embedded server and resumes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from service.db import migrate, start_embedded, stop_embedded
from tests.archive.conftest import stop_process, wait_for
from tests.audit.helpers import fill
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.slow


def test_signer_restarts_the_embedded_database_and_signs_every_event_once(
    tmp_path: Path, embedded_data_dir: Path
):
    data_dir = embedded_data_dir
    url = start_embedded(data_dir)
    migrate(url)
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"} | {
        "PRIVACY_DATA_DIR": str(data_dir),
        "PRIVACY_SECRET_KEY": TEST_SECRET,
        "PRIVACY_AUDIT_MAX_DELAY": "0.2",
        "PRIVACY_LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "signer.log"
    alive = tmp_path / "signer.alive"
    with log_path.open("ab") as log:
        signer = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "audit", "signer", "--alive-file", str(alive)],
            env=env,
            stdout=log,
            stderr=log,
        )

    def query(statement: str) -> list[dict]:
        with psycopg.connect(url, row_factory=dict_row, connect_timeout=2) as conn:
            return conn.execute(statement).fetchall()

    def signed_size() -> int:
        return query("SELECT coalesce(max(tree_size), 0) AS n FROM audit_checkpoints")[0]["n"]

    def reachable() -> bool:
        try:
            query("SELECT 1")
        except psycopg.OperationalError:
            return False
        return True

    try:
        fill(url, 5)
        wait_for(lambda: signed_size() >= 5, timeout=60, message="the signer should sign")
        assert stop_embedded(data_dir)
        # The signer finds the server gone, starts it again and carries on.
        wait_for(reachable, timeout=90, step=1, message="the signer should restart the database")
        fill(url, 7)
        wait_for(lambda: signed_size() >= 12, timeout=60, message="the signer should resume")

        events = query("SELECT count(*) AS n FROM audit_events")[0]["n"]
        leaves = query(
            "SELECT count(*) AS n, count(DISTINCT event_id) AS events, max(seq) AS last "
            "FROM audit_leaves"
        )[0]
        # Every event has exactly one tree position, without gaps, and the last checkpoint
        # covers them all.
        assert (leaves["n"], leaves["events"], leaves["last"]) == (events, events, events)
        assert signed_size() == events
        log = log_path.read_text(errors="replace")
        assert "database unreachable: reconnecting with backoff" in log
        assert "database reachable again: resuming" in log
        assert signer.poll() is None, "the signer is still running"
        assert time.time() - alive.stat().st_mtime < 10
    except BaseException:
        print(log_path.read_text(errors="replace")[-5000:])  # shown with the failure
        raise
    finally:
        stop_process(signer)
        stop_embedded(data_dir)
    assert signer.returncode == 0, log_path.read_text(errors="replace")[-3000:]
