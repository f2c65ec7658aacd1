"""Integer-percentage test (Kobak, Shpilkin & Pshenichnikov 2016, AOAS 10(1):54–73).

Officials who write results rather than count them favour round numbers, so
too many stations report an integer turnout or an integer leader percentage.

Per station: registered ``V``, ballots given ``G`` (turnout numerator), ballots
in the boxes ``R`` (leader denominator) and leader votes ``L``.

* **Inclusion:** ``R > 0``, ``V >= 100``, ``G/V <= 0.99`` and ``L/R <= 0.99``
  (exact integer comparisons: ``100·G <= 99·V``).
* **Integer:** a percentage ``100·num/den`` is integer when it lies within
  ±0.05 pp of an integer ``k``; exactly, ``|2000·num − 20·k·den| <= den`` with
  ``k`` the integer nearest to ``100·num/den``. No floats are involved.
* **Null:** each station is redrawn as ``G* ~ Bin(V, G/V)``, ``L* ~ Bin(R, L/R)``
  and the integer stations are recounted, ``nrep`` times.
* **Output:** observed count (turnout or leader integer), its null mean, sd and
  99.9th percentile, the excess = observed − mean, and a Monte-Carlo p-value.

Two equivalent ways to draw the null are offered:

``method="exact"`` (default)
    For each station the probability that ``G*`` (resp. ``L*``) lands on an
    integer percentage is summed exactly from the binomial pmf over the few
    qualifying values of the count. A replicate's indicator for a station is
    then Bernoulli with that probability, which is *exactly* the distribution
    of the indicator in the resampling scheme, so the replicate counts have
    the same law as Kobak's. It also yields the null mean and sd in closed form
    (a Poisson-binomial sum), free of Monte-Carlo noise.

``method="resample"``
    Literally draw the binomials and test them, vectorised in blocks of
    replicates. Slower (two binomial draws per station per replicate); kept as
    the reference the fast path is checked against.

Fixture F6 (Russia 2012, 95,415 stations): 87,623 included, 9,662 integer
leader %, 9,476 integer turnout, 18,025 either; excess ≈ 1,160, sd ≈ 116.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray
from scipy import special

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult
from actas.core.forensics.tabledata import FloatArray, IntArray

__all__ = [
    "IntegerPctResult",
    "inclusion_mask",
    "integer_pct_probability",
    "integer_pct_test",
    "is_integer_pct",
]

CAVEAT = (
    "An excess of integer percentages is a fingerprint of numbers written rather than "
    "counted, not a measure of how many votes were falsified. The binomial null assumes "
    "station-level randomness around the observed shares and is only used for stations "
    "with at least 100 registered voters; small stations and coarse fractions (1/2, 2/3) "
    "produce integer percentages by arithmetic (Rozenas 2017)."
)

#: mass beyond this many binomial sds from the mean is ignored (< 1e-20)
_SD_WINDOW = 10.0
#: replicates drawn per block (bounds memory to ~block × stations × 8 bytes)
_BLOCK = 64


def is_integer_pct(num: IntArray, den: IntArray) -> NDArray[np.bool_]:
    """True where ``100·num/den`` is within ±0.05 pp of an integer (exact; den > 0)."""
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    safe = np.where(den > 0, den, 1)
    k = (200 * num + safe) // (2 * safe)  # nearest integer to 100·num/den (ties up)
    out: NDArray[np.bool_] = (np.abs(2000 * num - 20 * k * safe) <= safe) & (den > 0)
    return out


def inclusion_mask(
    registered: IntArray,
    given: IntArray,
    received: IntArray,
    leader: IntArray,
    *,
    min_registered: int = 100,
    max_pct: int = 99,
) -> NDArray[np.bool_]:
    """Kobak's inclusion rule: R > 0, V >= 100, G/V <= 0.99, L/R <= 0.99 (exact)."""
    v = np.asarray(registered, dtype=np.int64)
    g = np.asarray(given, dtype=np.int64)
    r = np.asarray(received, dtype=np.int64)
    ld = np.asarray(leader, dtype=np.int64)
    out: NDArray[np.bool_] = (
        (r > 0)
        & (v >= min_registered)
        & (g >= 0)
        & (100 * g <= max_pct * v)
        & (100 * ld <= max_pct * r)
    )
    return out


