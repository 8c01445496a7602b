"""The one integrator and signer: gives committed events tree positions and signs checkpoints.

It runs as its own process under an advisory lock (one at a time per database) and is the only
process that holds the signing key. It keeps its memory outside the database, in a state file
beside its key: the last checkpoint it signed and the tree's right edge. Before signing it checks
that the database still holds that tree and that the new tree extends it (a consistency proof);
otherwise it refuses, logs an alarm, records it for /ready, and signs nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from service.audit import merkle
from service.audit.note import Checkpoint, Signer, endorse_rotation, sign_note
from service.audit.signing import SignerSettings
from service.audit.store import DatabaseHashes, store_leaves, tree_size
from service.db import queries

log = logging.getLogger(__name__)

# Any fixed 64-bit number: the advisory lock one signer holds per database.
SIGNER_LOCK_ID = 7_305_112_019_018
BATCH_EVENTS = 20_000
# While refusing, the signer looks again this often (an operator may have restored the data).
REFUSED_RETRY_SECONDS = 5.0
ALARM_REPEAT_SECONDS = 60.0


class SignerRefused(RuntimeError):
    """The database no longer extends the tree the signer signed; nothing was signed."""


class SignerBusy(RuntimeError):
    """Another signer holds this database's signer lock."""


@dataclass
class SignerState:
    """The last tree this signer signed: origin, size, root, right edge and the signed note."""

    origin: str
    size: int = 0
    root: bytes = merkle.EMPTY_ROOT
    frontier: list[bytes] = field(default_factory=list)
    note: str | None = None

    def to_json(self) -> str:
        """Return the state as JSON text."""
        return json.dumps(
            {
                "origin": self.origin,
                "size": self.size,
                "root": base64.b64encode(self.root).decode(),
                "frontier": [base64.b64encode(value).decode() for value in self.frontier],
                "note": self.note,
            },
            indent=1,
        )

    @classmethod
    def from_json(cls, text: str) -> SignerState:
        """Read a state written by to_json."""
        data = json.loads(text)
        state = cls(
            origin=data["origin"],
            size=int(data["size"]),
            root=base64.b64decode(data["root"]),
            frontier=[base64.b64decode(value) for value in data["frontier"]],
            note=data.get("note"),
        )
        if merkle.Frontier(state.size, state.frontier).root() != state.root:
            raise ValueError("the signer state's right edge does not hash to its root")
        return state


def read_state(path: Path) -> SignerState | None:
    """Return the signer state stored at path, or None when there is none yet."""
    try:
        return SignerState.from_json(path.read_text())
    except FileNotFoundError:
        return None


