"""The ZIP package answering access and portability requests."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import subprocess
import sys
import uuid
import zipfile
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from service.dsr.package import build_access_package, verify_package

ROOT = Path(__file__).resolve().parents[2]
GENERATED_AT = datetime(2025, 6, 1, 14, 30, 7, tzinfo=UTC)
REQUEST_ID = uuid.UUID("8d5f9a8e-2f63-4b7e-9a44-5c1d2e3f4a5b")
ITEM_ID = uuid.UUID("0a0b0c0d-0000-4000-8000-000000000001")

CONTROLLER = {
    "name": "Acme Feedback GmbH",
    "contact": "privacy@acme.example",
    "dpo_contact": "dpo@acme.example",
    "purposes": ["Understanding what customers say about Acme products."],
    "retention": "Feedback is deleted 18 months after it was posted.",
    "recipients": ["Acme's product team", "Hostico GmbH (hosting)"],
    "sources": ["Reddit", "Mastodon"],
    "supervisory_authority": "Berliner Beauftragte für Datenschutz und Informationsfreiheit",
}


def make_records() -> dict[str, list[dict]]:
    return {
        "feedback_items": [
            {
                "id": ITEM_ID,
                "platform": "reddit",
                "posted_at": datetime(2025, 3, 2, 9, 15, tzinfo=UTC),
                "text": "Zoë here 👋 — die App stürzt ab. 應用程式崩潰了",
                "metadata": {"lang": "de", "tags": ["crash", "ios"]},
                "score": -5,
                "rating": Decimal("4.5"),
                "hidden": False,
                "edited_at": None,
            },
            {
                "id": uuid.UUID("0a0b0c0d-0000-4000-8000-000000000002"),
                "platform": "mastodon",
                "posted_at": datetime(2025, 3, 3, 18, 0, tzinfo=UTC),
                "text": '=HYPERLINK("http://evil.example","click")',
                "metadata": {},
                "score": 3,
                "rating": None,
                "hidden": True,
                "edited_at": date(2025, 3, 4),
            },
        ],
        "findings": [
            {"entity": "PERSON", "value": "Zoë", "start": 0, "end": 3},
            {"entity": "PHONE_NUMBER", "value": "+1 555 0100", "start": 10, "end": 21},
            {"entity": "NOTE", "value": "-2+3", "start": 0, "end": 4},
            {"entity": "NOTE", "value": "@SUM(A1:A9)", "start": 0, "end": 11},
            {"entity": "NOTE", "value": "\tcmd", "start": 0, "end": 4},
            {"entity": "NOTE", "value": "a=b stays as it is", "start": 0, "end": 18},
        ],
        "identifiers": [{"kind": "handle", "value": "@zoe_k", "platform": "reddit"}],
        "requests": [],
    }


def build(**overrides) -> bytes:
    arguments = {
        "request": {
            "id": REQUEST_ID,
            "regime": "gdpr",
            "type": "access",
            "received_at": datetime(2025, 5, 20, 8, 0, tzinfo=UTC),
        },
        "subject": {
            "id": 42,
            "identifiers": [{"kind": "handle", "value": "@zoe_k"}, {"kind": "email"}],
        },
        "records": make_records(),
        "controller": CONTROLLER,
        "generated_at": GENERATED_AT,
    }
    arguments.update(overrides)
    return build_access_package(**arguments)


def open_zip(package: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(package))


def read_csv(package: bytes, name: str) -> list[list[str]]:
    text = open_zip(package).read(name).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def rewrite_zip(package: bytes, *, replace=None, drop=(), add=None) -> bytes:
    """Return a copy of a package with entries replaced, dropped or added."""
    replace, add = replace or {}, add or {}
    buffer = io.BytesIO()
    with open_zip(package) as source, zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            if info.filename in drop:
                continue
            target.writestr(info, replace.get(info.filename, source.read(info.filename)))
        for name, content in add.items():
            target.writestr(name, content)
    return buffer.getvalue()


# --- contents ----------------------------------------------------------------------------------


def test_package_holds_readme_data_manifest_and_one_csv_per_kind_in_sorted_order():
    archive = open_zip(build())

    assert archive.namelist() == [
        "README.txt",
        "data.json",
        "feedback_items.csv",
        "findings.csv",
        "identifiers.csv",
        "manifest.json",
        "requests.csv",
    ]
    assert archive.testzip() is None
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2025, 6, 1, 14, 30, 6)  # ZIP keeps even seconds
        assert info.external_attr >> 16 == 0o100644


def test_entry_times_are_the_utc_generation_time():
    generated_in_new_york = datetime(2025, 6, 1, 10, 30, 8, tzinfo=timezone(timedelta(hours=-4)))

    archive = open_zip(build(generated_at=generated_in_new_york))

    assert {info.date_time for info in archive.infolist()} == {(2025, 6, 1, 14, 30, 8)}
    data = json.loads(archive.read("data.json"))
    assert data["generated_at"] == "2025-06-01T14:30:08+00:00"


def test_data_json_holds_request_subject_time_and_every_record_kind():
    data = json.loads(open_zip(build()).read("data.json").decode("utf-8"))

    assert data["request"] == {
        "id": str(REQUEST_ID),
        "regime": "gdpr",
        "type": "access",
        "received_at": "2025-05-20T08:00:00+00:00",
    }
    assert data["subject"] == {
        "id": 42,
        "identifiers": [{"kind": "handle", "value": "@zoe_k"}, {"kind": "email"}],
    }
    assert data["generated_at"] == "2025-06-01T14:30:07+00:00"
    assert data["controller"] == {"name": "Acme Feedback GmbH", "contact": "privacy@acme.example"}
    assert data["record_counts"] == {
        "feedback_items": 2,
        "findings": 6,
        "identifiers": 1,
        "requests": 0,
    }
    assert data["records"]["feedback_items"][0] == {
        "id": str(ITEM_ID),
        "platform": "reddit",
        "posted_at": "2025-03-02T09:15:00+00:00",
        "text": "Zoë here 👋 — die App stürzt ab. 應用程式崩潰了",
        "metadata": {"lang": "de", "tags": ["crash", "ios"]},
        "score": -5,
        "rating": "4.5",
        "hidden": False,
        "edited_at": None,
    }
    assert data["records"]["feedback_items"][1]["edited_at"] == "2025-03-04"
    assert data["records"]["findings"][5]["value"] == "a=b stays as it is"
    assert data["records"]["requests"] == []


def test_data_json_keeps_unicode_readable():
    raw = open_zip(build()).read("data.json").decode("utf-8")

    assert "Zoë here 👋 — die App stürzt ab. 應用程式崩潰了" in raw
    assert "\\u" not in raw


def test_csv_has_a_header_row_and_one_row_per_record():
    rows = read_csv(build(), "feedback_items.csv")

    assert rows[0] == [
        "id",
        "platform",
        "posted_at",
        "text",
        "metadata",
        "score",
        "rating",
        "hidden",
        "edited_at",
    ]
    assert rows[1] == [
        str(ITEM_ID),
        "reddit",
        "2025-03-02T09:15:00+00:00",
        "Zoë here 👋 — die App stürzt ab. 應用程式崩潰了",
        '{"lang": "de", "tags": ["crash", "ios"]}',
        "-5",  # a number is not a formula and keeps its sign
        "4.5",
        "false",
        "",
    ]
    assert json.loads(rows[1][4]) == {"lang": "de", "tags": ["crash", "ios"]}
    assert len(rows) == 3


def test_csv_is_utf8_with_a_byte_order_mark_and_crlf_rows():
    raw = open_zip(build()).read("identifiers.csv")

    assert raw == "\ufeffkind,value,platform\r\nhandle,'@zoe_k,reddit\r\n".encode()


def test_csv_cells_that_a_spreadsheet_would_run_start_with_a_quote():
    findings = [row[1] for row in read_csv(build(), "findings.csv")[1:]]
    link = read_csv(build(), "feedback_items.csv")[2][3]

    assert findings == [
        "Zoë",
        "'+1 555 0100",
        "'-2+3",
        "'@SUM(A1:A9)",
        "'\tcmd",
        "a=b stays as it is",
    ]
    assert link == '\'=HYPERLINK("http://evil.example","click")'


def test_csv_columns_cover_keys_that_only_some_rows_have():
    records = {"findings": [{"entity": "PERSON"}, {"entity": "EMAIL", "score": 0.5}]}

    rows = read_csv(build(records=records), "findings.csv")

    assert rows == [["entity", "score"], ["PERSON", ""], ["EMAIL", "0.5"]]


def test_an_empty_kind_gives_an_empty_csv_and_an_empty_list():
    package = build()
    archive = open_zip(package)

    assert archive.read("requests.csv") == b""
    assert json.loads(archive.read("data.json"))["records"]["requests"] == []
    assert "- requests.csv: 0 records" in archive.read("README.txt").decode()


def test_a_package_with_no_records_at_all_is_still_complete():
    package = build(records={})

    assert open_zip(package).namelist() == ["README.txt", "data.json", "manifest.json"]
    assert verify_package(package) == []


def test_manifest_lists_size_and_sha256_of_every_other_file():
    archive = open_zip(build())
    manifest = json.loads(archive.read("manifest.json"))

    assert manifest["generated_at"] == "2025-06-01T14:30:07+00:00"
    assert manifest["request_id"] == str(REQUEST_ID)
    assert [entry["name"] for entry in manifest["files"]] == [
        name for name in archive.namelist() if name != "manifest.json"
    ]
    for entry in manifest["files"]:
        content = archive.read(entry["name"])
        assert entry["bytes"] == len(content)
        assert entry["sha256"] == hashlib.sha256(content).hexdigest()


# --- README ------------------------------------------------------------------------------------


def test_readme_gives_the_gdpr_article_15_information_from_the_controller():
    readme = open_zip(build()).read("README.txt").decode("utf-8")
    one_line = " ".join(readme.split())

    for expected in [
        "Your personal data held by Acme Feedback GmbH",
        f"Request: {REQUEST_ID}",
        "Contact: privacy@acme.example",
        "Data protection officer: dpo@acme.example",
        "(a) Purposes of the processing - Understanding what customers say about Acme products.",
        "(b) Categories of personal data - Public posts and comments you wrote",
        "(c) Recipients or categories of recipients - Acme's product team - Hostico GmbH",
        "(d) How long we keep the data Feedback is deleted 18 months after it was posted.",
        "rectification, Art. 16",
        "to erase it (Art. 17)",
        "restrict its processing (Art. 18)",
        "object to processing based on our legitimate interests (Art. 21)",
        "lodge a complaint with a supervisory authority (Art. 77): Berliner Beauftragte für "
        "Datenschutz und Informationsfreiheit",
        "(g) Where the data came from",
        "- Reddit - Mastodon",
        "(h) Automated decision-making We make no decisions about you based solely on automated "
        "processing",
        "automated tooling, not a decision about you",
        "- feedback_items.csv: 2 records",
        "- identifiers.csv: 1 record ",
    ]:
        assert expected in one_line, expected
    assert "CCPA" not in readme
    assert max(len(line) for line in readme.splitlines()) <= 78


def test_readme_for_a_ccpa_request_adds_categories_sources_opt_out_and_non_discrimination():
    request = {"id": REQUEST_ID, "regime": "ccpa", "type": "access"}

    readme = open_zip(build(request=request)).read("README.txt").decode("utf-8")
    one_line = " ".join(readme.split())

    for expected in [
        "California residents (CCPA)",
        "Categories of personal information we collected about you - Identifiers",
        "Categories of sources - Reddit - Mastodon",  # the controller's sources
        "Business or commercial purposes - Understanding what customers say about Acme products.",
        "Right to opt out of sale or sharing We do not sell or share your personal information.",
        "Non-discrimination We will not discriminate against you",
    ]:
        assert expected in one_line, expected


def test_readme_falls_back_to_defaults_for_missing_controller_details():
    readme = open_zip(build(controller={})).read("README.txt").decode("utf-8")
    one_line = " ".join(readme.split())

    assert "Your personal data held by The controller" in one_line
    assert "social-media platforms" in one_line
    assert "supervisory authority of the EU/EEA member state where you live" in one_line
    assert "Data protection officer" not in one_line


# --- determinism -------------------------------------------------------------------------------


def test_same_inputs_give_byte_identical_packages():
    assert build() == build()


def test_a_different_generation_time_changes_the_package():
    assert build() != build(generated_at=GENERATED_AT + timedelta(days=1))


_BUILD_WITH_A_SET = """
import hashlib, sys
from datetime import UTC, datetime
from service.dsr.package import build_access_package
package = build_access_package(
    request={"id": "r-1"},
    subject={"handles": {"alpha", "beta", "gamma", "delta", "epsilon", "zeta"}},
    records={"findings": [{"labels": {"PERSON", "EMAIL", "PHONE", "URL", "LOCATION"}}]},
    controller={},
    generated_at=datetime(2025, 6, 1, tzinfo=UTC),
)
sys.stdout.write(hashlib.sha256(package).hexdigest())
"""


def test_sets_do_not_make_packages_differ_between_processes():
    digests = {
        subprocess.run(
            [sys.executable, "-c", _BUILD_WITH_A_SET],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in (1, 2, 3)
    }

    assert len(digests) == 1


# --- verify_package ----------------------------------------------------------------------------


def test_verify_package_accepts_an_untouched_package():
    assert verify_package(build()) == []


def test_verify_package_reports_a_changed_file():
    package = build()
    tampered = rewrite_zip(package, replace={"findings.csv": b"entity\r\nnothing to see\r\n"})

    problems = verify_package(tampered)

    assert "findings.csv does not match its SHA-256 in the manifest" in problems
    assert any(
        problem.startswith("findings.csv is 24 bytes; the manifest says") for problem in problems
    )
    assert all("findings.csv" in problem for problem in problems)


def test_verify_package_reports_a_same_size_change():
    package = build()
    original = open_zip(package).read("data.json")
    tampered = rewrite_zip(package, replace={"data.json": original.replace(b"reddit", b"REDDIT")})

    assert verify_package(tampered) == ["data.json does not match its SHA-256 in the manifest"]


def test_verify_package_reports_missing_and_unlisted_files():
    package = build()
    tampered = rewrite_zip(package, drop={"README.txt"}, add={"extra.txt": b"hello"})

    assert verify_package(tampered) == [
        "README.txt is listed in the manifest but missing",
        "extra.txt is not listed in the manifest",
    ]


def test_verify_package_reports_a_missing_or_broken_manifest():
    package = build()

    assert verify_package(rewrite_zip(package, drop={"manifest.json"})) == [
        "manifest.json is missing"
    ]
    broken = verify_package(rewrite_zip(package, replace={"manifest.json": b"{not json"}))
    assert len(broken) == 1
    assert broken[0].startswith("manifest.json is unreadable")


def test_verify_package_reports_corrupted_bytes_and_non_zip_input():
    package = bytearray(build())
    # Flip a byte inside README.txt's compressed data (its local header comes first).
    package[30 + len("README.txt") + 20] ^= 0xFF

    problems = verify_package(bytes(package))

    assert len(problems) == 1
    assert problems[0].startswith("README.txt cannot be read")
    assert verify_package(b"this is not a zip") == ["not a ZIP file: File is not a zip file"]


# --- bad input ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["../etc/passwd", "Findings", "", "kind.csv", "x" * 65])
def test_record_kinds_that_are_not_safe_file_names_are_refused(kind):
    with pytest.raises(ValueError, match="lower-case letters, digits or underscores"):
        build(records={kind: []})


def test_values_that_cannot_be_serialised_name_their_location():
    records = {"findings": [{"entity": "PERSON"}, {"span": {"bounds": [0, object()]}}]}

    with pytest.raises(TypeError, match=r"records\['findings'\]\[1\]\.span\.bounds\[1\]: cannot"):
        build(records=records)


def test_rows_must_be_dicts():
    with pytest.raises(TypeError, match=r"records\['findings'\]\[0\]: a record must be a dict"):
        build(records={"findings": [["PERSON", 0, 3]]})


def test_naive_generation_time_and_missing_request_id_are_refused():
    with pytest.raises(ValueError, match="generated_at must be timezone-aware"):
        build(generated_at=datetime(2025, 6, 1, 12, 0))
    with pytest.raises(ValueError, match="request must have an 'id'"):
        build(request={"regime": "gdpr"})
