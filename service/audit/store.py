"""The Merkle tree's storage in PostgreSQL: a HashReader, tree positions, checkpoints, proofs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from psycopg.rows import dict_row

from service.audit import merkle
from service.db import queries
from service.errors import Unprocessable


class TreeTooSmall(Unprocessable):
    """A proof was asked for a tree size, or a leaf, beyond the integrated tree."""


class DatabaseHashes:
    """Reads stored complete-subtree hashes through a connection."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn

    def read_hashes(self, indexes: Sequence[merkle.NodeIndex]) -> list[bytes]:
        """Return the hash of each (level, idx), in the order asked; raise if one is missing."""
        rows = (
            self.conn.cursor(row_factory=dict_row)
            .execute(
                queries()["list_audit_tree_hashes"],
                {"levels": [node[0] for node in indexes], "indexes": [node[1] for node in indexes]},
            )
            .fetchall()
        )
        found = {(row["level"], row["idx"]): bytes(row["hash"]) for row in rows}
        missing = [node for node in indexes if node not in found]
        if missing:
            raise merkle.ProofError(f"the stored tree lacks node {missing[0]}")
        return [found[node] for node in indexes]


def tree_size(conn: psycopg.Connection) -> int:
    """Return the number of leaves with a tree position."""
    return (
        conn.cursor(row_factory=dict_row)
        .execute(queries()["get_audit_tree_size"])
        .fetchone()["size"]
    )


def store_leaves(
    conn: psycopg.Connection,
    positions: Iterable[tuple[int, int]],
    nodes: Iterable[tuple[int, int, bytes]],
) -> None:
    """Store (seq, event id) positions and (level, idx, hash) nodes with COPY."""
    q = queries()
    with conn.cursor().copy(q["copy_in_audit_leaves"]) as copy:
        for row in positions:
            copy.write_row(row)
    with conn.cursor().copy(q["copy_in_audit_tree"]) as copy:
        for row in nodes:
            copy.write_row(row)


def latest_checkpoint(conn: psycopg.Connection) -> dict[str, Any] | None:
    """Return the checkpoint of the largest signed tree, with its cosignature lines."""
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute(queries()["get_latest_audit_checkpoint"]).fetchone()
    return _with_cosignatures(conn, row)


def get_checkpoint(conn: psycopg.Connection, size: int) -> dict[str, Any] | None:
    """Return the checkpoint of one tree size, with its cosignature lines."""
    cur = conn.cursor(row_factory=dict_row)
    row = cur.execute(queries()["get_audit_checkpoint"], {"tree_size": size}).fetchone()
    return _with_cosignatures(conn, row)


def _with_cosignatures(conn: psycopg.Connection, row: dict | None) -> dict[str, Any] | None:
    if row is None:
        return None
    lines = (
        conn.cursor(row_factory=dict_row)
        .execute(queries()["list_audit_cosignatures"], {"tree_size": row["tree_size"]})
        .fetchall()
    )
    cosigned = row["note"] + "".join(line["signature_line"] for line in lines)
    return {**row, "root_hash": bytes(row["root_hash"]), "note": cosigned}


def inclusion_proof(conn: psycopg.Connection, seq: int, size: int) -> list[bytes]:
    """Return the inclusion proof of the event at `seq` in the tree of `size` leaves."""
    if not 1 <= seq <= size:
        raise TreeTooSmall(f"seq {seq} is not in a tree of {size} events")
    try:
        # One read: a size beyond the stored tree shows as a missing node.
        proof = merkle.inclusion_proof(DatabaseHashes(conn), seq - 1, size)
    except merkle.ProofError:
        raise _too_small(conn, size) from None
    if size == 1 and tree_size(conn) < 1:  # the one-leaf tree's proof reads no node
        raise _too_small(conn, size)
    return proof


def consistency_proof(conn: psycopg.Connection, first: int, second: int) -> list[bytes]:
    """Return the consistency proof from the tree of `first` leaves to that of `second`."""
    if first > second:
        raise TreeTooSmall(f"a tree of {first} events cannot be a prefix of one of {second}")
    try:
        proof = merkle.consistency_proof(DatabaseHashes(conn), first, second)
    except merkle.ProofError:
        raise _too_small(conn, second) from None
    if not proof and second > tree_size(conn):  # equal or empty sizes read no node
        raise _too_small(conn, second)
    return proof


def _too_small(conn: psycopg.Connection, size: int) -> TreeTooSmall:
    return TreeTooSmall(f"the tree has {tree_size(conn)} events, not {size}")


def open_alarm(conn: psycopg.Connection) -> dict[str, Any] | None:
    """Return the signer's newest refusal if no checkpoint was signed since, else None."""
    return conn.cursor(row_factory=dict_row).execute(queries()["get_audit_open_alarm"]).fetchone()