def write_state(path: Path, state: SignerState) -> None:
    """Replace the state file atomically and durably (write, fsync, rename, fsync the folder)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(state.to_json())
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    folder = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(folder)
    finally:
        os.close(folder)


class AuditSigner:
    """Integrates and signs on one autocommit connection that holds the signer lock."""

    def __init__(self, conn: psycopg.Connection, settings: SignerSettings):
        self.conn = conn
        self.settings = settings
        self.horizon = 0  # every event written by a transaction below this xid is integrated
        self.published = False
        self.state: SignerState | None = None
        self.refusal: str | None = None
        # During a key rotation: the new key that co-signs the checkpoint holding the rotation.
        self.next_signer: Signer | None = None
        self._last_alarm = (None, 0.0)

    def lock(self) -> None:
        """Take the database's signer lock for this session, or raise SignerBusy."""
        cur = self.conn.cursor(row_factory=dict_row)
        row = cur.execute(queries()["lock_audit_signer"], {"lock_id": SIGNER_LOCK_ID}).fetchone()
        if not row["locked"]:
            raise SignerBusy("another audit signer is running on this database")

    def _load(self) -> SignerState:
        if self.state is None:
            origin = self.settings.audit.origin
            state = read_state(self.settings.state_path)
            if state is None:
                state = SignerState(origin=origin)
            elif state.origin != origin:
                self._refuse(
                    f"the signer state is for the log {state.origin!r}, not {origin!r}",
                )
            self.state = state
            verifier = self.settings.verifier
            self.conn.execute(
                queries()["insert_audit_signer_key"],
                {"key_id": verifier.key_id.hex(), "verifier_key": verifier.verifier_key},
            )
        return self.state

    def integrate(self) -> int:
        """Integrate committed events once and sign the new tree; return how many were added.

        Raises SignerRefused (after recording the alarm) when the database does not extend the
        tree last signed.
        """
        try:
            added = self._integrate()
        except SignerRefused as exc:
            self._alarm(str(exc))
            raise
        self.refusal = None
        return added

    def _refuse(self, reason: str) -> None:
        raise SignerRefused(reason)

    def _alarm(self, reason: str) -> None:
        self.refusal = reason
        last_reason, last_at = self._last_alarm
        now = time.monotonic()
        if reason == last_reason and now - last_at < ALARM_REPEAT_SECONDS:
            return
        log.critical("audit signer refused to sign", extra={"reason": reason})
        try:
            self.conn.execute(queries()["insert_audit_alarm"], {"reason": reason})
        except psycopg.Error:
            log.exception("could not record the audit alarm in the database")
        self._last_alarm = (reason, now)

    def _integrate(self) -> int:
        state = self._load()
        conn = self.conn
        with conn.transaction():
            stored_size = tree_size(conn)
            reader = DatabaseHashes(conn)
            if stored_size < state.size:
                self._refuse(
                    f"the database holds a tree of {stored_size} events but the signer signed "
                    f"{state.size}: the log was truncated or rolled back"
                )
            if state.size and _stored_root(reader, state.size) != state.root:
                self._refuse(
                    f"the stored tree of the first {state.size} events no longer has the root "
                    "the signer signed: history was rewritten"
                )
            if state.note is None and stored_size:
                self._refuse(
                    f"the database holds a tree of {stored_size} events but this signer has no "
                    f"state ({self.settings.state_path}): restore its state file, do not trust "
                    "the database's word"
                )
            frontier = merkle.Frontier(state.size, state.frontier)
            if stored_size > state.size:
                self._replay_unsigned(frontier, stored_size)
            cur = conn.cursor(row_factory=dict_row)
            xmin = cur.execute(queries()["get_audit_snapshot_xmin"]).fetchone()["xmin"]
            events = (
                conn.cursor(row_factory=dict_row)
                .execute(
                    queries()["list_unintegrated_audit_events"],
                    {"horizon": self.horizon, "limit": BATCH_EVENTS},
                )
                .fetchall()
            )
            positions, nodes = [], []
            for event in events:
                positions.append((frontier.size + 1, event["id"]))
                nodes.extend(frontier.append(merkle.leaf_hash(bytes(event["leaf"]))))
            next_horizon = xmin if len(events) < BATCH_EVENTS else self.horizon
            if frontier.size == state.size:
                self.horizon = next_horizon
                if not self.published and state.note:
                    self._publish(state)  # the database checked out: store a lost checkpoint
                return 0
            if positions:
                store_leaves(conn, positions, nodes)
            # What the database now holds must be exactly the tree about to be signed.
            root = frontier.root()
            proof = _stored_consistency(reader, state.size, frontier.size)
            if proof is None or not merkle.verify_consistency(
                state.size, frontier.size, proof, state.root, root
            ):
                self._refuse(
                    f"the stored tree of {frontier.size} events is not an extension of the "
                    f"tree of {state.size} events the signer signed"
                )
            if _stored_root(reader, frontier.size) != root:
                self._refuse(f"the stored tree of {frontier.size} events has another root")
        added = frontier.size - state.size
        checkpoint = Checkpoint(state.origin, frontier.size, root)
        signers = [self.settings.signer, *([self.next_signer] if self.next_signer else [])]
        note = sign_note(checkpoint.text(), *signers).encode()
        new_state = SignerState(state.origin, frontier.size, root, list(frontier.hashes), note)
        write_state(self.settings.state_path, new_state)
        self.state = new_state
        self.published = False
        self.horizon = next_horizon
        self._publish(new_state)
        return added

    def _replay_unsigned(self, frontier: merkle.Frontier, stored_size: int) -> None:
        """Extend the frontier over leaves stored but never signed, recomputed from events."""
        q = queries()
        rows = (
            self.conn.cursor(row_factory=dict_row)
            .execute(
                q["list_audit_events"],
                {
                    "after_seq": frontier.size,
                    "last_seq": stored_size,
                    "since": None,
                    "until": None,
                    "actor": None,
                    "action": None,
                    "subject_ref": None,
                    "request_id": None,
                    "limit": None,
                },
            )
            .fetchall()
        )
        if len(rows) != stored_size - frontier.size or any(
            row["seq"] != frontier.size + offset + 1 for offset, row in enumerate(rows)
        ):
            self._refuse(f"tree positions {frontier.size + 1}..{stored_size} have gaps")
        for row in rows:
            frontier.append(merkle.leaf_hash(bytes(row["leaf"])))

    def _publish(self, state: SignerState) -> None:
        """Store the signed checkpoint in the database (again, if a crash lost it)."""
        self.conn.execute(
            queries()["insert_audit_checkpoint"],
            {
                "tree_size": state.size,
                "root_hash": state.root,
                "key_id": self.settings.verifier.key_id.hex(),
                "note": state.note,
            },
        )
        self.published = True


