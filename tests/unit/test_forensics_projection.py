"""Ratio estimator and stratified projection (FORENSICS §5.1)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actas.core.errors import InputError
from actas.core.forensics import ratio_estimate, stratified_projection
from actas.core.forensics.projection import CAVEAT


def _synthetic(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.Generator(np.random.PCG64(seed))
    strata = rng.choice(np.array(["01", "02", "03"]), size=n)
    valid = rng.integers(150, 450, size=n)
    base = np.where(strata == "01", 0.7, np.where(strata == "02", 0.5, 0.3))
    a = rng.binomial(valid, base)
    votes = np.stack([a, valid - a], axis=1)
    return strata, votes, valid


def test_srs_ratio_matches_the_textbook_formula() -> None:
    y = np.array([10.0, 20.0, 35.0, 12.0, 8.0])
    x = np.array([20.0, 30.0, 50.0, 25.0, 20.0])
    est = ratio_estimate(y, x, 50)
    r = y.sum() / x.sum()
    n = 5
    var = (1 - n / 50) * np.sum((y - r * x) ** 2) / ((n - 1) * n * x.mean() ** 2)
    assert est.ratio == pytest.approx(r)
    assert est.se == pytest.approx(math.sqrt(var))
    assert est.ci_low == pytest.approx(r - 1.959964 * math.sqrt(var), rel=1e-6)
    assert "not a random sample" in est.to_json()["caveat"]  # type: ignore[operator]


def test_census_has_no_sampling_error() -> None:
    y = np.array([1.0, 5.0, 7.0])
    x = np.array([4.0, 9.0, 10.0])
    assert ratio_estimate(y, x, 3).se == 0.0


def test_one_stratum_equals_srs() -> None:
    _, votes, valid = _synthetic(1)
    strata = np.full(valid.size, "all")
    proj = stratified_projection(strata, votes, valid, ["A", "B"], {"all": 1000})
    srs = ratio_estimate(votes[:, 0], valid, 1000)
    assert proj.shares[0] == pytest.approx(srs.ratio)
    assert proj.se[0] == pytest.approx(srs.se)
    assert proj.shares[0] + proj.shares[1] == pytest.approx(1.0)


def test_stratification_reweights_by_frame_size() -> None:
    strata, votes, valid = _synthetic(2)
    frame = {"01": 3000, "02": 1000, "03": 1000}
    proj = stratified_projection(strata, votes, valid, ["A", "B"], frame)
    by = {s.code: s for s in proj.strata}
    # expanded totals per stratum
    y_hat = sum(frame[c] * votes[strata == c, 0].mean() for c in frame)
    x_hat = sum(frame[c] * valid[strata == c].mean() for c in frame)
    assert proj.shares[0] == pytest.approx(y_hat / x_hat)
    assert proj.frame_known
    assert proj.frame_total == 5000
    assert by["01"].shares[0] == pytest.approx(
        votes[strata == "01", 0].sum() / valid[strata == "01"].sum()
    )
    assert proj.ci_low[0] < proj.shares[0] < proj.ci_high[0]
    assert proj.caveat == CAVEAT
    js = proj.to_json()
    assert js["candidates"]["A"]["share"] == pytest.approx(proj.shares[0])  # type: ignore[index]


def test_unknown_frame_is_said() -> None:
    strata, votes, valid = _synthetic(3)
    proj = stratified_projection(strata, votes, valid, ["A", "B"])
    assert not proj.frame_known
    assert any("unknown" in n for n in proj.notes)
    assert proj.shares[0] == pytest.approx(votes[:, 0].sum() / valid.sum())


def test_frame_strata_without_tables_are_noted() -> None:
    strata, votes, valid = _synthetic(4)
    proj = stratified_projection(
        strata, votes, valid, ["A", "B"], {"01": 500, "02": 500, "03": 500, "04": 10}
    )
    assert any("04" in n for n in proj.notes)
    with pytest.raises(InputError):
        stratified_projection(strata, votes, valid, ["A", "B"], {"01": 500, "02": 500})
    with pytest.raises(InputError):
        stratified_projection(strata, votes, valid, ["A", "B"], {"01": 1, "02": 500, "03": 500})


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), scale=st.integers(1, 20))
def test_shares_sum_to_one_and_scale_free(seed: int, scale: int) -> None:
    strata, votes, valid = _synthetic(seed, 60)
    frame = {"01": 200, "02": 200, "03": 200}
    p1 = stratified_projection(strata, votes, valid, ["A", "B"], frame)
    p2 = stratified_projection(strata, votes * scale, valid * scale, ["A", "B"], frame)
    assert sum(p1.shares) == pytest.approx(1.0)
    assert p1.shares == pytest.approx(p2.shares)
    assert p1.se == pytest.approx(p2.se)


def test_bad_inputs() -> None:
    with pytest.raises(InputError):
        ratio_estimate([1.0], [2.0])
    with pytest.raises(InputError):
        ratio_estimate([1.0, 2.0], [2.0, 3.0], population=1)
    with pytest.raises(InputError):
        ratio_estimate([1.0, 2.0], [2.0, 3.0], confidence=1.5)
