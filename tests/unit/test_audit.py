"""Unit tests of the pure audit core: sampling, quick count, batch-comparison RLA."""

from __future__ import annotations

import hashlib
import math
from fractions import Fraction

import numpy as np
import pytest

import actas.core.audit as audit
from actas.core.audit import (
    Batch,
    Contest,
    Draw,
    MacroBounds,
    RlaStatus,
    StratumPlan,
    allocate,
    batch_error,
    design_effect,
    design_quick_count,
    draw_batches,
    error_bound,
    estimate_quick_count,
    evaluate,
    frame_bytes,
    frame_sha256,
    initial_sample_size,
    kaplan_markov,
    macro_bounds,
    normalize_seed,
    ppeb_sample,
    ratio_estimate,
    sample,
    stratified_sample,
    ticket,
)
from actas.core.errors import InputError

SEED = "12345678901234567890"
IDS = [f"{c:09d}.{m:02d}" for c in range(100, 140) for m in (1, 2, 3)]


def test_all_is_sorted_and_complete() -> None:
    assert list(audit.__all__) == sorted(audit.__all__)
    public = {n for n in dir(audit) if not n.startswith("_")} - {"annotations"}
    public -= {"macro", "quickcount", "rla", "rounds", "sampling", "commitment", "trail", "leaves",
               "summary"}  # fmt: skip
    assert set(audit.__all__) == public


# -- seed and frame ---------------------------------------------------------------------


def test_seed_normalisation_deletes_ascii_whitespace_only() -> None:
    assert normalize_seed(" 1234 5678\n9012\t3456\r\n7890 ") == "12345678901234567890"
    assert normalize_seed("AbC-9") == "AbC-9"
    for bad in ["", " \n\t", "12\u00a034", "dé", "12\x0034"]:
        with pytest.raises(InputError):
            normalize_seed(bad)


def test_known_answer_ticket_and_frame_hash() -> None:
    msg = b"actas-audit-v1\nticket\n12345678901234567890\n201301006.01\n1"
    assert len(msg) == 57
    expected = "14fc822375c095492b069a31b1bf64513058cc1c91d38f2985165ae584213e86"
    assert hashlib.sha256(msg).hexdigest() == expected
    assert ticket(SEED, "201301006.01") == int(expected, 16)
    assert ticket("1234 5678 9012 3456 7890", "201301006.01", 1) == int(expected, 16)
    assert ticket(SEED, "201301006.01", 2) != int(expected, 16)
    assert frame_bytes(["b.02", "a.01"]) == b"a.01\nb.02\n"
    assert (
        frame_sha256(["b.02", "a.01"])
        == "cb37c91696b68876c9804b4f31be3554ce2a3317e0d6e6a7e31cffd275de55c9"
    )
    strata = {"b.02": "Y", "a.01": "X"}
    assert frame_bytes(strata, strata) == b"a.01 X\nb.02 Y\n"


@pytest.mark.parametrize("bad", [["a", "a"], ["a b"], [""], ["a\n"], ["ñ.01"]])
def test_frame_rejects_duplicates_and_bad_ids(bad: list[str]) -> None:
    with pytest.raises(InputError):
        frame_bytes(bad)
    with pytest.raises(InputError):
        sample(SEED, bad, 1)


def test_frame_with_strata_needs_every_table() -> None:
    with pytest.raises(InputError, match="no stratum"):
        frame_bytes(["a", "b"], {"a": "X"})
    with pytest.raises(InputError):
        frame_bytes(["a"], {"a": "has space"})


# -- samples ----------------------------------------------------------------------------


