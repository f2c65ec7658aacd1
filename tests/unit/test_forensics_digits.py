"""Digit tests: Benford second digit (fixture F8), last digit, Beber–Scacco pairs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from actas.core.errors import InputError
from actas.core.forensics import (
    BENFORD_2BL,
    BENFORD_2BL_MEAN,
    BENFORD_2BL_SD,
    digit_pair_test,
    last_digit_test,
    second_digit_test,
    second_digits,
)

F8 = (0.11968, 0.11389, 0.10882, 0.10433, 0.10031, 0.09668, 0.09337, 0.09035, 0.08757, 0.08500)


def test_f8_benford_second_digit_law() -> None:
    assert pytest.approx(F8, abs=5e-6) == BENFORD_2BL
    assert sum(BENFORD_2BL) == pytest.approx(1.0)
    assert pytest.approx(4.18739, abs=5e-6) == BENFORD_2BL_MEAN
    assert pytest.approx(2.87294, abs=5e-6) == BENFORD_2BL_SD


@given(st.integers(min_value=10, max_value=10**12))
def test_second_digit_matches_the_decimal_string(n: int) -> None:
    assert int(second_digits(np.array([n]))[0]) == int(str(n)[1])


def test_second_digits_needs_two_digits() -> None:
    with pytest.raises(InputError):
        second_digits(np.array([9, 10]))


def _benford_sample(seed: int, n: int) -> np.ndarray:
    # log-uniform over several decades follows Benford's law closely
    rng = np.random.Generator(np.random.PCG64(seed))
    return np.floor(10 ** rng.uniform(1, 6, size=n)).astype(np.int64)


def test_2bl_accepts_benford_data_and_rejects_uniform_shares() -> None:
    ok = second_digit_test(_benford_sample(1, 20_000), label="x")
    assert ok.name == "second_digit_2bl:x"
    assert ok.details["n"] == 20_000
    assert ok.p_value is not None
    assert ok.p_value > 0.001
    assert ok.details["mean"] == pytest.approx(BENFORD_2BL_MEAN, abs=0.08)
    rng = np.random.Generator(np.random.PCG64(2))
    bad = second_digit_test(rng.integers(10, 100, size=20_000))  # uniform second digit
    assert bad.p_value is not None
    assert bad.p_value < 1e-10
    assert "Do not flag fraud from 2BL alone" in bad.caveat


def test_2bl_chi2_by_hand() -> None:
    counts = np.array([10, 11, 11, 25, 100, 157, 3, 9])  # 3 and 9 are excluded
    res = second_digit_test(counts)
    obs = np.bincount([0, 1, 1, 5, 0, 5], minlength=10)
    exp = 6 * np.array(BENFORD_2BL)
    assert res.statistic == pytest.approx(float(np.sum((obs - exp) ** 2 / exp)))
    assert res.details["n"] == 6
    assert res.details["mean"] == pytest.approx(2.0)


def test_last_digit_uniform_and_biased() -> None:
    rng = np.random.Generator(np.random.PCG64(3))
    fair = last_digit_test(rng.integers(100, 100_000, size=10_000))
    assert fair.p_value is not None
    assert fair.p_value > 0.001
    assert fair.details["share_0_or_5"] == pytest.approx(0.2, abs=0.02)
    rounded = last_digit_test(rng.integers(10, 10_000, size=10_000) * 10)
    assert rounded.p_value is not None
    assert rounded.p_value < 1e-100
    assert rounded.details["share_0_or_5"] == 1.0
    assert "small counts" in rounded.caveat
    # counts below the minimum are ignored
    assert last_digit_test(np.array([5, 50, 99])).details["n"] == 0


def test_digit_pairs() -> None:
    rng = np.random.Generator(np.random.PCG64(4))
    fair = digit_pair_test(rng.integers(100, 100_000, size=20_000))
    assert fair.statistic == pytest.approx(0.10, abs=0.01)
    assert fair.details["adjacent_share"] == pytest.approx(0.18, abs=0.01)
    assert fair.p_value is not None
    assert fair.p_value > 1e-3
    made_up = digit_pair_test(np.full(500, 344))  # every pair repeated
    assert made_up.statistic == 1.0
    assert made_up.p_value is not None
    assert made_up.p_value < 1e-100


def test_empty_input_gives_no_numbers() -> None:
    res = second_digit_test(np.array([1, 2, 3]))
    assert res.details["n"] == 0
    assert res.statistic is not None
    assert math.isnan(res.statistic)
    assert res.to_json()["statistic"] is None  # strict JSON
