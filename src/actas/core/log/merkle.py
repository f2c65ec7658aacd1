"""RFC 9162 Merkle tree hashing, stored as perfect subtrees, with proofs.

The public face of the tree; the parts live beside it: :mod:`.treehash` (the
hashes and reference roots), :mod:`.nodes` (node keys, node sources, the root),
:mod:`.proofs` (inclusion and consistency proofs), :mod:`.frontier` (appending)
and :mod:`.nodestore` (:class:`MemoryNodes`).

The log's tree is the one of RFC 9162 §2.1 (identical to RFC 6962 §2.1)::

    leaf_hash(d)     = SHA-256(0x00 || d)
    node_hash(l, r)  = SHA-256(0x01 || l || r)
    MTH({})          = SHA-256("")

**Storage model.** A log keeps only *perfect subtree hashes*: the node
``(level k, index i)`` is the hash of the complete subtree over the leaves
``[i·2^k, (i+1)·2^k)``. Such a node exists once the tree holds ``(i+1)·2^k``
leaves and never changes afterwards, so a store can keep them in an append-only
table. Every hash that is not perfect (the right border of a tree whose size is
not a power of two) is recombined on demand from the O(log n) perfect nodes
under it. Nothing here ever rebuilds a tree.

**Two-phase reads.** Each operation first says *which* perfect nodes it needs
(:func:`root_keys`, :func:`inclusion_keys`, :func:`consistency_keys`,
:func:`appended_keys`) and is then given their hashes as a :class:`NodeSource`:
a plain mapping (a database fetches all keys in one round trip), an object with
a batched ``nodes(keys)`` method (:class:`NodeBatchReader`), or one with a
``node(level, index)`` method (:class:`NodeReader`).

**Appending.** :class:`Frontier` is the compact range ``[0, size)``: the hashes
of the perfect nodes named by ``root_keys(size)``. Feeding it leaf hashes emits
every new perfect node, which is all a store has to insert.

**Errors.** Producing a root or a proof with impossible arguments (an index not
below the size, an old size above the new one, a negative size) raises
:class:`~actas.core.errors.ProofError`; a node missing from a mapping raises
:class:`~actas.core.errors.NotFound`. Verification never raises for bad input:
:func:`verify_inclusion` and :func:`verify_consistency` return ``False``, and
:func:`check_inclusion` / :func:`check_consistency` raise ``ProofError`` naming
the reason (wrong proof length, index out of range, hash of the wrong size, ...).
"""

from __future__ import annotations

from actas.core.log.frontier import (
    Frontier,
    appended_keys,
    appended_nodes,
    appended_nodes_many,
)
from actas.core.log.nodes import (
    NodeBatchReader,
    NodeEntry,
    NodeKey,
    NodeReader,
    NodeSource,
    root,
    root_keys,
)
from actas.core.log.nodestore import (
    MemoryNodes,
)
from actas.core.log.proofs import (
    check_consistency,
    check_inclusion,
    consistency_keys,
    consistency_proof,
    inclusion_keys,
    inclusion_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)
from actas.core.log.treehash import (
    EMPTY_ROOT,
    HASH_SIZE,
    leaf_hash,
    node_hash,
    perfect_root,
    root_from_leaf_hashes,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "Frontier",
    "MemoryNodes",
    "NodeBatchReader",
    "NodeEntry",
    "NodeKey",
    "NodeReader",
    "NodeSource",
    "appended_keys",
    "appended_nodes",
    "appended_nodes_many",
    "check_consistency",
    "check_inclusion",
    "consistency_keys",
    "consistency_proof",
    "inclusion_keys",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "perfect_root",
    "root",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "root_keys",
    "verify_consistency",
    "verify_inclusion",
]