def _stored_root(reader: DatabaseHashes, size: int) -> bytes | None:
    try:
        return merkle.tree_hash(reader, size)
    except merkle.ProofError:
        return None


def _stored_consistency(reader: DatabaseHashes, first: int, second: int) -> list[bytes] | None:
    try:
        return merkle.consistency_proof(reader, first, second)
    except merkle.ProofError:
        return None


def rotate_key(url: str, settings: SignerSettings, new_key) -> str:
    """Move the log to a new signing key; return the checkpoint note signed by both keys.

    Records `audit.key_rotated` (old key id, new verifier key, the old key's signature of the
    hand-over), integrates it and signs that
    checkpoint with the old key and the new one: a holder of the old key sees the rotation in
    a tree the old key signed, and can then trust the new key. Run it with the signer stopped,
    then start the signer with the new key.
    """
    from service.audit.events import SYSTEM, record_event

    new = Signer(settings.audit.origin, new_key)
    old = settings.verifier
    if new.verifier.key_id == old.key_id:
        raise ValueError("the new key is the key in use")
    with psycopg.connect(url, autocommit=True) as conn:
        signer = AuditSigner(conn, settings)
        signer.lock()
        with conn.transaction():
            record_event(
                conn,
                SYSTEM,
                "audit.key_rotated",
                target_type="audit_key",
                target_id=new.verifier.key_id.hex(),
                details={
                    "from_key_id": old.key_id.hex(),
                    "to_verifier_key": new.verifier.verifier_key,
                    # The old key's own word for the hand-over: a database writer can insert
                    # a rotation event, but cannot sign this.
                    "endorsement": endorse_rotation(
                        settings.signer, settings.audit.origin, new.verifier.verifier_key
                    ),
                },
            )
        signer.next_signer = new
        signer.integrate()
        conn.execute(
            queries()["insert_audit_signer_key"],
            {"key_id": new.verifier.key_id.hex(), "verifier_key": new.verifier.verifier_key},
        )
        return signer.state.note


def integrate_now(url: str, settings: SignerSettings) -> int:
    """Run one integration pass on a database (tests, `audit integrate --once`)."""
    with psycopg.connect(url, autocommit=True) as conn:
        signer = AuditSigner(conn, settings)
        signer.lock()
        return signer.integrate()


def run_signer(url: str, settings: SignerSettings, stop: threading.Event) -> None:
    """Integrate and sign until `stop` is set; wait for the lock while another signer runs."""
    interval = settings.audit.max_delay / 2
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True) as conn:
                signer = AuditSigner(conn, settings)
                while not stop.is_set():
                    try:
                        signer.lock()
                        break
                    except SignerBusy:
                        stop.wait(interval * 4)
                log.info("audit signer started", extra={"origin": settings.audit.origin})
                while not stop.is_set():
                    started = time.monotonic()
                    try:
                        added = signer.integrate()
                    except SignerRefused:
                        stop.wait(REFUSED_RETRY_SECONDS)
                        continue
                    if added < BATCH_EVENTS:
                        stop.wait(max(0.0, interval - (time.monotonic() - started)))
        except psycopg.OperationalError:
            log.warning("audit signer lost its database connection; reconnecting")
            stop.wait(1.0)
