"""Key rotation: recorded in the log, in a checkpoint signed by the old key and the new one."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from service.audit.note import NoteError, Signer, open_checkpoint, parse_verifier_key
from service.audit.signer import integrate_now
from service.audit.signing import load_signer_settings
from tests.audit.helpers import fill, run_cli, verify_offline

NEW_SEED = bytes(range(100, 132))


def test_a_rotation_is_signed_by_both_keys_then_the_new_key_signs(
    client, auditor, db_url, app_config, integrate_audit, signer_settings, tmp_path, export_to
):
    fill(db_url, 3)
    integrate_audit()
    old = signer_settings.verifier
    key_file = tmp_path / "new.key"
    key_file.write_text(base64.b64encode(NEW_SEED).decode())
    env = {"DATABASE_URL": db_url, "PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    code, output = run_cli("audit", "rotate-key", "--new-key", str(key_file), env=env)
    assert code == 0, output
    new = Signer(signer_settings.audit.origin, Ed25519PrivateKey.from_private_bytes(NEW_SEED))
    assert output.strip().endswith(f"new verifier key: {new.verifier.verifier_key}")

    # The checkpoint holding the rotation verifies under the old key alone and the new alone.
    note = client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    checkpoint, _, _ = open_checkpoint(note, [old], None)
    open_checkpoint(note, [new.verifier], None)
    event = client.get(f"/v1/audit/events/{checkpoint.size}", headers=auditor).get_json()
    assert event["action"] == "audit.key_rotated"
    endorsement = event["details"].pop("endorsement")
    assert event["details"] == {
        "from_key_id": old.key_id.hex(),
        "to_verifier_key": new.verifier.verifier_key,
    }
    # The old key signed the hand-over (checked here with cryptography directly).
    statement = (
        f"privacy-service audit key rotation v1\n{checkpoint.origin}\n{new.verifier.verifier_key}\n"
    ).encode()
    old.public_key.verify(base64.b64decode(endorsement), statement)
    assert parse_verifier_key(event["details"]["to_verifier_key"]) == new.verifier

    # From now on the signer runs with the new key only.
    rotated = load_signer_settings(
        {**app_config, "PRIVACY_AUDIT_SIGNING_KEY": base64.b64encode(NEW_SEED).decode()}
    )
    fill(db_url, 2)
    integrate_now(db_url, rotated)
    latest = client.get("/v1/audit/checkpoint", headers=auditor).get_data(as_text=True)
    open_checkpoint(latest, [new.verifier], None)
    with pytest.raises(NoteError):
        open_checkpoint(latest, [old], None)

    keys = client.get("/v1/audit/public-key", headers=auditor).get_json()
    assert [k["verifier_key"] for k in keys["keyring"]] == [
        new.verifier.verifier_key,
        old.verifier_key,
    ]
    assert keys["verifier_key"] == new.verifier.verifier_key

    # An auditor holding the pre-rotation checkpoint checks the log across the rotation.
    held = tmp_path / "held.note"
    held.write_text(note)
    path = export_to()
    code, output = verify_offline(
        path,
        old.verifier_key,
        "--verifier-key",
        new.verifier.verifier_key,
        "--trusted-checkpoint",
        str(held),
    )
    assert code == 0, output
    code, output = verify_offline(path, old.verifier_key)
    assert code == 1 and "not signed by a trusted key" in output
    header = json.loads(path.read_text().split("\n")[0])
    assert header["tree_size"] == checkpoint.size + 2


def test_rotating_to_the_key_in_use_is_refused(app, app_config, db_url, signer_settings, tmp_path):
    raw = signer_settings.signer.private_key.private_bytes_raw()
    key_file = tmp_path / "same.key"
    key_file.write_text(base64.b64encode(raw).decode())
    env = {"DATABASE_URL": db_url, "PRIVACY_DATA_DIR": app_config["PRIVACY_DATA_DIR"]}
    code, output = run_cli("audit", "rotate-key", "--new-key", str(key_file), env=env)
    assert code == 1 and "the new key is the key in use" in output
