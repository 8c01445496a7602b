"""fsspec URLs, URLs workers cannot share, and converting between formats on a real cluster."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from service.datasets import DatasetInputError
from service.datasets.job import prepare_job, run_job
from tests.conftest import TEST_SECRET
from tests.datasets.conftest import make_rows, settings, write_jsonl
from tests.datasets.test_dask import assert_redacted_exactly_once, read_output, write_input


def _uneven_rows(count: int) -> list[dict]:
    """Rows whose optional fields appear only in some partitions, with ints, floats, nesting."""
    rows = make_rows(count)
    for number, row in enumerate(rows, start=1):
        if number > 10:  # the first partition (10 rows) has no rating at all
            row["rating"] = number % 5 if number % 3 else None
        if number % 4 == 0:
            row["score"] = 2 if number % 8 == 0 else 2.5
        if number > 20:
            row["verified"] = number % 2 == 0
        if number % 7 == 0:
            row["meta"] = {"channel": "app", "tags": ["late", "parcel"]}
    return rows


def test_file_urls_are_read_and_written_and_a_rerun_skips_them(dask, tmp_path):
    rows = make_rows(40)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    config = settings()

    job = prepare_job(source.as_uri(), output.as_uri(), config)
    assert job.files[0].url == source.as_uri() and len(job.partitions) == 2
    report = run_job(job, dask)
    assert report.complete and report.partitions_written == 2 and not report.failed
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])

    again = prepare_job(source.as_uri(), output.as_uri(), config)
    assert sorted(again.done) == [0, 1]


@pytest.mark.parametrize("side", ["input", "output"])
def test_urls_the_workers_cannot_share_are_refused(tmp_path, side):
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(3))
    if side == "input":
        args = ("memory://exports/in.jsonl", str(tmp_path / "out"))
    else:
        args = (str(source), "memory://redacted")
    with pytest.raises(DatasetInputError, match=r"memory://.*worker process"):
        prepare_job(*args, settings())
    assert not (tmp_path / "out").exists()


def test_the_command_refuses_a_memory_url_with_the_reason(tmp_path):
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(3))
    env = {**os.environ, "PRIVACY_SECRET_KEY": TEST_SECRET, "PRIVACY_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "redact-dataset", str(source), "memory://out"]
        + ["--text-field", "body", "--no-audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    assert "memory:// is not shared between processes" in done.stderr


def test_jsonl_to_parquet_gives_one_schema_with_the_input_types(dask, tmp_path):
    rows = _uneven_rows(40)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    config = settings(output_format="parquet", partition_rows=10)
    report = run_job(prepare_job(str(source), str(output), config), dask)
    assert report.complete and report.partitions_written == 4, report.failed

    schemas = {pq.read_schema(part) for part in output.glob("part-*.parquet")}
    assert len(schemas) == 1
    schema = schemas.pop()
    # Every column of the input, in the order they first appear, then the findings.
    assert schema.names == [
        *("comment_id", "thread", "body", "score", "meta", "rating", "verified", "findings")
    ]
    assert schema.field("rating").type == pa.int64()
    assert schema.field("score").type == pa.float64()
    assert schema.field("verified").type == pa.bool_()
    assert schema.field("meta").type == pa.string() and schema.field("body").type == pa.string()

    written = assert_redacted_exactly_once(output, "parquet", [row["comment_id"] for row in rows])
    table = pq.read_table(output)  # the folder reads as one table
    assert table.num_rows == 40
    by_id = {row["comment_id"]: row for row in written}
    assert by_id["c1"]["rating"] is None and by_id["c13"]["rating"] == 3
    assert by_id["c15"]["rating"] is None and by_id["c8"]["score"] == 2.0
    assert json.loads(by_id["c7"]["meta"]) == {"channel": "app", "tags": ["late", "parcel"]}
    assert by_id["c22"]["verified"] is True and by_id["c3"]["verified"] is None


def test_csv_to_jsonl_keeps_the_fields_as_written(dask, tmp_path):
    rows = make_rows(30)
    rows[4]["body"] = 'line one\nline two, with "quotes"\nmail tessa.devries@example.com'
    for row in rows:
        row["postcode"] = "01234"  # CSV has no types: a field that looks numeric stays text
    source = write_input(tmp_path, rows, "csv")
    output = tmp_path / "out"
    config = settings(input_format="csv", output_format="jsonl", partition_rows=10)
    report = run_job(prepare_job(str(source), str(output), config), dask)
    assert report.complete and report.partitions_written == 3, report.failed

    written = read_output(output, "jsonl")
    assert [row["comment_id"] for row in written] == [row["comment_id"] for row in rows]
    assert all(
        list(row) == ["comment_id", "thread", "body", "postcode", "findings"] for row in written
    )
    assert {row["postcode"] for row in written} == {"01234"}
    assert written[4]["body"].startswith('line one\nline two, with "quotes"\nmail <')
    assert {f["type"] for f in written[4]["findings"]} == {"EMAIL_ADDRESS"}
    assert not any("example.com" in row["body"] for row in written)


def test_parquet_to_csv_gives_one_header_ints_and_json_for_nested_values(dask, tmp_path):
    rows = make_rows(30)
    for number, row in enumerate(rows, start=1):
        row["likes"] = None if number % 4 == 0 else number
        row["tags"] = ["late", "parcel"] if number % 3 == 0 else None
        row["author"] = {"handle": "shopper", "followers": number} if number % 5 == 0 else None
        row["pinned"] = number == 2
    source = write_input(tmp_path, rows, "parquet")
    output = tmp_path / "out"
    config = settings(input_format="parquet", output_format="csv", partition_rows=10)
    report = run_job(prepare_job(str(source), str(output), config), dask)
    assert report.complete and report.partitions_written == 3, report.failed

    headers = set()
    for part in output.glob("part-*.csv"):
        with part.open(newline="") as handle:
            headers.add(tuple(next(csv.reader(handle))))
    assert headers == {
        ("comment_id", "thread", "body", "likes", "tags", "author", "pinned", "findings")
    }
    written = assert_redacted_exactly_once(output, "csv", [row["comment_id"] for row in rows])
    by_id = {row["comment_id"]: row for row in written}
    assert by_id["c1"]["likes"] == "1" and by_id["c4"]["likes"] == ""
    assert json.loads(by_id["c3"]["tags"]) == ["late", "parcel"] and by_id["c1"]["tags"] == ""
    assert json.loads(by_id["c5"]["author"]) == {"handle": "shopper", "followers": 5}
    assert by_id["c2"]["pinned"] == "true" and by_id["c1"]["pinned"] == "false"


def test_parquet_to_jsonl_writes_nested_values_as_json(dask, tmp_path):
    rows = make_rows(12)
    for number, row in enumerate(rows, start=1):
        row["tags"] = ["late"] if number % 2 else None
        row["likes"] = number
    source = write_input(tmp_path, rows, "parquet")
    output = tmp_path / "out"
    config = settings(input_format="parquet", output_format="jsonl", partition_rows=5)
    report = run_job(prepare_job(str(source), str(output), config), dask)
    assert report.complete, report.failed
    written = read_output(output, "jsonl")
    assert written[0]["tags"] == ["late"] and written[1]["tags"] is None
    assert written[0]["likes"] == 1


def test_an_output_folder_inside_the_input_folder_is_never_read_as_input(dask, tmp_path):
    folder = tmp_path / "exports"
    folder.mkdir()
    rows = make_rows(30)
    write_jsonl(folder / "in.jsonl", rows)
    output = folder / "redacted"

    job = prepare_job(str(folder), str(output), settings())
    assert [os.path.basename(f.url) for f in job.files] == ["in.jsonl"]
    assert run_job(job, dask).complete

    again = prepare_job(str(folder), str(output), settings())
    assert [os.path.basename(f.url) for f in again.files] == ["in.jsonl"]
    assert sorted(again.done) == [0, 1]
    globbed = prepare_job(f"{folder}/**/*.jsonl", str(output), settings())
    assert [os.path.basename(f.url) for f in globbed.files] == ["in.jsonl"]
    with pytest.raises(DatasetInputError, match="OUTPUT must be a folder other than the input"):
        prepare_job(str(folder), str(folder), settings())


def test_local_workers_start_without_dasks_malloc_trim_setting(dask):
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("this process sets MALLOC_TRIM_THRESHOLD_ itself; workers inherit it")
    found = dask.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(found.values()) == {None}
