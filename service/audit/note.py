"""C2SP signed notes with Ed25519, tlog-checkpoint bodies and tlog-cosignature/v1 cosignatures.

A note is text ending in a newline, a blank line, then signature lines
`— <key name> base64(key id || signature)`. The key id is the first 4 bytes of
SHA-256(key name || 0x0A || signature type || public key); a verifier key is
`<name>+<hex key id>+base64(signature type || public key)`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519 = 0x01
COSIGNATURE_V1 = 0x04  # tlog-cosignature: Ed25519 over "cosignature/v1\ntime T\n" + body
SIGNATURE_PREFIX = "— "
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A note, checkpoint or key that is malformed or does not verify; says which."""


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def check_key_name(name: str) -> str:
    """Return the name if a note key may have it: non-empty, no spaces, no `+`."""
    if not name or "+" in name or any(ch.isspace() for ch in name):
        raise NoteError(f"a note key name is non-empty text without spaces or '+': {name!r}")
    return name


def key_id(name: str, signature_type: int, public_key: bytes) -> bytes:
    """Return the 4-byte key id of a named key of a signature type."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([signature_type]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A named Ed25519 public key of a signature type (0x01 note signer, 0x04 cosigner)."""

    name: str
    public_key: Ed25519PublicKey
    signature_type: int = ED25519

    @property
    def raw_key(self) -> bytes:
        """Return the 32 raw public key bytes."""
        return _raw_public(self.public_key)

    @property
    def key_id(self) -> bytes:
        """Return the 4-byte key id."""
        return key_id(self.name, self.signature_type, self.raw_key)

    @property
    def verifier_key(self) -> str:
        """Return the verifier key string `name+hexid+base64(type || key)`."""
        material = base64.b64encode(bytes([self.signature_type]) + self.raw_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @property
    def fingerprint(self) -> str:
        """Return the SHA-256 (hex) of the verifier key string, to compare keys by eye."""
        return hashlib.sha256(self.verifier_key.encode()).hexdigest()


def parse_verifier_key(text: str) -> Verifier:
    """Read a verifier key string `name+hexid+base64(type || key)` and check its key id."""
    parts = text.strip().split("+", 2)
    if len(parts) != 3:
        raise NoteError("a verifier key looks like name+hexkeyid+base64key")
    name, hex_id, material = parts
    check_key_name(name)
    try:
        raw = base64.b64decode(material, validate=True)
        claimed = bytes.fromhex(hex_id)
    except (binascii.Error, ValueError) as exc:
        raise NoteError("the verifier key's id or key material is not hex and base64") from exc
    if len(raw) != 33 or raw[0] not in (ED25519, COSIGNATURE_V1) or len(claimed) != 4:
        raise NoteError("the verifier key is not an Ed25519 key (type 0x01 or 0x04, 32 bytes)")
    verifier = Verifier(name, Ed25519PublicKey.from_public_bytes(raw[1:]), raw[0])
    if verifier.key_id != claimed:
        raise NoteError("the verifier key's id does not match its name and key")
    return verifier


@dataclass(frozen=True)
class Signer:
    """A named Ed25519 private key that signs notes."""

    name: str
    private_key: Ed25519PrivateKey
    signature_type: int = ED25519

    @property
    def verifier(self) -> Verifier:
        """Return the matching verifier."""
        return Verifier(
            check_key_name(self.name), self.private_key.public_key(), self.signature_type
        )


@dataclass(frozen=True)
class Signature:
    """One signature line: the key name, its key id and the signature bytes after it."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """Return the signature line (with its newline)."""
        encoded = base64.b64encode(self.key_id + self.signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


@dataclass(frozen=True)
class Note:
    """A note's text (ending in a newline) and its signature lines."""

    text: str
    signatures: tuple[Signature, ...]

    def encode(self) -> str:
        """Return the note as text: the text, a blank line, the signature lines."""
        return self.text + "\n" + "".join(sig.line() for sig in self.signatures)


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("a note's text ends with a newline")
    if "\n\n" in text:
        raise NoteError("a note's text has no blank line")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in text):
        raise NoteError("a note holds no control characters other than newline")


def sign_note(text: str, signer: Signer, *more: Signer) -> Note:
    """Sign a text as a note, with one key or several (one signature line each)."""
    _check_text(text)
    signatures = []
    for each in (signer, *more):
        verifier = each.verifier
        signature = each.private_key.sign(text.encode())
        signatures.append(Signature(verifier.name, verifier.key_id, signature))
    return Note(text, tuple(signatures))


