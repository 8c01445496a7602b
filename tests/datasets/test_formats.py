"""Cutting inputs into partitions and reading them back: row numbers, CSV quoting, groups."""

from __future__ import annotations

import csv
import io

import pytest

from service.datasets import DatasetInputError, DatasetSettingsError, format_of
from service.datasets.formats import list_inputs, plan_partitions, read_partition
from tests.datasets.conftest import make_rows, settings, write_jsonl


def _read_all(files, partitions, config):
    rows, numbers, unparsed = [], [], []
    for spec in partitions:
        parsed = read_partition(files[spec.file], spec, config)
        rows += parsed.frame.to_dict("records")
        numbers += parsed.row_numbers
        unparsed += parsed.unparsed
    return rows, numbers, unparsed


def test_csv_records_with_quoted_newlines_are_never_cut(tmp_path):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["comment_id", "body"])
    for row in range(1, 8):
        writer.writerow([f"c{row}", f'line one of {row}\nline two, "quoted"\n'])
    path = tmp_path / "in.csv"
    path.write_text(buffer.getvalue())

    config = settings(input_format="csv", output_format="csv", partition_rows=2)
    files, partitions = plan_partitions(list_inputs(str(path), "csv"), config)
    assert [(p.first_row, p.rows) for p in partitions] == [(1, 2), (3, 2), (5, 2), (7, 1)]
    rows, numbers, unparsed = _read_all(files, partitions, config)
    assert numbers == list(range(1, 8)) and unparsed == []
    assert rows[6] == {"comment_id": "c7", "body": 'line one of 7\nline two, "quoted"\n'}


def test_group_rows_stay_in_one_partition(tmp_path):
    path = write_jsonl(tmp_path / "in.jsonl", make_rows(23, per_thread=4))
    config = settings(group_field="thread", partition_rows=5)
    files, partitions = plan_partitions(list_inputs(str(path), "jsonl"), config)
    for spec in partitions:
        parsed = read_partition(files[spec.file], spec, config)
        threads = set(parsed.frame["thread"])
        for other in partitions:
            if other is not spec:
                seen = set(read_partition(files[other.file], other, config).frame["thread"])
                assert not threads & seen
    assert sum(p.rows for p in partitions) == 23


def test_a_group_split_across_the_input_is_refused(tmp_path):
    rows = make_rows(6, per_thread=2)
    rows.append({"comment_id": "late", "thread": "t0", "body": "back to the first thread"})
    path = write_jsonl(tmp_path / "in.jsonl", rows)
    with pytest.raises(DatasetInputError, match="row 7 .*sort the input by thread"):
        plan_partitions(list_inputs(str(path), "jsonl"), settings(group_field="thread"))


def test_lines_that_are_not_json_objects_are_reported_with_their_row(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text('{"body": "fine"}\n\nnot json\n[1, 2]\n{"body": "also fine"}\n')
    config = settings(partition_rows=2)
    files, partitions = plan_partitions(list_inputs(str(path), "jsonl"), config)
    rows, numbers, unparsed = _read_all(files, partitions, config)
    assert numbers == [1, 4]  # the blank line is not a row
    assert [(b.row, b.reason, b.action) for b in unparsed] == [
        (2, "not valid JSON", "skipped"),
        (3, "not a JSON object", "skipped"),
    ]


def test_missing_text_column_and_unknown_format_are_clear_errors(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("id,message\n1,hello\n")
    config = settings(input_format="csv", output_format="csv")
    with pytest.raises(DatasetInputError, match="no column 'body'"):
        plan_partitions(list_inputs(str(path), "csv"), config)
    with pytest.raises(DatasetSettingsError, match="pass --format"):
        format_of("export.txt")
    with pytest.raises(DatasetInputError, match="no such input"):
        list_inputs(str(tmp_path / "missing.jsonl"), "jsonl")
