"""Digit tests on vote counts: Mebane's 2BL, last digit, Beber–Scacco pairs.

All three take one candidate's (or any) per-table counts and return a
:class:`~actas.core.forensics.result.ScreenResult` with a Pearson χ² (9 df) or a
binomial test. They flag no single table: a digit test is about the whole
distribution.

* :func:`second_digit_test` (2BL, Mebane 2006): counts >= 10; expected
  ``q_d = Σ_{k=1..9} log10(1 + 1/(10k + d))``; χ² and the mean second digit
  against 4.18739 (sd 2.87294, fixture F8).
* :func:`last_digit_test`: counts >= 100 by default; uniform digits, χ², mean
  against 4.5 and the share of 0/5 against 0.2.
* :func:`digit_pair_test` (Beber & Scacco 2012): the last two digits of
  counts >= 10; share of repeated pairs (a = b, expected 0.10) and of
  adjacent pairs (|a − b| = 1, expected 0.18), each with a two-sided binomial
  test.

These tests reject often on genuine data: 2BL need not hold at the level of a
voting machine or table (Mebane 2006, 2007), and small counts over-represent
low last digits. On the Venezuelan opposition actas, which AP, the Washington
Post and others judged genuine, 2BL gives χ² ≈ 116 and ≈ 112 (fixture F11).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult
from actas.core.forensics.tabledata import FloatArray, IntArray

__all__ = [
    "BENFORD_2BL",
    "BENFORD_2BL_MEAN",
    "BENFORD_2BL_SD",
    "digit_pair_test",
    "last_digit_test",
    "second_digit_test",
    "second_digits",
]


def _benford_2bl() -> tuple[float, ...]:
    return tuple(sum(math.log10(1.0 + 1.0 / (10 * k + d)) for k in range(1, 10)) for d in range(10))


#: Benford second-digit probabilities q_0 … q_9 (fixture F8)
BENFORD_2BL: tuple[float, ...] = _benford_2bl()
#: mean of the Benford second digit, 4.18739
BENFORD_2BL_MEAN: float = sum(d * q for d, q in enumerate(BENFORD_2BL))
#: sd of the Benford second digit, 2.87294
BENFORD_2BL_SD: float = math.sqrt(
    sum((d - BENFORD_2BL_MEAN) ** 2 * q for d, q in enumerate(BENFORD_2BL))
)

_UNIFORM_SD = math.sqrt(8.25)  # sd of a uniform digit 0..9

CAVEAT_2BL = (
    "Second-digit Benford (2BL) need not hold for clean counts: at the level of voting "
    "tables, voters are split roughly equally across machines and the law fails "
    "(Mebane 2006). On the Venezuelan opposition actas, which independent reviews judged "
    "genuine, 2BL rejects with chi2 ~ 116 and ~ 112. Do not flag fraud from 2BL alone at "
    "table level."
)
CAVEAT_LAST = (
    "Last digits are uniform only when counts span several powers of ten; small counts, "
    "or counts that pile up near a boundary, over-represent low digits and give false "
    "positives (on the genuine Venezuelan actas, Maduro's counts >= 100 give chi2 ~ 40)."
)
CAVEAT_PAIRS = (
    "Beber and Scacco's pair tests have little power below a few hundred counts, share the "
    "small-count bias of the last-digit test, and treat several counts from the same sheet "
    "as independent."
)


def _counts(values: ArrayLike, min_count: int, name: str) -> IntArray:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise InputError(f"{name}: expected a 1-D array of counts")
    out: IntArray = arr.astype(np.int64)
    return out[out >= min_count]


def second_digits(counts: ArrayLike) -> IntArray:
    """Second significant digit of each count (counts must be >= 10)."""
    x = np.asarray(counts, dtype=np.int64).copy()
    if np.any(x < 10):
        raise InputError("second_digits: every count must be >= 10")
    while np.any(x >= 100):
        x = np.where(x >= 100, x // 10, x)
    out: IntArray = x % 10
    return out


def _chi2(observed: IntArray, expected_p: FloatArray) -> tuple[float, float]:
    from scipy import stats  # lazily: importing it takes about a second

    n = int(observed.sum())
    expected = n * expected_p
    chi2 = float(np.sum((observed - expected) ** 2 / expected))
    return chi2, float(stats.chi2.sf(chi2, len(observed) - 1))


def second_digit_test(counts: ArrayLike, *, label: str = "", min_count: int = 10) -> ScreenResult:
    """Mebane's 2BL test: χ²(9) and mean second digit over counts >= ``min_count``."""
    from scipy import stats  # lazily: importing it takes about a second

    x = _counts(counts, max(min_count, 10), "second_digit_test")
    digits = second_digits(x)
    observed = np.bincount(digits, minlength=10).astype(np.int64)
    n = int(x.size)
    q = np.array(BENFORD_2BL)
    chi2, p = _chi2(observed, q) if n else (math.nan, math.nan)
    mean = float(digits.mean()) if n else math.nan
    z = (mean - BENFORD_2BL_MEAN) / (BENFORD_2BL_SD / math.sqrt(n)) if n else math.nan
    return ScreenResult(
        name=f"second_digit_2bl:{label}" if label else "second_digit_2bl",
        inputs=f"per-table vote counts >= {max(min_count, 10)}"
        + (f" for {label}" if label else ""),
        statistic_name="chi2_9df",
        statistic=chi2,
        p_value=p,
        caveat=CAVEAT_2BL,
        details={
            "n": n,
            "observed": observed.tolist(),
            "expected_share": list(BENFORD_2BL),
            "mean": mean,
            "expected_mean": BENFORD_2BL_MEAN,
            "mean_z": z,
            "mean_p_value": float(2 * stats.norm.sf(abs(z))) if n else None,
        },
    )