def parse_note(encoded: str | bytes) -> Note:
    """Split a note into its text and signature lines (nothing is verified here)."""
    if isinstance(encoded, bytes):
        try:
            encoded = encoded.decode()
        except UnicodeDecodeError as exc:
            raise NoteError("a note is UTF-8 text") from exc
    split = encoded.rfind("\n\n")
    if split < 0:
        raise NoteError("a note has its text, a blank line, then signature lines")
    text, block = encoded[: split + 1], encoded[split + 2 :]
    _check_text(text)
    if not block.endswith("\n"):
        raise NoteError("a note's last signature line ends with a newline")
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError(f"not a signature line: {line[:60]!r}")
        name, _, encoded_signature = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(encoded_signature, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"the signature of {name!r} is not base64") from exc
        if not name or len(raw) < 5:
            raise NoteError("a signature line has a key name and a key id with a signature")
        signatures.append(Signature(name, raw[:4], raw[4:]))
    if not signatures or len(signatures) > MAX_SIGNATURES:
        raise NoteError(f"a note has 1 to {MAX_SIGNATURES} signatures")
    return Note(text, tuple(signatures))


def _cosigned_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def verify_note(note: Note, verifiers: list[Verifier] | tuple[Verifier, ...]) -> Verifier:
    """Return the first known verifier whose signature on the note is valid.

    Lines from unknown keys are ignored; a line from a known key that fails rejects the note.
    """
    known = {(v.name, v.key_id): v for v in verifiers if v.signature_type == ED25519}
    found = None
    for sig in note.signatures:
        verifier = known.get((sig.name, sig.key_id))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(sig.signature, note.text.encode())
        except InvalidSignature as exc:
            raise NoteError(f"the signature of {sig.name} does not verify") from exc
        found = found or verifier
    if found is None:
        raise NoteError("the note is not signed by a trusted key")
    return found


def cosign(note: Note, signer: Signer, timestamp: int) -> Signature:
    """Return a tlog-cosignature/v1 signature line of a checkpoint at a POSIX time."""
    verifier = Verifier(signer.name, signer.private_key.public_key(), COSIGNATURE_V1)
    signature = signer.private_key.sign(_cosigned_message(note.text, timestamp))
    return Signature(verifier.name, verifier.key_id, struct.pack(">Q", timestamp) + signature)


def verify_cosignature(note: Note, verifier: Verifier) -> int:
    """Return the timestamp of the verifier's valid cosignature on the note, or raise."""
    for sig in note.signatures:
        if sig.name != verifier.name or sig.key_id != verifier.key_id:
            continue
        if len(sig.signature) != 8 + 64:
            raise NoteError(f"the cosignature of {sig.name} is not a timestamped signature")
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        try:
            verifier.public_key.verify(sig.signature[8:], _cosigned_message(note.text, timestamp))
        except InvalidSignature as exc:
            raise NoteError(f"the cosignature of {sig.name} does not verify") from exc
        return timestamp
    raise NoteError(f"the note carries no cosignature of {verifier.name}")


#: The first line of the statement an old key signs to hand a log over to a new key.
ROTATION_HEADER = "privacy-service audit key rotation v1"


def rotation_statement(origin: str, to_verifier_key: str) -> bytes:
    """Return the bytes the old key signs: header, the log's origin, the new verifier key."""
    return f"{ROTATION_HEADER}\n{origin}\n{to_verifier_key.strip()}\n".encode()


def endorse_rotation(old: Signer, origin: str, to_verifier_key: str) -> str:
    """Return the old key's signature (base64) handing the log `origin` over to the new key."""
    signature = old.private_key.sign(rotation_statement(origin, to_verifier_key))
    return base64.b64encode(signature).decode()


def check_rotation(old: Verifier, origin: str, to_verifier_key: str, endorsement: str) -> bool:
    """Tell whether the old key signed the hand-over of the log `origin` to the new key."""
    try:
        signature = base64.b64decode(endorsement, validate=True)
        old.public_key.verify(signature, rotation_statement(origin, to_verifier_key))
    except (binascii.Error, ValueError, InvalidSignature):
        return False
    return True


@dataclass(frozen=True)
class Checkpoint:
    """A tlog-checkpoint: origin, tree size, root hash, and any extension lines."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """Return the checkpoint body as note text."""
        lines = [
            self.origin,
            str(self.size),
            base64.b64encode(self.root).decode(),
            *self.extensions,
        ]
        return "\n".join(lines) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Read a checkpoint body: origin line, decimal tree size, base64 root hash, extensions."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteError("a checkpoint has an origin, a tree size and a root hash line")
    origin, size_text, root_text, *extensions = lines[:-1]
    if not origin:
        raise NoteError("a checkpoint's origin line is not empty")
    if (
        not size_text.isascii()
        or not size_text.isdigit()
        or (len(size_text) > 1 and size_text.startswith("0"))
    ):
        raise NoteError("a checkpoint's tree size is a decimal without leading zeros")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error as exc:
        raise NoteError("a checkpoint's root hash is base64") from exc
    if len(root) != 32:
        raise NoteError("a checkpoint's root hash has 32 bytes")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def open_checkpoint(
    encoded: str | bytes, verifiers: list[Verifier] | tuple[Verifier, ...], origin: str | None
) -> tuple[Checkpoint, Note, Verifier]:
    """Verify a signed checkpoint note under trusted keys; return it, the note and the key."""
    note = parse_note(encoded)
    verifier = verify_note(note, verifiers)
    checkpoint = parse_checkpoint(note.text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteError(f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    return checkpoint, note, verifier
