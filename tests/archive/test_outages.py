"""Scan workers ride out a database outage and sweep stalled jobs on time."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest
from psycopg.rows import dict_row

from service import create_app
from service.archive.settings import ArchiveSettings
from service.archive.tasks import sweep_interval
from service.audit import SYSTEM
from service.auth import create_key
from service.db import migrate, start_embedded, stop_embedded
from tests.archive.conftest import WorkerProcess, make_item, stop_process, wait_for
from tests.archive.test_workers import FILLER, long_text
from tests.conftest import TEST_SECRET

pytestmark = pytest.mark.slow


def test_worker_restarts_the_embedded_database_and_resumes(tmp_path: Path, embedded_data_dir: Path):
    """Stop the embedded server mid-scan: /ready says so, the worker restarts it, the scan
    finishes with every item scanned exactly once."""
    data_dir = embedded_data_dir
    url = start_embedded(data_dir)
    migrate(url)
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL",)} | {
        "PRIVACY_DATA_DIR": str(data_dir),
        "PRIVACY_SECRET_KEY": TEST_SECRET,
        "PRIVACY_WORKER_HEARTBEAT_SECONDS": "1",
        "PRIVACY_WORKER_STALLED_SECONDS": "3",
        "PRIVACY_SCAN_CHUNK_ITEMS": "10",
        "PRIVACY_DB_TIMEOUT": "2",
        "PRIVACY_LOG_LEVEL": "INFO",
    }
    log_path = tmp_path / "worker.log"
    alive = tmp_path / "worker.alive"
    with log_path.open("ab") as log:
        worker = subprocess.Popen(
            [sys.executable, "-m", "service.cli", "worker", "--alive-file", str(alive)],
            env=env,
            stdout=log,
            stderr=log,
        )
    app = create_app(
        {
            "TESTING": True,
            "DATABASE_URL": url,
            "PRIVACY_DATA_DIR": str(data_dir),
            "PRIVACY_SECRET_KEY": TEST_SECRET,
            "PRIVACY_SCAN_CHUNK_ITEMS": 10,
            "PRIVACY_DB_POOL_MIN": 0,
            "PRIVACY_DB_TIMEOUT": 2,
        }
    )
    client = app.test_client()

    def query(statement: str) -> list[dict]:
        with psycopg.connect(url, row_factory=dict_row, connect_timeout=2) as conn:
            return conn.execute(statement).fetchall()

    def chunks_done() -> int:
        return query("SELECT count(*) AS n FROM scan_chunks WHERE done_at IS NOT NULL")[0]["n"]

    try:
        with psycopg.connect(url, row_factory=dict_row) as conn:
            _, raw = create_key(conn, SYSTEM, name="officer", role="privacy_officer")
        headers = {"Authorization": f"Bearer {raw}"}
        total = 120
        response = client.post(
            "/v1/feedback",
            json={"items": [make_item(f"o{n}", long_text(n)) for n in range(total)]},
            headers=headers,
        )
        assert response.status_code == 200, response.get_json()
        scan_id = response.get_json()["scan_id"]
        wait_for(lambda: chunks_done() >= 2, timeout=180, message="the worker should start")

        assert stop_embedded(data_dir)
        ready = client.get("/ready")
        assert ready.status_code == 503
        assert ready.mimetype == "application/problem+json"

        # The worker finds the server gone and starts it again.
        wait_for(
            lambda: client.get("/ready").status_code == 200,
            timeout=90,
            step=1,
            message="the worker should restart the embedded database",
        )
        scan = wait_for(
            lambda: (
                (s := client.get(f"/v1/scans/{scan_id}", headers=headers).get_json())["status"]
                == "done"
                and s
            ),
            timeout=240,
            step=1,
            message="the scan should finish after the outage",
        )
        assert (scan["items_done"], scan["chunks_done"], scan["chunks_failed"]) == (total, 12, 0)
        assert scan["findings_found"] == 3 * total
        per_item = query(
            "SELECT f.finding_count, count(d.id) AS stored FROM feedback_items f "
            "LEFT JOIN findings d ON d.item_id = f.id GROUP BY f.id"
        )
        assert len(per_item) == total
        assert {(row["finding_count"], row["stored"]) for row in per_item} == {(3, 3)}
        log = log_path.read_text(errors="replace")
        assert "database unreachable: reconnecting with backoff" in log
        assert "database reachable again: resuming" in log
        assert worker.poll() is None, "the worker is still running"
        # The healthcheck file is kept fresh while the worker is connected.
        assert time.time() - alive.stat().st_mtime < 10
    finally:
        stop_process(worker)
        app.extensions["privacy"].close()
        stop_embedded(data_dir)
    assert worker.returncode == 0, log_path.read_text(errors="replace")[-3000:]


@pytest.fixture
def app_config(app_config: dict) -> dict:
    """Long chunks: a live worker is busy for many seconds at a time."""
    return {**app_config, "PRIVACY_SCAN_CHUNK_ITEMS": 100}


@pytest.mark.parametrize(
    "stalled_seconds, heartbeat",
    [(3, 1), (None, None)],
    ids=["short", "readme-defaults"],
)
def test_stalled_jobs_are_requeued_after_the_stall_setting(
    ingest, db_url, tmp_path, query, stalled_seconds, heartbeat
):
    """A killed worker's job is queued again within the stall setting plus one heartbeat and one
    sweep, as the README promises, with short settings and with the defaults (30 s, 10 s)."""
    defaults = ArchiveSettings()
    settings = {
        "PRIVACY_WORKER_HEARTBEAT_SECONDS": "" if heartbeat is None else str(heartbeat),
        "PRIVACY_WORKER_STALLED_SECONDS": "" if stalled_seconds is None else str(stalled_seconds),
    }
    stalled_seconds = stalled_seconds or defaults.stalled_seconds
    heartbeat = heartbeat or defaults.heartbeat_seconds
    # Long texts in long chunks: the live worker is busy for a while when the other dies, and
    # the sweep must not wait for it.
    ingest(*[make_item(f"s{n}", long_text(n) + (" " + FILLER) * 25) for n in range(300)])

    def doing() -> list[dict]:
        return query(
            "SELECT id, worker_id FROM procrastinate_jobs "
            "WHERE status = 'doing' AND task_name = 'archive:scan_chunk'"
        )

    workers = [
        WorkerProcess(db_url, tmp_path / f"w{n}", tmp_path / f"w{n}.log", **settings).start()
        for n in (1, 2)
    ]
    try:
        # Both busy with a chunk; kill one.
        running = wait_for(
            lambda: len(jobs := doing()) == 2 and jobs,
            timeout=120,
            step=0.05,
            message="both workers should be scanning",
        )
        workers[0].kill()
        killed_at = time.monotonic()
        # The killed worker's job comes back: queued again, or taken by the live worker. (The
        # live worker's own job is deleted when it succeeds.)
        wait_for(
            lambda: query(
                "SELECT 1 FROM procrastinate_jobs j JOIN unnest(%(ids)s::bigint[], "
                "%(workers)s::bigint[]) AS r(id, worker_id) ON r.id = j.id "
                "WHERE j.status = 'todo' OR j.worker_id IS DISTINCT FROM r.worker_id",
                {
                    "ids": [job["id"] for job in running],
                    "workers": [job["worker_id"] for job in running],
                },
            ),
            timeout=stalled_seconds + heartbeat + 60,
            step=0.1,
            message="the stalled job should be re-queued",
        )
        waited = time.monotonic() - killed_at
    finally:
        for worker in workers:
            worker.stop()
    # Silent for the stall setting (plus up to one heartbeat), then the next sweep.
    promised = stalled_seconds + heartbeat + sweep_interval(stalled_seconds)
    assert waited <= promised + 2, f"re-queued after {waited:.1f} s, promised {promised:.1f} s"
    # Not before the killed worker's last heartbeat can have been stale.
    assert waited >= stalled_seconds - heartbeat - 1, f"re-queued after {waited:.1f} s"
    assert "retried stalled jobs" in workers[1].log()
