"""Hypothesis properties of audit sampling and the Kaplan–Markov p-value."""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.audit import (
    Batch,
    Contest,
    allocate,
    batch_error,
    kaplan_markov,
    macro_bounds,
    normalize_seed,
    ppeb_sample,
    sample,
    stratified_sample,
)

ID_CHARS = st.characters(min_codepoint=0x21, max_codepoint=0x7E)
table_ids = st.text(ID_CHARS, min_size=1, max_size=12)
frames = st.lists(table_ids, min_size=1, max_size=40, unique=True)
seeds = st.text(st.sampled_from("0123456789 \n"), min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)


@settings(deadline=None)
@given(seed=seeds, frame=frames, k=st.integers(0, 45))
def test_same_seed_and_frame_give_the_same_sample(seed: str, frame: list[str], k: int) -> None:
    assert sample(seed, frame, k) == sample(seed, list(frame), k)
    assert len(sample(seed, frame, k)) == min(k, len(frame))


@settings(deadline=None)
@given(seed=seeds, frame=frames, k=st.integers(0, 45), data=st.data())
def test_frame_order_does_not_matter(
    seed: str, frame: list[str], k: int, data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(frame))
    assert sample(seed, shuffled, k) == sample(seed, frame, k)
    labels = {t: f"s{len(t) % 3}" for t in frame}
    shuffled_labels = {t: labels[t] for t in shuffled}
    sizes = {s: k % 5 for s in set(labels.values())}
    assert stratified_sample(seed, shuffled_labels, sizes) == stratified_sample(seed, labels, sizes)
    weights = {t: i % 4 + 1 for i, t in enumerate(frame)}
    shuffled_weights = {t: weights[t] for t in shuffled}
    assert ppeb_sample(seed, shuffled_weights, 5) == ppeb_sample(seed, weights, 5)


@settings(deadline=None)
@given(seed=seeds, frame=frames, k=st.integers(0, 40))
def test_sample_grows_by_prefix_and_has_no_repeats(seed: str, frame: list[str], k: int) -> None:
    small, big = sample(seed, frame, k), sample(seed, frame, k + 1)
    assert big[: len(small)] == small
    assert len({d.table_id for d in big}) == len(big)
    assert [d.ticket for d in big] == sorted(d.ticket for d in big)


@settings(deadline=None)
@given(seed=seeds, spaces=st.lists(st.sampled_from([" ", "\t", "\n", "\r\n"]), max_size=5))
def test_seed_whitespace_is_irrelevant(seed: str, spaces: list[str]) -> None:
    noisy = "".join(spaces) + seed + "".join(spaces)
    assert normalize_seed(noisy) == normalize_seed(seed) == normalize_seed(normalize_seed(seed))
    assert sample(noisy, ["a", "b", "c"], 2) == sample(seed, ["a", "b", "c"], 2)


@settings(max_examples=30, deadline=None)
@given(seed=seeds, weights=st.lists(st.integers(0, 9), min_size=1, max_size=8))
def test_ppeb_frequencies_follow_the_weights(seed: str, weights: list[int]) -> None:
    if sum(weights) == 0:
        weights[0] = 1
    frame = {f"t{i}": w for i, w in enumerate(weights)}
    n = 2000
    counts = dict.fromkeys(frame, 0)
    for d in ppeb_sample(seed, frame, n):
        counts[d.table_id] += 1
    total = sum(weights)
    for t, w in frame.items():
        p = w / total
        if w == 0:
            assert counts[t] == 0
        else:  # within 6 binomial standard deviations
            assert abs(counts[t] - n * p) <= 6 * math.sqrt(n * p * (1 - p)) + 1


@settings(deadline=None)
@given(
    seed=seeds,
    weights=st.lists(st.integers(0, 50), min_size=1, max_size=10),
    scale=st.fractions(min_value=Fraction(1, 1000), max_value=1000),
)
def test_ppeb_is_invariant_to_scaling_the_weights(
    seed: str, weights: list[int], scale: Fraction
) -> None:
    if sum(weights) == 0:
        weights[-1] = 3
    frame: dict[str, int | Fraction] = {f"t{i}": w for i, w in enumerate(weights)}
    scaled: dict[str, int | Fraction] = {t: w * scale for t, w in frame.items()}
    assert ppeb_sample(seed, scaled, 20) == ppeb_sample(seed, frame, 20)


