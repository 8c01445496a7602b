"""An independent RFC 9162 section 2.1 implementation for tests: recursive, straight from the text.

Nothing here imports the code under test. The verifiers replay the recursive definitions of
PATH and SUBPROOF, consuming the proof from its end (the top-level sibling comes last), so they
share no logic with the bit-walking verifiers in service/audit/merkle.py.
"""

from __future__ import annotations

import hashlib


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(leaves: list[bytes]) -> bytes:
    """MTH(D[n]) over leaf data."""
    n = len(leaves)
    if n == 0:
        return _h(b"")
    if n == 1:
        return _h(b"\x00" + leaves[0])
    k = _k(n)
    return _h(b"\x01" + mth(leaves[:k]) + mth(leaves[k:]))


def path(m: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(m, D[n])."""
    n = len(leaves)
    if n <= 1:
        return []
    k = _k(n)
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n])."""
    return _subproof(m, leaves, True)


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [mth(leaves)]
    k = _k(n)
    if m <= k:
        return _subproof(m, leaves[:k], whole) + [mth(leaves[k:])]
    return _subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def root_from_path(leaf_hash: bytes, m: int, n: int, hashes: list[bytes]) -> bytes | None:
    """Return the root that a PATH proof implies for leaf m of n, or None if it cannot fit."""
    hashes = list(hashes)

    def walk(m: int, n: int) -> bytes | None:
        if n == 1:
            return leaf_hash
        if not hashes:
            return None
        sibling = hashes.pop()
        k = _k(n)
        if m < k:
            inner = walk(m, k)
            return None if inner is None else _h(b"\x01" + inner + sibling)
        inner = walk(m - k, n - k)
        return None if inner is None else _h(b"\x01" + sibling + inner)

    if not 0 <= m < n:
        return None
    result = walk(m, n)
    return result if result is not None and not hashes else None


def roots_from_proof(
    m: int, n: int, hashes: list[bytes], old_root: bytes
) -> tuple[bytes, bytes] | None:
    """Return the (old, new) roots a PROOF implies, or None if it cannot fit."""
    hashes = list(hashes)

    def walk(m: int, n: int, whole: bool) -> tuple[bytes, bytes] | None:
        if m == n:
            if whole:
                return old_root, old_root
            if not hashes:
                return None
            value = hashes.pop()
            return value, value
        if not hashes:
            return None
        sibling = hashes.pop()
        k = _k(n)
        if m <= k:
            inner = walk(m, k, whole)
            if inner is None:
                return None
            return inner[0], _h(b"\x01" + inner[1] + sibling)
        inner = walk(m - k, n - k, False)
        if inner is None:
            return None
        return _h(b"\x01" + sibling + inner[0]), _h(b"\x01" + sibling + inner[1])

    if not 0 < m < n:
        return None
    result = walk(m, n, True)
    return result if result is not None and not hashes else None


def verify_inclusion(leaf_hash: bytes, m: int, n: int, hashes: list[bytes], root: bytes) -> bool:
    """Tell whether the PATH proof puts the leaf at m in the tree of n with this root."""
    return root_from_path(leaf_hash, m, n, hashes) == root


def verify_consistency(m: int, n: int, hashes: list[bytes], old: bytes, new: bytes) -> bool:
    """Tell whether the PROOF shows the tree of m leaves with root `old` is a prefix of `new`."""
    roots = roots_from_proof(m, n, hashes, old)
    return roots == (old, new)
