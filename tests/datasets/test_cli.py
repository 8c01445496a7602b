"""`privacy-service redact-dataset`: a killed run resumed, exit statuses, the audit event."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import psycopg
from psycopg.rows import dict_row

from tests.conftest import TEST_SECRET
from tests.datasets.conftest import make_rows, write_jsonl
from tests.datasets.test_dask import assert_redacted_exactly_once

CLI = [sys.executable, "-m", "service.cli", "redact-dataset"]


def _env(tmp_path, db_url: str | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(PRIVACY_SECRET_KEY=TEST_SECRET, PRIVACY_DATA_DIR=str(tmp_path / "data"))
    if db_url:
        env["DATABASE_URL"] = db_url
    return env


def _args(dask, source, output, *extra: str) -> list[str]:
    return [
        *CLI,
        str(source),
        str(output),
        "--text-field",
        "body",
        "--id-field",
        "comment_id",
        "--scheduler",
        dask.scheduler.address,
        *extra,
    ]


def test_a_killed_run_is_resumed_without_duplicate_or_missing_rows(dask, tmp_path):
    rows = make_rows(500)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    args = _args(dask, source, output, "--partition-rows", "10", "--no-audit")
    run = subprocess.Popen(args, env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not list((output / "_done").glob("part-*.json")):
            assert run.poll() is None, run.communicate()
            assert time.monotonic() < deadline, "no partition was written"
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
    finally:
        run.communicate(timeout=30)
    first = len(list((output / "_done").glob("part-*.json")))
    assert 1 <= first < 50

    rerun = subprocess.run(
        [*args, "--json"], env=_env(tmp_path), capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    summary = json.loads(rerun.stdout)
    assert summary["status"] == "complete" and summary["partitions"]["total"] == 50
    assert summary["partitions"]["skipped"] >= first
    assert summary["partitions"]["skipped"] + summary["partitions"]["written"] == 50
    assert summary["rows"] == {
        "read": 500,
        "written": 500,
        "redacted": 500,
        "bad_skipped": 0,
        "bad_kept": 0,
    }
    assert "rows 500/500 (100.0%)" in rerun.stderr and "ETA" in rerun.stderr
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])


def test_a_run_is_audited_with_counts_and_never_text(dask, tmp_path, db_url):
    rows = make_rows(40)
    rows[5]["body"] = 7
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    done = subprocess.run(
        _args(dask, source, tmp_path / "out", "--group-field", "thread"),
        env=_env(tmp_path, db_url),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "status: complete" in done.stdout and "1 bad skipped" in done.stdout
    assert "EMAIL_ADDRESS 39" in done.stdout and "rows/s" in done.stdout

    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        event = conn.execute(
            "SELECT * FROM audit_events WHERE action = 'dataset.redacted'"
        ).fetchone()
    assert event["outcome"] == "success" and event["target_type"] == "dataset"
    details = event["details"]
    assert details["input"] == str(source) and details["group_field"] == "thread"
    assert details["rows"]["read"] == 40 and details["rows"]["bad_skipped"] == 1
    assert details["entity_types"]["EMAIL_ADDRESS"] == 39
    stored = json.dumps(details)
    assert "example.com" not in stored and "parcel" not in stored


def test_exit_statuses_tell_a_stop_on_a_bad_row_and_a_missing_audit_log(dask, tmp_path):
    rows = make_rows(30)
    rows[24]["body"] = None
    source = write_jsonl(tmp_path / "in.jsonl", rows)

    stopped = subprocess.run(
        _args(dask, source, tmp_path / "out", "--on-bad-row", "fail", "--no-audit"),
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert stopped.returncode == 4, stopped.stderr
    assert (
        "stopped on a bad row" in stopped.stdout and "row 25: missing text field" in stopped.stdout
    )
    report = (tmp_path / "out" / "_bad_rows.jsonl").read_text()
    assert '"row": 25' in report and '"action": "failed"' in report

    unreachable = subprocess.run(
        _args(dask, source, tmp_path / "other"),
        env=_env(tmp_path, "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert unreachable.returncode == 1
    assert "audit log's database is not reachable" in unreachable.stderr
    assert "--no-audit" in unreachable.stderr and not (tmp_path / "other").exists()
