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

from service.datasets import DatasetInputError, OutputMismatch
from service.datasets import job as job_module
from service.datasets import settings as settings_module
from service.datasets.job import prepare_job, run_job
from tests.conftest import TEST_SECRET
from tests.datasets.conftest import EMAILS, HANDLES, make_rows, settings, write_jsonl
from tests.datasets.test_dask import assert_redacted_exactly_once, read_output, write_input


def _uneven_rows(count: int) -> list[dict]:
    """Rows whose optional fields appear only in some partitions, with ints, floats, nesting."""
    rows = make_rows(count)
    for number, row in enumerate(rows, start=1):
        # A number in the first two partitions, text in the last two.
        row["order_ref"] = 1000 + number if number <= 20 else f"NL-{number}"
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


REFUSED_URLS = [
    ("memory://exports/comments.jsonl", r"memory:// is not shared between processes"),
    ("http://exports.example.com/comments.jsonl", r"http: URLs are not supported"),
    ("ftp://exports.example.com/comments.jsonl", r"ftp: URLs are not supported"),
    ("simplecache::file://comments.jsonl", r"chained URLs .* are not supported"),
    ("nosuchstore://bucket/comments.jsonl", r"nosuchstore: URLs are not supported"),
]


@pytest.mark.parametrize("side", ["input", "output"])
@pytest.mark.parametrize(("url", "reason"), REFUSED_URLS)
def test_urls_the_workers_cannot_share_are_refused_before_any_work(tmp_path, side, url, reason):
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(3))
    output = tmp_path / "out"
    args = (url, str(output)) if side == "input" else (str(source), url)
    with pytest.raises(DatasetInputError, match=reason) as refused:
        prepare_job(*args, settings())
    # The reason names the URL and the stores that work.
    assert url in str(refused.value) and "file://, s3://" in str(refused.value)
    assert not output.exists()


def test_a_shared_store_without_its_driver_is_refused_with_the_package(tmp_path):
    try:
        import s3fs  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("s3fs is installed here")
    with pytest.raises(DatasetInputError, match=r"s3:// driver is not installed .*s3fs"):
        prepare_job("s3://exports/comments.jsonl", str(tmp_path / "out"), settings())


@pytest.mark.parametrize(
    ("input_url", "output_url", "reason"),
    [
        ("{source}", "memory://out", "memory:// is not shared between processes"),
        ("http://exports.example.com/in.jsonl", "{out}", "http: URLs are not supported"),
    ],
)
def test_the_command_refuses_a_url_it_cannot_share_with_the_reason(
    tmp_path, input_url, output_url, reason
):
    source = write_jsonl(tmp_path / "in.jsonl", make_rows(3))
    env = {**os.environ, "PRIVACY_SECRET_KEY": TEST_SECRET, "PRIVACY_DATA_DIR": str(tmp_path)}
    urls = [url.format(source=source, out=tmp_path / "out") for url in (input_url, output_url)]
    done = subprocess.run(
        [sys.executable, "-m", "service.cli", "redact-dataset", *urls]
        + ["--text-field", "body", "--no-audit"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1
    refused = urls[1] if urls[1].startswith("memory") else urls[0]
    assert f"Error: {refused}: {reason}" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


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
        *("comment_id", "thread", "body", "order_ref", "score", "meta", "rating"),
        *("verified", "findings"),
    ]
    assert schema.field("rating").type == pa.int64()
    assert schema.field("score").type == pa.float64()
    assert schema.field("verified").type == pa.bool_()
    assert schema.field("meta").type == pa.string() and schema.field("body").type == pa.string()
    assert schema.field("order_ref").type == pa.string()  # numbers and text: text in every part

    written = assert_redacted_exactly_once(output, "parquet", [row["comment_id"] for row in rows])
    table = pq.read_table(output)  # the folder reads as one table
    assert table.num_rows == 40
    by_id = {row["comment_id"]: row for row in written}
    assert by_id["c1"]["rating"] is None and by_id["c13"]["rating"] == 3
    assert by_id["c15"]["rating"] is None and by_id["c8"]["score"] == 2.0
    assert json.loads(by_id["c7"]["meta"]) == {"channel": "app", "tags": ["late", "parcel"]}
    assert by_id["c22"]["verified"] is True and by_id["c3"]["verified"] is None
    assert by_id["c1"]["order_ref"] == "1001" and by_id["c21"]["order_ref"] == "NL-21"


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
    for row in written[:4] + written[5:]:
        assert {"EMAIL_ADDRESS", "PHONE_NUMBER"} <= {f["type"] for f in row["findings"]}
    personal = (*HANDLES, *EMAILS, "06-12345678")
    assert not any(value in row["body"] for row in written for value in personal)


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


def test_jsonl_to_csv_gives_one_header_and_json_for_everything_but_text(dask, tmp_path):
    rows = _uneven_rows(40)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    config = settings(output_format="csv", partition_rows=10)
    report = run_job(prepare_job(str(source), str(output), config), dask)
    assert report.complete and report.partitions_written == 4, report.failed

    headers = set()
    for part in output.glob("part-*.csv"):
        with part.open(newline="") as handle:
            headers.add(tuple(next(csv.reader(handle))))
    assert headers == {
        ("comment_id", "thread", "body", "order_ref", "score", "meta", "rating", "verified")
        + ("findings",)
    }
    written = assert_redacted_exactly_once(output, "csv", [row["comment_id"] for row in rows])
    by_id = {row["comment_id"]: row for row in written}
    assert by_id["c13"]["rating"] == "3" and by_id["c1"]["rating"] == ""  # never "3.0"
    assert by_id["c4"]["score"] == "2.5" and by_id["c1"]["order_ref"] == "1001"
    assert json.loads(by_id["c7"]["meta"]) == {"channel": "app", "tags": ["late", "parcel"]}
    assert by_id["c22"]["verified"] == "true" and by_id["c21"]["verified"] == "false"
    assert by_id["c21"]["order_ref"] == "NL-21"


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
    written = assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])
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
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])

    again = prepare_job(str(folder), str(output), settings())
    assert [os.path.basename(f.url) for f in again.files] == ["in.jsonl"]
    assert sorted(again.done) == [0, 1]
    globbed = prepare_job(f"{folder}/**/*.jsonl", str(output), settings())
    assert [os.path.basename(f.url) for f in globbed.files] == ["in.jsonl"]
    with pytest.raises(DatasetInputError, match="OUTPUT must be a folder other than the input"):
        prepare_job(str(folder), str(folder), settings())
    with pytest.raises(DatasetInputError, match="OUTPUT must not hold the input"):
        prepare_job(str(folder / "in.jsonl"), str(folder), settings())
    # Still one redacted copy of each row: nothing was read back or written twice.
    assert_redacted_exactly_once(output, "jsonl", [row["comment_id"] for row in rows])


