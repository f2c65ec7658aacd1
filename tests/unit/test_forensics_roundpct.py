"""Round-percentage test: fixtures F1–F3 (FORENSICS §1.5) and properties."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.core.errors import InputError
from actas.core.forensics import GridFit, RoundPctResult, round_percentage_test

BULLETIN_1 = (5_150_092, 4_445_978, 462_704)
BULLETIN_2 = (
    6_408_844,
    5_326_104,
    152_360,
    116_421,
    92_903,
    84_231,
    64_452,
    40_902,
    29_611,
    20_056,
)


def _grid(result: RoundPctResult, pp: str) -> GridFit:
    return next(g for g in result.grids if g.step_pp == pp)


def test_f1_bulletin_1_sits_on_the_tenth_of_a_point_grid() -> None:
    res = round_percentage_test(BULLETIN_1)
    assert res.total == 10_058_774
    g = _grid(res, "0.1")
    assert float(g.cell) == pytest.approx(10_058.774)
    assert [round(float(r), 3) for r in g.residuals] == [-0.288, -0.108, 0.396]
    # exact: r_i = v_i − g_i·T with g = 51.2 %, 44.2 %, 4.6 %
    assert g.shares == (Fraction(512, 1000), Fraction(442, 1000), Fraction(46, 1000))
    assert g.residuals[0] == Fraction(5_150_092) - Fraction(512, 1000) * 10_058_774
    assert g.p1 == pytest.approx(9.94e-5, rel=1e-3)
    assert g.p == pytest.approx(9.88e-9, rel=1e-3)
    assert 1 / g.p == pytest.approx(101e6, rel=0.01)
    assert g.fits
    assert res.flag
    assert res.best is not None
    assert res.best.step_pp == "0.1"
    # the 0.01-pp grid fits too, with the weaker p
    g2 = _grid(res, "0.01")
    assert g2.fits
    assert g2.p == pytest.approx(9.9e-7, rel=1e-2)
    assert not _grid(res, "1").fits
    assert res.p_min == pytest.approx(9.88e-9, rel=1e-3)
    assert res.comparisons == 3
    assert res.p_bonferroni == pytest.approx(3 * 9.88e-9, rel=1e-3)


def test_f2_bulletin_2_is_on_no_grid() -> None:
    assert sum(BULLETIN_2) == 12_335_884
    res = round_percentage_test(BULLETIN_2, 12_335_884)
    assert not res.flag
    assert float(_grid(res, "0.1").r_max) == pytest.approx(5_815.7, abs=0.1)
    g = _grid(res, "0.01")
    assert round(float(g.r_max)) == 605
    assert float(g.cell) == pytest.approx(1_233.5884)
    assert res.best is None


def test_f3_us_2020_is_on_no_grid() -> None:
    total = 158_429_631
    counts = (81_283_501, 74_223_975, total - 81_283_501 - 74_223_975)
    res = round_percentage_test(counts)
    assert not res.flag
    assert round(float(_grid(res, "0.1").r_max)) == 78_908
    assert 100 * 81_283_501 / total == pytest.approx(51.305744, abs=1e-6)
    assert 100 * 74_223_975 / total == pytest.approx(46.849806, abs=1e-6)


def test_independent_total_frees_every_count() -> None:
    res = round_percentage_test(BULLETIN_1, 10_058_774 + 1_000)
    assert all(g.free == 3 for g in res.grids)
    dep = round_percentage_test(BULLETIN_1)
    assert all(g.free == 2 for g in dep.grids)


def test_extra_comparisons_enter_the_bonferroni_factor() -> None:
    res = round_percentage_test(BULLETIN_1, extra_comparisons=2)
    assert res.comparisons == 5
    assert res.p_bonferroni == pytest.approx(5 * res.p_min)


def test_screen_json_is_plain() -> None:
    res = round_percentage_test(BULLETIN_1, labels=["NM", "EG", "others"])
    js = res.to_screen().to_json()
    assert js["name"] == "round_percentages"
    assert js["details"]["best_grid_pp"] == "0.1"
    assert js["details"]["counts"] == {"NM": 5_150_092, "EG": 4_445_978, "others": 462_704}


@pytest.mark.parametrize(
    ("counts", "total"),
    [((1,), None), ((1, -2), None), ((1, 2), 2), ((0, 0), None), ((1.5, 2), None)],
)
def test_bad_input_raises(counts: tuple[object, ...], total: int | None) -> None:
    with pytest.raises(InputError):
        round_percentage_test(counts, total)  # type: ignore[arg-type]


@given(
    total=st.integers(min_value=2_000_000, max_value=50_000_000),
    shares=st.lists(st.integers(min_value=1, max_value=300), min_size=2, max_size=4),
)
def test_counts_derived_from_round_shares_fit_the_grid(total: int, shares: list[int]) -> None:
    # shares in 0.1-pp steps, counts rounded from share × total, last count takes the rest
    if sum(shares) >= 1000:
        return
    counts = [round(Fraction(s, 1000) * total) for s in shares]
    counts.append(total - sum(counts))
    res = round_percentage_test(counts)
    g = _grid(res, "0.1")
    assert all(abs(r) <= Fraction(1, 2) for r in sorted(g.residuals, key=abs)[:-1])
    assert g.fits
    assert res.flag


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=2, max_size=6))
def test_residuals_reconstruct_the_counts(counts: list[int]) -> None:
    if sum(counts) == 0:
        return
    res = round_percentage_test(counts)
    for g in res.grids:
        for v, share, r in zip(counts, g.shares, g.residuals, strict=True):
            assert share * res.total + r == v
            assert abs(r) <= g.cell / 2
        assert 0.0 <= g.p <= 1.0