def test_sample_is_the_k_smallest_tickets_in_order() -> None:
    got = sample(SEED, IDS, 7)
    by_ticket = sorted(IDS, key=lambda t: ticket(SEED, t))
    assert [d.table_id for d in got] == by_ticket[:7]
    assert [d.number for d in got] == list(range(1, 8))
    assert all(d.ticket == ticket(SEED, d.table_id) for d in got)
    assert all(0 <= d.fraction < 1 for d in got)
    assert sample(SEED, IDS, 8)[:7] == got
    assert len(sample(SEED, IDS, 10_000)) == len(IDS)
    assert sample(SEED, IDS, 0) == ()
    assert sample(SEED, IDS, 3, draw=2) != sample(SEED, IDS, 3)
    with pytest.raises(InputError):
        sample(SEED, IDS, -1)
    with pytest.raises(InputError):
        sample(SEED, IDS, 1, draw=0)


def test_stratified_sample_equals_per_stratum_sample() -> None:
    strata = {t: f"S{int(t[:9]) % 3}" for t in IDS}
    sizes = {"S0": 4, "S1": 0, "S2": 100}
    got = stratified_sample(SEED, strata, sizes)
    assert set(got) == {"S0", "S1", "S2"}
    for label, draws in got.items():
        members = [t for t in IDS if strata[t] == label]
        assert draws == sample(SEED, members, sizes[label])
    assert len(got["S2"]) == sum(1 for t in IDS if strata[t] == "S2")
    with pytest.raises(InputError, match="no tables"):
        stratified_sample(SEED, strata, {"S9": 1})
    with pytest.raises(InputError):
        stratified_sample(SEED, strata, {"S0": -1})


def test_ppeb_uses_exact_cumulative_weights() -> None:
    weights: dict[str, int | Fraction] = {"c": 0, "a": 1, "b": 3}
    draws = ppeb_sample(SEED, weights, 200)
    assert [d.number for d in draws] == list(range(1, 201))
    assert "c" not in {d.table_id for d in draws}
    for d in draws:  # recompute the rule by hand: first i with r / 2**256 < C_i / T
        u = Fraction(d.ticket, 2**256)
        assert d.table_id == ("a" if u < Fraction(1, 4) else "b")
    assert ppeb_sample(SEED, {"c": 0, "a": Fraction(1, 7), "b": Fraction(3, 7)}, 200) == draws
    assert ppeb_sample(SEED, weights, 50, start=151) == draws[150:]


@pytest.mark.parametrize(
    "weights",
    [{"a": 0}, {"a": -1, "b": 2}, {"a": 0.5}, {}],
)
def test_ppeb_rejects_bad_weights(weights: dict[str, object]) -> None:
    with pytest.raises(InputError):
        ppeb_sample(SEED, weights, 1)  # type: ignore[arg-type]


# -- RLA: fixtures F9 and F10 -----------------------------------------------------------

TWO = Contest(("W", "L"), ("W",))


def arlo_manifest() -> list[Batch]:
    big = [Batch(f"a{i:03d}", (200, 180), 400) for i in range(200)]
    half = [Batch(f"b{i:03d}", (100, 90), 200) for i in range(200)]
    return big + half


def test_f9_macro_error_bound() -> None:
    pairs = TWO.pairs()
    assert error_bound((200, 180), 400, (60_000, 54_000), pairs) == Fraction(7, 100)
    assert error_bound((100, 90), 200, (60_000, 54_000), pairs) == Fraction(35, 1000)
    bounds = macro_bounds(TWO, arlo_manifest())
    assert bounds.totals == (60_000, 54_000)
    assert bounds.bound("a000") == Fraction(7, 100)
    assert bounds.bound("b199") == Fraction(35, 1000)


def test_f10_zero_error_sample_sizes() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    assert bounds.total == 21
    assert [initial_sample_size(bounds.total, a) for a in (0.25, 0.10, 0.05)] == [29, 48, 62]
    assert initial_sample_size(21.0, 0.05) == 62
    assert initial_sample_size(Fraction(9, 10), 0.05) == 0
    assert initial_sample_size(1, 0.05) == 1
    with pytest.raises(InputError):
        initial_sample_size(21, 1.0)


def test_error_bound_uses_at_least_the_votes_as_ballots() -> None:
    assert error_bound((200, 180), 0, (60_000, 54_000), TWO.pairs()) == Fraction(20 + 380, 6000)
    with pytest.raises(InputError):
        error_bound((1, 1), 2, (5, 5), TWO.pairs())


