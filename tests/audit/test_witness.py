"""The witness, run against the API over real HTTP: holds checkpoints, names forks and rollbacks."""

from __future__ import annotations

import base64
import json
import threading

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from werkzeug.serving import WSGIRequestHandler, make_server

from service.audit import merkle
from service.audit.note import Checkpoint, sign_note
from tests.audit.helpers import fill, run_cli, verify_offline

WITNESS_SEED = bytes(range(1, 33))


class _QuietHandler(WSGIRequestHandler):
    def log(self, *args, **kwargs) -> None:
        """Keep request lines out of the command's output."""


@pytest.fixture
def served(app):
    """Serve the test app on an ephemeral port; return its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


@pytest.fixture
def witness(served, auditor, verifier_key, tmp_path):
    """Return a function running the witness CLI once; returns (exit code, output)."""
    token = auditor["Authorization"].removeprefix("Bearer ")
    state = tmp_path / "witness.json"

    def _run(*extra: str) -> tuple[int, str]:
        args = ["audit", "witness", "--url", served, "--verifier-key", verifier_key]
        return run_cli(*args, "--state", str(state), *extra, env={"PRIVACY_API_KEY": token})

    _run.state = state
    return _run


def _superuser(conn) -> None:
    conn.execute("SET session_replication_role = replica")


def test_the_witness_holds_each_consistent_checkpoint(
    witness, db_url, integrate_audit, export_to, verifier_key
):
    fill(db_url, 3)
    integrate_audit()
    code, output = witness()
    assert code == 0 and output.startswith("OK: first checkpoint held, 4 events"), output
    code, output = witness()
    assert code == 0 and output.startswith("OK: unchanged at 4 events"), output
    fill(db_url, 5)
    integrate_audit()
    code, output = witness()
    assert code == 0 and "OK: 9 events, consistent with the 4 witnessed before" in output
    state = json.loads(witness.state.read_text())
    assert [c["size"] for c in state["checkpoints"]] == [4, 9]
    assert state["origin"] == "privacy-service.local/audit"
    # The state file is what the offline verifier checks an export against.
    code, output = verify_offline(
        export_to(), verifier_key, "--trusted-checkpoint", str(witness.state)
    )
    assert code == 0 and "consistent with the checkpoint of 9 you hold" in output, output


def test_a_rolled_back_log_is_named(witness, db_url, integrate_audit, conn):
    fill(db_url, 3)
    integrate_audit()
    fill(db_url, 3)
    integrate_audit()
    assert witness()[0] == 0
    _superuser(conn)
    conn.execute("DELETE FROM audit_checkpoints WHERE tree_size > 4")
    code, output = witness()
    assert code == 1 and "ALARM (rollback)" in output and "smaller than the 7" in output


def test_a_fork_signed_with_the_log_key_is_named(
    witness, db_url, integrate_audit, conn, signer_settings
):
    fill(db_url, 3)
    integrate_audit()
    assert witness()[0] == 0
    # Someone with the key signs another tree of a later size: no consistency proof exists.
    fill(db_url, 3)
    integrate_audit()
    _superuser(conn)
    other = merkle.MemoryHashes()
    for n in range(7):
        other.append(merkle.leaf_hash(f"forged {n}".encode()))
    forged = Checkpoint(signer_settings.audit.origin, 7, other.frontier.root())
    note = sign_note(forged.text(), signer_settings.signer).encode()
    conn.execute("UPDATE audit_checkpoints SET note = %s WHERE tree_size = 7", [note])
    code, output = witness()
    assert code == 1 and "ALARM (fork)" in output and "does not extend" in output


def test_a_same_size_fork_and_a_foreign_key_are_named(
    witness, db_url, integrate_audit, conn, signer_settings
):
    fill(db_url, 3)
    integrate_audit()
    assert witness()[0] == 0
    _superuser(conn)
    forged = Checkpoint(signer_settings.audit.origin, 4, b"\x07" * 32)
    conn.execute(
        "UPDATE audit_checkpoints SET note = %s WHERE tree_size = 4",
        [sign_note(forged.text(), signer_settings.signer).encode()],
    )
    code, output = witness()
    assert code == 1 and "ALARM (fork)" in output and "another root" in output
    from service.audit.note import Signer

    stranger = Signer(signer_settings.audit.origin, Ed25519PrivateKey.generate())
    conn.execute(
        "UPDATE audit_checkpoints SET note = %s WHERE tree_size = 4",
        [sign_note(forged.text(), stranger).encode()],
    )
    code, output = witness()
    assert code == 1 and "ALARM (bad signature)" in output


def test_the_witness_cosigns_and_exports_carry_it(
    witness, db_url, integrate_audit, tmp_path, client, auditor, conn, export_to
):
    fill(db_url, 2)
    integrate_audit()
    key_file = tmp_path / "witness.key"
    key_file.write_text(base64.b64encode(WITNESS_SEED).decode())
    code, output = witness("--cosign-key", str(key_file), "--cosign-name", "auditor.example/w1")
    assert code == 0 and output.rstrip().endswith("; cosigned"), output
    note = client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    lines = note.rstrip("\n").split("\n")
    assert lines[-1].startswith("\u2014 auditor.example/w1 ")
    # Independent check of the cosignature bytes.
    raw = base64.b64decode(lines[-1].split(" ")[2])
    public = Ed25519PrivateKey.from_private_bytes(WITNESS_SEED).public_key()
    timestamp = int.from_bytes(raw[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n" + "\n".join(lines[:3]) + "\n"
    Ed25519PublicKey.from_public_bytes(public.public_bytes_raw()).verify(raw[12:], message.encode())
    header = json.loads(export_to().read_text().split("\n")[0])
    assert header["checkpoint"] == note
    event = conn.execute("SELECT * FROM audit_events WHERE action = 'audit.cosigned'").fetchone()
    assert event["details"]["witness"] == "auditor.example/w1"


def test_a_bad_cosignature_is_refused(client, auditor, db_url, integrate_audit):
    fill(db_url, 1)
    integrate_audit()
    response = client.post(
        "/v1/audit/cosignatures",
        json={
            "tree_size": 2,
            "verifier_key": "w.example+00000000+"
            + base64.b64encode(b"\x04" + b"\x01" * 32).decode(),
            "signature_line": "\u2014 w.example AAAAAA==",
        },
        headers=auditor,
    )
    assert response.status_code == 422 and response.mimetype == "application/problem+json"
    missing = client.post(
        "/v1/audit/cosignatures",
        json={"tree_size": 99, "verifier_key": "x", "signature_line": "y"},
        headers=auditor,
    )
    assert missing.status_code == 404


NEW_SEED = bytes(range(100, 132))


def _rotate(db_url: str, app_config: dict, tmp_path) -> dict:
    """Rotate the log to the key of NEW_SEED with the real CLI; return the new signer's config."""
    key_file = tmp_path / "new.key"
    key_file.write_text(base64.b64encode(NEW_SEED).decode())
    env = {"DATABASE_URL": db_url, "PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    code, output = run_cli("audit", "rotate-key", "--new-key", str(key_file), env=env)
    assert code == 0, output
    return {**app_config, "PRIVACY_AUDIT_SIGNING_KEY": base64.b64encode(NEW_SEED).decode()}


@pytest.mark.parametrize("saw_the_rotation", [True, False])
def test_the_witness_follows_a_key_rotation_the_old_key_signed(
    witness, db_url, app_config, integrate_audit, tmp_path, saw_the_rotation
):
    from service.audit.signer import integrate_now
    from service.audit.signing import load_signer_settings

    fill(db_url, 3)
    integrate_audit()
    assert witness()[0] == 0
    rotated = load_signer_settings(_rotate(db_url, app_config, tmp_path))
    if saw_the_rotation:
        code, output = witness()  # the rotation's checkpoint is signed by both keys
        assert code == 0 and "OK: 5 events" in output, output
    fill(db_url, 2)
    integrate_now(db_url, rotated)
    # Only the old key is given: the new one is learned from the rotation the log proves.
    code, output = witness()
    assert code == 0, output
    assert "OK: 7 events" in output and f"learned key {rotated.verifier.key_id.hex()}" in output
    state = json.loads(witness.state.read_text())
    assert [k["verifier_key"] for k in state["keys"]] == [rotated.verifier.verifier_key]
    assert [c["size"] for c in state["checkpoints"]][-2:] == [5, 7]
    fill(db_url, 1)
    integrate_now(db_url, rotated)
    code, output = witness()
    assert code == 0 and "OK: 8 events, consistent with the 7" in output, output
    assert "learned" not in output


def test_a_rotation_event_a_database_writer_inserted_is_not_followed(
    witness, db_url, integrate_audit, signer_settings, conn
):
    from service.audit.events import SYSTEM, record_event
    from service.audit.note import Signer

    fill(db_url, 2)
    integrate_audit()
    assert witness()[0] == 0
    # Someone with write access to the tables announces a key of their own; the real signer
    # integrates and signs that event like any other, but the old key never endorsed it.
    stranger = Signer(signer_settings.audit.origin, Ed25519PrivateKey.generate())
    with conn.transaction():
        record_event(
            conn,
            SYSTEM,
            "audit.key_rotated",
            target_type="audit_key",
            target_id=stranger.verifier.key_id.hex(),
            details={
                "from_key_id": signer_settings.verifier.key_id.hex(),
                "to_verifier_key": stranger.verifier.verifier_key,
                "endorsement": base64.b64encode(b"\x00" * 64).decode(),
            },
        )
    integrate_audit()
    size = conn.execute("SELECT max(tree_size) AS n FROM audit_checkpoints").fetchone()["n"]
    # ... and then serves a bigger tree signed by that key.
    root = b"\x05" * 32
    note = sign_note(Checkpoint(signer_settings.audit.origin, size + 1, root).text(), stranger)
    _superuser(conn)
    conn.execute(
        "INSERT INTO audit_checkpoints (tree_size, root_hash, key_id, note) "
        "VALUES (%s, %s, %s, %s)",
        [size + 1, root, stranger.verifier.key_id.hex(), note.encode()],
    )
    code, output = witness()
    assert code == 1 and "ALARM (bad signature)" in output, output
    assert "keys" not in json.loads(witness.state.read_text())