def integer_pct_probability(num: IntArray, den: IntArray) -> FloatArray:
    """P(``100·X/den`` is integer) for ``X ~ Bin(den, num/den)``, per station, exactly.

    Enumerates, for each station, the integer percentages ``k`` within
    ±10 sd of the mean and the counts ``x`` with ``|2000·x − 20·k·den| <= den``,
    and sums the binomial pmf over them. Vectorised over ragged windows.
    """
    num = np.asarray(num, dtype=np.int64)
    den = np.asarray(den, dtype=np.int64)
    if np.any(den <= 0) or np.any(num < 0) or np.any(num > den):
        raise InputError("integer_pct_probability: need 0 <= num <= den and den > 0")
    p = num / den
    mean = den * p
    sd = np.sqrt(den * p * (1.0 - p))
    lo = np.clip(np.floor(mean - _SD_WINDOW * sd - 1.0), 0, den).astype(np.int64)
    hi = np.clip(np.ceil(mean + _SD_WINDOW * sd + 1.0), 0, den).astype(np.int64)
    # integer percentages whose bins can meet [lo, hi]
    k_lo = np.maximum((100 * lo) // den - 1, 0)
    k_hi = np.minimum((100 * hi) // den + 1, 100)
    n_k = k_hi - k_lo + 1
    st = np.repeat(np.arange(den.size), n_k)
    k = np.arange(st.size) - np.repeat(np.cumsum(n_k) - n_k, n_k) + k_lo[st]
    d = den[st]
    x_lo = np.maximum(-((-(20 * k - 1) * d) // 2000), lo[st])  # ceil((20k-1)d/2000)
    x_hi = np.minimum(((20 * k + 1) * d) // 2000, hi[st])  # floor((20k+1)d/2000)
    n_x = np.maximum(x_hi - x_lo + 1, 0)
    st2 = np.repeat(st, n_x)
    x = np.arange(st2.size) - np.repeat(np.cumsum(n_x) - n_x, n_x) + np.repeat(x_lo, n_x)
    pmf = _binom_pmf(x, den, p, st2)
    prob: FloatArray = np.clip(np.bincount(st2, weights=pmf, minlength=den.size), 0.0, 1.0)
    return prob


def _binom_pmf(x: IntArray, den: IntArray, p: FloatArray, st: IntArray) -> FloatArray:
    """Binomial pmf of ``x`` for station ``st`` (log-gamma form; 0·log 0 = 0)."""
    n = den.astype(np.float64)
    head = special.gammaln(n + 1.0)[st]
    xf = x.astype(np.float64)
    rest = n[st] - xf
    logpmf = (
        head
        - special.gammaln(xf + 1.0)
        - special.gammaln(rest + 1.0)
        + special.xlogy(xf, p[st])
        + special.xlog1py(rest, -p[st])
    )
    out: FloatArray = np.exp(logpmf)
    return out


@dataclass(frozen=True, slots=True)
class IntegerPctResult:
    """Observed and null counts of stations with integer percentages.

    Counts are stations with an integer turnout, an integer leader % and
    either. ``null_mean``/``null_sd`` are Monte-Carlo moments; ``exact_mean``
    and ``exact_sd`` are the closed-form moments (``method="exact"`` only).
    """

    included: int
    observed_turnout: int
    observed_leader: int
    observed_either: int
    nrep: int
    seed: int
    method: str
    mc_either: tuple[int, ...]
    mc_turnout_mean: float
    mc_leader_mean: float
    null_mean: float
    null_sd: float
    null_q999: float
    exact_mean: float | None
    exact_sd: float | None
    included_rows: tuple[int, ...] = field(repr=False)
    flagged: tuple[int, ...] = field(repr=False)

    @property
    def excess(self) -> float:
        """Observed − Monte-Carlo mean (stations with an integer turnout or leader %)."""
        return self.observed_either - self.null_mean

    @property
    def p_value(self) -> float:
        """One-sided Monte-Carlo p-value, (1 + #{replicates >= observed}) / (nrep + 1)."""
        hits = sum(1 for c in self.mc_either if c >= self.observed_either)
        return (1 + hits) / (self.nrep + 1)

    def to_screen(self) -> ScreenResult:
        z = self.excess / self.null_sd if self.null_sd > 0 else None
        return ScreenResult(
            name="integer_percentages",
            inputs=(
                "per station: registered V, ballots given G, ballots in box R, leader votes L; "
                "included when R>0, V>=100, G/V<=0.99, L/R<=0.99"
            ),
            statistic_name="excess_integer_stations",
            statistic=self.excess,
            p_value=self.p_value,
            caveat=CAVEAT,
            flagged=self.flagged,
            details={
                "included": self.included,
                "observed_either": self.observed_either,
                "observed_turnout": self.observed_turnout,
                "observed_leader": self.observed_leader,
                "null_mean": self.null_mean,
                "null_sd": self.null_sd,
                "null_q999": self.null_q999,
                "z": z,
                "excess_turnout": self.observed_turnout - self.mc_turnout_mean,
                "excess_leader": self.observed_leader - self.mc_leader_mean,
                "exact_mean": self.exact_mean,
                "exact_sd": self.exact_sd,
                "nrep": self.nrep,
                "seed": self.seed,
                "method": self.method,
            },
        )


def integer_pct_test(
    registered: IntArray,
    given: IntArray,
    received: IntArray,
    leader: IntArray,
    *,
    seed: int,
    nrep: int = 1000,
    method: Literal["exact", "resample"] = "exact",
    min_registered: int = 100,
    max_pct: int = 99,
) -> IntegerPctResult:
    """Kobak's integer-percentage test over stations (arrays of equal length).

    ``registered`` V, ``given`` G (turnout numerator), ``received`` R (leader
    denominator), ``leader`` L. ``flagged`` lists the included rows whose
    turnout or leader % is integer. Randomness comes only from
    ``numpy.random.Generator(PCG64(seed))``.
    """
    if nrep < 1:
        raise InputError("nrep must be >= 1")
    v = np.asarray(registered, dtype=np.int64)
    g = np.asarray(given, dtype=np.int64)
    r = np.asarray(received, dtype=np.int64)
    ld = np.asarray(leader, dtype=np.int64)
    if not v.shape == g.shape == r.shape == ld.shape or v.ndim != 1:
        raise InputError("integer_pct_test: arrays must be 1-D and of equal length")
    inc = inclusion_mask(v, g, r, ld, min_registered=min_registered, max_pct=max_pct)
    rows = np.flatnonzero(inc)
    v, g, r, ld = v[rows], g[rows], r[rows], ld[rows]
    int_t = is_integer_pct(g, v)
    int_l = is_integer_pct(ld, r)
    either = int_t | int_l
    rng = np.random.Generator(np.random.PCG64(seed))
    mc_t = np.empty(nrep, dtype=np.int64)
    mc_l = np.empty(nrep, dtype=np.int64)
    mc_e = np.empty(nrep, dtype=np.int64)
    exact_mean: float | None = None
    exact_sd: float | None = None
    if method == "exact":
        pt = integer_pct_probability(g, v)
        pl = integer_pct_probability(ld, r)
        pe = 1.0 - (1.0 - pt) * (1.0 - pl)
        exact_mean = float(pe.sum())
        exact_sd = float(np.sqrt(np.sum(pe * (1.0 - pe))))
        # one uniform per station and replicate partitions [0, 1) into
        # both | turnout only | leader only | neither
        c_both = pt * pl
        c_t = pt  # both + turnout only
        c_e = pe  # both + turnout only + leader only
        for start in range(0, nrep, _BLOCK):
            m = min(_BLOCK, nrep - start)
            u = rng.random((m, rows.size))
            both = (u < c_both).sum(axis=1)
            t_any = (u < c_t).sum(axis=1)
            e_any = (u < c_e).sum(axis=1)
            mc_t[start : start + m] = t_any
            mc_e[start : start + m] = e_any
            mc_l[start : start + m] = e_any - t_any + both
    elif method == "resample":
        pg = g / np.where(v > 0, v, 1)
        pr = ld / np.where(r > 0, r, 1)
        block = max(1, min(_BLOCK, 4_000_000 // max(rows.size, 1)))
        for start in range(0, nrep, block):
            m = min(block, nrep - start)
            # station-major draws keep the binomial sampler's per-(n, p) set-up cached
            gs = rng.binomial(v[:, None], pg[:, None], size=(rows.size, m))
            ls = rng.binomial(r[:, None], pr[:, None], size=(rows.size, m))
            it = is_integer_pct(gs, v[:, None])
            il = is_integer_pct(ls, r[:, None])
            mc_t[start : start + m] = it.sum(axis=0)
            mc_l[start : start + m] = il.sum(axis=0)
            mc_e[start : start + m] = (it | il).sum(axis=0)
    else:
        raise InputError(f"unknown method {method!r}; use 'exact' or 'resample'")
    return IntegerPctResult(
        included=int(rows.size),
        observed_turnout=int(int_t.sum()),
        observed_leader=int(int_l.sum()),
        observed_either=int(either.sum()),
        nrep=nrep,
        seed=seed,
        method=method,
        mc_either=tuple(int(c) for c in mc_e),
        mc_turnout_mean=float(mc_t.mean()),
        mc_leader_mean=float(mc_l.mean()),
        null_mean=float(mc_e.mean()),
        null_sd=float(mc_e.std(ddof=1)) if nrep > 1 else 0.0,
        null_q999=float(np.quantile(mc_e, 0.999)),
        exact_mean=exact_mean,
        exact_sd=exact_sd,
        included_rows=tuple(int(i) for i in rows),
        flagged=tuple(int(i) for i in rows[either]),
    )