def test_multi_winner_bounds_take_the_worst_pair() -> None:
    contest = Contest(("A", "B", "C", "D"), ("A", "B"))
    assert contest.pairs() == ((0, 2), (0, 3), (1, 2), (1, 3))
    batches = [
        Batch("t1", (50, 40, 10, 0), 100),
        Batch("t2", (30, 35, 20, 15), 110),
        Batch("t3", (20, 25, 30, 5), 80),
    ]
    bounds = macro_bounds(contest, batches)
    totals = (100, 100, 60, 20)
    assert bounds.totals == totals
    for b in batches:
        expected = max(
            Fraction(b.votes[w] - b.votes[lo] + b.ballots, totals[w] - totals[lo])
            for w, lo in contest.pairs()
        )
        assert bounds.bound(b.table_id) == expected
        assert bounds.bound(b.table_id) == error_bound(b.votes, b.ballots, totals, contest.pairs())
    assert bounds.denominator == math.lcm(40, 80)


def test_contest_validation() -> None:
    with pytest.raises(InputError):
        Contest(("A", "A"), ("A",)).pairs()
    with pytest.raises(InputError):
        Contest(("A", "B"), ()).pairs()
    with pytest.raises(InputError):
        Contest(("A", "B"), ("Z",)).pairs()
    with pytest.raises(InputError):
        Contest(("A", "B"), ("A",), ("A",)).pairs()
    with pytest.raises(InputError):
        macro_bounds(TWO, [Batch("x", (1, 2, 3), 6)])
    with pytest.raises(InputError):
        macro_bounds(TWO, [Batch("x", (1, 2), 6), Batch("x", (1, 2), 6)])
    with pytest.raises(InputError):
        macro_bounds(TWO, [Batch("x", (1, -2), 6)])


def test_batch_error_and_taint() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    assert batch_error(bounds, "a000", (200, 180)) == (Fraction(0), Fraction(0))
    assert batch_error(bounds, "a000", (210, 170)) == (
        Fraction(0),
        Fraction(0),
    )  # understatement clipped
    err, taint = batch_error(bounds, "a000", (190, 190))  # 20 votes of margin lost
    assert err == Fraction(20, 6000)
    assert taint == Fraction(20, 420)
    assert batch_error(bounds, "a000", None) == (Fraction(7, 100), Fraction(1))
    assert batch_error(bounds, "a000", (0, 400))[1] == Fraction(1)
    with pytest.raises(InputError):
        batch_error(bounds, "a000", (1, 2, 3))


def test_kaplan_markov_values() -> None:
    p = kaplan_markov([0, 0, 0], 21)
    assert p == pytest.approx([(20 / 21) ** j for j in (1, 2, 3)])
    p = kaplan_markov([Fraction(1, 2), 0], 21)
    assert p == pytest.approx([(20 / 21) / 0.5, (20 / 21) ** 2 / 0.5])
    assert kaplan_markov([0, 1, 0], 21)[1:] == [math.inf, math.inf]
    assert kaplan_markov([0.0], 1) == [0.0]
    with pytest.raises(InputError):
        kaplan_markov([0], Fraction(1, 2))


def draws_of(ids: list[str]) -> list[Draw]:
    return [Draw(j, t, 0) for j, t in enumerate(ids, start=1)]


def test_evaluate_confirms_at_n0_with_no_errors() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    n0 = initial_sample_size(bounds.total, 0.10)
    draws = draw_batches(SEED, bounds, n0)
    audited = {d.table_id: bounds.reported[d.table_id] for d in draws}
    res = evaluate(bounds, draws, audited, 0.10)
    assert res.status is RlaStatus.CONFIRMED
    assert res.draws_used == n0 == 48
    assert res.p_value <= 0.10 < res.p_values[-2]
    assert res.discrepancies == ()
    assert all(b > a for a, b in zip(res.p_values[1:], res.p_values, strict=False))


