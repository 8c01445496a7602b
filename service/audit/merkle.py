"""RFC 9162 Merkle tree hashes and proofs as pure functions over a reader of stored hashes.

Storage keeps the hash of every complete subtree: the node at (level, index) covers leaves
[index * 2**level, (index + 1) * 2**level). Any range the RFC's recursive definitions meet is a
short run of such nodes (its binary decomposition), so a tree hash, an inclusion proof or a
consistency proof reads O(log n) stored hashes in one batch and computes the rest here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Protocol

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()

NodeIndex = tuple[int, int]  # (level, index)


class ProofError(ValueError):
    """A proof was asked for sizes or indexes that do not exist, or does not verify."""


class HashReader(Protocol):
    """Reads stored complete-subtree hashes."""

    def read_hashes(self, indexes: Sequence[NodeIndex]) -> list[bytes]:
        """Return the hash of each (level, index), in the order asked."""


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 hash of a leaf: SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 hash of an interior node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """Return the largest power of two smaller than size (size > 1)."""
    return 1 << ((size - 1).bit_length() - 1)


def decompose(start: int, end: int) -> list[NodeIndex]:
    """Return the complete subtrees covering leaves [start, end), left to right.

    `start` must be aligned for the range, as every range in the RFC's recursion is.
    """
    nodes = []
    while start < end:
        size = end - start
        level = size.bit_length() - 1
        # The largest aligned power of two that fits from start.
        while start % (1 << level):
            level -= 1
        nodes.append((level, start >> level))
        start += 1 << level
    return nodes


def _fold(hashes: Sequence[bytes]) -> bytes:
    """Combine the hashes of a range's complete subtrees, right to left (RFC 9162 MTH)."""
    result = hashes[-1]
    for value in reversed(hashes[:-1]):
        result = node_hash(value, result)
    return result


def _range_hashes(reader: HashReader, ranges: Sequence[tuple[int, int]]) -> list[bytes]:
    """Return the RFC 9162 hash of each leaf range, reading all stored nodes in one batch."""
    parts = [decompose(start, end) for start, end in ranges]
    wanted = sorted({node for nodes in parts for node in nodes})
    stored = dict(zip(wanted, reader.read_hashes(wanted), strict=True)) if wanted else {}
    return [_fold([stored[node] for node in nodes]) for nodes in parts]


def tree_hash(reader: HashReader, size: int) -> bytes:
    """Return the root hash of the tree of the first `size` leaves."""
    if size == 0:
        return EMPTY_ROOT
    return _range_hashes(reader, [(0, size)])[0]


def _inclusion_ranges(index: int, start: int, end: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PATH(index, D[start:end]) (RFC 9162 2.1.3.1)."""
    ranges = []
    while end - start > 1:
        k = _split(end - start)
        if index < start + k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start += k
    ranges.reverse()  # the proof lists the sibling nearest the leaf first
    return ranges


def inclusion_proof(reader: HashReader, index: int, size: int) -> list[bytes]:
    """Return the inclusion proof of leaf `index` in the tree of `size` leaves."""
    if not 0 <= index < size:
        raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    return _range_hashes(reader, _inclusion_ranges(index, 0, size))


def _consistency_ranges(first: int, second: int) -> list[tuple[int, int]]:
    """Return the leaf ranges whose hashes form PROOF(first, D[second]) (RFC 9162 2.1.4.1)."""
    ranges: list[tuple[int, int]] = []
    start, end, m, whole = 0, second, first, True
    while True:
        if m == end - start:
            if not whole:
                ranges.append((start, end))
            break
        k = _split(end - start)
        if m <= k:
            ranges.append((start + k, end))
            end = start + k
        else:
            ranges.append((start, start + k))
            start, m, whole = start + k, m - k, False
    ranges.reverse()
    return ranges


def consistency_proof(reader: HashReader, first: int, second: int) -> list[bytes]:
    """Return the consistency proof from the tree of `first` leaves to that of `second`."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first == 0 or first == second:
        return []
    return _range_hashes(reader, _consistency_ranges(first, second))


def verify_inclusion(
    leaf: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """Tell whether `proof` shows the leaf hash at `index` in the tree (RFC 9162 2.1.3.2)."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if len(p) != HASH_SIZE or sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


def verify_consistency(
    first: int, second: int, proof: Sequence[bytes], first_root: bytes, second_root: bytes
) -> bool:
    """Tell whether `proof` shows tree `first` is a prefix of tree `second` (RFC 9162 2.1.4.2)."""
    if not 0 <= first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if first == 0:
        return not proof
    if not proof or any(len(p) != HASH_SIZE for p in proof):
        return False
    path = list(proof)
    if first & (first - 1) == 0:  # a power of two: the old root is the first node of the path
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0


class Frontier:
    """The right edge of a tree: the complete subtrees of its binary decomposition.

    Appending a leaf returns the complete-subtree hashes that become storable, so a writer
    extends the stored tree without reading it.
    """

    def __init__(self, size: int = 0, hashes: Iterable[bytes] = ()):
        self.size = size
        self.hashes = list(hashes)
        if len(self.hashes) != bin(size).count("1"):
            raise ValueError(f"a tree of size {size} has {bin(size).count('1')} edge hashes")

    @classmethod
    def load(cls, reader: HashReader, size: int) -> Frontier:
        """Read the frontier of the stored tree of `size` leaves."""
        nodes = decompose(0, size)
        return cls(size, reader.read_hashes(nodes) if nodes else [])

    def copy(self) -> Frontier:
        """Return an independent copy."""
        return Frontier(self.size, self.hashes)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Append a leaf hash; return the (level, index, hash) of every node it completes."""
        index = self.size
        nodes = [(0, index, leaf)]
        value, level = leaf, 0
        # Each trailing 1 bit of the old size is a complete sibling on the left to merge with.
        while (index >> level) & 1:
            value = node_hash(self.hashes.pop(), value)
            level += 1
            nodes.append((level, index >> level, value))
        self.hashes.append(value)
        self.size += 1
        return nodes

    def root(self) -> bytes:
        """Return the root hash of the tree."""
        return _fold(self.hashes) if self.hashes else EMPTY_ROOT


class MemoryHashes:
    """A HashReader over a dict, filled by appending leaves (verifiers, tests)."""

    def __init__(self) -> None:
        self.nodes: dict[NodeIndex, bytes] = {}
        self.frontier = Frontier()

    def append(self, leaf: bytes) -> None:
        """Append a leaf hash."""
        for level, index, value in self.frontier.append(leaf):
            self.nodes[(level, index)] = value

    def read_hashes(self, indexes: Sequence[NodeIndex]) -> list[bytes]:
        """Return the stored hash of each node."""
        try:
            return [self.nodes[node] for node in indexes]
        except KeyError as exc:
            raise ProofError(f"node {exc.args[0]} is not stored") from exc


def inclusion_proofs(reader: HashReader, indexes: Sequence[int], size: int) -> list[list[bytes]]:
    """Return the inclusion proofs of many leaves in one tree, reading stored hashes once."""
    for index in indexes:
        if not 0 <= index < size:
            raise ProofError(f"leaf index {index} is not in a tree of size {size}")
    per_leaf = [_inclusion_ranges(index, 0, size) for index in indexes]
    flat = sorted({span for spans in per_leaf for span in spans})
    hashes = dict(zip(flat, _range_hashes(reader, flat), strict=True)) if flat else {}
    return [[hashes[span] for span in spans] for spans in per_leaf]
