"""Whole runs on a real local Dask cluster: three formats, a killed worker, failures, reruns."""

from __future__ import annotations

import csv
import json
import os
import signal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.datasets import OutputMismatch
from service.datasets.job import prepare_job, run_job
from tests.datasets.conftest import EMAILS, HANDLES, make_rows, settings, write_jsonl


def write_input(folder: Path, rows: list[dict], fmt: str) -> Path:
    if fmt == "jsonl":
        return write_jsonl(folder / "in.jsonl", rows)
    if fmt == "csv":
        path = folder / "in.csv"
        with path.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
        return path
    path = folder / "in.parquet"
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=25)
    return path


def read_output(folder: Path, fmt: str) -> list[dict]:
    """Return every output row, part after part."""
    rows: list[dict] = []
    for part in sorted(folder.glob(f"part-*.{fmt}")):
        if fmt == "jsonl":
            rows += [json.loads(line) for line in part.read_text().splitlines()]
        elif fmt == "csv":
            with part.open(newline="") as handle:
                rows += list(csv.DictReader(handle))
        else:
            rows += pq.read_table(part).to_pylist()
    return rows


def assert_redacted_exactly_once(output: Path, fmt: str, expected_ids: list[str]) -> list[dict]:
    rows = read_output(output, fmt)
    assert [row["comment_id"] for row in rows] == expected_ids
    for row in rows:
        assert not any(value in row["body"] for value in (*HANDLES, *EMAILS, "06-12345678"))
        findings = row["findings"] if fmt == "jsonl" else json.loads(row["findings"])
        if row["body"]:
            assert {f["type"] for f in findings} >= {"EMAIL_ADDRESS", "PHONE_NUMBER"}
    assert not list(output.glob(".*.tmp")) and not list((output / "_done").glob(".*.tmp"))
    return rows


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_a_dataset_is_redacted_on_two_workers_and_a_rerun_skips_it(dask, tmp_path, fmt):
    rows = make_rows(90)
    rows[41]["body"] = "" if fmt == "csv" else None  # a row with no text
    source = write_input(tmp_path, rows, fmt)
    config = settings(
        input_format=fmt, output_format=fmt, group_field="thread", operators=PSEUDONYMS
    )
    output = tmp_path / "out"

    job = prepare_job(str(source), str(output), config)
    assert len(job.partitions) == 5 and job.total_rows == 90
    report = run_job(job, dask)
    assert report.complete and report.partitions_written == 5 and not report.failed
    assert report.rows_read == 90 and report.rows_redacted == (90 if fmt == "csv" else 89)

    expected = [row["comment_id"] for row in rows if fmt == "csv" or row["body"] is not None]
    written = assert_redacted_exactly_once(output, fmt, expected)
    # One thread, one numbering: the thread's first comment names <SOCIAL_HANDLE_1>.
    assert written[0]["body"].startswith("Hi <SOCIAL_HANDLE_1>,")
    bad = [json.loads(line) for line in (output / "_bad_rows.jsonl").read_text().splitlines()]
    if fmt == "csv":
        assert bad == []  # an empty CSV field is an empty text, not a missing one
    else:
        assert [(b["row"], b["id"], b["reason"]) for b in bad] == [
            (42, "c42", "missing text field")
        ]

    before = {part.name: part.read_bytes() for part in output.glob("part-*")}
    again = prepare_job(str(source), str(output), config)
    assert sorted(again.done) == [0, 1, 2, 3, 4]
    rerun = run_job(again, dask)
    assert rerun.partitions_skipped == 5 and rerun.partitions_written == 0 and rerun.complete
    assert {part.name: part.read_bytes() for part in output.glob("part-*")} == before


PSEUDONYMS = {"DEFAULT": {"type": "pseudonymize"}}


def test_a_killed_worker_loses_only_its_partition_in_flight(dask, tmp_path):
    rows = make_rows(300)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    job = prepare_job(str(source), str(output), settings(partition_rows=10))
    pids = dask.run(os.getpid)
    killed: list[int] = []

    def kill_one_worker(progress):
        if progress.partitions_done >= 2 and not killed:
            pid = next(iter(pids.values()))
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

    report = run_job(job, dask, on_progress=kill_one_worker)
    assert killed, "the run ended before a worker could be killed"
    assert report.complete and report.partitions_written == 30 and not report.failed
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])


def test_a_failed_partition_is_reported_and_a_rerun_finishes_the_job(dask, tmp_path):
    rows = make_rows(60)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    job = prepare_job(str(source), str(output), settings())
    blocker = output / "part-00001.jsonl"
    blocker.mkdir()  # the rename into place fails for this one partition

    report = run_job(job, dask)
    assert not report.complete and [index for index, _ in report.failed] == [1]
    assert (
        report.partitions_written == 2
        and "PartitionFailed: IsADirectoryError" in report.failed[0][1]
    )

    blocker.rmdir()
    again = prepare_job(str(source), str(output), settings())
    assert sorted(again.done) == [0, 2]
    rerun = run_job(again, dask)
    assert rerun.complete and rerun.partitions_written == 1 and rerun.partitions_skipped == 2
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])


def test_changed_settings_or_input_are_never_mixed_into_an_output(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(10))
    output = tmp_path / "out"
    prepare_job(str(source), str(output), settings())

    with pytest.raises(OutputMismatch, match="other the settings"):
        prepare_job(str(source), str(output), settings(operators={"DEFAULT": {"type": "hash"}}))
    write_jsonl(source, make_rows(11))
    with pytest.raises(OutputMismatch, match="other the input"):
        prepare_job(str(source), str(output), settings())
    fresh = prepare_job(str(source), str(output), settings(), overwrite=True)
    assert fresh.total_rows == 11 and fresh.done == {}

    (tmp_path / "busy").mkdir()
    (tmp_path / "busy" / "notes.txt").write_text("not ours")
    with pytest.raises(OutputMismatch, match="holds other files"):
        prepare_job(str(source), str(tmp_path / "busy"), settings())


def test_a_failure_message_that_could_quote_row_data_is_withheld(dask, tmp_path):
    rows = make_rows(4)
    rows[0]["note"] = "call Femke on her mobile"
    rows[1]["customer_no"] = 2**70  # beyond every integer type of Parquet: Arrow gives up
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    config = settings(output_format="parquet")
    report = run_job(prepare_job(str(source), str(tmp_path / "out"), config), dask)

    assert [index for index, _ in report.failed] == [0]
    message = report.failed[0][1]
    assert message.startswith("PartitionFailed: OverflowError") and "withheld" in message
    assert "Femke" not in message
