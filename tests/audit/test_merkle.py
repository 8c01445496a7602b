"""The Merkle module against an independent RFC 9162 implementation, and the signed note format."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.audit import merkle
from service.audit.note import (
    Checkpoint,
    NoteError,
    Signer,
    cosign,
    open_checkpoint,
    parse_note,
    parse_verifier_key,
    sign_note,
    verify_cosignature,
)
from tests.audit import rfc9162

LEAVES = [f"leaf {i}".encode() for i in range(70)]


def _stored(count: int) -> merkle.MemoryHashes:
    hashes = merkle.MemoryHashes()
    for data in LEAVES[:count]:
        hashes.append(merkle.leaf_hash(data))
    return hashes


def test_root_matches_the_recursive_definition_at_every_size():
    hashes = merkle.MemoryHashes()
    assert merkle.tree_hash(hashes, 0) == rfc9162.mth([])
    for size, data in enumerate(LEAVES, start=1):
        hashes.append(merkle.leaf_hash(data))
        expected = rfc9162.mth(LEAVES[:size])
        assert hashes.frontier.root() == expected
        assert merkle.tree_hash(hashes, size) == expected


def test_inclusion_proofs_match_and_verify_independently():
    hashes = _stored(len(LEAVES))
    for size in range(1, 40):
        root = rfc9162.mth(LEAVES[:size])
        for index in range(size):
            proof = merkle.inclusion_proof(hashes, index, size)
            assert proof == rfc9162.path(index, LEAVES[:size])
            leaf = merkle.leaf_hash(LEAVES[index])
            assert rfc9162.verify_inclusion(leaf, index, size, proof, root)
            assert merkle.verify_inclusion(leaf, index, size, proof, root)
            # Wrong index, wrong leaf, wrong root: refused by both.
            if size > 1:
                other = (index + 1) % size
                assert not merkle.verify_inclusion(leaf, other, size, proof, root)
                assert not rfc9162.verify_inclusion(leaf, other, size, proof, root)
            assert not merkle.verify_inclusion(merkle.leaf_hash(b"x"), index, size, proof, root)


def test_consistency_proofs_match_and_verify_independently():
    hashes = _stored(len(LEAVES))
    for second in range(1, 45):
        new = rfc9162.mth(LEAVES[:second])
        for first in range(1, second):
            old = rfc9162.mth(LEAVES[:first])
            proof = merkle.consistency_proof(hashes, first, second)
            assert proof == rfc9162.proof(first, LEAVES[:second])
            assert rfc9162.verify_consistency(first, second, proof, old, new)
            assert merkle.verify_consistency(first, second, proof, old, new)
            forged = rfc9162.mth([b"forged"] + LEAVES[1:first])
            assert not merkle.verify_consistency(first, second, proof, forged, new)
            assert not rfc9162.verify_consistency(first, second, proof, forged, new)
            assert not merkle.verify_consistency(first, second, proof[:-1], old, new)
    assert merkle.consistency_proof(hashes, 5, 5) == []
    assert merkle.verify_consistency(5, 5, [], b"r" * 32, b"r" * 32)
    with pytest.raises(merkle.ProofError):
        merkle.consistency_proof(hashes, 6, 5)
    with pytest.raises(merkle.ProofError):
        merkle.inclusion_proof(hashes, 5, 5)


def test_proofs_read_few_stored_hashes():
    class Counting(merkle.MemoryHashes):
        reads = 0

        def read_hashes(self, indexes):
            self.reads += len(indexes)
            return super().read_hashes(indexes)

    hashes = Counting()
    for i in range(1000):
        hashes.append(merkle.leaf_hash(str(i).encode()))
    merkle.inclusion_proof(hashes, 345, 999)
    merkle.consistency_proof(hashes, 333, 999)
    assert hashes.reads < 4 * 10 * 2  # O(log n): about log2(1000) per proof, far below n


ORIGIN = "audit.example/test"


def _signer(name: str = ORIGIN) -> Signer:
    return Signer(name, Ed25519PrivateKey.from_private_bytes(bytes(range(32))))


def test_signed_note_bytes_checked_by_hand_with_the_raw_ed25519_primitive():
    signer = _signer()
    body = Checkpoint(ORIGIN, 7, hashlib.sha256(b"root").digest()).text()
    encoded = sign_note(body, signer).encode()

    text, _, signature_block = encoded.partition("\n\n")
    assert (
        text + "\n"
        == f"{ORIGIN}\n7\n{base64.b64encode(hashlib.sha256(b'root').digest()).decode()}\n"
    )
    assert signature_block.startswith("\u2014 " + ORIGIN + " ") and signature_block.endswith("\n")
    raw = base64.b64decode(signature_block.split(" ")[2])
    public = signer.private_key.public_key().public_bytes_raw()
    assert raw[:4] == hashlib.sha256(ORIGIN.encode() + b"\x0a\x01" + public).digest()[:4]
    # Verified with nothing from the code under test: the key bytes and the signed text.
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], (text + "\n").encode())
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], (text + "0\n").encode())

    vkey = signer.verifier.verifier_key
    name, hex_id, material = vkey.split("+", 2)
    assert name == ORIGIN and bytes.fromhex(hex_id) == raw[:4]
    assert base64.b64decode(material) == b"\x01" + public
    assert parse_verifier_key(vkey).verifier_key == vkey


def test_open_checkpoint_refuses_wrong_key_tampered_text_and_other_origin():
    signer = _signer()
    body = Checkpoint(ORIGIN, 3, b"\x01" * 32).text()
    encoded = sign_note(body, signer).encode()
    verifier = signer.verifier
    checkpoint, _, used = open_checkpoint(encoded, [verifier], ORIGIN)
    assert (checkpoint.size, checkpoint.root, used) == (3, b"\x01" * 32, verifier)

    with pytest.raises(NoteError, match="not signed by a trusted key"):
        open_checkpoint(encoded, [_signer("other.example/log").verifier], None)
    with pytest.raises(NoteError, match="does not verify"):
        open_checkpoint(encoded.replace("\n3\n", "\n4\n"), [verifier], ORIGIN)
    with pytest.raises(NoteError, match="not 'elsewhere'"):
        open_checkpoint(encoded, [verifier], "elsewhere")
    with pytest.raises(NoteError):
        parse_note("no blank line\n")
    with pytest.raises(NoteError):
        parse_verifier_key(verifier.verifier_key.replace("+", "+0", 1))


def test_cosignature_is_tlog_cosignature_v1():
    log_signer, witness = _signer(), _signer("witness.example/w1")
    note = sign_note(Checkpoint(ORIGIN, 9, b"\x02" * 32).text(), log_signer)
    line = cosign(note, witness, 1_700_000_000)
    raw = line.signature
    public = witness.private_key.public_key().public_bytes_raw()
    assert line.key_id == hashlib.sha256(b"witness.example/w1\n\x04" + public).digest()[:4]
    assert int.from_bytes(raw[:8], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + note.text.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(raw[8:], message)

    cosigned = parse_note(note.encode() + line.line())
    cosigner = parse_verifier_key(
        "witness.example/w1+"
        + line.key_id.hex()
        + "+"
        + base64.b64encode(b"\x04" + public).decode()
    )
    assert verify_cosignature(cosigned, cosigner) == 1_700_000_000
    # The log's own key check ignores the cosignature line.
    open_checkpoint(cosigned.encode(), [log_signer.verifier], ORIGIN)