taints = st.lists(st.fractions(min_value=0, max_value=Fraction(99, 100)), max_size=30)
bounds_u = st.fractions(min_value=1, max_value=1000)


@settings(deadline=None)
@given(u=bounds_u, n=st.integers(1, 60))
def test_km_with_no_errors_decreases_geometrically(u: Fraction, n: int) -> None:
    p = kaplan_markov([0] * n, u)
    assert all(b <= a for a, b in itertools.pairwise(p))
    assert p[-1] == pytest.approx(float(1 - 1 / u) ** n)


@settings(deadline=None)
@given(ts=taints, u=bounds_u, i=st.integers(0, 29), bump=st.fractions(0, Fraction(1, 100)))
def test_km_is_monotone_in_each_taint(
    ts: list[Fraction], u: Fraction, i: int, bump: Fraction
) -> None:
    if not ts:
        return
    i %= len(ts)
    worse = list(ts)
    worse[i] = min(Fraction(99, 100), worse[i] + bump)
    assert all(b >= a for a, b in zip(kaplan_markov(ts, u), kaplan_markov(worse, u), strict=True))


@settings(deadline=None)
@given(ts=taints, u=bounds_u, extra=st.fractions(0, 100))
def test_km_is_monotone_in_the_total_bound(
    ts: list[Fraction], u: Fraction, extra: Fraction
) -> None:
    low, high = kaplan_markov(ts, u), kaplan_markov(ts, u + extra)
    assert all(b >= a for a, b in zip(low, high, strict=True))


@settings(deadline=None)
@given(ts=taints, u=bounds_u, j=st.integers(0, 29))
def test_km_is_infinite_after_a_full_taint(ts: list[Fraction], u: Fraction, j: int) -> None:
    j = min(j, len(ts))
    p = kaplan_markov([*ts[:j], Fraction(1), *ts[j:]], u)
    assert all(math.isinf(x) for x in p[j:])
    assert all(not math.isinf(x) for x in p[:j])


votes = st.tuples(st.integers(0, 300), st.integers(0, 300), st.integers(0, 300))


@settings(deadline=None)
@given(
    batches=st.lists(st.tuples(votes, st.integers(0, 200)), min_size=2, max_size=10),
    audited=st.lists(votes, min_size=10, max_size=10),
)
def test_taints_are_in_unit_interval_for_consistent_hand_counts(
    batches: list[tuple[tuple[int, int, int], int]], audited: list[tuple[int, int, int]]
) -> None:
    contest = Contest(("A", "B", "C"), ("A",))
    manifest = [Batch(f"t{i}", v, sum(v) + extra) for i, (v, extra) in enumerate(batches)]
    bounds = macro_bounds(contest, manifest)
    if bounds.tie:
        return
    for b, a in zip(manifest, audited, strict=False):
        # a hand count of no more ballots than the batch holds
        factor = min(1, b.ballots / max(1, sum(a)))
        a_fit = tuple(math.floor(x * factor) for x in a)
        err, taint = batch_error(bounds, b.table_id, a_fit)
        assert 0 <= err <= bounds.bound(b.table_id)
        assert 0 <= taint <= 1


@settings(deadline=None)
@given(
    n=st.integers(0, 500),
    spec=st.lists(st.tuples(st.floats(0, 100), st.integers(0, 80)), min_size=1, max_size=12),
)
def test_allocate_sums_and_caps(n: int, spec: list[tuple[float, int]]) -> None:
    weights = {f"h{i}": w for i, (w, _) in enumerate(spec)}
    caps = {f"h{i}": c for i, (_, c) in enumerate(spec)}
    got = allocate(n, weights, caps)
    assert sum(got.values()) == min(n, sum(caps.values()))
    assert all(0 <= got[h] <= caps[h] for h in got)