def test_an_output_of_another_output_version_is_refused_not_resumed(dask, tmp_path, monkeypatch):
    rows = make_rows(20)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    assert run_job(
        prepare_job(str(source), str(output), settings(partition_rows=10)), dask
    ).complete
    manifest = json.loads((output / "_manifest.json").read_text())
    assert manifest["output_version"] == settings_module.OUTPUT_VERSION
    before = {part.name: part.read_bytes() for part in output.glob("part-*")}

    # A later release that writes parts differently neither resumes nor overwrites them.
    monkeypatch.setattr(settings_module, "OUTPUT_VERSION", settings_module.OUTPUT_VERSION + 1)
    monkeypatch.setattr(job_module, "OUTPUT_VERSION", settings_module.OUTPUT_VERSION)
    with pytest.raises(OutputMismatch, match=r"written as output version \d+; this version"):
        prepare_job(str(source), str(output), settings(partition_rows=10))
    assert {part.name: part.read_bytes() for part in output.glob("part-*")} == before

    fresh = prepare_job(str(source), str(output), settings(partition_rows=10), overwrite=True)
    assert fresh.done == {} and not list(output.glob("part-*"))
    stored = json.loads((output / "_manifest.json").read_text())
    assert stored["output_version"] == settings_module.OUTPUT_VERSION


def test_the_command_converts_file_urls_and_refuses_to_overwrite_a_changed_input(dask, tmp_path):
    rows = make_rows(30)
    source = write_jsonl(tmp_path / "in.jsonl", rows)
    output = tmp_path / "out"
    env = {**os.environ, "PRIVACY_SECRET_KEY": TEST_SECRET, "PRIVACY_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, "-m", "service.cli", "redact-dataset", source.as_uri()]
    command += [output.as_uri(), "--text-field", "body", "--id-field", "comment_id"]
    command += ["--output-format", "parquet", "--partition-rows", "10", "--no-audit", "--json"]
    command += ["--scheduler", dask.scheduler.address]

    def run(*extra: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*command, *extra], env=env, capture_output=True, text=True, timeout=180
        )

    first = run()
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["rows"] == {
        "read": 30,
        "written": 30,
        "redacted": 30,
        "bad_skipped": 0,
        "bad_kept": 0,
    }
    written = assert_redacted_exactly_once(output, "parquet", [row["comment_id"] for row in rows])
    before = {part.name: part.read_bytes() for part in output.glob("part-*")}

    write_jsonl(source, make_rows(31))  # the export grew: the earlier output is not resumed
    refused = run()
    assert refused.returncode == 1
    assert "holds a run with other the input" in refused.stderr and "--overwrite" in refused.stderr
    assert {part.name: part.read_bytes() for part in output.glob("part-*")} == before

    replaced = run("--overwrite")
    assert replaced.returncode == 0, replaced.stderr
    ids = [row["comment_id"] for row in make_rows(31)]
    assert len(assert_redacted_exactly_once(output, "parquet", ids)) == len(written) + 1


def test_local_workers_start_without_dasks_malloc_trim_setting(dask):
    if "MALLOC_TRIM_THRESHOLD_" in os.environ:
        pytest.skip("this process sets MALLOC_TRIM_THRESHOLD_ itself; workers inherit it")
    found = dask.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert set(found.values()) == {None}
