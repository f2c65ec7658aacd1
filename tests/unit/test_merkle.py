"""Unit tests for actas.core.log.merkle: known answers, edge cases, node reads."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest

from actas.core.errors import NotFound, ProofError
from actas.core.log import merkle
from actas.core.log.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryNodes,
    NodeKey,
    appended_keys,
    appended_nodes,
    appended_nodes_many,
    check_consistency,
    check_inclusion,
    consistency_keys,
    consistency_proof,
    inclusion_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_inclusion_proof,
    root_from_leaf_hashes,
    root_keys,
    verify_consistency,
    verify_inclusion,
)

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "assets" / "merkle_vectors.json").read_text("utf-8")
)
LEAF_HASHES = [leaf_hash(bytes.fromhex(x)) for x in VECTORS["leaves"]]
ROOTS = {int(size): bytes.fromhex(h) for size, h in VECTORS["roots"].items()}
SOME_HASH = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")


def h(value: str) -> bytes:
    return bytes.fromhex(value)


@pytest.fixture
def tree() -> MemoryNodes:
    return MemoryNodes(LEAF_HASHES)


class CountingReader:
    """A NodeReader (one node per call) that counts its reads."""

    def __init__(self, inner: MemoryNodes) -> None:
        self.inner = inner
        self.reads = 0

    def node(self, level: int, index: int) -> bytes:
        self.reads += 1
        return self.inner.node(level, index)


class BatchReader:
    """A NodeBatchReader that counts its round trips."""

    def __init__(self, inner: MemoryNodes) -> None:
        self.inner = inner
        self.calls: list[Sequence[NodeKey]] = []

    def nodes(self, keys: Sequence[NodeKey]) -> Mapping[NodeKey, bytes]:
        self.calls.append(keys)
        return self.inner.nodes(keys)


# --------------------------------------------------------------------------- hashing


def test_hash_primitives() -> None:
    assert EMPTY_ROOT.hex() == VECTORS["empty_root"]
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"a", b"b") == hashlib.sha256(b"\x01ab").digest()
    assert leaf_hash(b"") == ROOTS[1]


def _isort_key(name: str) -> tuple[int, str]:
    """ruff RUF022 order: CONSTANTS, then Classes, then functions."""
    return (0 if name.isupper() else 1 if name[0].isupper() else 2, name)


def test_all_is_sorted_and_complete() -> None:
    assert merkle.__all__ == sorted(merkle.__all__, key=_isort_key)
    for name in merkle.__all__:
        assert hasattr(merkle, name)


# --------------------------------------------------------------------------- roots


@pytest.mark.parametrize("size", range(1, 9))
def test_known_roots(tree: MemoryNodes, size: int) -> None:
    assert root(size, tree) == ROOTS[size]
    assert root_from_leaf_hashes(LEAF_HASHES[:size]) == ROOTS[size]
    assert Frontier.from_nodes(size, tree).root() == ROOTS[size]


def test_empty_tree(tree: MemoryNodes) -> None:
    assert root(0, tree) == EMPTY_ROOT
    assert root_from_leaf_hashes([]) == EMPTY_ROOT
    assert Frontier().root() == EMPTY_ROOT
    assert root_keys(0) == ()


def test_root_keys() -> None:
    assert root_keys(1) == ((0, 0),)
    assert root_keys(8) == ((3, 0),)
    assert root_keys(7) == ((2, 0), (1, 2), (0, 6))
    assert root_keys(13) == ((3, 0), (2, 2), (0, 12))


# --------------------------------------------------------------------------- inclusion


@pytest.mark.parametrize("vector", VECTORS["inclusion"], ids=lambda v: f"{v['index']}-{v['size']}")
def test_known_inclusion_proofs(tree: MemoryNodes, vector: dict[str, Any]) -> None:
    index, size = vector["index"], vector["size"]
    expected = [h(x) for x in vector["proof"]]
    assert inclusion_proof(index, size, tree) == expected
    assert root_from_inclusion_proof(LEAF_HASHES[index], index, size, expected) == ROOTS[size]
    assert verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size])


def _inclusion_probes(
    index: int, size: int, proof: list[bytes], root_hash: bytes, leaf: bytes
) -> list[tuple[str, bytes, int, int, list[bytes], bytes]]:
    probes = [
        ("index - 1", leaf, index - 1, size, proof, root_hash),
        ("index + 1", leaf, index + 1, size, proof, root_hash),
        ("index ^ 2", leaf, index ^ 2, size, proof, root_hash),
        ("size * 2", leaf, index, size * 2, proof, root_hash),
        ("size // 2", leaf, index, size // 2, proof, root_hash),
        ("wrong leaf", leaf_hash(b"WrongLeaf"), index, size, proof, root_hash),
        ("short leaf", b"WrongLeaf", index, size, proof, root_hash),
        ("empty root", leaf, index, size, proof, EMPTY_ROOT),
        ("some root", leaf, index, size, proof, SOME_HASH),
        ("trailing garbage", leaf, index, size, [*proof, b""], root_hash),
        ("trailing root", leaf, index, size, [*proof, root_hash], root_hash),
        ("preceding garbage", leaf, index, size, [b"", *proof], root_hash),
        ("preceding root", leaf, index, size, [root_hash, *proof], root_hash),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 3", leaf, index, size, bad, root_hash))
    if proof:
        probes.append(("removed component", leaf, index, size, proof[:-1], root_hash))
    if len(proof) > 1:
        probes.append(("inserted", leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root_hash))
    return probes


@pytest.mark.parametrize(
    "vector", VECTORS["inclusion"][1:], ids=lambda v: f"{v['index']}-{v['size']}"
)
def test_corrupted_inclusion_proofs_fail(vector: dict[str, Any]) -> None:
    index, size = vector["index"], vector["size"]
    proof = [h(x) for x in vector["proof"]]
    probes = _inclusion_probes(index, size, proof, ROOTS[size], LEAF_HASHES[index])
    passed = [p[0] for p in probes if verify_inclusion(*p[1:])]
    assert passed == []


@pytest.mark.parametrize(("index", "size"), [(0, 0), (0, 1), (1, 0), (2, 1), (-1, 3)])
def test_inclusion_bad_roots_or_indices(index: int, size: int) -> None:
    assert not verify_inclusion(SOME_HASH, index, size, [], b"")
    assert not verify_inclusion(b"", index, size, [], EMPTY_ROOT)
    assert not verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_single_entry_inclusion() -> None:
    value = leaf_hash(b"data")
    assert verify_inclusion(value, 0, 1, [], value)
    assert not verify_inclusion(value, 0, 1, [], b"")
    assert not verify_inclusion(b"", 0, 1, [], value)
    assert not verify_inclusion(b"", 0, 1, [], b"")


def test_check_inclusion_reasons() -> None:
    proof = [h(x) for x in VECTORS["inclusion"][1]["proof"]]
    with pytest.raises(ProofError, match="not below tree size"):
        check_inclusion(LEAF_HASHES[0], 8, 8, proof, ROOTS[8])
    with pytest.raises(ProofError, match="too many"):
        check_inclusion(LEAF_HASHES[0], 0, 8, [*proof, SOME_HASH], ROOTS[8])
    with pytest.raises(ProofError, match="too few"):
        check_inclusion(LEAF_HASHES[0], 0, 8, proof[:-1], ROOTS[8])
    with pytest.raises(ProofError, match="proof element 1 has 3 bytes"):
        check_inclusion(LEAF_HASHES[0], 0, 8, [proof[0], b"abc", proof[2]], ROOTS[8])
    with pytest.raises(ProofError, match="does not lead to the root"):
        check_inclusion(LEAF_HASHES[1], 0, 8, proof, ROOTS[8])
    with pytest.raises(ProofError, match="root hash has 0 bytes"):
        check_inclusion(LEAF_HASHES[0], 0, 8, proof, b"")


def test_inclusion_proof_arguments(tree: MemoryNodes) -> None:
    with pytest.raises(ProofError, match="not below tree size"):
        inclusion_proof(8, 8, tree)
    with pytest.raises(ProofError, match="not below tree size"):
        inclusion_proof(0, 0, tree)
    with pytest.raises(ProofError, match="not below tree size"):
        inclusion_proof(-1, 4, tree)
    with pytest.raises(ProofError, match="negative"):
        inclusion_keys(0, -1)


def test_inclusion_keys() -> None:
    # Leaf 5 of 8: sibling leaf 4, node [6, 8), node [0, 4).
    assert inclusion_keys(5, 8) == ((0, 4), (1, 3), (2, 0))
    # Leaf 1 of 5: the right border [4, 5) is one leaf.
    assert inclusion_keys(1, 5) == ((0, 0), (1, 1), (0, 4))
    # Leaf 0 of 7: the ephemeral sibling [4, 7) is made of (1, 2) and (0, 6).
    assert inclusion_keys(0, 7) == ((0, 1), (1, 1), (1, 2), (0, 6))
    assert inclusion_keys(0, 1) == ()


# --------------------------------------------------------------------------- consistency


@pytest.mark.parametrize(
    "vector", VECTORS["consistency"], ids=lambda v: f"{v['old_size']}-{v['new_size']}"
)
def test_known_consistency_proofs(tree: MemoryNodes, vector: dict[str, Any]) -> None:
    old, new = vector["old_size"], vector["new_size"]
    expected = [h(x) for x in vector["proof"]]
    assert consistency_proof(old, new, tree) == expected
    assert verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def _consistency_probes(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> list[tuple[str, int, int, bytes, bytes, list[bytes]]]:
    probes = [
        ("old - 1", old - 1, new, old_root, new_root, proof),
        ("old + 1", old + 1, new, old_root, new_root, proof),
        ("old ^ 2", old ^ 2, new, old_root, new_root, proof),
        ("new * 2", old, new * 2, old_root, new_root, proof),
        ("new // 2", old, new // 2, old_root, new_root, proof),
        ("wrong old root", old, new, SOME_HASH, new_root, proof),
        ("wrong new root", old, new, old_root, SOME_HASH, proof),
        ("short root", old, new, b"WrongRoot", new_root, proof),
        ("swapped roots", old, new, new_root, old_root, proof),
        ("empty proof", old, new, old_root, new_root, []),
        ("trailing garbage", old, new, old_root, new_root, [*proof, b""]),
        ("trailing old root", old, new, old_root, new_root, [*proof, old_root]),
        ("trailing new root", old, new, old_root, new_root, [*proof, new_root]),
        ("preceding garbage", old, new, old_root, new_root, [b"", *proof]),
        ("preceding old root", old, new, old_root, new_root, [old_root, *proof]),
        ("preceding new root", old, new, old_root, new_root, [new_root, *proof]),
        ("preceding proof[0]", old, new, old_root, new_root, [proof[0], *proof]),
        ("truncated", old, new, old_root, new_root, proof[:-1]),
    ]
    for i in range(len(proof)):
        bad = list(proof)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        probes.append((f"proof[{i}] bit 4", old, new, old_root, new_root, bad))
    return probes


@pytest.mark.parametrize(
    "vector",
    [v for v in VECTORS["consistency"] if v["proof"]],
    ids=lambda v: f"{v['old_size']}-{v['new_size']}",
)
def test_corrupted_consistency_proofs_fail(vector: dict[str, Any]) -> None:
    old, new = vector["old_size"], vector["new_size"]
    proof = [h(x) for x in vector["proof"]]
    probes = _consistency_probes(old, new, ROOTS[old], ROOTS[new], proof)
    passed = [p[0] for p in probes if verify_consistency(*p[1:])]
    assert passed == []


R1 = SOME_HASH
R2 = hashlib.sha256(b"another").digest()


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof", "ok"),
    [
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (0, 0, EMPTY_ROOT, R2, [], False),
        (0, 0, R1, R1, [], False),  # an empty tree has the empty-tree root
        (0, 1, EMPTY_ROOT, R2, [], True),  # everything extends the empty tree
        (0, 1, R1, R2, [], False),
        (0, 1, EMPTY_ROOT, R2, [EMPTY_ROOT], False),  # the proof must be empty
        (1, 1, R2, R2, [], True),
        (1, 1, R1, R2, [], False),
        (1, 1, R1, R1, [EMPTY_ROOT], False),
        (1, 0, R1, R2, [], False),  # time travel
        (2, 1, R1, R2, [], False),
        (1, 2, R1, R2, [], False),  # empty proof
        (-1, 2, R1, R2, [], False),
        (1, 1, b"short", b"short", [], False),
    ],
)
def test_consistency_edge_cases(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes], ok: bool
) -> None:
    assert verify_consistency(old, new, old_root, new_root, proof) is ok


def test_check_consistency_reasons() -> None:
    proof = [h(x) for x in VECTORS["consistency"][2]["proof"]]  # 6 -> 8
    with pytest.raises(ProofError, match="above new tree size"):
        check_consistency(8, 6, ROOTS[8], ROOTS[6], proof)
    with pytest.raises(ProofError, match="is empty"):
        check_consistency(6, 8, ROOTS[6], ROOTS[8], [])
    with pytest.raises(ProofError, match="must be empty"):
        check_consistency(6, 6, ROOTS[6], ROOTS[6], proof)
    with pytest.raises(ProofError, match="roots differ"):
        check_consistency(6, 6, ROOTS[6], ROOTS[8], [])
    with pytest.raises(ProofError, match="too many"):
        check_consistency(6, 8, ROOTS[6], ROOTS[8], [*proof, SOME_HASH])
    with pytest.raises(ProofError, match="too few"):
        check_consistency(6, 8, ROOTS[6], ROOTS[8], proof[:-1])
    with pytest.raises(ProofError, match="old root"):
        check_consistency(6, 8, ROOTS[5], ROOTS[8], proof)
    with pytest.raises(ProofError, match="new root"):
        check_consistency(6, 8, ROOTS[6], ROOTS[7], proof)
    with pytest.raises(ProofError, match="proof element 0 has 1 bytes"):
        check_consistency(6, 8, ROOTS[6], ROOTS[8], [b"x", *proof[1:]])
    with pytest.raises(ProofError, match="empty-tree hash"):
        check_consistency(0, 8, ROOTS[6], ROOTS[8], [])


def test_consistency_proof_arguments(tree: MemoryNodes) -> None:
    with pytest.raises(ProofError, match="above new tree size"):
        consistency_proof(5, 4, tree)
    with pytest.raises(ProofError, match="negative"):
        consistency_proof(-1, 4, tree)
    assert consistency_proof(0, 8, tree) == []
    assert consistency_proof(8, 8, tree) == []
    assert consistency_proof(0, 0, tree) == []


def test_consistency_keys() -> None:
    assert consistency_keys(6, 8) == ((1, 2), (1, 3), (2, 0))
    assert consistency_keys(4, 8) == ((2, 1),)  # old size a power of two: no own node
    assert consistency_keys(3, 3) == ()
    assert consistency_keys(0, 3) == ()


# --------------------------------------------------------------------------- node sources


def test_sources_mapping_batch_and_single(tree: MemoryNodes) -> None:
    keys = inclusion_keys(5, 7)
    mapping = {key: tree.node(*key) for key in keys}
    expected = inclusion_proof(5, 7, tree)
    assert inclusion_proof(5, 7, mapping) == expected

    single = CountingReader(tree)
    assert inclusion_proof(5, 7, single) == expected
    assert single.reads == len(keys)

    batch = BatchReader(tree)
    assert inclusion_proof(5, 7, batch) == expected
    assert batch.calls == [keys]


def test_missing_node_in_mapping() -> None:
    with pytest.raises(NotFound, match=r"level 2, index 0"):
        root(4, {})


def test_wrong_sized_node_is_rejected() -> None:
    with pytest.raises(ProofError, match="has 3 bytes"):
        root(1, {(0, 0): b"abc"})


def test_empty_key_list_makes_no_round_trip(tree: MemoryNodes) -> None:
    batch = BatchReader(tree)
    assert consistency_proof(8, 8, batch) == []
    assert batch.calls == []


def test_reads_are_logarithmic() -> None:
    size = 1000
    store = MemoryNodes(leaf_hash(i.to_bytes(4, "big")) for i in range(size))
    reader = CountingReader(store)
    for index in (0, 1, 499, 512, 998, 999):
        reader.reads = 0
        proof = inclusion_proof(index, size, reader)
        assert reader.reads <= 2 * size.bit_length()
        assert verify_inclusion(store.node(0, index), index, size, proof, root(size, store))
    reader.reads = 0
    proof = consistency_proof(333, size, reader)
    assert reader.reads <= 2 * size.bit_length()
    assert verify_consistency(333, size, root(333, store), root(size, store), proof)


# --------------------------------------------------------------------------- appending


def test_appended_keys() -> None:
    assert appended_keys(0) == ()
    assert appended_keys(6) == ()
    assert appended_keys(7) == ((0, 6), (1, 2), (2, 0))
    assert appended_keys(5) == ((0, 4),)


def test_appended_nodes_of_leaf_eight() -> None:
    store = MemoryNodes(LEAF_HASHES[:7])
    created = appended_nodes(7, LEAF_HASHES[7], store)
    assert [key for key, _ in created] == [(0, 7), (1, 3), (2, 1), (3, 0)]
    assert created[-1][1] == ROOTS[8]


def test_append_and_extend_agree() -> None:
    one_by_one = MemoryNodes()
    emitted = []
    for value in LEAF_HASHES:
        emitted.extend(one_by_one.append(value))
    frontier, batch = Frontier().extend(LEAF_HASHES)
    assert batch == emitted
    assert frontier.root() == ROOTS[8]
    assert appended_nodes_many(0, LEAF_HASHES, {}) == emitted
    store = MemoryNodes(LEAF_HASHES[:3])
    assert appended_nodes_many(3, LEAF_HASHES[3:], store) == emitted[4:]
    assert len(one_by_one) == 15  # 8 leaves + 4 + 2 + 1


def test_frontier_append_is_pure() -> None:
    start = Frontier()
    after, created = start.append(LEAF_HASHES[0])
    assert start == Frontier()
    assert after == Frontier(1, (LEAF_HASHES[0],))
    assert created == [((0, 0), LEAF_HASHES[0])]
    assert after.keys() == ((0, 0),)


def test_frontier_validation() -> None:
    with pytest.raises(ProofError, match="has 1 hashes, not 0"):
        Frontier(1, ())
    with pytest.raises(ProofError, match="frontier hash 0 has 2 bytes"):
        Frontier(1, (b"ab",))
    with pytest.raises(ProofError, match="negative"):
        Frontier(-1, ())
    with pytest.raises(ProofError, match="leaf hash 0 has 1 bytes"):
        Frontier().extend([b"x"])
    with pytest.raises(ProofError, match="leaf hash has 1 bytes"):
        appended_nodes(0, b"x", {})


def test_memory_nodes_is_append_only() -> None:
    store = MemoryNodes(LEAF_HASHES[:2])
    store.put(0, 1, LEAF_HASHES[1])  # the same value again is fine
    with pytest.raises(ValueError, match="another hash"):
        store.put(0, 1, LEAF_HASHES[2])
    with pytest.raises(ValueError, match="gap"):
        store.put(0, 5, LEAF_HASHES[2])
    with pytest.raises(ValueError, match="bad node key"):
        store.put(-1, 0, LEAF_HASHES[2])
    with pytest.raises(NotFound):
        store.node(1, 1)
    with pytest.raises(NotFound):
        store.node(-1, 0)
    assert store.size == 2
    assert MemoryNodes().size == 0


def test_perfect_root_is_the_tree_hash_of_a_power_of_two_of_leaves() -> None:
    hashes = [merkle.leaf_hash(bytes([i])) for i in range(64)]
    for n in (1, 2, 4, 8, 64):
        assert merkle.perfect_root(hashes[:n]) == merkle.root_from_leaf_hashes(hashes[:n])
    for n in (0, 3, 6, 63):
        with pytest.raises(ValueError):
            merkle.perfect_root(hashes[:n])
