"""The partition function on its own: a pandas DataFrame in, redacted rows and findings out."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from service.datasets import BadRowError, redact_rows
from tests.datasets.conftest import EMAILS, HANDLES, comment, settings

PSEUDONYMS = {"DEFAULT": {"type": "pseudonymize"}}


def test_rows_are_redacted_and_findings_point_into_the_original_text(engine):
    rows = pd.DataFrame(
        {"comment_id": ["a", "b"], "body": [comment(1), comment(2)], "likes": [3, 4]}
    )
    result = redact_rows(rows, settings(), engine=engine)

    assert list(result.frame.columns) == ["comment_id", "body", "likes", "findings"]
    assert list(result.frame["likes"]) == [3, 4] and list(result.frame["comment_id"]) == ["a", "b"]
    for original, text, findings in zip(
        rows["body"], result.frame["body"], result.frame["findings"], strict=True
    ):
        assert not any(value in text for value in (*HANDLES, *EMAILS, "06-12345678"))
        found = json.loads(findings)
        assert {f["type"] for f in found} >= {"SOCIAL_HANDLE", "EMAIL_ADDRESS", "PHONE_NUMBER"}
        spans = {f["type"]: original[f["start"] : f["end"]] for f in found}
        assert spans["EMAIL_ADDRESS"] in EMAILS and spans["PHONE_NUMBER"] == "06-12345678"
        # Types and offsets only: never the values themselves.
        assert not any(value in findings for value in (*HANDLES, *EMAILS))
    assert result.findings_by_type["EMAIL_ADDRESS"] == 2 and result.rows_redacted == 2
    assert result.bad_rows == []


def test_pseudonyms_are_numbered_per_group_and_per_row_without_groups(engine):
    mail = "Write to lotte.jansen@example.com please"
    other = "Or to pieter@example.org instead"
    rows = pd.DataFrame({"thread": ["x", "x", "y"], "body": [other, mail, mail]})

    grouped = redact_rows(rows, settings(group_field="thread", operators=PSEUDONYMS), engine=engine)
    assert list(grouped.frame["body"]) == [
        "Or to <EMAIL_ADDRESS_1> instead",
        "Write to <EMAIL_ADDRESS_2> please",  # same thread: a second address, a second number
        "Write to <EMAIL_ADDRESS_1> please",  # another thread numbers on its own
    ]
    alone = redact_rows(rows, settings(operators=PSEUDONYMS), engine=engine)
    assert set(alone.frame["body"]) == {
        "Or to <EMAIL_ADDRESS_1> instead",
        "Write to <EMAIL_ADDRESS_1> please",
    }


def test_keyed_operators_match_the_api_engine(engine):
    rows = pd.DataFrame({"body": ["mail bram@example.org"]})
    result = redact_rows(rows, settings(operators={"DEFAULT": {"type": "hash"}}), engine=engine)
    expected = engine.redact("mail bram@example.org", operators={"DEFAULT": {"type": "hash"}})
    assert result.frame["body"].iloc[0] == expected.text and ":hmac:" in expected.text


def _bad_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "comment_id": ["ok", "none", "number", "long"],
            "body": [comment(1), None, 42, "x" * 101],
        },
        dtype=object,
    )


def test_bad_rows_are_skipped_and_reported_by_row_number(engine):
    result = redact_rows(
        _bad_frame(), settings(max_text_chars=100), engine=engine, row_numbers=[10, 11, 12, 13]
    )
    assert list(result.frame["comment_id"]) == ["ok"]
    assert [(b.row, b.id, b.action) for b in result.bad_rows] == [
        (11, "none", "skipped"),
        (12, "number", "skipped"),
        (13, "long", "skipped"),
    ]
    reasons = [b.reason for b in result.bad_rows]
    assert reasons == [
        "missing text field",
        "text field is not a string (int)",
        "text is 101 characters; the limit is 100",
    ]


def test_bad_rows_kept_unredacted_only_when_asked(engine):
    result = redact_rows(
        _bad_frame(), settings(max_text_chars=100, on_bad_row="keep"), engine=engine
    )
    assert list(result.frame["comment_id"]) == ["ok", "none", "number", "long"]
    assert result.frame["body"].iloc[3] == "x" * 101 and result.frame["findings"].iloc[3] is None
    assert [b.action for b in result.bad_rows] == ["kept"] * 3


def test_fail_mode_raises_on_the_first_bad_row(engine):
    with pytest.raises(BadRowError) as caught:
        redact_rows(_bad_frame(), settings(on_bad_row="fail"), engine=engine, file="in.jsonl")
    assert (caught.value.file, caught.value.row) == ("in.jsonl", 2)
    assert "missing text field" in str(caught.value)


def test_a_frame_without_the_text_column_reports_every_row(engine):
    result = redact_rows(pd.DataFrame({"other": ["a", "b"]}), settings(), engine=engine)
    assert len(result.frame) == 0 and [b.row for b in result.bad_rows] == [1, 2]
