"""Property tests for actas.core.log.merkle against a direct transcription of RFC 9162.

The oracle below follows the RFC's recursive definitions (MTH, PATH, PROOF and
SUBPROOF over the leaf list) and never looks at stored nodes; the code under
test builds everything from perfect subtree nodes.
"""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.log.merkle import (
    EMPTY_ROOT,
    Frontier,
    MemoryNodes,
    appended_nodes,
    consistency_keys,
    consistency_proof,
    inclusion_keys,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

MAX_SIZE = 300
# Distinct leaves: a proof can only be "reused" for another index if two leaves collide.
LEAVES = [leaf_hash(i.to_bytes(4, "big")) for i in range(MAX_SIZE)]
STORE = MemoryNodes(LEAVES)


def _split(n: int) -> int:
    """Largest power of two strictly below n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


@cache
def mth(lo: int, hi: int) -> bytes:
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return LEAVES[lo]
    k = _split(n)
    return node_hash(mth(lo, lo + k), mth(lo + k, hi))


def ref_path(m: int, lo: int, hi: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(m, D[lo:hi])."""
    n = hi - lo
    if n == 1:
        return []
    k = _split(n)
    if m < k:
        return [*ref_path(m, lo, lo + k), mth(lo + k, hi)]
    return [*ref_path(m - k, lo + k, hi), mth(lo, lo + k)]


def ref_subproof(m: int, lo: int, hi: int, b: bool) -> list[bytes]:
    """RFC 9162 §2.1.4.1 SUBPROOF(m, D[lo:hi], b)."""
    n = hi - lo
    if m == n:
        return [] if b else [mth(lo, hi)]
    k = _split(n)
    if m <= k:
        return [*ref_subproof(m, lo, lo + k, b), mth(lo + k, hi)]
    return [*ref_subproof(m - k, lo + k, hi, False), mth(lo, lo + k)]


def flip(proof: list[bytes], element: int, byte: int, bit: int) -> list[bytes]:
    bad = list(proof)
    value = bytearray(bad[element])
    value[byte] ^= 1 << bit
    bad[element] = bytes(value)
    return bad


sizes = st.integers(min_value=1, max_value=MAX_SIZE)


@st.composite
def size_and_index(draw: st.DrawFn) -> tuple[int, int]:
    size = draw(sizes)
    return size, draw(st.integers(min_value=0, max_value=size - 1))


@st.composite
def two_sizes(draw: st.DrawFn) -> tuple[int, int]:
    new = draw(sizes)
    return draw(st.integers(min_value=1, max_value=new)), new


def test_every_proof_of_small_trees_matches_reference() -> None:
    """Exhaustive up to 33 leaves: every index, every pair of sizes."""
    for size in range(1, 34):
        for index in range(size):
            assert inclusion_proof(index, size, STORE) == ref_path(index, 0, size)
        for old in range(1, size + 1):
            proof = consistency_proof(old, size, STORE)
            assert proof == ref_subproof(old, 0, size, True)
            assert verify_consistency(old, size, mth(0, old), mth(0, size), proof)


@given(st.integers(min_value=0, max_value=MAX_SIZE))
def test_root_matches_reference(size: int) -> None:
    expected = mth(0, size)
    assert root(size, STORE) == expected
    assert root_from_leaf_hashes(LEAVES[:size]) == expected
    assert Frontier.from_nodes(size, STORE).root() == expected


@settings(max_examples=300)
@given(size_and_index())
def test_inclusion_matches_reference_and_verifies(case: tuple[int, int]) -> None:
    size, index = case
    proof = inclusion_proof(index, size, STORE)
    assert proof == ref_path(index, 0, size)
    assert len(inclusion_keys(index, size)) <= 2 * size.bit_length()
    assert verify_inclusion(LEAVES[index], index, size, proof, mth(0, size))


@settings(max_examples=300)
@given(two_sizes())
def test_consistency_matches_reference_and_verifies(case: tuple[int, int]) -> None:
    old, new = case
    proof = consistency_proof(old, new, STORE)
    assert proof == ref_subproof(old, 0, new, True)
    assert len(consistency_keys(old, new)) <= 2 * new.bit_length() + 1
    assert verify_consistency(old, new, mth(0, old), mth(0, new), proof)


@given(size_and_index(), st.data())
def test_altered_inclusion_proof_fails(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    proof = inclusion_proof(index, size, STORE)
    good_root = mth(0, size)
    byte = data.draw(st.integers(0, 31), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    # Any flipped bit anywhere: leaf, root or a proof element.
    assert not verify_inclusion(
        flip([LEAVES[index]], 0, byte, bit)[0], index, size, proof, good_root
    )
    assert not verify_inclusion(
        LEAVES[index], index, size, proof, flip([good_root], 0, byte, bit)[0]
    )
    if proof:
        element = data.draw(st.integers(0, len(proof) - 1), label="element")
        bad = flip(proof, element, byte, bit)
        assert not verify_inclusion(LEAVES[index], index, size, bad, good_root)
        assert not verify_inclusion(LEAVES[index], index, size, proof[:-1], good_root)
    assert not verify_inclusion(LEAVES[index], index, size, [*proof, good_root], good_root)


@given(size_and_index(), st.data())
def test_inclusion_proof_binds_index_and_tree(case: tuple[int, int], data: st.DataObject) -> None:
    size, index = case
    proof = inclusion_proof(index, size, STORE)
    other = data.draw(st.integers(-2, size + 2).filter(lambda i: i != index), label="index")
    assert not verify_inclusion(LEAVES[index], other, size, proof, mth(0, size))
    # Another tree size: the proof does not lead to that tree's root. (It may
    # lead to this tree's root under another size of the same shape: the size
    # is authenticated with the root by the checkpoint, not by the proof.)
    other_size = data.draw(
        st.integers(1, MAX_SIZE).filter(lambda n: n != size and n > index), label="size"
    )
    assert not verify_inclusion(LEAVES[index], index, other_size, proof, mth(0, other_size))


@given(two_sizes(), st.data())
def test_altered_consistency_proof_fails(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    proof = consistency_proof(old, new, STORE)
    old_root, new_root = mth(0, old), mth(0, new)
    byte = data.draw(st.integers(0, 31), label="byte")
    bit = data.draw(st.integers(0, 7), label="bit")
    if old == new:
        assert proof == []
        assert not verify_consistency(old, new, old_root, flip([new_root], 0, byte, bit)[0], [])
        return
    assert not verify_consistency(old, new, flip([old_root], 0, byte, bit)[0], new_root, proof)
    assert not verify_consistency(old, new, old_root, flip([new_root], 0, byte, bit)[0], proof)
    element = data.draw(st.integers(0, len(proof) - 1), label="element")
    assert not verify_consistency(old, new, old_root, new_root, flip(proof, element, byte, bit))
    assert not verify_consistency(old, new, old_root, new_root, proof[:-1])
    assert not verify_consistency(old, new, old_root, new_root, [*proof, new_root])
    assert not verify_consistency(new, old, new_root, old_root, proof)


@given(two_sizes(), st.data())
def test_consistency_proof_binds_sizes(case: tuple[int, int], data: st.DataObject) -> None:
    old, new = case
    proof = consistency_proof(old, new, STORE)
    # (Old size 0 is left out: every tree extends the empty one with an empty proof.)
    if new > 1:
        other_old = data.draw(st.integers(1, new - 1), label="old")
        other_old += other_old >= old  # any size in [1, new] but old
        assert not verify_consistency(other_old, new, mth(0, other_old), mth(0, new), proof)
    if new < MAX_SIZE:
        other_new = data.draw(st.integers(old, MAX_SIZE - 1), label="new")
        other_new += other_new >= new  # any size in [old, MAX_SIZE] but new
        assert not verify_consistency(old, other_new, mth(0, old), mth(0, other_new), proof)


@given(st.lists(st.integers(1, 40), max_size=8))
def test_frontier_chunks_equal_single_appends(chunks: list[int]) -> None:
    total = min(sum(chunks), MAX_SIZE)
    singles = MemoryNodes()
    expected = []
    for value in LEAVES[:total]:
        created = appended_nodes(singles.size, value, singles)
        singles.put_many(created)
        expected.extend(created)
    frontier = Frontier()
    emitted = []
    position = 0
    for chunk in chunks:
        piece = LEAVES[position : min(position + chunk, total)]
        frontier, created = frontier.extend(piece)
        emitted.extend(created)
        position += len(piece)
        assert frontier.root() == mth(0, position)
        assert frontier == Frontier.from_nodes(position, STORE)
    assert emitted == expected
    assert frontier.size == total