def test_evaluate_continue_reestimates_then_escalates() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    draws = draw_batches(SEED, bounds, 20)
    audited: dict[str, tuple[int, ...] | None] = {
        d.table_id: bounds.reported[d.table_id] for d in draws
    }
    first = draws[0].table_id
    v = bounds.reported[first]
    audited[first] = (v[0] - 5, v[1] + 5)
    res = evaluate(bounds, draws, audited, 0.05)
    assert res.status is RlaStatus.CONTINUE
    assert res.next_sample_size is not None
    assert res.next_sample_size > 20
    assert len(res.p_values) == 20
    assert res.discrepancies[0].table_id == first
    assert res.discrepancies[0].taint == res.discrepancies[0].error / bounds.bound(first)
    assert res.discrepancies[0].error == Fraction(10, 6000)
    # drawing what was asked for, with no further errors, confirms
    more = draw_batches(SEED, bounds, res.next_sample_size - 20, start=21)
    audited.update({d.table_id: bounds.reported[d.table_id] for d in more if d.table_id != first})
    res2 = evaluate(bounds, [*draws, *more], audited, 0.05)
    assert res2.status is RlaStatus.CONFIRMED
    # a small cap on the number of draws escalates to a full count instead
    res3 = evaluate(bounds, draws, audited, 0.05, max_draws=21)
    assert res3.status is RlaStatus.FULL_HAND_COUNT


def test_evaluate_missing_batch_is_maximal_error() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    draws = draw_batches(SEED, bounds, 5)
    audited = {d.table_id: bounds.reported[d.table_id] for d in draws[1:]}
    res = evaluate(bounds, draws, audited, 0.05)
    assert res.status is RlaStatus.FULL_HAND_COUNT
    assert res.draws_used == 1
    assert res.discrepancies[0].missing
    assert res.discrepancies[0].taint == 1


def test_evaluate_ties_and_tiny_bounds() -> None:
    tie = macro_bounds(TWO, [Batch("a", (5, 3), 8), Batch("b", (3, 5), 8)])
    assert tie.tie
    assert evaluate(tie, [], {}, 0.05).status is RlaStatus.FULL_HAND_COUNT
    # with totals taken from the batches U >= 1 always; U < 1 needs outside totals
    assert macro_bounds(TWO, [Batch("a", (900, 0), 900)]).total == 2
    safe = MacroBounds(TWO, (900, 0), ((0, 1, 900),), 900, {"a": 800}, {"a": (900, 0)})
    assert safe.total < 1
    res = evaluate(safe, [], {}, 0.05)
    assert res.status is RlaStatus.CONFIRMED
    assert res.p_value == 0.0
    assert initial_sample_size(safe.total, 0.05) == 0


def test_evaluate_high_taint_escalates() -> None:
    bounds = macro_bounds(TWO, arlo_manifest())
    draws = draw_batches(SEED, bounds, 10)
    audited = {
        d.table_id: tuple(reversed(bounds.reported[d.table_id])) for d in draws
    }  # winner and loser swapped everywhere drawn
    res = evaluate(bounds, draws, audited, 0.05)
    assert res.status is RlaStatus.FULL_HAND_COUNT
    assert len(res.discrepancies) == 10


# -- quick count ------------------------------------------------------------------------


def test_ndi_design_by_hand() -> None:
    strata = {"A": StratumPlan(600, 240_000), "B": StratumPlan(400, 160_000)}
    d = design_quick_count(strata, 0.02)
    z = 1.959963984540054
    nv = 0.25 / (0.02**2 / z**2 + 0.25 / 400_000)
    assert d.voters == pytest.approx(nv)
    assert d.votes_per_table == 400
    assert d.tables == math.ceil(nv / 400)
    assert d.sizes == {"A": round(0.6 * d.tables), "B": d.tables - round(0.6 * d.tables)}
    assert d.total == d.tables
    d4 = design_quick_count(strata, 0.02, design_effect=4)
    assert d4.voters == pytest.approx(4 * nv)


