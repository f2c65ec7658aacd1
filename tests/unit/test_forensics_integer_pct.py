"""Kobak et al. integer-percentage test on synthetic stations."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from actas.core.errors import InputError
from actas.core.forensics import (
    inclusion_mask,
    integer_pct_probability,
    integer_pct_test,
    is_integer_pct,
)


def _is_integer_by_fraction(num: int, den: int) -> bool:
    pct = Fraction(100 * num, den)
    return abs(pct - round(pct)) <= Fraction(1, 20)


@given(st.integers(1, 10**7).flatmap(lambda d: st.tuples(st.integers(0, d), st.just(d))))
def test_exact_integer_check_matches_rationals(pair: tuple[int, int]) -> None:
    num, den = pair
    got = bool(is_integer_pct(np.array([num]), np.array([den]))[0])
    assert got == _is_integer_by_fraction(num, den)


def test_integer_check_boundaries() -> None:
    # 2000·num − 20·k·den = ±den exactly: on the bin edge, included
    assert is_integer_pct(np.array([1]), np.array([2000]))[0]  # 0.05 %
    assert is_integer_pct(np.array([21]), np.array([2000]))[0]  # 1.05 %
    assert not is_integer_pct(np.array([22]), np.array([2000]))[0]  # 1.1 %
    assert is_integer_pct(np.array([1]), np.array([3]))[0] is np.False_  # 33.33 %
    assert not is_integer_pct(np.array([1]), np.array([0]))[0]


def test_inclusion_rule() -> None:
    v = np.array([100, 99, 200, 200, 200, 200])
    g = np.array([50, 50, 198, 199, 100, 100])
    r = np.array([50, 50, 198, 199, 100, 0])
    ld = np.array([25, 25, 100, 100, 99, 0])
    assert inclusion_mask(v, g, r, ld).tolist() == [True, False, True, False, True, False]


@settings(max_examples=25, deadline=None)
@given(den=st.integers(100, 5000), frac=st.floats(0.0, 1.0))
def test_probability_matches_a_brute_force_sum(den: int, frac: float) -> None:
    num = round(frac * den)
    x = np.arange(den + 1)
    hit = is_integer_pct(x, np.full(x.size, den))
    expected = float(stats.binom.pmf(x[hit], den, num / den).sum())
    got = float(integer_pct_probability(np.array([num]), np.array([den]))[0])
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-12)


def _stations(seed: int, n: int = 3000) -> tuple[np.ndarray, ...]:
    rng = np.random.Generator(np.random.PCG64(seed))
    v = rng.integers(150, 2500, size=n)
    g = rng.binomial(v, rng.uniform(0.4, 0.8, size=n))
    r = g.copy()
    ld = rng.binomial(r, rng.uniform(0.3, 0.7, size=n))
    return v, g, r, ld


def test_clean_stations_show_no_excess() -> None:
    v, g, r, ld = _stations(5)
    res = integer_pct_test(v, g, r, ld, seed=1, nrep=400)
    assert res.included == 3000
    assert res.exact_mean is not None
    assert res.exact_sd is not None
    assert abs(res.excess) < 4 * res.null_sd
    assert res.null_mean == pytest.approx(res.exact_mean, abs=4 * res.exact_sd / 20)
    assert res.null_sd == pytest.approx(res.exact_sd, rel=0.15)
    assert res.p_value > 0.001


def test_written_results_are_detected() -> None:
    v, g, r, ld = _stations(6)
    # a third of the stations write an integer leader percentage
    k = np.round(100 * ld / r)
    forged = np.arange(v.size) % 3 == 0
    ld = np.where(forged, np.round(k * r / 100).astype(np.int64), ld)
    res = integer_pct_test(v, g, r, ld, seed=2, nrep=300)
    # (a count near k·r/100 is not always within ±0.05 pp when r < 1000)
    assert res.observed_leader > 800
    assert res.excess > 20 * res.null_sd
    assert res.p_value == pytest.approx(1 / 301)
    written = np.flatnonzero(forged & is_integer_pct(ld, r)).tolist()
    assert len(written) > 600
    assert set(written) <= set(res.flagged)


def test_exact_and_resampling_nulls_agree() -> None:
    v, g, r, ld = _stations(7, 800)
    a = integer_pct_test(v, g, r, ld, seed=3, nrep=300, method="exact")
    b = integer_pct_test(v, g, r, ld, seed=3, nrep=300, method="resample")
    assert a.observed_either == b.observed_either
    assert a.exact_mean is not None
    assert a.exact_sd is not None
    # the resampled mean is within Monte-Carlo noise of the exact expectation
    assert b.null_mean == pytest.approx(a.exact_mean, abs=5 * a.exact_sd / np.sqrt(300))
    assert b.null_sd == pytest.approx(a.exact_sd, rel=0.2)
    assert b.exact_mean is None


def test_same_seed_same_result_and_json() -> None:
    v, g, r, ld = _stations(8, 500)
    a = integer_pct_test(v, g, r, ld, seed=11, nrep=50)
    b = integer_pct_test(v, g, r, ld, seed=11, nrep=50)
    c = integer_pct_test(v, g, r, ld, seed=12, nrep=50)
    assert a.mc_either == b.mc_either
    assert a.mc_either != c.mc_either
    js = a.to_screen().to_json()
    assert js["details"]["seed"] == 11
    assert js["flagged_count"] == a.observed_either


def test_bad_arguments() -> None:
    v, g, r, ld = _stations(9, 10)
    with pytest.raises(InputError):
        integer_pct_test(v, g, r, ld, seed=1, nrep=0)
    with pytest.raises(InputError):
        integer_pct_test(v, g[:5], r, ld, seed=1)
    with pytest.raises(InputError):
        integer_pct_test(v, g, r, ld, seed=1, method="bogus")  # type: ignore[arg-type]
    with pytest.raises(InputError):
        integer_pct_probability(np.array([5]), np.array([4]))
