"""Exports: streamed in chunks, verifiable offline as a whole, as a time slice, and filtered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from psycopg.rows import dict_row

from service.audit import SYSTEM, record_event
from service.audit import export as export_module
from service.audit import log as log_module
from service.audit.signing import parse_public_key
from service.cli import main
from tests.audit.helpers import fill, fill_fast, parse_jsonl, verify_offline


def test_a_large_export_streams_in_chunks_and_verifies(
    client, auditor, db_url, public_key, tmp_path, monkeypatch, runtime
):
    monkeypatch.setattr(export_module, "CHUNK_RECORDS", 500)
    monkeypatch.setattr(log_module, "WINDOW_SEQS", 1000)
    fill_fast(runtime, 5000)
    # Each export adds its own event and checkpoint.
    expected = [
        "5002/5002 events valid, 1001/1001 checkpoints valid",
        "5003/5003 events valid, 1002/1002 checkpoints valid",
    ]
    for export_format in ("jsonl", "csv"):
        response = client.get(
            f"/v1/audit/export?format={export_format}", headers=auditor, buffered=False
        )
        assert response.is_streamed
        path = tmp_path / f"all.{export_format}"
        chunks = 0
        with path.open("wb") as handle:
            for chunk in response.response:
                handle.write(chunk)
                chunks += 1
        response.close()
        assert chunks > 10  # many pieces, never the whole log in one
        code, output = verify_offline(path, public_key)
        assert code == 0, output
        assert output.startswith(expected.pop(0))


def test_a_time_slice_verifies_with_a_bridge_to_the_next_checkpoint(
    auditor, db_url, conn, export_to, public_key, runtime
):
    fill(runtime, 11)  # seq 2..12; checkpoints at 5 and 10
    times = [
        r["occurred_at"] for r in conn.execute("SELECT occurred_at FROM audit_events ORDER BY seq")
    ]
    since, until = times[2].isoformat(), times[6].isoformat()  # seq 3..7
    path = export_to(f"since={since}&until={until}".replace("+", "%2B"))
    records = parse_jsonl(path.read_text())
    assert records[0]["filter"]["since"] is not None and records[0]["contiguous"] is True
    assert [(r["type"], r["seq"]) for r in records[1:-1]] == [
        ("event", 3),
        ("event", 4),
        ("event", 5),
        ("checkpoint", 5),
        ("event", 6),
        ("event", 7),
        ("bridge", 8),
        ("bridge", 9),
        ("bridge", 10),
        ("checkpoint", 10),
    ]
    code, output = verify_offline(path, public_key)
    assert code == 0, output
    assert "5/5 events valid (+3 bridge), 2/2 checkpoints valid" in output
    assert "signed through seq 10" in output


def test_a_slice_that_lost_a_line_fails(auditor, db_url, conn, export_to, public_key, runtime):
    fill(runtime, 11)
    times = [
        r["occurred_at"] for r in conn.execute("SELECT occurred_at FROM audit_events ORDER BY seq")
    ]
    path = export_to(f"since={times[2].isoformat()}".replace("+", "%2B"))
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if '"seq":6,' not in line))
    code, output = verify_offline(path, public_key)
    assert code == 1 and "FAILED at seq 6: event 6 is missing" in output


@pytest.mark.parametrize(
    ("cut", "reason"),
    [
        ("end", "it was truncated"),
        ("tail", "the end line counts"),
        ("tail_and_counts", "event 8 is missing (the export was taken through 8)"),
    ],
)
def test_a_truncated_file_fails(cut, reason, db_url, export_to, public_key, runtime):
    fill(runtime, 6)  # seq 1..7, checkpoint at 5; the export is seq 8, signed
    path = export_to()
    lines = path.read_text().splitlines(keepends=True)
    if cut == "end":
        lines = lines[:-1]
    else:
        lines = lines[:-3] + lines[-1:]  # drop event 8 and its checkpoint
        if cut == "tail_and_counts":
            lines[-1] = json.dumps({"type": "end", "events": 7, "bridge": 0, "checkpoints": 1})
    path.write_text("".join(lines))
    code, output = verify_offline(path, public_key)
    assert code == 1
    assert reason in output


def test_a_filtered_export_says_what_it_cannot_prove(
    auditor, db_url, export_to, public_key, runtime
):
    fill(runtime, 2, action="test.kept")  # seq 2, 3
    fill(runtime, 1, action="test.left_out")  # seq 4
    fill(runtime, 3, action="test.kept")  # seq 5 (checkpoint), 6, 7
    path = export_to("action=test.kept")
    records = parse_jsonl(path.read_text())
    assert records[0]["contiguous"] is False
    assert [r["seq"] for r in records if r["type"] == "event"] == [2, 3, 5, 6, 7]
    assert [r["seq"] for r in records if r["type"] == "checkpoint"] == [5]
    code, output = verify_offline(path, public_key)
    assert code == 0, output
    assert "5/5 events valid, 1/1 checkpoints valid" in output
    assert "filtered export with 1 gap(s)" in output
    assert "4 event(s) are not covered by any checkpoint" in output


def test_odd_text_survives_both_formats(app, db_url, export_to, public_key):
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        for target in ("\\N", "\\", "", 'tab\tnew\nline\r\n"quoted" é ☃', "=SUM(A1)"):
            record_event(conn, SYSTEM, "test.odd", target_type="", target_id=target)
        record_event(conn, SYSTEM, "test.odd", details={"nested": {"b": [1.5, None], "a": "\\"}})
    for export_format in ("jsonl", "csv"):
        code, output = verify_offline(export_to(export_format=export_format), public_key)
        assert code == 0, (export_format, output)


def test_public_key_as_file_pem_or_saved_json(app, auditor, client, export_to, tmp_path):
    path = export_to()
    key = app.extensions["privacy"].audit.signing_key.public_key()
    pem = key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    saved = client.get("/v1/audit/public-key", headers=auditor).get_data(as_text=True)
    for name, content in (("key.pem", pem), ("key.json", saved)):
        (tmp_path / name).write_text(content)
        code, output = verify_offline(path, str(tmp_path / name))
        assert code == 0, output
    code, output = verify_offline(path, pem)
    assert code == 0, output
    code, output = verify_offline(path, "not a key")
    assert code == 2 and "--public-key" in output


def test_the_command_needs_no_database(db_url, export_to, public_key, tmp_path, runtime):
    fill(runtime, 3)
    path = export_to(export_format="csv")
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
        "PRIVACY_DATA_DIR": str(tmp_path / "nowhere"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "verify", str(path)]
        + ["--public-key", public_key],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("5/5 events valid, 1/1 checkpoints valid")
    assert not Path(tmp_path / "nowhere").exists()


def test_a_file_that_is_not_an_export_fails_cleanly(tmp_path, app, public_key):
    for name, content in (("a.jsonl", '{"type":"header"}\n{not json\n'), ("b.csv", "a,b\n1,2\n")):
        path = tmp_path / name
        path.write_text(content)
        code, output = verify_offline(path, public_key)
        assert code == 1 and "FAILED" in output, output


def test_the_public_key_command_prints_the_configured_key(app, app_config, public_key):
    env = {"PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    result = CliRunner().invoke(main, ["audit", "public-key"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == public_key
    assert parse_public_key(json.dumps({"public_key": public_key}))


def test_the_checkpoint_command_signs_the_head(app, app_config, db_url, conn, public_key, runtime):
    fill(runtime, 2)
    env = {"DATABASE_URL": db_url, "PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    result = CliRunner().invoke(main, ["audit", "checkpoint"], env=env)
    assert result.exit_code == 0, result.output
    # Logs (the warning about generated secrets on a shared database) go to stderr.
    assert result.stdout.startswith("checkpoint at seq 3 ")
    row = conn.execute("SELECT * FROM audit_events WHERE seq = 3").fetchone()
    assert row["action"] == "audit.checkpointed" and row["actor_type"] == "system"
    signed = conn.execute("SELECT signature FROM audit_checkpoints WHERE seq = 3").fetchone()
    assert result.stdout.strip().endswith(signed["signature"])