def test_neyman_allocation_and_minimums() -> None:
    strata = {
        "A": StratumPlan(500, 200_000, sd=10.0),
        "B": StratumPlan(500, 200_000, sd=30.0),
        "C": StratumPlan(3, 1_000, sd=0.0),
    }
    d = design_quick_count(strata, 0.01, allocation="neyman")
    assert d.sizes["B"] in {3 * d.sizes["A"] - 1, 3 * d.sizes["A"], 3 * d.sizes["A"] + 1}
    assert d.sizes["C"] == 2  # the minimum, although its Neyman share is zero
    with pytest.raises(InputError):
        design_quick_count({"A": StratumPlan(5, 100)}, 0.03, allocation="neyman")
    with pytest.raises(InputError):
        design_quick_count(strata, 1.5)
    with pytest.raises(InputError):
        design_quick_count(strata, 0.03, allocation="other")  # type: ignore[arg-type]


def test_allocate_respects_caps_and_largest_remainders() -> None:
    assert allocate(10, {"a": 1, "b": 1, "c": 1}, {"a": 9, "b": 9, "c": 9}) == {
        "a": 4,
        "b": 3,
        "c": 3,
    }
    assert allocate(10, {"a": 8, "b": 1, "c": 1}, {"a": 2, "b": 9, "c": 9}) == {
        "a": 2,
        "b": 4,
        "c": 4,
    }
    assert allocate(100, {"a": 1, "b": 1}, {"a": 3, "b": 4}) == {"a": 3, "b": 4}
    assert allocate(3, {"a": 0, "b": 0}, {"a": 5, "b": 5}) == {"a": 2, "b": 1}


def test_ratio_estimate_single_stratum_matches_textbook() -> None:
    y = np.array([30.0, 50, 20, 70, 45])
    x = np.array([100.0, 120, 80, 150, 110])
    r, se, df = ratio_estimate(y[:, None], x, np.zeros(5, dtype=int), np.array([50]))
    rhat = y.sum() / x.sum()
    e = y - rhat * x
    var = (1 - 5 / 50) * (e**2).sum() / (4 * 5 * x.mean() ** 2)
    assert r[0] == pytest.approx(rhat)
    assert se[0] == pytest.approx(math.sqrt(var))
    assert df == 4


def test_estimate_quick_count_reports_missing_and_empty_strata() -> None:
    results = {
        "a1": (30, 70),
        "a2": (40, 60),
        "a3": (35, 65),
        "b1": (80, 20),
        "b2": (70, 30),
        "c1": (50, 50),
    }
    sample_ids = {"A": ["a1", "a2", "a3", "a4"], "B": ["b1", "b2"], "C": ["c1"], "D": ["d1"]}
    est = estimate_quick_count({"A": 40, "B": 20, "C": 10, "D": 5}, sample_ids, results, ["X", "Y"])
    assert est.designed == 8
    assert est.received == 6
    assert est.missing == ("a4", "d1")
    assert est.strata_without_data == ("D",)
    x, y = est.share_of("X"), est.share_of("Y")
    assert x.share + y.share == pytest.approx(1)
    assert x.se == pytest.approx(y.se)
    assert x.low < x.share < x.high
    assert est.degrees_of_freedom == 6 - 3
    with pytest.raises(KeyError):
        est.share_of("Z")
    with pytest.raises(InputError):
        estimate_quick_count({"A": 40}, {"A": ["a4"]}, results, ["X", "Y"])
    with pytest.raises(InputError):
        estimate_quick_count({"A": 40}, {"Z": ["a1"]}, results, ["X", "Y"])


def test_design_effect_of_identical_tables_is_small() -> None:
    assert design_effect([50, 50, 50, 50], [100, 100, 100, 100]) == 0
    assert design_effect([0, 100, 0, 100], [100, 100, 100, 100]) == pytest.approx(
        (4 * 50**2 / 3) / (100 * 0.25)
    )
    with pytest.raises(InputError):
        design_effect([1], [2])
