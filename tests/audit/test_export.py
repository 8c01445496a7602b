"""Exports: bound to a signed checkpoint, streamed, checked offline, filtered without neighbours."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
from click.testing import CliRunner
from psycopg.rows import dict_row

from service.audit import SYSTEM, record_event
from service.audit import export as export_module
from service.audit import log as log_module
from service.cli import main
from tests.audit import rfc9162
from tests.audit.helpers import fill, parse_jsonl, verify_offline


def test_a_full_export_is_bound_to_the_signed_checkpoint(
    client, auditor, db_url, conn, integrate_audit, export_to, verifier_key
):
    fill(db_url, 6)
    integrate_audit()
    path = export_to()
    records = parse_jsonl(path.read_text())
    header, events, end = records[0], records[1:-1], records[-1]
    note = client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    assert header["checkpoint"] == note and header["tree_size"] == 7
    assert [e["seq"] for e in events] == list(range(1, 8))
    assert end == {"type": "end", "events": 7}
    # Every line carries its leaf; the leaves hash to the signed root (independent check).
    leaves = [base64.b64decode(e["leaf"]) for e in events]
    assert base64.b64encode(rfc9162.mth(leaves)).decode() == note.split("\n")[2]
    assert all("proof" not in e for e in events)
    # The export itself was recorded, and lands after the tree it exports.
    exported = conn.execute("SELECT * FROM audit_events WHERE action = 'audit.exported'")
    assert exported.fetchone()["details"] == {"format": "jsonl", "tree_size": 7, "filter": {}}
    code, output = verify_offline(path, verifier_key, "--full")
    assert code == 0, output
    assert output.startswith("OK: full export, all 7 events of the signed tree of 7")


def test_a_large_export_streams_in_chunks_and_verifies_in_both_formats(
    client, auditor, db_url, integrate_audit, verifier_key, tmp_path, monkeypatch
):
    monkeypatch.setattr(export_module, "CHUNK_RECORDS", 200)
    monkeypatch.setattr(log_module, "WINDOW_SEQS", 700)
    with psycopg.connect(db_url) as conn:
        for number in range(3000):
            record_event(conn, SYSTEM, "test.bulk", target_id=number)
    integrate_audit()
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
        assert chunks > 10
        code, output = verify_offline(path, verifier_key)
        assert code == 0, output
        assert "all 3001 events" in output


def test_a_filtered_export_proves_each_event_and_discloses_no_other(
    auditor, db_url, conn, integrate_audit, export_to, verifier_key
):
    fill(db_url, 2, action="test.kept")  # seq 2, 3
    fill(db_url, 1, action="test.secret")  # seq 4
    fill(db_url, 3, action="test.kept")  # seq 5, 6, 7
    integrate_audit()
    for export_format in ("jsonl", "csv"):
        path = export_to(f"action=test.kept&format={export_format}", export_format=export_format)
        text = path.read_text()
        code, output = verify_offline(path, verifier_key)
        assert code == 0, output
        assert output.startswith("OK: filtered export, 5 events each proven")
        # Nothing of the other events: not their action, ids, targets or leaves.
        assert "test.secret" not in text and "key.created" not in text
        other = conn.execute(
            "SELECT e.id, l.seq FROM audit_events e JOIN audit_leaves l ON l.event_id = e.id "
            "WHERE e.action <> 'test.kept'"
        ).fetchall()
        lines = parse_jsonl(export_to("action=test.kept").read_text())[1:-1]
        assert {line["id"] for line in lines}.isdisjoint(row["id"] for row in other)
        assert {line["seq"] for line in lines}.isdisjoint(row["seq"] for row in other)
        assert all(
            json.loads(base64.b64decode(line["leaf"]))["action"] == "test.kept" for line in lines
        )
    records = parse_jsonl(export_to("action=test.kept").read_text())
    assert [r["seq"] for r in records[1:-1]] == [2, 3, 5, 6, 7]
    assert {r["action"] for r in records[1:-1]} == {"test.kept"}
    code, output = verify_offline(export_to("action=test.kept"), verifier_key, "--full")
    assert code == 1 and "a full export was required" in output


def test_an_export_extends_the_checkpoint_an_auditor_holds(
    client, auditor, db_url, integrate_audit, export_to, verifier_key, tmp_path
):
    fill(db_url, 3)
    integrate_audit()
    held = tmp_path / "held.note"
    held.write_text(client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True))
    fill(db_url, 4)
    integrate_audit()
    full = export_to()
    code, output = verify_offline(full, verifier_key, "--trusted-checkpoint", str(held))
    assert code == 0, output
    assert "consistent with the checkpoint of 4 you hold" in output
    # A filtered export needs the consistency proof from the held size.
    code, output = verify_offline(
        export_to("action=test.filled"), verifier_key, "--trusted-checkpoint", str(held)
    )
    assert code == 1 and "from_size=4" in output
    filtered = export_to("action=test.filled&from_size=4")
    code, output = verify_offline(filtered, verifier_key, "--trusted-checkpoint", str(held))
    assert code == 0, output


def test_odd_text_survives_both_formats(app, db_url, integrate_audit, export_to, verifier_key):
    with psycopg.connect(db_url, row_factory=dict_row) as conn:
        for target in ("\\N", "\\", "", 'tab\tnew\nline\r\n"quoted" é ☃', "=SUM(A1)"):
            record_event(conn, SYSTEM, "test.odd", target_type="", target_id=target)
        record_event(conn, SYSTEM, "test.odd", details={"nested": {"b": [1.5, None], "a": "\\"}})
    integrate_audit()
    for export_format in ("jsonl", "csv"):
        for query in ("", "action=test.odd"):
            path = export_to(query, export_format=export_format)
            code, output = verify_offline(path, verifier_key)
            assert code == 0, (export_format, query, output)


def test_the_command_needs_no_database(db_url, integrate_audit, export_to, verifier_key, tmp_path):
    fill(db_url, 3)
    integrate_audit()
    path = export_to(export_format="csv")
    env = {
        **os.environ,
        "DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none?connect_timeout=1",
        "PRIVACY_DATA_DIR": str(tmp_path / "nowhere"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "audit", "verify", str(path)]
        + ["--verifier-key", verifier_key],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("OK: full export, all 4 events")
    assert not Path(tmp_path / "nowhere").exists()


def test_bad_files_and_keys_fail_cleanly(tmp_path, app, verifier_key, export_to, integrate_audit):
    for name, content in (("a.jsonl", '{"type":"header"}\n{not json\n'), ("b.csv", "a,b\n1,2\n")):
        path = tmp_path / name
        path.write_text(content)
        code, output = verify_offline(path, verifier_key)
        assert code == 1 and "FAILED" in output, output
    integrate_audit()
    code, output = verify_offline(export_to(), "not a key")
    assert code == 2 and "--verifier-key" in output
    other = "other.example/log+" + verifier_key.split("+", 1)[1]
    code, output = verify_offline(export_to(), other)
    assert code == 2 and "does not match" in output


def test_the_public_key_command_prints_the_verifier_key(app, app_config, verifier_key):
    env = {"PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    result = CliRunner().invoke(main, ["audit", "public-key"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == verifier_key


def test_the_signer_command_integrates_once(app, app_config, db_url, conn, verifier_key):
    fill(db_url, 2)
    env = {"DATABASE_URL": db_url, "PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    result = CliRunner().invoke(main, ["audit", "signer", "--once"], env=env)
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "integrated 2 event(s)"
    row = conn.execute("SELECT note, key_id FROM audit_checkpoints").fetchone()
    assert row["key_id"] == verifier_key.split("+")[1]
    assert json.dumps(row["note"]).count("\\n") == 5  # 3 body lines, a blank line, 1 signature
