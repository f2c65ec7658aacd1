"""RFC 9162 §2.1 tree hashing: the leaf and interior hashes, and reference roots.

    leaf_hash(d)     = SHA-256(0x00 || d)
    node_hash(l, r)  = SHA-256(0x01 || l || r)
    MTH({})          = SHA-256("")

The building blocks every other Merkle module (:mod:`actas.core.log.merkle`)
hashes with, plus the direct transcriptions of ``MTH`` that tests use as an oracle.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from actas.core.errors import ProofError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "LEAF_PREFIX",
    "NODE_PREFIX",
    "check_hash",
    "fold",
    "leaf_hash",
    "node_hash",
    "perfect_root",
    "root_from_leaf_hashes",
    "sha256",
]

#: Size in bytes of every hash in the tree (SHA-256).
HASH_SIZE = 32

#: Root hash of the empty tree: SHA-256 of the empty string.
EMPTY_ROOT = hashlib.sha256(b"").digest()


#: Domain-separation prefix of a leaf hash.
LEAF_PREFIX = b"\x00"

#: Domain-separation prefix of an interior node hash.
NODE_PREFIX = b"\x01"

#: The hash function of the tree.
sha256 = hashlib.sha256


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior hash ``SHA-256(0x01 || left || right)``."""
    return sha256(NODE_PREFIX + left + right).digest()


def check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} has {len(value)} bytes, expected {HASH_SIZE}")


def fold(hashes: Sequence[bytes]) -> bytes:
    """Right fold: ``node_hash(h0, node_hash(h1, ... hn))``."""
    acc = hashes[-1]
    for value in reversed(hashes[:-1]):
        acc = sha256(NODE_PREFIX + value + acc).digest()
    return acc


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The hash of a perfect subtree (``len(hashes)`` a power of two) over the hashes
    of its leaves, level by level: a store that keeps only the upper levels of the
    tree rebuilds a lower node with this from the leaves under it."""
    n = len(hashes)
    if n == 0 or n & (n - 1):
        raise ValueError(f"a perfect subtree has a power of two of leaves, not {n}")
    row = list(hashes)
    while len(row) > 1:
        row = [sha256(NODE_PREFIX + row[i] + row[i + 1]).digest() for i in range(0, len(row), 2)]
    return row[0]


def root_from_leaf_hashes(leaf_hashes: Sequence[bytes]) -> bytes:
    """Reference ``MTH`` of RFC 9162 §2.1.1 over already-hashed leaves.

    A direct recursive transcription (split at the largest power of two below
    the size): O(n) hashing and no shortcuts, used as the oracle in tests and
    as the naive baseline in benchmarks.
    """

    def mth(lo: int, hi: int) -> bytes:
        n = hi - lo
        if n == 1:
            return leaf_hashes[lo]
        k = 1 << ((n - 1).bit_length() - 1)
        return node_hash(mth(lo, lo + k), mth(lo + k, hi))

    if not leaf_hashes:
        return EMPTY_ROOT
    return mth(0, len(leaf_hashes))