def last_digit_test(counts: ArrayLike, *, label: str = "", min_count: int = 100) -> ScreenResult:
    """Uniform last digit: χ²(9), mean against 4.5 and 0/5 share against 0.2."""
    x = _counts(counts, min_count, "last_digit_test")
    digits = x % 10
    observed = np.bincount(digits, minlength=10).astype(np.int64)
    n = int(x.size)
    chi2, p = _chi2(observed, np.full(10, 0.1)) if n else (math.nan, math.nan)
    mean = float(digits.mean()) if n else math.nan
    share05 = float(np.mean((digits == 0) | (digits == 5))) if n else math.nan
    return ScreenResult(
        name=f"last_digit:{label}" if label else "last_digit",
        inputs=f"per-table vote counts >= {min_count}" + (f" for {label}" if label else ""),
        statistic_name="chi2_9df",
        statistic=chi2,
        p_value=p,
        caveat=CAVEAT_LAST,
        details={
            "n": n,
            "observed": observed.tolist(),
            "mean": mean,
            "mean_z": (mean - 4.5) / (_UNIFORM_SD / math.sqrt(n)) if n else None,
            "share_0_or_5": share05,
        },
    )


def digit_pair_test(counts: ArrayLike, *, label: str = "", min_count: int = 10) -> ScreenResult:
    """Beber–Scacco: repeated (a = b) and adjacent (|a − b| = 1) last-digit pairs."""
    from scipy import stats  # lazily: importing it takes about a second

    x = _counts(counts, max(min_count, 10), "digit_pair_test")
    n = int(x.size)
    tens = (x // 10) % 10
    units = x % 10
    repeated = int(np.sum(tens == units))
    adjacent = int(np.sum(np.abs(tens - units) == 1))
    p_rep = stats.binomtest(repeated, n, 0.10).pvalue if n else math.nan
    p_adj = stats.binomtest(adjacent, n, 0.18).pvalue if n else math.nan
    return ScreenResult(
        name=f"digit_pairs:{label}" if label else "digit_pairs",
        inputs=f"last two digits of per-table counts >= {max(min_count, 10)}"
        + (f" for {label}" if label else ""),
        statistic_name="repeated_share",
        statistic=repeated / n if n else None,
        p_value=min(1.0, 2 * min(float(p_rep), float(p_adj))) if n else None,
        caveat=CAVEAT_PAIRS,
        details={
            "n": n,
            "repeated": repeated,
            "repeated_expected_share": 0.10,
            "repeated_p_value": float(p_rep),
            "adjacent": adjacent,
            "adjacent_share": adjacent / n if n else None,
            "adjacent_expected_share": 0.18,
            "adjacent_p_value": float(p_adj),
            "p_value_note": "p_value is the Bonferroni minimum of the two binomial tests",
        },
    )
